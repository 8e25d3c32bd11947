"""An ``mcp:`` entry is checked against its published schema (docs/schemas/mcp-server.schema.json)
and then converted: every rule the entry's fields follow is refused the same way whether the entry
comes from a step's ``functions:``, a tools file or ``McpServerSpec.from_dict`` (the Python API,
the emulator's hosted MCP calls). Nothing here starts a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from openaiassistant.errors import ConfigError
from openaiassistant.schemas import FUNCTIONS_DOCUMENT, MCP_SERVER_DOCUMENT, TOOLS_FILE_DOCUMENT, problems
from openaiassistant.tools import load_tools_file
from openaiassistant.tools.mcp import McpServerSpec

# (entry, the field named, what the message says): each was refused before the hand-written
# checks went, and is refused now by the schema or by what a schema cannot say
REFUSED = [
    ({"mcp": "x", "colour": "red"}, "functions[0]", "unknown field 'colour'"),
    ({"mcp": {"command": "x", "shell": True}}, "functions[0].mcp", "unknown field 'shell'"),
    ({"mcp": {"url": "https://h.test/mcp", "token": "t"}}, "functions[0].mcp", "unknown field 'token'"),
    ({"mcp": {"command": ["x"], "url": "https://h.test/mcp"}}, "functions[0].mcp", "unknown field 'url'"),
    ({"mcp": {}}, "functions[0].mcp", "must be one of: a URL or a command line (text); a stdio server"),
    ({"mcp": 3}, "functions[0].mcp", "must be one of"),
    ({"mcp": " "}, "functions[0].mcp", "must be a command line or an http(s) URL"),
    ({"mcp": "''"}, "functions[0].mcp.command", "must be a program and its arguments"),
    ({"mcp": {"command": []}}, "functions[0].mcp.command", "must be the program and its arguments"),
    ({"mcp": {"command": " "}}, "functions[0].mcp.command", "must be the program and its arguments"),
    ({"mcp": {"command": ["x", ""]}}, "functions[0].mcp.command[1]", "must be a word of the command"),
    ({"mcp": {"command": "x", "args": "--utc"}}, "functions[0].mcp.args", "must be a list"),
    ({"mcp": {"command": "x", "args": [{"a": 1}]}}, "functions[0].mcp.args[0]", "must be a string or a number"),
    ({"mcp": {"command": "x", "cwd": 3}}, "functions[0].mcp.cwd", "must be a string"),
    ({"mcp": {"command": "x", "env": ["TZ=UTC"]}}, "functions[0].mcp.env", "must be a mapping"),
    ({"mcp": {"command": "x", "env": {"TZ": True}}}, "functions[0].mcp.env.TZ", "must be a string or a number"),
    ({"mcp": {"url": 3}}, "functions[0].mcp.url", "must be a string"),
    ({"mcp": "ftp://h.test/mcp"}, "functions[0].mcp.url", "must be an http(s) URL"),
    ({"mcp": {"url": "https://u:pw@h.test/mcp"}}, "functions[0].mcp.url", "may not carry credentials"),
    ({"mcp": {"url": "https://h.test/${env:MCP_PATH}"}}, "functions[0].mcp.url", "may not carry credentials"),
    ({"mcp": "x", "name": " "}, "functions[0].name", "must be a label for messages (not blank)"),
    ({"mcp": "x", "name": ""}, "functions[0].name", "not blank"),
    ({"mcp": "x", "name": 3}, "functions[0].name", "must be a string"),
    ({"mcp": "x", "allow": 3}, "functions[0].allow", "must be a list of the server's tool names"),
    ({"mcp": "x", "allow": ["get_time", ""]}, "functions[0].allow[1]", "must be a tool name (not empty)"),
    ({"mcp": "x", "allow": [1]}, "functions[0].allow[0]", "must be a string"),
    ({"mcp": "x", "prefix": "a b"}, "functions[0].prefix", "must be up to 32 letters, digits"),
    ({"mcp": "x", "prefix": "p" * 33}, "functions[0].prefix", "must be up to 32 letters, digits"),
    ({"mcp": "x", "prefix": "p_\n"}, "functions[0].prefix", "must be up to 32 letters, digits"),
    ({"mcp": "x", "prefix": 3}, "functions[0].prefix", "must be a string"),
    ({"mcp": "x", "approval": "sometimes"}, "functions[0].approval", "must be required, never"),
    ({"mcp": "x", "approval": [1]}, "functions[0].approval[0]", "must be a string"),
    ({"mcp": "x", "timeout": 0}, "functions[0].timeout", "must be a finite number of seconds > 0"),
    ({"mcp": "x", "timeout": "inf"}, "functions[0].timeout", "must be a finite number of seconds > 0"),
    ({"mcp": "x", "startup_timeout": True}, "functions[0].startup_timeout", "must be a finite number of seconds"),
]


@pytest.mark.parametrize("entry, field, problem", REFUSED, ids=[repr(e) for e, _, _ in REFUSED])
def test_a_wrong_entry_is_refused_naming_its_field(entry: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        McpServerSpec.from_dict(entry, where="functions[0]")
    assert info.value.parameter == field
    assert problem in str(info.value)


@pytest.mark.parametrize("entry, field, problem", REFUSED, ids=[repr(e) for e, _, _ in REFUSED])
def test_what_the_schema_refuses_it_refuses_in_a_step_and_a_tools_file(
    entry: dict[str, Any], field: str, problem: str
) -> None:
    """The published documents refuse what the schema can say; the rest (how a command line
    splits, a URL's host, credentials in it) is for the conversion, so every entry is refused."""
    in_step = problems([entry], FUNCTIONS_DOCUMENT)
    assert (in_step == []) == (problems(entry, MCP_SERVER_DOCUMENT) == [])
    assert (in_step == []) == (problems({"tools": [entry]}, TOOLS_FILE_DOCUMENT) == [])
    if in_step:
        assert f"functions{''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in in_step[0][0])}" == field
    else:
        assert field.startswith("functions[0].mcp")  # a check only the conversion can make


def test_an_unclosed_quote_in_a_command_line_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"functions\[0\]\.mcp\.command: is not a command line: No closing"):
        McpServerSpec.from_dict({"mcp": "mcp-server-time --zone 'UTC"}, where="functions[0]")


