"""The engine with the real Toolbox: Python tools end to end, in parallel, failures as data."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from openaiassistant.tools import Toolbox

SCRIPT = {
    "rules": [
        {
            "match": "check all",
            "tool_calls": [
                {"name": "check", "arguments": {"host": "a"}},
                {"name": "check", "arguments": {"host": "b"}},
                {"name": "check", "arguments": {"host": "c"}},
            ],
            "then": {"reply": "Checked: {{ tool_outputs_json }}"},
        },
        {
            "match": "break",
            "tool_calls": [{"name": "broken", "arguments": {"reason": "disk"}}],
            "then": {"reply": "Tool said: {{ tool_outputs.broken }}"},
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}


@pytest.fixture(autouse=True)
def _script(emulator: Any) -> None:
    emulator.load_script(SCRIPT)


def test_a_round_runs_in_parallel(make_assistant: Any, stream: bool) -> None:
    # each call only returns once all three have started: a serial executor would time out
    barrier = threading.Barrier(3, timeout=10)
    registry = Toolbox(max_concurrency=3, call_timeout=20)

    @registry.tool
    def check(host: str) -> dict:
        """Check one host.

        Args:
            host: the host name.
        """
        barrier.wait()
        return {"host": host, "ok": True}

    result = make_assistant(tools=registry).run_turn("check all", stream=stream)
    assert [r.arguments for r in result.tool_calls] == [{"host": "a"}, {"host": "b"}, {"host": "c"}]
    assert all(r.error is None for r in result.tool_calls)
    assert [json.loads(r.output)["host"] for r in result.tool_calls] == ["a", "b", "c"]
    assert result.text.startswith("Checked: ")


def test_a_failing_tool_is_data_for_the_model(make_assistant: Any, stream: bool) -> None:
    registry = Toolbox()

    @registry.tool
    def broken(reason: str) -> str:
        """Always fails."""
        raise RuntimeError(f"no {reason} today")

    result = make_assistant(tools=registry).run_turn("break it", stream=stream)
    record = result.tool_calls[0]
    assert record.error and "no disk today" in record.error
    assert "no disk today" in result.text and result.status == "completed"


def test_deadline_during_tools_cancels_the_run(make_assistant: Any, client: Any, backend: str, stream: bool) -> None:
    from openaiassistant.errors import TurnTimeoutError

    registry = Toolbox(call_timeout=20)
    release = threading.Event()

    @registry.tool
    def broken(reason: str) -> str:
        """Hangs until released."""
        release.wait(10)
        return "late"

    assistant = make_assistant(tools=registry)
    thread_id = assistant.run_turn("hello").thread_id
    try:
        with pytest.raises(TurnTimeoutError) as info:
            assistant.run_turn("break it", thread_id=thread_id, stream=stream, timeout=0.4)
    finally:
        release.set()
    assert info.value.thread_id == thread_id and info.value.run_id in str(info.value)
    if backend == "assistants":
        status = client.beta.threads.runs.retrieve(info.value.run_id, thread_id=thread_id).status
        assert status in ("cancelled", "cancelling")
    # nothing left active or unanswered: the next turn goes through at once
    assert assistant.run_turn("next", thread_id=thread_id, on_active_run="fail").text == "Echo: next"
