"""Chat Completions on the emulator, through the SDK's typed ``chat.completions`` (both SDK
generations): plain and streamed answers, a tool round with streamed argument deltas, JSON
formats, usage, token limits, faults and the live API's 400s. Every body and chunk is checked
against the spec by the fixture."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

SCRIPT = {
    "rules": [
        {
            "name": "disk",
            "match": "(?i)disk on (?P<host>\\S+)",
            "tool_calls": [
                {"name": "get_disk_usage", "arguments": {"host": "{{ match.host }}"}},
                {"name": "get_load", "arguments": {"host": "{{ match.host }}"}},
            ],
            "then": {"reply": "Disk of {{ match.host }}: {{ tool_outputs.get_disk_usage }}"},
        },
        {"name": "recall", "match": "(?i)what did I say", "reply": "You said: {{ context }}"},
        {"name": "verdict", "match": "(?i)verdict", "json": {"severity": "critical"}},
    ]
}
PARAMS = {"type": "object", "properties": {"host": {"type": "string"}}}
TOOLS = [{"type": "function", "function": {"name": n, "parameters": PARAMS}} for n in ("get_disk_usage", "get_load")]


@pytest.fixture(autouse=True)
def _script(emulator: Any) -> None:
    emulator.load_script(SCRIPT)


def _stream(client: openai.OpenAI, **body: Any) -> list[Any]:
    return list(client.chat.completions.create(stream=True, **body))


def test_plain_answer_has_text_finish_reason_and_usage(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}]
    )
    choice = completion.choices[0]
    assert choice.message.content == "Echo: hello there"
    assert choice.finish_reason == "stop"
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert completion.usage.prompt_tokens == 2 and completion.usage.completion_tokens == 3
    assert completion.usage.total_tokens == 5


def test_streamed_answer_joins_to_the_text_and_ends_with_usage(client: openai.OpenAI) -> None:
    chunks = _stream(
        client,
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hello streaming world"}],
        stream_options={"include_usage": True},
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: hello streaming world"
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    assert len({c.id for c in chunks}) == 1


def test_a_tool_round_streams_argument_deltas_and_continues_the_step(client: openai.OpenAI) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "check disk on db-1"}]
    chunks = _stream(client, model="gpt-4o-mini", messages=messages, tools=TOOLS)
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = delta.id or call["id"]
            call["name"] = (delta.function.name if delta.function else None) or call["name"]
            call["arguments"] += (delta.function.arguments if delta.function else None) or ""
    assert [c["name"] for c in calls.values()] == ["get_disk_usage", "get_load"]
    assert all(json.loads(c["arguments"]) == {"host": "db-1"} for c in calls.values())
    pieces = sum(1 for c in chunks if c.choices and c.choices[0].delta.tool_calls)
    assert pieces > 4  # the arguments came in several deltas, not whole
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                for c in calls.values()
            ],
        }
    )
    messages += [{"role": "tool", "tool_call_id": c["id"], "content": f"{c['name']}=91%"} for c in calls.values()]
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    assert answer.choices[0].message.content == "Disk of db-1: get_disk_usage=91%"
    assert answer.choices[0].finish_reason == "stop"


def test_plain_tool_calls_come_whole(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "disk on web-2"}],
        tools=TOOLS,
        parallel_tool_calls=False,
    )
    calls = completion.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["get_disk_usage"]  # one per round without parallel calls
    assert json.loads(calls[0].function.arguments) == {"host": "web-2"}
    assert completion.choices[0].finish_reason == "tool_calls"


def test_the_model_sees_earlier_turns_from_the_messages(client: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "my host is db-7"},
        {"role": "assistant", "content": "noted"},
        {"role": "user", "content": "what did I say"},
    ]
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert completion.choices[0].message.content == "You said: my host is db-7 | noted | what did I say"


def test_json_formats(client: openai.OpenAI) -> None:
    obj = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "answer in json: how are things"}],
        response_format={"type": "json_object"},
    )
    assert json.loads(obj.choices[0].message.content) == {"answer": "Echo: answer in json: how are things"}
    schema = {
        "type": "object",
        "properties": {"severity": {"type": "string", "enum": ["critical", "info"]}},
        "required": ["severity"],
        "additionalProperties": False,
    }
    shaped = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "the verdict please"}],
        response_format={"type": "json_schema", "json_schema": {"name": "v", "schema": schema, "strict": True}},
    )
    assert json.loads(shaped.choices[0].message.content) == {"severity": "critical"}


@pytest.mark.emulator_bad_requests
def test_json_object_without_the_word_json_is_refused_in_the_live_words(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], response_format={"type": "json_object"}
        )
    assert "must contain the word 'json'" in caught.value.body["message"]


@pytest.mark.emulator_bad_requests
def test_tool_messages_must_answer_a_preceding_call(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as orphan:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_x", "content": "1"}],
        )
    assert "must be a response to a preceeding message with 'tool_calls'" in orphan.value.body["message"]
    call = {"id": "call_y", "type": "function", "function": {"name": "get_load", "arguments": "{}"}}
    with pytest.raises(openai.BadRequestError) as unanswered:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [call]}],
        )
    assert "call_y" in unanswered.value.body["message"]


def test_token_limit_cuts_the_answer_with_finish_reason_length(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "one two three four five"}], max_tokens=2
    )
    assert completion.choices[0].message.content.split() == ["Echo:", "one"]
    assert completion.choices[0].finish_reason == "length"


def test_model_faults_answer_http_errors(client: openai.OpenAI, emulator: Any) -> None:
    emulator.add_fault(kind="run_failed", message="the model fell over")
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert failed.value.body["message"] == "the model fell over"
    emulator.add_fault(kind="run_failed", code="rate_limit_exceeded")
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    emulator.add_fault(kind="http_error", status=503, path="/chat/completions")
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    emulator.add_fault(kind="run_incomplete", reason="content_filter")
    cut = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert cut.choices[0].finish_reason == "content_filter"


def test_stream_faults(client: openai.OpenAI, emulator: Any) -> None:
    emulator.add_fault(kind="stream_cut", after_events=2)
    with pytest.raises(Exception) as cut:  # the transport error of whichever httpx the SDK uses
        _stream(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "a b c d e f"}])
    assert "openai" in type(cut.value).__module__ or "httpx" in type(cut.value).__module__
    emulator.add_fault(kind="stream_error", after_events=1, message="overloaded, try later")
    with pytest.raises(openai.APIError) as error:
        _stream(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "a b c d e f"}])
    assert "overloaded, try later" in str(error.value)


def test_requests_are_logged_with_their_bodies(client: openai.OpenAI, emulator: Any) -> None:
    _stream(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "logged"}])
    entries = [e for e in emulator.requests() if e["path"] == "/v1/chat/completions"]
    assert len(entries) == 1 and entries[0]["status"] == 200
    assert entries[0]["body"]["messages"] == [{"role": "user", "content": "logged"}]