def test_an_entry_converts_as_written() -> None:
    stdio = McpServerSpec.from_dict(
        {
            "mcp": {"command": "mcp-server-time --local-timezone UTC", "args": ["-v", 2], "env": {"TZ": "UTC"}},
            "allow": "get_current_time, convert_time",
            "prefix": "time_",
            "timeout": "5",
            "approval": True,
            "name": None,  # YAML's bare ``name:``: not given
        }
    )
    assert stdio.command == ("mcp-server-time", "--local-timezone", "UTC", "-v", "2")
    assert stdio.name == "mcp-server-time" and stdio.env == (("TZ", "UTC"),)
    assert stdio.allow == ("get_current_time", "convert_time") and stdio.prefix == "time_"
    assert stdio.timeout == 5.0 and stdio.startup_timeout == 30.0 and stdio.approval == "required"
    http = McpServerSpec.from_dict({"mcp": "https://mcp.test/mcp", "approval": ["write"], "allow": ["read", "write"]})
    assert (http.name, http.url, http.approval) == ("mcp.test", "https://mcp.test/mcp", ("write",))
    assert http.needs_approval("write") and not http.needs_approval("read")
    for never in ("never", "none", False):
        assert McpServerSpec.from_dict({"mcp": "x", "approval": never}).approval == "never"
    assert McpServerSpec.from_dict({"mcp": "x", "allow": ""}).allow == ()  # text naming no tool: none


def test_a_tools_file_names_the_entry_and_its_field(tmp_path: Path) -> None:
    path = tmp_path / "tools.yaml"
    path.write_text(yaml.safe_dump([{"mcp": "mcp-server-time", "name": " "}]), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tools\[0\]\.name: must be a label for messages \(not blank\)"):
        load_tools_file(path)
