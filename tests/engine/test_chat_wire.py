"""The chat wire reader against the shapes servers really send (no server needed): OpenAI's
indexed argument deltas, Ollama's whole calls without an index, arguments as an object, tool
calls ending with ``finish_reason: stop``, an ``error`` line, usage in the last chunk."""

from __future__ import annotations

import json

from openaiassistant.backends.base import Completed, Incomplete, NeedsToolOutputs
from openaiassistant.backends.chat_record import _fit, estimate_tokens
from openaiassistant.backends.chat_wire import ChunkReader, completion_from_body
from openaiassistant.params import keep_output_format, parse_params


def chunk(delta: dict, finish: str | None = None, **extra: object) -> dict:
    return {
        "id": "chatcmpl-1",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def test_indexed_argument_deltas_of_parallel_calls_are_assembled() -> None:
    reader = ChunkReader()
    reader.feed(chunk({"role": "assistant"}))
    reader.feed(chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"ho'}}]}))
    reader.feed(chunk({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": ""}}]}))
    reader.feed(chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'st": "x"}'}}]}))
    reader.feed(chunk({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}))
    reader.feed(chunk({}, "tool_calls"))
    reader.feed(
        {"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}
    )
    done = reader.completion()
    outcome = done.outcome()
    assert isinstance(outcome, NeedsToolOutputs)
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in outcome.calls] == [
        ("a", "f", {"host": "x"}),
        ("b", "g", {}),
    ]
    assert done.usage is not None and done.usage.total_tokens == 7


def test_whole_calls_without_index_and_object_arguments_ending_with_stop() -> None:
    reader = ChunkReader()
    reader.feed(chunk({"content": ""}))
    reader.feed(chunk({"tool_calls": [{"id": "call_1", "function": {"name": "f", "arguments": {"host": "db-1"}}}]}))
    reader.feed(chunk({"tool_calls": [{"id": "call_2", "function": {"name": "g", "arguments": {}}}]}))
    reader.feed(chunk({}, "stop"))
    outcome = reader.completion().outcome()
    assert isinstance(outcome, NeedsToolOutputs)
    assert [(c.call_id, json.loads(c.arguments)) for c in outcome.calls] == [
        ("call_1", {"host": "db-1"}),
        ("call_2", {}),
    ]


def test_a_call_without_an_id_gets_one() -> None:
    done = completion_from_body(
        {
            "choices": [
                {
                    "message": {"tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]},
                    "finish_reason": "tool_calls",
                }
            ]
        }
    )
    assert done.calls[0].call_id.startswith("call_") and done.id.startswith("chatcmpl-")


def test_text_deltas_finish_reasons_and_an_error_line() -> None:
    reader = ChunkReader()
    assert reader.feed(chunk({"role": "assistant", "content": "Hel"})) == "Hel"
    assert reader.feed(chunk({"content": "lo"}, "length")) == "lo"
    outcome = reader.completion().outcome()
    assert isinstance(outcome, Incomplete) and outcome.output.texts == ["Hello"]
    body = {"choices": [{"message": {"content": "x"}, "finish_reason": "content_filter"}]}
    filtered = completion_from_body(body).outcome()
    assert (
        isinstance(filtered, Completed)
        and filtered.output.texts == []
        and "content_filter" in filtered.output.refusals[0]
    )
    broken = ChunkReader()
    broken.feed({"error": {"message": "overloaded", "code": None}})
    assert broken.error == {"message": "overloaded", "code": None} and not broken.finished


def test_a_token_budget_drops_whole_turns_from_the_oldest() -> None:
    turns = [
        {"role": "user", "content": "a" * 400},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c", "content": "{}"},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "short"},
        {"role": "assistant", "content": "ok"},
    ]
    assert _fit(turns, budget=10_000) == turns
    assert _fit(turns, budget=estimate_tokens(turns[4:])) == turns[4:]
    assert _fit(turns, budget=1) == []


def test_keeps_parameter_names_are_accepted_on_every_backend() -> None:
    schema = {"type": "object", "properties": {"severity": {"type": "string"}}, "title": "verdict"}
    for backend in ("responses", "assistants", "chat"):
        params = parse_params(
            {"system_prompt": "You triage.", "max_tokens": "512", "structured_output_format": schema}, backend=backend
        )
        assert params.instructions == "You triage." and params.max_completion_tokens == 512
        assert params.response_format is not None and params.response_format.kind == "json_schema"
        assert params.response_format.name == "verdict" and params.response_format.schema == schema
    # the shapes of Keep's openai (a response format) and ollama ("json") providers
    openai_shape = {"type": "json_schema", "json_schema": {"name": "env", "schema": {"type": "object"}}}
    assert keep_output_format(openai_shape) == openai_shape
    assert keep_output_format("json") == {"type": "json_object"}
    assert parse_params({"structured_output_format": '{"type": "json_object"}'}).response_format.kind == "json_object"
