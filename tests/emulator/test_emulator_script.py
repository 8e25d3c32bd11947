"""The scripted model on its own: parsing, rule choice, templating, tool-output rules, JSON
answers (checked against their schema with jsonschema), latency arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from openaiassistant.emulator.model import Context, decide, template
from openaiassistant.emulator.schema_gen import instance_for
from openaiassistant.emulator.script import Latency, ScriptError, count_tokens, load_script, tokens_of

SCRIPT = """
latency: {first_token_ms: 10, tokens_per_second: 100}
poll_after_ms: 33
rules:
  - name: lookup
    match: "(?i)disk on (?P<host>\\\\S+)"
    latency: {first_token_ms: 0}
    tool_calls:
      - name: get_disk_usage
        arguments: {host: "{{ match.host }}", raw: "{{ input }}"}
    then:
      - match: "9\\\\d%"
        reply: "Critical on {{ match.host }}: {{ tool_outputs.get_disk_usage }}"
      - default: true
        reply: "Fine: {{ tool_outputs_json }}"
  - name: plain-tool
    match: ping
    tool_calls: [{name: ping}]
  - match_tool_outputs: "timeout"
    reply: "A tool timed out"
  - match: json
    json: {severity: high, reason: "{{ input }}"}
  - match: "fail me"
    fault: {kind: run_failed, code: server_error}
  - default: true
    reply: "Echo: {{ input }}"
