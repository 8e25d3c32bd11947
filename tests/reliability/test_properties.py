"""Properties that hold for every input (hypothesis): JSON extraction, run-control parsing,
tool-argument validation and HTTP tool URL building (the origin never changes)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema
from hypothesis import assume, given
from hypothesis import strategies as st

from openaiassistant.engine.output import parse_answer
from openaiassistant.errors import ConfigError
from openaiassistant.params import PARAM_NAMES, ResponseFormat, RunParams, parse_params
from openaiassistant.tools import HttpToolSpec, Toolbox, ToolCall
from openaiassistant.tools.http import _build_url
from openaiassistant.tools.tool import ToolCallError

JSON_OBJECT = ResponseFormat(kind="json_object")
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
json_documents = st.dictionaries(st.text(max_size=8), json_values, max_size=5) | st.lists(json_values, max_size=5)
anything = st.recursive(
    scalars | st.floats() | st.binary(max_size=8) | st.integers(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


# -- JSON extraction ---------------------------------------------------------------------------
@given(json_documents)
def test_a_whole_json_answer_is_parsed(value: Any) -> None:
    text = json.dumps(value)
    assert parse_answer(text, None) == value
    assert parse_answer(f"```json\n{text}\n```", None) == value
    assert parse_answer(text, JSON_OBJECT) == value


@given(st.text(min_size=1, max_size=40), json_documents, st.text(max_size=40))
def test_json_inside_prose_stays_text_unless_json_was_asked_for(prefix: str, value: Any, suffix: str) -> None:
    text = f"Note {prefix} {json.dumps(value)} {suffix}"
    assert parse_answer(text, None) == text
    assert parse_answer(text, ResponseFormat(kind="text")) == text
    if not any(ch in prefix for ch in "{[`"):  # nothing before the value could be taken for it
        assert parse_answer(text, JSON_OBJECT) == value


@given(st.text(max_size=300))
def test_any_answer_gives_a_response_that_serializes(text: str) -> None:
    for fmt in (None, JSON_OBJECT):
        response = parse_answer(text, fmt)
        assert response == text or isinstance(response, (dict, list, int, float, bool, type(None), str))
        json.dumps(response, allow_nan=False)  # response_json never holds NaN


# -- run controls --------------------------------------------------------------------------------
@given(st.sampled_from(PARAM_NAMES), anything | st.text(max_size=30))
def test_any_run_control_value_parses_or_is_a_config_error(name: str, value: Any) -> None:
    try:
        parsed = parse_params({name: value})
    except ConfigError as exc:
        assert exc.parameter.split(".")[0].split("[")[0] in (name, "params") or name == exc.parameter
        return
    assert isinstance(parsed, RunParams)


@given(st.floats(min_value=0, max_value=2), st.booleans())
def test_temperatures_round_trip_as_text(value: float, as_text: bool) -> None:
    # numbers as text are plain decimals (values.DECIMAL_TEXT): 5.96e-08 is written 0.0000000596...
    text = format(Decimal(repr(value)), "f")
    parsed = parse_params({"temperature": text if as_text else value}).temperature
    assert parsed == value


@given(st.floats() | st.integers() | st.text(max_size=12))
def test_a_parsed_number_is_finite_and_in_range(value: Any) -> None:
    for name, low, high in (("temperature", 0, 2), ("top_p", 0, 1), ("max_tool_rounds", 1, 100)):
        try:
            parsed = getattr(parse_params({name: value}), name)
        except ConfigError:
            continue
        if isinstance(value, str) and not value.strip():  # "" means "not given": the default
            continue
        assert parsed is not None and math.isfinite(parsed) and low <= parsed <= high


# -- tool arguments ---------------------------------------------------------------------------------
SCHEMA = {
    "type": "object",
    "properties": {"host": {"type": "string", "maxLength": 64}, "limit": {"type": "integer", "minimum": 1}},
    "required": ["host"],
    "additionalProperties": False,
}


def _registry(seen: list[dict[str, Any]]) -> Toolbox:
    from openaiassistant.tools import Tool, ToolDefinition

    registry = Toolbox()
    registry.add(
        Tool(
            definition=ToolDefinition(name="lookup", description="look up", parameters=SCHEMA, strict=False),
            invoke=lambda arguments: seen.append(arguments) or {"ok": True},
        )
    )
    return registry


@given(
    st.text(max_size=200)
    | json_values.map(json.dumps)
    | st.dictionaries(st.text(max_size=6), json_values, max_size=4).map(json.dumps)
)
def test_a_tool_runs_only_on_arguments_that_fit_its_schema(arguments: str) -> None:
    seen: list[dict[str, Any]] = []
    (output,) = _registry(seen).execute_round([ToolCall(call_id="c1", name="lookup", arguments=arguments)])
    assert output.call_id == "c1"
    json.loads(output.output)  # always JSON for the model
    if seen:
        jsonschema.validate(seen[0], SCHEMA)
        assert output.error is None
    else:
        assert output.error


# -- HTTP tool URLs -------------------------------------------------------------------------------
URL_SPEC = HttpToolSpec.from_dict(
    {
        "name": "runbook",
        "description": "A runbook.",
        "parameters": {
            "type": "object",
            "properties": {"alert": {"type": "string"}, "q": {"type": ["string", "null"]}, "n": {"type": "integer"}},
            "required": ["alert"],
        },
        "url": "https://runbooks.internal:8443/api/v1/runbooks/{alert}/text",
        "query": {"q": "{q}", "format": "md"},
    }
)
hostile = st.text(max_size=40) | st.sampled_from(
    [
        "..",
        ".",
        "",
        "../../admin",
        "%2e%2e",
        "@evil.example",
        "evil.example:80",
        "a/b",
        "?x=1",
        "#frag",
        "\\\\evil",
        "//evil.example/x",
        "http://evil.example",
    ]
)


@given(hostile, st.none() | hostile)
def test_arguments_never_change_the_origin_or_leave_their_path_segment(alert: str, q: str | None) -> None:
    try:
        url = _build_url(URL_SPEC, {"alert": alert, "q": q})
    except ToolCallError:
        assume(False)  # refused values ('', '.', '..') are fine: they are never sent
        return
    text = str(url)
    parts = urlsplit(text)
    assert (parts.scheme, parts.hostname, parts.port) == ("https", "runbooks.internal", 8443)
    segments = parts.path.split("/")
    assert segments[:5] == ["", "api", "v1", "runbooks", segments[4]] and segments[5:] == ["text"]
    assert unquote(segments[4]) == alert  # the whole value, inside its one segment
    query = parse_qsl(parts.query, keep_blank_values=True)
    assert ("format", "md") in query
    assert [v for k, v in query if k == "q"] == ([] if q is None else [q])
