"""Telling whether a request landed, on Responses (backends/responses_landing.py): our message
is told from an identical older one by where the conversation stood before the request; that
costs no request when the previous turn on the conversation was ours."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import posts

from openaiassistant.backends.responses_landing import NEWEST, find_landing, input_key, unanswered_calls

MESSAGE = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Disk full on db-1"}]}


def _user(item_id: str, text: str = "Disk full on db-1") -> dict[str, Any]:
    return {"id": item_id, "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def _answer(item_id: str) -> dict[str, Any]:
    return {"id": item_id, "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]}


def test_an_identical_older_message_is_not_ours() -> None:
    older = [_answer("msg_2"), _user("msg_1")]  # newest first
    found = find_landing(older, key=input_key([MESSAGE]), before="msg_2")
    assert not found.landed
    landed = [_answer("msg_4"), _user("msg_3"), *older]
    found = find_landing(landed, key=input_key([MESSAGE]), before="msg_2")
    assert found.landed and found.answered and [i["id"] for i in found.after] == ["msg_4"]


def test_outputs_are_found_by_call_id() -> None:
    outputs = [{"type": "function_call_output", "call_id": "call_9", "output": "{}"}]
    items = [_answer("msg_5"), {"id": "fco_1", "type": "function_call_output", "call_id": "call_9", "output": "{}"}]
    found = find_landing(items, key=input_key(outputs), before=None)
    assert found.landed and found.answered
    assert not find_landing(items[:1], key=input_key(outputs), before=None).landed


def test_unanswered_calls() -> None:
    items = [
        {"type": "function_call_output", "call_id": "a"},
        {"type": "function_call", "call_id": "a"},
        {"type": "function_call", "call_id": "b"},
    ]
    assert unanswered_calls(items, ["a", "b", "c"]) == ["b"]  # c is not in the conversation


@pytest.mark.parametrize("backend", ["responses"])
@pytest.mark.parametrize("fault", ["http_error", "ambiguous_error"])
def test_the_same_alert_twice_then_a_failure(make_assistant: Any, emulator: Any, fault: str) -> None:
    assistant = make_assistant()
    first = assistant.run_turn("Disk full on db-1")
    emulator.add_fault(kind=fault, status=503, path=r"/responses$", method="POST")
    second = assistant.run_turn("Disk full on db-1", thread_id=first.thread_id)
    assert second.text == "Echo: Disk full on db-1"
    history = [(m["role"], m["text"]) for m in assistant.history(first.thread_id)]
    # one copy of the message per turn: not taken for the older one, not sent twice
    assert history == [("user", "Disk full on db-1"), ("assistant", "Echo: Disk full on db-1")] * 2


@pytest.mark.parametrize("backend", ["responses"])
def test_a_continued_turn_is_one_request_after_a_turn_of_ours(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant()
    first = assistant.run_turn("one")
    emulator.clear_requests()
    assistant.run_turn("two", thread_id=first.thread_id)
    assert [(r["method"], r["path"]) for r in emulator.requests()] == [("POST", "/v1/responses")]
    NEWEST.take(assistant.connection.base_url.rstrip("/"), first.thread_id)  # as a new process would
    emulator.clear_requests()
    assistant.run_turn("three", thread_id=first.thread_id)
    wire = [(r["method"], r["path"].split("/")[2]) for r in emulator.requests()]
    assert wire == [("GET", "conversations"), ("POST", "responses")]  # where the conversation stands
    assert len(posts(emulator, r"/responses$")) == 1
