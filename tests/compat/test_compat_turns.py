"""The engine's turns against real third-party Responses servers, with default settings.

Every test runs against llama-stack and LiteLLM's proxy (see conftest.py). Besides what the
turn returns, the upstream's request log shows what reached the model: each turn's question
exactly once, earlier turns as history (continued), nothing sent twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import openai
import pytest
from tests.answer_formats import VERDICT_FORMAT
from tests.compat.helpers import disk_usage_tools, model_requests

from openaiassistant.assistant import Assistant
from openaiassistant.backends.capabilities import BOOK
from openaiassistant.errors import APIError, AssistantError, AuthenticationError, TurnTimeoutError
from openaiassistant.settings import AssistantSpec, ConnectionSettings

pytestmark = pytest.mark.timeout(180)
Cell = Callable[[str, str], None]


def assistant(server: Any, *, tools: Any = None, **connection: Any) -> Assistant:
    settings = ConnectionSettings(api_key=server.api_key, base_url=server.base_url, **connection)
    return Assistant(
        connection=settings, spec=AssistantSpec(model=server.model, instructions="You help SREs."), tools=tools
    )


def texts(request: dict[str, Any], role: str) -> list[str]:
    out = []
    for message in (request.get("body") or {}).get("messages") or []:
        if message.get("role") != role:
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        out.append(str(content or ""))
    return out


def learned(server: Any, name: str) -> bool:
    return not BOOK.allows(server.base_url, name, pinned={})


def test_plain_turn(server: Any, upstream: Any, cell: Cell) -> None:
    result = assistant(server).run_turn("hello compat plain", stream=False, timeout=60)
    assert result.status == "completed"
    assert result.text == "Echo: hello compat plain"
    sent = model_requests(upstream)
    assert len(sent) == 1 and texts(sent[0], "user").count("hello compat plain") == 1
    cell("plain turn", "yes")
    usage = result.usage.total_tokens
    cell(
        "usage", f"yes ({result.usage.input_tokens} in, {result.usage.output_tokens} out)" if usage else "not reported"
    )


def test_streamed_turn(server: Any, upstream: Any, cell: Cell) -> None:
    deltas: list[str] = []
    result = assistant(server).run_turn("count slowly", stream=True, on_text=deltas.append, timeout=60)
    assert result.text == "one two three four five six seven eight"
    assert "".join(deltas) == result.text and len(deltas) > 1
    assert len(model_requests(upstream)) == 1  # a refused mode never reached the model
    note = " (not in background mode: the server refuses stream and background together)"
    cell("stream", "yes" + (note if learned(server, "stream_background") else ""))


def test_polled_turn(server: Any, upstream: Any, cell: Cell) -> None:
    result = assistant(server, transport="poll").run_turn("hello compat polled", timeout=60)
    assert result.text == "Echo: hello compat polled"
    sent = model_requests(upstream)
    assert len(sent) == 1, [(e["body"] or {}).get("messages") for e in sent]
    cell("polled (transport: poll)", "yes")
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    probe = client.post(
        "/responses", body={"model": server.model, "input": "probe", "background": True}, cast_to=object
    )
    if probe.get("status") in ("queued", "in_progress"):
        for _ in range(200):  # let it finish, so its model request does not reach the next test
            if client.get(f"/responses/{probe['id']}", cast_to=object).get("status") not in ("queued", "in_progress"):
                break
            time.sleep(0.05)
        cell("background", "yes (queued, polled, cancellable)")
    else:
        cell("background", f"accepted, but the response completes inside the request (status {probe.get('status')})")


def test_continued_turn_sees_the_earlier_turns(server: Any, upstream: Any, cell: Cell) -> None:
    helper = assistant(server)
    first = helper.run_turn("remember: my host is db-7", timeout=60)
    assert first.text == "Noted."
    second = helper.run_turn("which host did I name?", thread_id=first.thread_id, timeout=60)
    assert second.thread_id == first.thread_id
    assert second.text.count("remember: my host is db-7") == 1
    assert second.text.count("Noted.") == 1
    last = model_requests(upstream)[-1]
    assert texts(last, "user") == ["remember: my host is db-7", "which host did I name?"]
    assert texts(last, "assistant") == ["Noted."]
    history = [m["text"] for m in helper.history(first.thread_id)]
    expected = ["remember: my host is db-7", "Noted.", "which host did I name?", second.text]
    assert sorted(history) == sorted(expected)  # every message once
    if history == expected:
        cell("history (conversation items)", "yes, in order")
    else:  # llama-stack 0.7.3 lists a conversation's input items before its output items
        cell("history (conversation items)", "every message, but the server lists them out of order")
    if first.thread_id.startswith("oaconv_"):
        cell("conversations", "kept by us (the server has no /v1/conversations); sent as input each turn")
    else:
        cell("conversations", "yes (the server's own)")
    cell("continued (the model sees earlier turns)", "yes")


def test_json_object(server: Any, upstream: Any, cell: Cell) -> None:
    result = assistant(server).run_turn(
        "give the verdict as JSON", params={"response_format": {"type": "json_object"}}, timeout=60
    )
    assert result.response == {"severity": "critical", "reason": "disk full"}
    cell("JSON (json_object)", "yes")


def test_json_schema(server: Any, upstream: Any, cell: Cell) -> None:
    result = assistant(server).run_turn("give the verdict", params={"response_format": VERDICT_FORMAT}, timeout=60)
    assert result.response == {"severity": "critical", "reason": "disk full"}
    sent = (model_requests(upstream)[-1]["body"] or {}).get("response_format") or {}
    cell(
        "JSON schema",
        "yes" if sent.get("type") == "json_schema" else f"answered, but the model got {sent or 'no format'}",
    )


def test_tool_round(server: Any, upstream: Any, cell: Cell) -> None:
    tools, calls = disk_usage_tools()
    result = assistant(server, tools=tools).run_turn("check disk on db-1", timeout=60)
    assert calls == ["db-1"]  # run exactly once
    assert result.text == 'Disk of db-1: {"host": "db-1", "used_percent": 97}'
    assert [c.name for c in result.tool_calls] == ["get_disk_usage"]
    sent = model_requests(upstream)
    assert len(sent) == 2 and texts(sent[1], "user") == ["check disk on db-1"]
    assert texts(sent[1], "tool") == ['{"host": "db-1", "used_percent": 97}']
    cell("tools", "yes")


def test_deadline_on_a_stuck_model(server: Any, upstream: Any, cell: Cell) -> None:
    helper = assistant(server, transport="poll")
    with pytest.raises(TurnTimeoutError) as caught:
        helper.run_turn("hang forever", timeout=4)
    error = caught.value
    assert error.thread_id and error.thread_id in str(error)
    status = None
    if error.run_id:
        client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        try:
            status = client.get(f"/responses/{error.run_id}", cast_to=object).get("status")
        except openai.APIError:
            status = None
    if status == "cancelled":
        cell("cancel", "yes (the deadline cancels the response on the server)")
    elif status is not None:
        cell("cancel", f"the deadline ends the turn; the response reads {status} afterwards")
    else:
        cell("cancel", "no: the deadline ends the turn and its request; nothing to cancel on the server")


def test_file_search_vector_stores(server: Any, cell: Cell) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    try:
        store = client.post("/vector_stores", body={"name": "compat"}, cast_to=object)
    except openai.APIStatusError as exc:
        from openaiassistant.backends.server_errors import server_words

        words, _ = server_words(exc.body, status=exc.status_code)
        assert words  # the server said why, in its words
        cell("file_search", f"no: vector stores answer HTTP {exc.status_code} ({words[:90]})")
        return
    assert store.get("id")
    cell("file_search", "vector stores exist (see knowledge sync and file_search turn)")


# -- errors ------------------------------------------------------------------------------------
SERVER_WORDS = {
    "llama-stack": "Model 'no-such-model' not found",
    "litellm": "Invalid model name passed in model=no-such-model",
}


def test_unknown_model_error_is_in_the_servers_words(server: Any, cell: Cell) -> None:
    settings = ConnectionSettings(api_key=server.api_key, base_url=server.base_url)
    helper = Assistant(connection=settings, spec=AssistantSpec(model="no-such-model"))
    with pytest.raises(AssistantError) as caught:
        helper.run_turn("hello", timeout=60)
    message = str(caught.value)
    assert SERVER_WORDS[server.name] in message
    assert "Traceback" not in message and server.api_key not in message
    cell("error: unknown model", f"`{caught.value.kind}: {message[:110]}`")


def test_a_failing_model_is_reported_in_the_servers_words(server: Any, upstream: Any, cell: Cell) -> None:
    upstream.add_fault(
        kind="http_error", status=400, path="/chat/completions", message="upstream says: prompt rejected"
    )
    with pytest.raises(AssistantError) as caught:
        assistant(server, max_retries=0).run_turn("hello failing", timeout=60)
    message = str(caught.value)
    assert "prompt rejected" in message or "400" in message
    assert "Error code: 400" not in message or "prompt rejected" in message
    cell("error: the model fails", f"`{caught.value.kind}: {message[:110]}`")


def test_a_wrong_key(server: Any, cell: Cell) -> None:
    wrong = "sk-wrong-key-for-the-compat-suite-0000"
    settings = ConnectionSettings(api_key=wrong, base_url=server.base_url)
    helper = Assistant(connection=settings, spec=AssistantSpec(model=server.model))
    if server.name == "llama-stack":  # run without authentication: any key works
        assert helper.run_turn("hello key", timeout=60).text == "Echo: hello key"
        cell("error: wrong API key", "no authentication configured (any key works)")
        return
    with pytest.raises(APIError) as caught:
        helper.run_turn("hello key", timeout=60)
    message = str(caught.value)
    assert wrong not in message and "wrong-key-for" not in message
    # without its database LiteLLM can check no key but its master key, and says so
    assert isinstance(caught.value, AuthenticationError) or "No connected db" in message
    cell("error: wrong API key", f"`{caught.value.kind}: {message[:110]}`")


def test_unreachable_server_names_url_and_cause(cell: Cell) -> None:
    from compat_servers import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    helper = Assistant(
        connection=ConnectionSettings(api_key="k", base_url=url, max_retries=0), spec=AssistantSpec(model="m")
    )
    with pytest.raises(APIError) as caught:
        helper.run_turn("hello", timeout=10)
    assert f"could not reach {url} (connection refused)" in str(caught.value)


def test_json_answers_are_valid_json_in_the_upstream_log(server: Any, upstream: Any) -> None:
    """What the servers pass on is well formed: every chat request names one model and messages."""
    assistant(server).run_turn("hello shape", timeout=60)
    for entry in model_requests(upstream):
        body = entry["body"] or {}
        assert body.get("messages") and json.dumps(body)
