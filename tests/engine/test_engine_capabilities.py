"""Capabilities learned per server: a refused mode falls back once, without doubling input, and
later turns start in the fallback mode; ``capabilities`` pins modes up front.

The emulator answers everything OpenAI answers, so the refusals here are faults shaped like
the real servers' (llama-stack's words and status, LiteLLM's 404 on /conversations); the
compatibility suite (tests/compat) meets the real ones.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.backends.capabilities import BOOK
from openaiassistant.errors import ConfigError
from openaiassistant.registry import ThreadRegistry
from openaiassistant.settings import AssistantSpec, ConnectionSettings

LLAMA_WORDS = "Llama Stack does not yet support 'stream' and 'background' together."


@pytest.fixture(autouse=True)
def _forget() -> Any:
    BOOK.forget()
    yield
    BOOK.forget()


def make(emulator: Any, registry: Any = None, **connection: Any) -> Assistant:
    settings = ConnectionSettings(api_key="sk-test-capabilities", base_url=emulator.base_url, **connection)
    return Assistant(connection=settings, spec=AssistantSpec(model="gpt-4o-mini"), registry=registry)


def creates(emulator: Any) -> list[dict[str, Any]]:
    return [e for e in emulator.requests() if e["method"] == "POST" and e["path"] == "/v1/responses"]


def test_stream_with_background_refused_falls_back_once_and_is_remembered(
    emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openaiassistant.backends")
    emulator.add_fault(kind="http_error", status=400, method="POST", path="^/v1/responses$", message=LLAMA_WORDS)
    notes: list[str] = []
    assistant = make(emulator)
    result = assistant.run_turn("hello fallback", on_progress=notes.append, timeout=30)
    assert result.text == "Echo: hello fallback"
    first, second = creates(emulator)  # (a refusal by fault is answered before the body is read)
    assert first["status"] == 400 and second["status"] == 200
    assert "background" not in second["body"] and second["body"]["stream"] is True
    conversation = emulator.emulator.state.conversations[result.thread_id]
    assert [i.get("role") for i in conversation.items if i.get("type") == "message"] == ["user", "assistant"]
    assert any("does not support stream_background" in n for n in notes)
    emulator.clear_requests()
    again = assistant.run_turn("hello again", thread_id=result.thread_id, timeout=30)
    assert again.text == "Echo: hello again"
    (only,) = creates(emulator)  # straight to the mode the server takes
    assert "background" not in only["body"]
    warnings = [r for r in caplog.records if "stream_background" in r.getMessage()]
    assert len(warnings) == 1  # said once per server


def test_a_pinned_capability_needs_no_refused_request(emulator: Any) -> None:
    result = make(emulator, capabilities="stream_background=off").run_turn("hello pinned", timeout=30)
    assert result.text == "Echo: hello pinned"
    (only,) = creates(emulator)
    assert "background" not in only["body"]


def test_a_refusal_of_a_pinned_mode_is_the_error(emulator: Any) -> None:
    emulator.add_fault(kind="http_error", status=400, method="POST", path="^/v1/responses$", message=LLAMA_WORDS)
    with pytest.raises(Exception, match="does not yet support 'stream' and 'background' together"):
        make(emulator, capabilities="stream_background=on").run_turn("hello", timeout=30)


def test_an_error_about_something_else_is_not_a_fallback(emulator: Any) -> None:
    emulator.add_fault(kind="http_error", status=400, method="POST", path="^/v1/responses$", message="Invalid model.")
    with pytest.raises(Exception, match="Invalid model"):
        make(emulator).run_turn("hello", timeout=30)
    assert len(creates(emulator)) == 1


def test_without_conversations_the_conversation_is_kept_in_our_log(emulator: Any, tmp_path: Any) -> None:
    emulator.add_fault(kind="http_error", status=404, method="POST", path="^/v1/conversations$", message="Not Found")
    registry = ThreadRegistry(f"sqlite:///{tmp_path / 'threads.db'}")
    assistant = make(emulator, registry=registry)
    first = assistant.run_turn("my host is db-3", timeout=30)
    assert first.thread_id.startswith("oaconv_")
    second = assistant.run_turn("and the next question", thread_id=first.thread_id, timeout=30)
    assert second.thread_id == first.thread_id
    bodies = [e["body"] for e in creates(emulator)]
    assert all("conversation" not in b and "previous_response_id" not in b for b in bodies)
    sent = [
        (i.get("role"), i.get("content") if isinstance(i.get("content"), str) else None) for i in bodies[1]["input"]
    ]
    assert [role for role, _ in sent] == ["user", "assistant", "user"]  # the history, once each
    assert sent[1][1] == "Echo: my host is db-3"
    assert [m["text"] for m in assistant.history(first.thread_id)] == [
        "my host is db-3",
        "Echo: my host is db-3",
        "and the next question",
        "Echo: and the next question",
    ]
    # another process (a new Assistant on the same registry) continues it too
    later = make(emulator, registry=ThreadRegistry(f"sqlite:///{tmp_path / 'threads.db'}"))
    third = later.run_turn("third", thread_id=first.thread_id, timeout=30)
    assert third.text == "Echo: third"
    assert len(creates(emulator)[-1]["body"]["input"]) == 5
    assert later.delete_thread(first.thread_id) is True


def test_a_tool_round_on_a_logged_conversation_runs_each_call_once(emulator: Any) -> None:
    from openaiassistant.tools import Toolbox

    emulator.load_script(
        {
            "rules": [
                {
                    "match": "disk on (?P<host>\\S+)",
                    "tool_calls": [{"name": "disk", "arguments": {"host": "{{ match.host }}"}}],
                    "then": {"reply": "Disk: {{ tool_outputs.disk }}"},
                }
            ]
        }
    )
    tools = Toolbox()
    ran: list[str] = []

    @tools.tool
    def disk(host: str) -> str:
        """Disk usage.

        Args:
            host: the host
        """
        ran.append(host)
        return "97%"

    settings = ConnectionSettings(
        api_key="sk-test-capabilities", base_url=emulator.base_url, capabilities="conversations=off"
    )
    assistant = Assistant(connection=settings, spec=AssistantSpec(model="gpt-4o-mini"), tools=tools)
    result = assistant.run_turn("disk on db-1", timeout=30)
    assert ran == ["db-1"] and result.text == 'Disk: "97%"'
    assert not [e for e in emulator.requests() if e["path"] == "/v1/conversations"]
    kinds = [i.get("type") or "message" for i in creates(emulator)[-1]["body"]["input"]]
    assert kinds == ["message", "function_call", "function_call_output"]


def test_capabilities_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="capabilities"):
        ConnectionSettings(api_key="k", capabilities="teleport=off").validate()
    with pytest.raises(ConfigError, match="capabilities"):
        ConnectionSettings(api_key="k", capabilities="conversations").validate()
    ConnectionSettings(api_key="k", capabilities="conversations=off, stream+background=no").validate()
