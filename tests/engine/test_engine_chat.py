"""backend: chat — assistant turns on a plain chat-completions server, the conversation kept in
the thread registry's database. Real Assistant, real SDK, real HTTP to the emulator's
``/v1/chat/completions`` (every body and chunk checked against the spec, and the live API's
400s for broken tool pairs), a real SQLite registry."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from tests.engine.chat_helpers import SCRIPT, Tools, audit, completions, make_chat

from openaiassistant.backends.capabilities import BOOK
from openaiassistant.errors import (
    APIError,
    ConfigError,
    NotFoundError,
    OutputValidationError,
    ServerUnavailableError,
    TurnTimeoutError,
)
from openaiassistant.registry import ThreadRegistry


@pytest.fixture(autouse=True)
def _script(emulator: Any) -> Any:
    emulator.load_script(SCRIPT)
    BOOK.forget()
    yield
    BOOK.forget()


@pytest.fixture
def registry(tmp_path: Any) -> ThreadRegistry:
    return ThreadRegistry(f"sqlite:///{tmp_path}/threads.db")


@pytest.fixture(params=["sse", "poll"])
def transport(request: Any) -> str:
    return request.param


def test_a_plain_turn_answers_and_keeps_the_conversation_in_the_registry(
    emulator: Any, registry: ThreadRegistry, transport: str
) -> None:
    assistant = make_chat(emulator, registry, transport=transport, instructions="You triage alerts.")
    result = assistant.run_turn("hello there", metadata={"tenant": "t1"}, timeout=30)
    assert result.text == "Echo: hello there"
    assert result.backend == "chat" and result.status == "completed"
    assert result.thread_id.startswith("oachat_")
    assert result.response_id.startswith("chatcmpl-") and result.run_id is None
    assert result.usage.total_tokens > 0 and result.model == "gpt-4o-mini"
    (request,) = completions(emulator)
    body = request["body"]
    assert body["messages"] == [
        {"role": "system", "content": "You triage alerts."},
        {"role": "user", "content": "hello there"},
    ]
    assert body.get("stream", False) is (transport == "sse")
    if transport == "sse":
        assert body["stream_options"] == {"include_usage": True}
    assert audit(registry, result.thread_id)["messages"] == [
        ("user", "hello there"),
        ("assistant", "Echo: hello there"),
    ]
    # the registry files the conversation like any other
    assert [t.thread_id for t in registry.find(tenant="t1")] == [result.thread_id]


def test_streamed_text_arrives_in_deltas(emulator: Any, registry: ThreadRegistry) -> None:
    deltas: list[str] = []
    result = make_chat(emulator, registry).run_turn("hello streaming world", on_text=deltas.append, timeout=30)
    assert len(deltas) > 1 and "".join(deltas) == result.text == "Echo: hello streaming world"


def test_a_continued_turn_sends_the_whole_history(emulator: Any, registry: ThreadRegistry, transport: str) -> None:
    assistant = make_chat(emulator, registry, transport=transport, instructions="Be brief.")
    first = assistant.run_turn("my host is db-7", timeout=30)
    emulator.clear_requests()
    again = assistant.run_turn("what did I say?", thread_id=first.thread_id, timeout=30)
    assert again.thread_id == first.thread_id
    assert "my host is db-7" in again.text and "Echo: my host is db-7" in again.text
    (request,) = completions(emulator)
    assert [(m["role"], m["content"]) for m in request["body"]["messages"]] == [
        ("system", "Be brief."),
        ("user", "my host is db-7"),
        ("assistant", "Echo: my host is db-7"),
        ("user", "what did I say?"),
    ]
    history = assistant.history(first.thread_id)
    assert [(m["role"], m["text"]) for m in history][:2] == [
        ("user", "my host is db-7"),
        ("assistant", "Echo: my host is db-7"),
    ]
    assert len(history) == 4


def test_another_process_continues_the_conversation_from_the_database(emulator: Any, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    first = make_chat(emulator, ThreadRegistry(url)).run_turn("my host is db-9", timeout=30)
    later = make_chat(emulator, ThreadRegistry(url))  # a new registry object: nothing in memory
    again = later.run_turn("what did I say?", thread_id=first.thread_id, timeout=30)
    assert "my host is db-9" in again.text


def test_a_tool_round_runs_parallel_calls_once_and_logs_every_item(
    emulator: Any, registry: ThreadRegistry, transport: str
) -> None:
    tools = Tools()
    assistant = make_chat(emulator, registry, tools=tools, transport=transport)
    result = assistant.run_turn("check disk on db-1", timeout=30)
    assert result.text == 'Disk of db-1: {"host": "db-1", "used": 97}'
    assert sorted(r.name for r in result.tool_calls) == ["get_disk_usage", "get_load"]
    assert all(n == 1 for n in tools.ran.values()) and len(tools.ran) == 2
    first, second = completions(emulator)
    assert [t["function"]["name"] for t in first["body"]["tools"]] == ["get_disk_usage", "get_load"]
    sent = second["body"]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]
    assert {c["id"] for c in sent[1]["tool_calls"]} == {m["tool_call_id"] for m in sent[2:]}
    assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == {"host": "db-1"}
    log = audit(registry, result.thread_id)
    assert log["orphan_calls"] == [] and log["stray_outputs"] == [] and len(log["calls"]) == 2
    assert log["messages"][-1] == ("assistant", result.text)
    # the next turn sends the finished round as it happened
    emulator.clear_requests()
    assistant.run_turn("what did I say?", thread_id=result.thread_id, timeout=30)
    (request,) = completions(emulator)
    assert [m["role"] for m in request["body"]["messages"]] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "user",
    ]


def test_json_object_and_json_schema_go_as_response_format(emulator: Any, registry: ThreadRegistry) -> None:
    assistant = make_chat(emulator, registry)
    result = assistant.run_turn("give the verdict", params={"response_format": "json_object"}, timeout=30)
    assert result.response == {"severity": "critical", "reason": "disk full"}
    schema = {
        "type": "object",
        "properties": {"severity": {"type": "string"}, "reason": {"type": "string"}},
        "required": ["severity", "reason"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema, "strict": True}}
    again = assistant.run_turn("give the verdict", params={"response_format": fmt}, timeout=30)
    assert again.response["severity"] == "critical"
    plain, structured = completions(emulator)
    assert plain["body"]["response_format"] == {"type": "json_object"}
    assert structured["body"]["response_format"] == {"type": "json_schema", "json_schema": fmt["json_schema"]}


def test_a_server_without_response_format_gets_the_instruction_and_the_answer_is_checked(
    emulator: Any, registry: ThreadRegistry
) -> None:
    # LM Studio / older servers: a 400 naming response_format (in the server's words)
    emulator.add_fault(
        kind="http_error",
        status=400,
        method="POST",
        path="/chat/completions$",
        message="'response_format.type' json_object is not supported by this server",
    )
    notes: list[str] = []
    assistant = make_chat(emulator, registry)
    result = assistant.run_turn(
        "give the verdict", params={"response_format": "json_object"}, on_progress=notes.append, timeout=30
    )
    assert result.response == {"severity": "critical", "reason": "disk full"}
    refused, sent = completions(emulator)
    assert refused["status"] == 400 and "response_format" not in sent["body"]
    assert "single JSON object" in sent["body"]["messages"][0]["content"]
    assert any("does not support json_object" in n for n in notes)
    assert audit(registry, result.thread_id)["users"] == ["give the verdict"]  # the refused request doubled nothing
    # remembered: the next turn goes straight to the fallback, and a non-JSON answer is an error
    emulator.clear_requests()
    with pytest.raises(OutputValidationError, match="holds no JSON object.*no JSON mode") as caught:
        assistant.run_turn("hello there", thread_id=result.thread_id, params={"response_format": "json_object"})
    assert caught.value.raw_text == "Echo: hello there"
    (only,) = completions(emulator)
    assert "response_format" not in only["body"]


def test_a_schema_the_server_cannot_take_is_asked_for_in_words_and_validated(
    emulator: Any, registry: ThreadRegistry
) -> None:
    # DeepSeek's words, which name neither json_schema nor json_object
    emulator.add_fault(
        kind="http_error",
        status=400,
        method="POST",
        path="/chat/completions$",
        message="This response_format type is unavailable now",
    )
    schema = {"type": "object", "properties": {"severity": {"enum": ["info"]}}, "required": ["severity"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema}}
    with pytest.raises(OutputValidationError, match="severity"):
        make_chat(emulator, registry).run_turn("give the verdict", params={"response_format": fmt}, timeout=30)
    refused, sent = completions(emulator)
    assert refused["status"] == 400
    assert sent["body"]["response_format"] == {"type": "json_object"}
    assert '"enum": ["info"]' in sent["body"]["messages"][0]["content"]


def test_a_schema_the_server_finds_invalid_is_the_error_not_a_fallback(emulator: Any, registry: ThreadRegistry) -> None:
    # strict mode refuses this schema (additionalProperties missing) in OpenAI's words, which
    # name response_format: the user's schema is wrong, the server lacks nothing
    schema = {"type": "object", "properties": {"severity": {"type": "string"}}, "required": ["severity"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema, "strict": True}}
    assistant = make_chat(emulator, registry)
    with pytest.raises(APIError, match="(?i)invalid schema for response_format 'verdict'"):
        assistant.run_turn("give the verdict", params={"response_format": fmt}, timeout=30)
    (refused,) = completions(emulator)
    assert refused["status"] == 400
    assert BOOK.allows(emulator.base_url, "json_schema", pinned={})  # nothing learned about the server


def test_last_messages_and_a_token_budget_window_the_history(emulator: Any, registry: ThreadRegistry) -> None:
    tools = Tools()
    assistant = make_chat(emulator, registry, tools=tools)
    thread = assistant.run_turn("first words " + "x " * 400, timeout=30).thread_id
    assistant.run_turn("check disk on db-2", thread_id=thread, timeout=30)
    emulator.clear_requests()
    assistant.run_turn(
        "what did I say?",
        thread_id=thread,
        params={"truncation_strategy": {"type": "last_messages", "last_messages": 2}},
    )
    (windowed,) = completions(emulator)
    sent = windowed["body"]["messages"]
    # two messages before this turn (tool traffic of earlier turns left out), then this turn
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[0]["content"] == "check disk on db-2" and sent[-1]["content"] == "what did I say?"
    emulator.clear_requests()
    assistant.run_turn("what did I say?", thread_id=thread, params={"max_prompt_tokens": 300})
    (budgeted,) = completions(emulator)
    contents = [m.get("content") or "" for m in budgeted["body"]["messages"]]
    assert not any(c.startswith("first words") for c in contents)  # the long first turn did not fit
    roles = [m["role"] for m in budgeted["body"]["messages"]]
    assert roles[0] == "user" and roles[-1] == "user" and "tool" in roles  # whole turns, rounds unsplit


def test_finish_reasons_length_is_incomplete_and_content_filter_a_refusal(
    emulator: Any, registry: ThreadRegistry, transport: str
) -> None:
    assistant = make_chat(emulator, registry, transport=transport)
    cut = assistant.run_turn("tell a long story", params={"max_tokens": 3}, timeout=30)
    assert cut.status == "incomplete" and cut.incomplete_reason == "max_output_tokens"
    assert cut.text.strip() == "one two three"
    assert completions(emulator)[0]["body"]["max_tokens"] == 3
    refused = assistant.run_turn("say something bad", thread_id=cut.thread_id, timeout=30)
    assert refused.status == "completed" and refused.text == ""
    assert "content_filter" in refused.refusal
    # the record keeps what the turn said (the refusal), not the filtered words the server had
    # begun to send: sent again with every later turn, they could trip the filter every time
    assert audit(registry, cut.thread_id)["messages"][-1] == ("assistant", refused.refusal)
    emulator.clear_requests()
    assistant.run_turn("and now?", thread_id=cut.thread_id, timeout=30)
    (after,) = completions(emulator)
    assert after["body"]["messages"][-2] == {"role": "assistant", "content": refused.refusal}


def test_the_deadline_closes_the_stream_and_names_the_conversation(
    emulator: Any, registry: ThreadRegistry, transport: str
) -> None:
    assistant = make_chat(emulator, registry, transport=transport)
    with pytest.raises(TurnTimeoutError) as caught:
        assistant.run_turn("hang forever", timeout=0.5)
    assert caught.value.thread_id.startswith("oachat_") and "0.5s" in str(caught.value)
    # the server saw the client leave: its stuck request ended (the emulator logs a request
    # when its handler has finished; a plain one that lost its client answers 499)
    for _ in range(100):
        if completions(emulator):
            break
        time.sleep(0.02)
    (stuck,) = completions(emulator)
    assert stuck["status"] == (200 if transport == "sse" else 499)
    assert audit(registry, caught.value.thread_id)["users"] == ["hang forever"]
    again = assistant.run_turn("what did I say?", thread_id=caught.value.thread_id, timeout=30)
    assert "hang forever" in again.text


def test_retries_after_5xx_and_a_dropped_connection_double_nothing(emulator: Any, registry: ThreadRegistry) -> None:
    emulator.add_fault(kind="http_error", status=503, method="POST", path="/chat/completions$", times=1)
    emulator.add_fault(kind="drop_connection", method="POST", path="/chat/completions$", times=1)
    result = make_chat(emulator, registry).run_turn("hello retry", timeout=30)
    assert result.text == "Echo: hello retry"
    assert len(completions(emulator)) == 3
    log = audit(registry, result.thread_id)
    assert log["messages"] == [("user", "hello retry"), ("assistant", "Echo: hello retry")]


def test_a_stream_error_starts_a_new_completion_without_doubling_the_message(
    emulator: Any, registry: ThreadRegistry
) -> None:
    emulator.add_fault(kind="stream_error", path="/chat/completions$", after_events=2, code="server_error")
    deltas: list[str] = []
    result = make_chat(emulator, registry).run_turn("hello error", on_text=deltas.append, timeout=30)
    assert result.text == "Echo: hello error"
    assert "".join(deltas) == "Echo: hello error"  # what was shown before the error is not shown again
    assert len(completions(emulator)) == 2
    assert audit(registry, result.thread_id)["messages"] == [("user", "hello error"), ("assistant", result.text)]


def test_a_stream_cut_mid_answer_is_sent_again_and_shown_once(emulator: Any, registry: ThreadRegistry) -> None:
    emulator.add_fault(kind="stream_cut", path="/chat/completions$", after_events=3)
    deltas: list[str] = []
    result = make_chat(emulator, registry).run_turn("hello cut stream", on_text=deltas.append, timeout=30)
    assert result.text == "Echo: hello cut stream" and "".join(deltas) == result.text
    assert len(completions(emulator)) == 2
    assert audit(registry, result.thread_id)["messages"] == [("user", "hello cut stream"), ("assistant", result.text)]


def test_a_dead_server_is_one_clear_error(registry: ThreadRegistry) -> None:
    import socket

    from openaiassistant.assistant import Assistant
    from openaiassistant.settings import AssistantSpec, ConnectionSettings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    assistant = Assistant(
        connection=ConnectionSettings(api_key="no-key", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1),
        spec=AssistantSpec(backend="chat", model="llama3"),
        registry=registry,
        sleep=lambda s: None,
    )
    with pytest.raises(ServerUnavailableError, match=f"could not reach http://127.0.0.1:{port}/v1") as caught:
        assistant.run_turn("hello", timeout=30)
    thread = caught.value.thread_id
    assert thread.startswith("oachat_") and audit(registry, thread)["users"] == ["hello"]


def test_the_registry_is_required(emulator: Any) -> None:
    from openaiassistant.assistant import Assistant
    from openaiassistant.settings import AssistantSpec, ConnectionSettings

    with pytest.raises(ConfigError, match="registry_url.*thread registry"):
        Assistant(
            connection=ConnectionSettings(api_key="sk-test-chat-backend-key", base_url=emulator.base_url),
            spec=AssistantSpec(backend="chat", model="gpt-4o-mini"),
        )


def test_an_unknown_or_foreign_thread_id_says_what_it_is(emulator: Any, registry: ThreadRegistry) -> None:
    assistant = make_chat(emulator, registry)
    with pytest.raises(NotFoundError, match="not in this thread registry"):
        assistant.run_turn("hello", thread_id="oachat_0000", timeout=30)
    with pytest.raises(NotFoundError, match="belongs to the responses backend"):
        assistant.run_turn("hello", thread_id="conv_abc", timeout=30)
    assert completions(emulator) == []


def test_include_history_and_delete_thread_are_served_from_the_record(emulator: Any, registry: ThreadRegistry) -> None:
    assistant = make_chat(emulator, registry)
    first = assistant.run_turn("hello one", timeout=30)
    second = assistant.run_turn("hello two", thread_id=first.thread_id, include_history=True, timeout=30)
    assert [m["text"] for m in second.messages] == ["hello one", "Echo: hello one", "hello two", "Echo: hello two"]
    assert assistant.delete_thread(first.thread_id) is True
    assert registry.get(first.thread_id).deleted_at is not None
    with pytest.raises(NotFoundError):
        assistant.history(first.thread_id)
    assert assistant.delete_thread(first.thread_id) is False


def test_images_go_as_image_url_parts_and_file_attachments_are_refused(emulator: Any, registry: ThreadRegistry) -> None:
    assistant = make_chat(emulator, registry)
    result = assistant.run_turn("hello picture", images=["https://grafana.example/render.png"], timeout=30)
    (request,) = completions(emulator)
    assert request["body"]["messages"][0]["content"] == [
        {"type": "text", "text": "hello picture"},
        {"type": "image_url", "image_url": {"url": "https://grafana.example/render.png", "detail": "auto"}},
    ]
    emulator.clear_requests()
    assistant.run_turn("what did I say?", thread_id=result.thread_id, timeout=30)
    assert completions(emulator)[0]["body"]["messages"][0]["content"][1]["type"] == "image_url"
    with pytest.raises(ConfigError, match="attachments"):
        assistant.run_turn("read this", attachments=["file-abc"], timeout=30)


def test_validate_checks_the_model_is_served(emulator: Any, registry: ThreadRegistry) -> None:
    make_chat(emulator, registry).validate()
    with pytest.raises(ConfigError, match="'no-such-model' is not served"):
        make_chat(emulator, registry, model="no-such-model").validate()


def test_a_local_image_goes_inline_without_an_upload(emulator: Any, registry: ThreadRegistry, tmp_path: Any) -> None:
    import base64

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    path = tmp_path / "panel.png"
    path.write_bytes(png)
    make_chat(emulator, registry).run_turn("hello panel", images=[str(path)], timeout=30)
    assert [r["path"] for r in emulator.requests() if r["method"] == "POST"] == ["/v1/chat/completions"]  # no /files
    (request,) = completions(emulator)
    part = request["body"]["messages"][0]["content"][1]
    assert part["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(png).decode()
