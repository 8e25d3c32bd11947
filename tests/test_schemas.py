"""The formats users write, each described once as a JSON Schema: published, checked, explained."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given as for_all
from hypothesis import strategies as st

from openaiassistant.errors import ConfigError
from openaiassistant.keep.provider_tools import build_toolset
from openaiassistant.schemas import DOCUMENTS, FUNCTIONS_DOCUMENT, PROVIDER_CONFIG_DOCUMENT, check, problems
from openaiassistant.schemas.__main__ import render
from openaiassistant.schemas.common import ref
from openaiassistant.schemas.document import document
from openaiassistant.schemas.functions import FUNCTION_KINDS, EntryKind, entry_schema
from openaiassistant.values import parse_count, parse_seconds

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "docs" / "schemas"
EXAMPLES = ROOT / "examples" / "keep"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_is_published_as_it_is_checked(name: str) -> None:
    """docs/schemas/ holds exactly what the code checks against (regenerate with
    ``python -m openaiassistant.schemas docs/schemas``)."""
    published = PUBLISHED / f"{name}.schema.json"
    assert published.read_text(encoding="utf-8") == render(name), f"run: python -m openaiassistant.schemas {PUBLISHED}"
    jsonschema.Draft202012Validator.check_schema(json.loads(published.read_text(encoding="utf-8")))


def test_nothing_else_is_published() -> None:
    assert sorted(p.name for p in PUBLISHED.glob("*.json")) == sorted(f"{n}.schema.json" for n in DOCUMENTS)


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    body = workflow.get("workflow", workflow)
    return [s for s in body.get("steps", []) + body.get("actions", []) if s["provider"]["type"] == "openaiassistant"]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_examples_follow_the_published_formats(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if path.name == "providers.yaml":
        assert problems(data["triage-assistant"]["authentication"], PROVIDER_CONFIG_DOCUMENT) == []
    elif path.name == "emulator-script.yaml":
        assert problems(data, DOCUMENTS["emulator-script"]) == []
    else:
        for step in _steps(data):
            assert problems(step["provider"]["with"].get("functions", []), FUNCTIONS_DOCUMENT) == []


def test_the_bundled_emulator_scripts_follow_their_format() -> None:
    scripts = sorted((ROOT / "src" / "openaiassistant" / "emulator" / "scripts").glob("*.yaml"))
    assert scripts
    for path in scripts:
        assert problems(yaml.safe_load(path.read_text(encoding="utf-8")), DOCUMENTS["emulator-script"]) == []


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            {"name": "m", "provider": "metrics", "provider_type": "http", "timeot": 5},
            "invalid functions[0]: unknown field 'timeot'; known fields: description, name, parameters, provider,",
        ),
        (
            {"name": "m", "url": "https://x.test/", "method": "FETCH"},
            "invalid functions[0].method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got 'FETCH'",
        ),
        (
            {"name": "m", "url": "https://x.test/", "max_redirects": "many"},
            "invalid functions[0].max_redirects: must be a whole number >= 0",
        ),
        ({"url": "https://x.test/"}, "invalid functions[0].name: required: 1-64 characters of letters, digits"),
        (
            {"name": "m", "provider": {"id": "metrics", "kind": "http"}},
            "invalid functions[0].provider: unknown field 'kind'; known fields: id, name, type",
        ),
        ("get_runbook", "invalid functions[0]: must be a mapping, got 'get_runbook'"),
    ],
)
def test_a_wrong_entry_is_named_by_its_path_with_what_is_allowed(entry: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_toolset([entry], caller=lambda *a: None)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    "provider",
    ["  ", "", {"type": "http"}, {"id": " ", "type": "http"}, {"name": "\t"}, {"id": " ", "name": "metrics"}],
    ids=repr,
)
@pytest.mark.parametrize("kind", [{"name": "m"}, {"methods": "view"}], ids=["provider tool", "provider methods"])
def test_a_provider_is_named_by_a_non_blank_id_or_name(provider: Any, kind: dict[str, Any]) -> None:
    """The schema says what the hand-written check said: an id, or (without one) a name."""
    with pytest.raises(ConfigError) as info:
        build_toolset([{**kind, "provider": provider}], caller=lambda *a: None, known_provider=lambda p: True)
    assert info.value.parameter == "functions[0].provider"
    assert "must be the id (or name) of a provider configured in Keep" in str(info.value)


@pytest.mark.parametrize("provider", ["metrics", {"id": "metrics"}, {"name": "metrics"}, {"id": "", "name": "metrics"}])
def test_a_provider_given_by_id_or_name_is_the_one_called(provider: Any) -> None:
    calls: list[Any] = []
    registry = build_toolset(
        [{"name": "m", "provider": provider, "provider_type": "http"}],
        caller=lambda *call: calls.append(call) or {"ok": True},
        known_provider=lambda p: p == "metrics",
    )
    assert registry is not None
    registry.get("m").invoke({})
    assert calls == [("metrics", "http", {})]


def test_each_entry_is_checked_against_its_own_kind_only() -> None:
    """A provider tool with a bad timeout is told about its timeout, not that it is no HTTP tool."""
    found = problems([{"name": "m", "provider": "p", "timeout": "soon"}], FUNCTIONS_DOCUMENT)
    assert found == [
        ([0, "timeout"], "must be a finite number of seconds > 0 (a number, or its text such as \"10\"), got 'soon'")
    ]


def test_a_new_kind_of_entry_is_one_more_branch() -> None:
    """How #13's MCP entries plug in: an EntryKind with its own key, before the HTTP tool."""
    mcp = EntryKind(
        key="mcp",
        title="an MCP server (with mcp:)",
        schema={
            "type": "object",
            "required": ["mcp"],
            "additionalProperties": False,
            "properties": {"mcp": {"type": "object"}, "allow": {"type": "array", "items": {"type": "string"}}},
        },
    )
    kinds = (mcp, *FUNCTION_KINDS)
    doc = document(
        "functions-test",
        {"type": "array", "items": entry_schema(kinds)},
        defs={str(k.schema.get("title", k.key)).replace(" ", "_"): k.schema for k in kinds},
    )
    assert problems([{"mcp": {"command": ["x"]}, "allow": ["read"]}], doc) == []
    assert problems([{"mcp": {}, "allow": "read"}], doc) == [([0, "allow"], "must be a list, got 'read'")]
    # the kinds that were there before are unchanged
    assert problems([{"name": "m", "url": "https://x.test/"}, {"name": "n", "provider": "p"}], doc) == []


