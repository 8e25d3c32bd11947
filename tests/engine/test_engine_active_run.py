"""A conversation that already has an active run: on_active_run wait | cancel | fail."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from tests.engine.conftest import Tools, run_status

from openaiassistant.errors import ActiveRunError, TurnTimeoutError


def occupy(client: Any, backend: str, emulator: Any, thread_id: str) -> str:
    """Start a run on the conversation from outside that never finishes by itself."""
    emulator.add_fault(kind="stuck", times=1)
    if backend == "assistants":
        assistant = client.beta.assistants.create(model="gpt-4o-mini")
        client.beta.threads.messages.create(thread_id, role="user", content="someone else")
        return client.beta.threads.runs.create(thread_id=thread_id, assistant_id=assistant.id).id
    body = {"model": "gpt-4o-mini", "input": "someone else", "conversation": thread_id, "background": True}
    return client.post("/responses", cast_to=object, body=body)["id"]


@pytest.fixture
def busy(make_assistant: Any, client: Any, backend: str, emulator: Any) -> tuple[Any, str, str]:
    assistant = make_assistant()
    thread_id = assistant.run_turn("hello").thread_id
    return assistant, thread_id, occupy(client, backend, emulator, thread_id)


def test_fail(busy: tuple[Any, str, str], client: Any, backend: str) -> None:
    assistant, thread_id, other = busy
    with pytest.raises(ActiveRunError) as info:
        assistant.run_turn("mine", thread_id=thread_id, on_active_run="fail")
    assert info.value.thread_id == thread_id
    if backend == "assistants":  # Conversations' lock error does not name the response
        assert info.value.run_id == other
    assert run_status(client, backend, thread_id, other) == "in_progress"  # not ours to touch


def test_wait_until_the_other_run_ends(busy: tuple[Any, str, str], client: Any, backend: str, fake_clock: Any) -> None:
    assistant, thread_id, other = busy
    waits = []

    def other_run_ends_later(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:  # someone else's run finishes while we wait
            if backend == "assistants":
                client.beta.threads.runs.cancel(other, thread_id=thread_id)
            else:
                client.post(f"/responses/{other}/cancel", cast_to=object)

    fake_clock.on_sleep = other_run_ends_later
    notes: list[str] = []
    result = assistant.run_turn("mine", thread_id=thread_id, on_active_run="wait", on_progress=notes.append)
    assert result.text == "Echo: mine"
    assert len(waits) >= 3
    # said once, not per poll (the Responses lock error names no run)
    assert len(notes) == 1 and notes[0].startswith(f"conversation {thread_id} is busy with")
    assert notes[0].endswith(", waiting")


def test_wait_is_bounded_by_the_deadline(busy: tuple[Any, str, str], client: Any, backend: str) -> None:
    assistant, thread_id, other = busy
    with pytest.raises(TurnTimeoutError) as info:
        assistant.run_turn("mine", thread_id=thread_id, on_active_run="wait", timeout=5)
    assert thread_id in str(info.value)
    assert run_status(client, backend, thread_id, other) == "in_progress"


def test_cancel(busy: tuple[Any, str, str], client: Any, backend: str, fake_clock: Any) -> None:
    assistant, thread_id, other = busy
    if backend == "responses":
        # conversation_locked does not name the response: cancel falls back to waiting
        # (docs/engine.md), so the other response must end by itself (here: someone cancels it)
        waits: list[float] = []

        def other_ends(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 2:
                client.post(f"/responses/{other}/cancel", cast_to=object)

        fake_clock.on_sleep = other_ends
    result = assistant.run_turn("mine", thread_id=thread_id, on_active_run="cancel")
    assert result.text == "Echo: mine"
    assert run_status(client, backend, thread_id, other) == "cancelled"


def test_turns_in_one_process_are_serialized(make_assistant: Any, emulator: Any) -> None:
    emulator.load_script(
        {
            "rules": [
                {"match": "slow", "tool_calls": [{"name": "hold", "arguments": {}}], "then": {"reply": "held"}},
                {"default": True, "reply": "Echo: {{ input }}"},
            ]
        }
    )
    inside, release = threading.Event(), threading.Event()

    def hold(_: dict[str, Any]) -> str:
        inside.set()
        assert release.wait(30)
        return "released"

    assistant = make_assistant(tools=Tools(hold=hold))
    thread_id = assistant.run_turn("hello").thread_id
    results: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: results.update(first=assistant.run_turn("slow", thread_id=thread_id)))
    worker.start()
    try:
        assert inside.wait(30)
        emulator.clear_requests()
        with pytest.raises(ActiveRunError, match="busy"):
            assistant.run_turn("second", thread_id=thread_id, on_active_run="fail")
        assert emulator.requests() == []  # refused in-process, before any request

        second: dict[str, Any] = {}
        waiter = threading.Thread(target=lambda: second.update(r=assistant.run_turn("second", thread_id=thread_id)))
        waiter.start()
        release.set()
        waiter.join(30)
    finally:
        release.set()
        worker.join(30)
    assert results["first"].text == "held"
    assert second["r"].text == "Echo: second"
