"""truncation_strategy last_messages N: the model sees the last N messages; the thread keeps all."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import DISK_ROUND_SCRIPT, Tools

WINDOW = {"truncation_strategy": {"type": "last_messages", "last_messages": 2}}


@pytest.fixture
def thread(make_assistant: Any) -> tuple[Any, str]:
    assistant = make_assistant(tools=Tools(disk=lambda a: {"used": "91%"}))
    thread_id = assistant.run_turn("one").thread_id
    assistant.run_turn("two", thread_id=thread_id)
    return assistant, thread_id


def test_the_model_sees_only_the_last_messages(
    thread: tuple[Any, str], emulator: Any, client: Any, backend: str, stream: bool
) -> None:
    emulator.load_script(
        {
            "rules": [
                {"match": "^three$", "reply": "Saw: {{ context }}"},  # the messages the model was given
                {"default": True, "reply": "Echo: {{ input }}"},
            ]
        }
    )
    assistant, thread_id = thread
    result = assistant.run_turn("three", thread_id=thread_id, params=WINDOW, stream=stream)
    if backend == "responses":  # the last 2 messages as item references, then the new one
        assert result.text == "Saw: two | Echo: two | three"
        seen = client.get(
            f"/responses/{result.response_id}/input_items", cast_to=object, options={"params": {"order": "asc"}}
        )
        texts = [part["text"] for item in seen["data"] for part in item.get("content", [])]
        assert texts == ["two", "Echo: two", "three"]
    else:  # Assistants counts the new message among the last 2
        assert result.text == "Saw: Echo: two | three"
    history = [m["text"] for m in assistant.history(thread_id)]
    assert history == ["one", "Echo: one", "two", "Echo: two", "three", result.text]
    assert emulator.request_violations() == []


def test_without_a_window_the_model_sees_everything(thread: tuple[Any, str], emulator: Any) -> None:
    """The control for the test above: the same rule shows the whole thread."""
    emulator.load_script({"rules": [{"match": "^three$", "reply": "Saw: {{ context }}"}]})
    assistant, thread_id = thread
    result = assistant.run_turn("three", thread_id=thread_id)
    assert result.text == "Saw: one | Echo: one | two | Echo: two | three"


def test_tool_rounds_in_a_window_keep_the_conversation_whole(
    thread: tuple[Any, str], emulator: Any, backend: str, stream: bool
) -> None:
    emulator.load_script(DISK_ROUND_SCRIPT)
    assistant, thread_id = thread
    result = assistant.run_turn("disk please", thread_id=thread_id, params=WINDOW, stream=stream)
    assert result.text == 'Disk: {"used": "91%"}' and len(result.tool_calls) == 1
    after = assistant.run_turn("four", thread_id=thread_id)  # the conversation is consistent
    assert after.text == "Echo: four"
    texts = [m["text"] for m in assistant.history(thread_id)]
    assert texts[-4:] == ["disk please", 'Disk: {"used": "91%"}', "four", "Echo: four"]
    assert emulator.request_violations() == []
