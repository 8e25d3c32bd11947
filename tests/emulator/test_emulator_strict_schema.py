"""The emulator's strict-schema rule (the API's documented rules) against the client's own
checker (``tools/strict.py``): where both rules speak they must agree; where the client's
checker is blind, the emulator still refuses what the live API refuses."""

from __future__ import annotations

import itertools
from typing import Any

import openai
import pytest

from openaiassistant.emulator.strict_schema import MAX_NESTING, strict_schema_problem
from openaiassistant.tools.strict import strict_problem


def _obj(properties: dict[str, Any], *, closed: bool = True, required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    schema["required"] = list(properties) if required is None else required
    if closed:
        schema["additionalProperties"] = False
    return schema


# one node of each shape, each either strict-valid or broken in one way
_LEAVES = [
    {"type": "string"},
    {"type": ["integer", "null"]},
    {"type": "string", "enum": ["a", "b"]},
    _obj({"x": {"type": "string"}}),
    _obj({"x": {"type": "string"}}, closed=False),  # no additionalProperties: false
    _obj({"x": {"type": "string"}, "y": {"type": "number"}}, required=["x"]),  # y not required
    {"type": "object", "properties": {}, "additionalProperties": True},
]
_WRAPPERS = [
    lambda leaf: leaf,
    lambda leaf: {"type": "array", "items": leaf},
    lambda leaf: {"anyOf": [leaf, {"type": "null"}]},
    lambda leaf: _obj({"inner": leaf}),
    lambda leaf: {"type": "array", "items": _obj({"deep": {"anyOf": [{"type": "string"}, leaf]}})},
]


def _agreement_cases() -> list[dict[str, Any]]:
    """Object-rooted schemas built from every leaf in every wrapper, as a property or a $def."""
    cases = []
    for leaf, wrap in itertools.product(_LEAVES, _WRAPPERS):
        cases.append(_obj({"field": wrap(leaf)}))
        cases.append({**_obj({"field": {"$ref": "#/$defs/node"}}), "$defs": {"node": wrap(leaf)}})
    return cases


@pytest.mark.parametrize("schema", _agreement_cases())
def test_the_emulator_and_the_client_agree_where_both_rules_speak(schema: dict[str, Any]) -> None:
    assert (strict_problem(schema) is None) == (strict_schema_problem(schema) is None)


def test_the_agreement_cases_hold_both_verdicts() -> None:
    verdicts = {strict_schema_problem(schema) is None for schema in _agreement_cases()}
    assert verdicts == {True, False}  # a table of only accepted (or refused) schemas would prove nothing


def test_the_emulator_names_the_rule_and_where_it_broke() -> None:
    problem = strict_schema_problem(_obj({"a": {"type": "array", "items": _obj({"b": {}}, closed=False)}}))
    assert problem == (
        "In context=('properties', 'a', 'items'), 'additionalProperties' is required to be supplied and to be false"
    )
    problem = strict_schema_problem(_obj({"a": {"type": "string"}, "b": {"type": "string"}}, required=["a"]))
    assert problem is not None and "Missing 'b'" in problem and "'required'" in problem


# what the client's checker lets through although the live API refuses it
ROOT_ANY_OF = {"anyOf": [_obj({"a": {"type": "string"}}), _obj({"b": {"type": "number"}})]}
ROOT_STRING = {"type": "string"}
ALL_OF = _obj({"a": {"allOf": [_obj({"x": {"type": "string"}}), _obj({"y": {"type": "string"}})]}})


def _nested_objects(levels: int) -> dict[str, Any]:
    schema = _obj({"leaf": {"type": "string"}})
    for _ in range(levels - 1):
        schema = _obj({"next": schema})
    return schema


@pytest.mark.parametrize(
    "schema",
    [ROOT_ANY_OF, ROOT_STRING, ALL_OF, _nested_objects(MAX_NESTING + 1)],
    ids=["root-anyOf", "root-not-object", "allOf", "too-deep"],
)
def test_what_the_client_checker_misses_the_emulator_refuses(schema: dict[str, Any]) -> None:
    assert strict_problem(schema) is None  # the client's checker sees nothing wrong ...
    assert strict_schema_problem(schema) is not None  # ... the API's documented rules do


def test_the_nesting_limit_is_not_off_by_one() -> None:
    assert strict_schema_problem(_nested_objects(MAX_NESTING)) is None
    assert strict_schema_problem(_nested_objects(MAX_NESTING + 1)) == "11 levels of nesting exceeds limit of 10"


def test_recursive_schemas_through_ref_are_taken() -> None:
    tree = {
        **_obj({"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}}),
        "$defs": {"leaf": _obj({"v": {"type": "string"}})},
    }
    assert strict_schema_problem(tree) is None


@pytest.mark.emulator_bad_requests
def test_a_strict_root_any_of_is_refused_over_http(emulator: Any) -> None:
    """Through the real SDK: the format the client's checker passes is a 400 in the API's shape."""
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
    fmt = {"type": "json_schema", "name": "verdict", "schema": ROOT_ANY_OF, "strict": True}
    body = {"model": "gpt-4o-mini", "input": "hi", "text": {"format": fmt}}
    with pytest.raises(openai.BadRequestError) as refused:
        client.post("/responses", cast_to=object, body=body)
    assert refused.value.status_code == 400
    assert refused.value.param == "text.format.schema" and refused.value.code == "invalid_json_schema"
    assert 'type: "object"' in str(refused.value.body)
    ok = client.post("/responses", cast_to=object, body={**body, "text": {"format": {**fmt, "strict": False}}})
    assert isinstance(ok, dict) and ok["status"] == "completed"
