"""Loading declarative tools from YAML/JSON files, and the errors bad files give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openaiassistant.errors import ConfigError
from openaiassistant.tools import Toolbox, ToolCall, load_tools_file

YAML_TOOLS = """
tools:
  - name: get_item
    description: Fetch one item.
    parameters:
      type: object
      properties:
        item: {{type: string}}
      required: [item]
    url: {base}/items/{{item}}
    headers:
      Authorization: "Bearer ${{secret:api}}"
  - name: search
    description: Search.
    method: POST
    parameters:
      type: object
      properties:
        q: {{type: string}}
      required: [q]
    url: {base}/search
    body: {{query: "{{q}}"}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_file_with_tools_key_loads_and_runs(tmp_path: Path, tool_server) -> None:
    path = write(tmp_path, "tools.yaml", YAML_TOOLS.format(base=tool_server.url))
    registry = load_tools_file(path, secrets={"api": "loader-secret-123456"})
    assert [d.name for d in registry.definitions()] == ["get_item", "search"]
    outputs = registry.execute_round(
        [
            ToolCall(call_id="1", name="get_item", arguments='{"item": "a b"}'),
            ToolCall(call_id="2", name="search", arguments='{"q": "disk"}'),
        ]
    )
    assert json.loads(outputs[0].output)["body"]["path"] == "/items/a%20b"
    assert json.loads(outputs[1].output)["body"]["body"] == {"query": "disk"}
    # The two calls ran in parallel: find get_item's request by its path.
    [get_item] = [r for r in tool_server.requests if r.path.startswith("/items/")]
    assert get_item.headers["Authorization"] == "Bearer loader-secret-123456"


def test_json_list_file_into_an_existing_registry(tmp_path: Path) -> None:
    specs = [{"name": "ping", "url": "http://127.0.0.1:9/ping"}]
    path = write(tmp_path, "tools.json", json.dumps(specs))
    registry = Toolbox(max_concurrency=2)
    assert load_tools_file(path, registry=registry) is registry
    assert registry.names() == ["ping"]
    assert registry.definitions()[0].parameters == {"type": "object", "properties": {}, "additionalProperties": False}


def test_empty_file_gives_an_empty_registry(tmp_path: Path) -> None:
    assert len(load_tools_file(write(tmp_path, "empty.yaml", ""))) == 0


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.yaml", "tools: [name: x\n", "is not valid YAML (line"),
        ("bad.json", "{'tools': []}", "is not valid JSON (line 1"),
        ("other.yaml", "functions: []", "unknown field 'functions'; known fields: tools"),
        ("scalar.yaml", "42", "must be one of: a list of tools; a mapping {tools: [...]}"),
        ("item.yaml", "- just a string", "tools[0]: must be a mapping"),
        (
            "field.yaml",
            "- {name: t, url: 'http://127.0.0.1/x', verb: GET}",
            "tools[0]: unknown field 'verb'; known fields: approval, body, description",
        ),
        (
            "host.yaml",
            "- {name: ok, url: 'http://127.0.0.1/x'}\n- {name: t2, url: 'http://{h}/x'}",
            "tools[1].url: placeholders are not allowed in the scheme, host or port (tool 't2')",
        ),
        (
            "env.yaml",
            "- {name: t, url: 'http://127.0.0.1/x', headers: {X-Key: '${env:OA_TEST_NOT_SET_ANYWHERE}'}}",
            "environment variable 'OA_TEST_NOT_SET_ANYWHERE' is not set",
        ),
        (
            "dup.yaml",
            "- {name: t, url: 'http://127.0.0.1/x'}\n- {name: t, url: 'http://127.0.0.1/y'}",
            "tools[1].name: 't' is already registered",
        ),
    ],
)
def test_bad_files_name_the_file_the_tool_and_the_problem(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        load_tools_file(path)
    assert message in str(info.value)
    assert name in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_tools_file(tmp_path / "nope.yaml")
