"""Protocol corners the real servers do not show, against a tiny scripted stdio server:
paginated tools/list, protocol version negotiation, isError, requests from the server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openaiassistant.tools import Toolbox, ToolCall
from openaiassistant.tools.loader import add_mcp_server
from openaiassistant.tools.mcp import McpServerError, McpServers
from openaiassistant.tools.mcp.strict_schema import tool_schema

pytestmark = pytest.mark.timeout(60)


def registry_for(command: list[str], servers: McpServers, env: dict[str, str] | None = None) -> Toolbox:
    registry = Toolbox()
    add_mcp_server(registry, {"mcp": {"command": command, "env": env or {}}}, where="test", servers=servers)
    return registry


def run(registry: Toolbox, name: str, arguments: dict[str, Any]) -> Any:
    [output] = registry.execute_round([ToolCall(call_id="c1", name=name, arguments=json.dumps(arguments))])
    return output


def test_tools_list_follows_next_cursor_to_the_end(scripted_server: list[str], servers: McpServers) -> None:
    registry = registry_for(scripted_server, servers)
    assert registry.names() == ["add", "fail", "ping_me"]  # three pages of one; the dot is not allowed by OpenAI


def test_an_older_protocol_version_is_accepted_and_an_unknown_one_refused(
    scripted_server: list[str], servers: McpServers
) -> None:
    registry = registry_for(scripted_server, servers, env={"MCP_VERSION": "2024-11-05"})
    assert json.loads(run(registry, "add", {"a": 1, "b": 2}).output) == "3"
    with pytest.raises(McpServerError) as err:
        registry_for(scripted_server, McpServers(), env={"MCP_VERSION": "1999-01-01"})
    assert "speaks MCP protocol version '1999-01-01'" in str(err.value)


def test_is_error_results_are_error_outputs_in_the_servers_words(
    scripted_server: list[str], servers: McpServers
) -> None:
    output = run(registry_for(scripted_server, servers), "fail", {})
    assert output.error == "the disk is on fire"
    assert json.loads(output.output)["error"] == "the disk is on fire"


def test_a_ping_from_the_server_is_answered_and_null_optionals_are_not_sent(
    scripted_server: list[str], servers: McpServers
) -> None:
    registry = registry_for(scripted_server, servers)
    ping = next(d for d in registry.definitions() if d.name == "ping_me")
    assert ping.strict is True and ping.parameters["properties"]["note"]["type"] == ["string", "null"]
    data = json.loads(json.loads(run(registry, "ping_me", {"note": None}).output))
    assert data["pong"] == {"jsonrpc": "2.0", "id": "srv-1", "result": {}}
    assert data["args"] == {}


@pytest.mark.parametrize(
    ("schema", "strict"),
    [
        ({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}, True),
        ({"type": "object", "properties": {"q": {"type": "string", "default": "a"}}}, True),
        ({"type": "object", "properties": {"q": {"type": "string", "minLength": 2}}, "required": ["q"]}, False),
        ({"type": "object", "properties": {"o": {"type": "object"}}, "required": ["o"]}, False),
        ({"type": "object", "additionalProperties": True}, False),
        ({"type": "object"}, True),
        (None, True),
    ],
)
def test_input_schemas_become_strict_only_where_that_keeps_their_meaning(schema: Any, strict: bool) -> None:
    converted = tool_schema(schema)
    assert converted.strict is strict
    assert converted.parameters["type"] == "object"
    if not strict and schema:
        assert converted.parameters == {"properties": {}, **schema}  # sent as the server wrote it