def test_provider_config_errors_hide_secret_values() -> None:
    found = problems(
        {"api_key": 12345678901234567890, "registry_url": ["postgresql://u:pw@h/db"]}, PROVIDER_CONFIG_DOCUMENT
    )
    text = " ".join(p for _, p in found)
    assert "12345678901234567890" not in text and "pw@h" not in text
    assert "api_key" in {str(path[0]) for path, _ in found}


def test_the_path_prefix_is_where_the_value_lives() -> None:
    with pytest.raises(ConfigError, match=r"^invalid functions\[1\]\.strict: must be true or false"):
        check(
            [{"name": "a", "url": "https://x.test/"}, {"name": "b", "url": "https://x.test/", "strict": "perhaps"}],
            FUNCTIONS_DOCUMENT,
            where="functions",
        )


# -- the schema and the parser agree on numbers written as text ---------------------------------

_NUMBER_TEXT = st.text(alphabet="0123456789.+-e _ \t", max_size=8) | st.floats(allow_nan=False).map(str)
_SECONDS = document("seconds-test", ref("seconds"))
_POSITIVE = document("positive-test", ref("positive_integer"))


def _parses(parse: Any, value: Any) -> bool:
    try:
        parse(value)
    except ConfigError:
        return False
    return True


@for_all(_NUMBER_TEXT | st.floats(allow_nan=False, allow_infinity=False) | st.integers())
def test_seconds_the_schema_accepts_are_the_seconds_that_parse(value: Any) -> None:
    assert (problems(value, _SECONDS) == []) == _parses(lambda v: parse_seconds("x", v), value)


# (parse_count stops at 10**9 by default; the schema says nothing of an upper bound)
_BOUNDED_TEXT = st.text(alphabet="0123456789.+-e _ \t", max_size=8) | st.floats(allow_nan=False, max_value=1e9).map(str)


@for_all(_BOUNDED_TEXT | st.integers(max_value=10**9) | st.floats(allow_nan=False, max_value=1e9))
def test_whole_numbers_the_schema_accepts_are_the_ones_that_parse(value: Any) -> None:
    assert (problems(value, _POSITIVE) == []) == _parses(lambda v: parse_count("x", v, low=1), value)