"""


def test_parse_from_yaml_text_and_path(tmp_path: Path) -> None:
    script = load_script(SCRIPT)
    assert script.poll_after_ms == 33
    assert script.latency == Latency(first_token_ms=10, tokens_per_second=100)
    assert [r.name for r in script.rules][:2] == ["lookup", "plain-tool"]
    path = tmp_path / "s.yaml"
    path.write_text(SCRIPT)
    assert [r.name for r in load_script(str(path)).rules] == [r.name for r in script.rules]
    assert load_script(None).rules[0].default


def test_bad_scripts_are_refused() -> None:
    with pytest.raises(ScriptError, match="bad regex"):
        load_script({"rules": [{"match": "("}]})
    with pytest.raises(ScriptError, match=r"script\.rules\[0\]\.tool_calls\[0\]\.name: required"):
        load_script({"rules": [{"match": "x", "tool_calls": [{"arguments": {}}]}]})
    with pytest.raises(ScriptError, match="script: must be a mapping"):
        load_script("- just a list")
    with pytest.raises(ScriptError, match=r"script\.rules\[0\]: unknown field 'replay'; known fields: .*\breply\b"):
        load_script({"rules": [{"match": "x", "replay": "typo"}]})
    with pytest.raises(ScriptError, match=r"script\.poll_hint_apis\[0\]: must be one of assistants, responses"):
        load_script({"poll_hint_apis": ["chat"]})


def test_tool_round_then_rules_on_outputs() -> None:
    script = load_script(SCRIPT)
    first = decide(script, Context(user_text="Disk on db-7 is full", tools={"get_disk_usage"}))
    assert first.kind == "tool_calls" and first.latency.first_token_ms == 0
    call = first.tool_calls[0]
    assert json.loads(call.arguments) == {"host": "db-7", "raw": "Disk on db-7 is full"}
    assert call.call_id.startswith("call_")
    pending = (first.step, first.variables)
    hot = decide(script, Context(user_text="x", tool_outputs=[("get_disk_usage", "95%")], pending=pending))
    assert hot.text == "Critical on db-7: 95%"
    calm = decide(script, Context(user_text="x", tool_outputs=[("get_disk_usage", "10%")], pending=pending))
    assert calm.text == 'Fine: {"get_disk_usage": "10%"}'


def test_outputs_without_then_use_top_level_tool_output_rules() -> None:
    script = load_script(SCRIPT)
    first = decide(script, Context(user_text="ping", tools={"ping"}))
    pending = (first.step, first.variables)
    assert (
        decide(script, Context(user_text="ping", tool_outputs=[("ping", "timeout")], pending=pending)).text
        == "A tool timed out"
    )
    assert (
        decide(script, Context(user_text="ping", tool_outputs=[("ping", "ok")], pending=pending)).text == "Echo: ping"
    )


def test_rule_with_tools_is_skipped_when_tools_are_not_offered() -> None:
    script = load_script(SCRIPT)
    assert decide(script, Context(user_text="disk on a", tools=set())).text == "Echo: disk on a"
    assert decide(script, Context(user_text="disk on a", tools={"other"})).kind == "message"


def test_json_fault_and_formats() -> None:
    script = load_script(SCRIPT)
    assert json.loads(decide(script, Context(user_text="json please")).text) == {
        "severity": "high",
        "reason": "json please",
    }
    failed = decide(script, Context(user_text="fail me now"))
    assert failed.kind == "fault" and failed.fault == {"kind": "run_failed", "code": "server_error"}
    wrapped = decide(script, Context(user_text="hello", text_format={"type": "json_object"}))
    assert json.loads(wrapped.text) == {"answer": "Echo: hello"}


SCHEMAS = [
    {
        "type": "object",
        "properties": {
            "a": {"type": "string", "minLength": 40},
            "b": {"type": "integer", "minimum": 3},
            "c": {"type": "array", "items": {"type": "number"}, "minItems": 2},
            "d": {"anyOf": [{"type": "null"}, {"type": "boolean"}]},
            "e": {"enum": ["x", "y"]},
        },
        "required": ["a", "b", "c", "d", "e"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "$defs": {"item": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}},
        "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/item"}}},
        "required": ["items"],
    },
    {
        "type": "object",
        "properties": {"n": {"type": ["number", "null"], "exclusiveMinimum": 0}, "k": {"const": 7}},
        "required": ["n", "k"],
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_generated_instances_fit_their_schema(schema: dict) -> None:
    jsonschema.validate(instance_for(schema, hint="hint text"), schema)
    plan = decide(load_script(None), Context(user_text="hi", text_format={"type": "json_schema", "schema": schema}))
    jsonschema.validate(json.loads(plan.text), schema)


def test_templates_and_tokens() -> None:
    variables = {"input": "in", "match": {"1": "g1"}, "tool_outputs": {"t": "out"}}
    assert template({"a": ["{{ input }}-{{match.1}}", "{{ tool_outputs.t }}", "{{ nope.x }}"]}, variables) == {
        "a": ["in-g1", "out", ""]
    }
    text = "Echo:  two words\nthree"
    assert "".join(tokens_of(text)) == text
    assert count_tokens(text) == 4


def test_latency_arithmetic() -> None:
    assert Latency().duration(100) == 0
    assert Latency(first_token_ms=100, tokens_per_second=10).duration(5) == pytest.approx(0.6)
    assert Latency(first_token_ms=100, tokens_per_second=10, run_ms=50).duration(5) == pytest.approx(0.05)
    assert Latency().merged({"run_ms": 5, "unknown": 1}).run_ms == 5


def test_bundled_triage_script() -> None:
    script = load_script("triage")
    tools = {"get_disk_usage", "get_service_status", "get_recent_deploys"}
    disk = decide(script, Context(user_text="Disk full on host db-1", tools=tools))
    assert [(c.name, json.loads(c.arguments)) for c in disk.tool_calls] == [("get_disk_usage", {"host": "db-1"})]
    down = decide(script, Context(user_text="service checkout is down", tools=tools))
    assert [c.name for c in down.tool_calls] == ["get_service_status", "get_recent_deploys"]
    assert json.loads(decide(script, Context(user_text="triage this alert")).text)["severity"] == "high"
    assert decide(script, Context(user_text="Disk full on host db-1", tools=set())).text.startswith("Acknowledged")


def test_tool_choice_forces_calls_on_the_first_step() -> None:
    script = load_script(
        {
            "rules": [
                {
                    "match": "disk",
                    "tool_calls": [{"name": "a", "arguments": {"x": 1}}, {"name": "b"}],
                    "then": {"reply": "done"},
                }
            ]
        }
    )
    tools = {"a", "b", "c"}
    required = decide(script, Context(user_text="hello", tools=tools, forced_tool="*"))
    assert [c.name for c in required.tool_calls] == ["a"]  # the default rule calls nothing: first tool
    named = decide(script, Context(user_text="disk", tools=tools, forced_tool="b"))
    assert [c.name for c in named.tool_calls] == ["b"]
    pending = (named.step, named.variables)
    assert (
        decide(
            script, Context(user_text="disk", tools=tools, tool_outputs=[("b", "1")], pending=pending, forced_tool="b")
        ).text
        == "done"
    )  # forced on the first step only
    assert [c.name for c in decide(script, Context(user_text="disk", tools=tools, forced_tool="*")).tool_calls] == [
        "a",
        "b",
    ]
