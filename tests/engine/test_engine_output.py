"""JSON and schema output: a JSON answer without a response format, looked for when JSON was asked
for, validated against a schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openaiassistant.engine.output import parse_answer
from openaiassistant.errors import OutputValidationError
from openaiassistant.params import ResponseFormat

SCHEMA = {
    "type": "object",
    "properties": {"severity": {"type": "string", "enum": ["low", "high"]}, "action": {"type": "string"}},
    "required": ["severity", "action"],
    "additionalProperties": False,
}
SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "triage", "schema": SCHEMA, "strict": True}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("[1, 2]", [1, 2]),
        ('```\n{"b": true}\n```', {"b": True}),
        ('  ```json\n{"b": [1]}\n```\n', {"b": [1]}),
        # JSON inside prose is prose unless JSON was asked for (a quoted example must not page anyone)
        ('Here you go:\n```json\n{"a": [1, 2]}\n```\nThanks', 'Here you go:\n```json\n{"a": [1, 2]}\n```\nThanks'),
        ('The result is {"severity": "high"} as computed.', 'The result is {"severity": "high"} as computed.'),
        ('It is not {"severity": "critical"}.', 'It is not {"severity": "critical"}.'),
        ('```json\n{"a": 1}\n```\n```json\n{"b": 2}\n```', '```json\n{"a": 1}\n```\n```json\n{"b": 2}\n```'),
        ("no json here {at all", "no json here {at all"),
        ("42", "42"),
        ('"quoted"', '"quoted"'),
        ("", ""),
    ],
)
def test_json_answer_without_a_format(text: str, expected: Any) -> None:
    assert parse_answer(text, None) == expected
    assert parse_answer(text, ResponseFormat(kind="text")) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Here you go:\n```json\n{"a": [1, 2]}\n```\nThanks', {"a": [1, 2]}),
        ('The result is {"severity": "high"} as computed.', {"severity": "high"}),
        ("42", 42),
        ("no json here {at all", "no json here {at all"),
    ],
)
def test_json_is_looked_for_when_it_was_asked_for(text: str, expected: Any) -> None:
    assert parse_answer(text, ResponseFormat(kind="json_object")) == expected


def test_answers_nested_too_deeply_stay_text() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    assert parse_answer(deep, None) == deep
    assert parse_answer(deep, ResponseFormat(kind="json_object")) == deep
    with pytest.raises(OutputValidationError):
        parse_answer(deep, ResponseFormat(kind="json_schema", name="t", schema=SCHEMA))


def test_schema_mismatch_carries_the_raw_text() -> None:
    fmt = ResponseFormat(kind="json_schema", name="t", schema=SCHEMA)
    assert parse_answer('{"severity": "low", "action": "wait"}', fmt) == {"severity": "low", "action": "wait"}
    with pytest.raises(OutputValidationError) as info:
        parse_answer('{"severity": "urgent", "action": "x"}', fmt)
    assert info.value.raw_text == '{"severity": "urgent", "action": "x"}'
    assert "severity" in str(info.value)
    with pytest.raises(OutputValidationError):
        parse_answer("not json", fmt)


def test_text_answer_stays_text(make_assistant: Any, emulator: Any) -> None:
    emulator.load_script({"rules": [{"default": True, "reply": "All systems normal."}]})
    result = make_assistant().run_turn("status?")
    assert result.response == "All systems normal."
    assert result.to_dict()["response_json"] == json.dumps("All systems normal.")


def test_a_lone_fenced_block_is_json(make_assistant: Any, emulator: Any, stream: bool) -> None:
    emulator.load_script({"rules": [{"default": True, "reply": '```json\n{"severity": "high"}\n```'}]})
    result = make_assistant().run_turn("triage", stream=stream)
    assert result.response == {"severity": "high"}
    assert json.loads(result.to_dict()["response_json"]) == {"severity": "high"}


def test_json_quoted_in_prose_is_not_the_response(make_assistant: Any, emulator: Any) -> None:
    # issue 10: without response_format, prose quoting JSON became response {'severity': 'critical'}
    reply = 'The alert text says {"severity": "critical"}, but the host is healthy: no action.'
    emulator.load_script({"rules": [{"default": True, "reply": reply}]})
    result = make_assistant().run_turn("triage")
    assert result.response == reply
    assert result.to_dict()["response_json"] == json.dumps(reply)


def test_json_object(make_assistant: Any, emulator: Any, stream: bool) -> None:
    emulator.load_script({"rules": [{"match": "triage", "json": {"severity": "high", "action": "page"}}]})
    result = make_assistant().run_turn("triage db-1", stream=stream, params={"response_format": "json_object"})
    assert result.response == {"severity": "high", "action": "page"}


def test_json_schema_is_sent_and_validated(make_assistant: Any, stream: bool) -> None:
    result = make_assistant().run_turn("triage db-1", stream=stream, params={"response_format": SCHEMA_FORMAT})
    assert set(result.response) == {"severity", "action"}
    assert result.response["severity"] in ("low", "high")


def test_schema_violation_is_an_error_with_raw_text(make_assistant: Any, emulator: Any, stream: bool) -> None:
    emulator.load_script({"rules": [{"default": True, "json": {"severity": "catastrophic", "action": "run"}}]})
    with pytest.raises(OutputValidationError) as info:
        make_assistant().run_turn("triage", stream=stream, params={"response_format": SCHEMA_FORMAT})
    assert json.loads(info.value.raw_text) == {"severity": "catastrophic", "action": "run"}
    assert info.value.thread_id and info.value.run_id


def test_incomplete_json_is_not_validated(make_assistant: Any, emulator: Any) -> None:
    emulator.load_script({"rules": [{"default": True, "json": {"severity": "catastrophic", "action": "run"}}]})
    emulator.add_fault(kind="run_incomplete", reason="max_output_tokens")
    result = make_assistant().run_turn("triage", params={"response_format": SCHEMA_FORMAT})
    assert result.status == "incomplete"


def test_refusals_are_kept_apart_on_both_wires() -> None:
    from openaiassistant.backends.assistants_wire import run_output
    from openaiassistant.backends.responses_wire import responses_output

    output, calls = responses_output(
        {
            "output": [
                {
                    "type": "message",
                    "content": [
                        {"type": "output_text", "text": "Part one."},
                        {"type": "refusal", "refusal": "I can't help with that."},
                    ],
                },
                {"type": "message", "content": [{"type": "output_text", "text": "Part two."}]},
            ]
        }
    )
    assert output.texts == ["Part one.", "Part two."] and output.refusals == ["I can't help with that."] and calls == []
    assistants = run_output(
        [
            {
                "content": [
                    {"type": "refusal", "refusal": "No."},
                    {"type": "text", "text": {"value": "Yes.", "annotations": []}},
                ]
            }
        ]
    )
    assert assistants.texts == ["Yes."] and assistants.refusals == ["No."]
