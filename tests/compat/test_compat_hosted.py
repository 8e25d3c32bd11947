"""Hosted tools against real third-party Responses servers: a remote MCP server (``mcp_remote``,
the real server-everything over Streamable HTTP) that the server itself lists and calls, with
what it did read back from the response's items into ``result.hosted_calls``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.errors import AssistantError
from openaiassistant.settings import AssistantSpec, ConnectionSettings

pytestmark = pytest.mark.timeout(180)
Cell = Callable[[str, str], None]


def test_remote_mcp_server(server: Any, upstream: Any, everything_url: str, cell: Cell) -> None:
    remote = {"server_url": everything_url, "server_label": "everything", "allowed_tools": ["echo"]}
    assistant = Assistant(
        connection=ConnectionSettings(api_key=server.api_key, base_url=server.base_url),
        spec=AssistantSpec(model=server.model, hosted_tools=[{"mcp_remote": {**remote, "require_approval": "never"}}]),
    )
    try:
        result = assistant.run_turn("use the echo tool on compat", timeout=90)
    except AssistantError as exc:  # a server without remote MCP says so in its own words
        assert server.name != "llama-stack", exc
        assert str(exc)
        cell("hosted mcp_remote", f"refused: {str(exc)[:120]}")
        return
    calls = [c for c in result.hosted_calls if c["type"] == "mcp_call"]
    if not calls and server.name == "litellm":
        # LiteLLM's bridge onto chat completions drops the mcp tool without a word: the model was
        # never offered the server's tools (so nothing here could have run them either)
        asked = [e for e in upstream.requests() if e["path"] == "/v1/chat/completions" and e["method"] == "POST"]
        offered = [t.get("function", {}).get("name") for e in asked for t in (e.get("body") or {}).get("tools") or []]
        assert asked and "echo" not in offered and result.hosted_calls == []
        cell("hosted mcp_remote", "ignored: the bridged model is not offered the MCP tools, no error")
        return
    assert [c["name"] for c in calls] == ["echo"], result.hosted_calls
    assert calls[0]["output"] and "compat" in calls[0]["output"]
    assert "MCP said:" in result.text and "compat" in result.text
    listed = [c for c in result.hosted_calls if c["type"] == "mcp_list_tools"]
    cell("hosted mcp_remote", "yes (mcp_list_tools + mcp_call items)" if listed else "yes (mcp_call items)")
