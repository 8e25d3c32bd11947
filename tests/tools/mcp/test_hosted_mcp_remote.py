"""A remote MCP server as a hosted Responses tool (``mcp_remote``): the request carries
``server_url``, ``allowed_tools`` and ``require_approval``; the emulator (like the live API)
lists the server's tools and calls them itself, here on the real server-everything over
Streamable HTTP; ``result.hosted_calls`` lists the listing, the call and approval requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.cli.main import main
from openaiassistant.settings import AssistantSpec, ConnectionSettings

SCRIPT = {
    "rules": [
        {
            "match": "(?i)echo (?P<word>\\w+)",
            "mcp": {"tool": "echo", "arguments": {"message": "{{ match.word }}"}},
            "reply": "The server said: {{ mcp.output }}",
        },
        {
            "match": "(?i)add",
            "mcp": {"tool": "get-sum", "arguments": {"a": 2, "b": 40}},
            "reply": "Sum: {{ mcp.output }}",
        },
    ]
}


KEY = "sk-test-hosted-0001"


def _assistant(emulator: Any, everything_url: str, transport: str = "sse", **remote: Any) -> Assistant:
    entry = {"server_url": everything_url, "server_label": "everything", **remote}
    return Assistant(
        connection=ConnectionSettings(api_key=KEY, base_url=emulator.base_url, transport=transport),
        spec=AssistantSpec(model="gpt-4o-mini", hosted_tools=[{"mcp_remote": entry}]),
    )


@pytest.mark.parametrize("transport", ["sse", "poll"])
def test_the_server_runs_an_allowed_tool_and_the_result_lists_it(
    emulator: Any, everything_url: str, transport: str
) -> None:
    emulator.load_script(SCRIPT)
    assistant = _assistant(emulator, everything_url, transport, allowed_tools=["echo"], require_approval="never")
    result = assistant.run_turn("echo hello")
    assert result.text == "The server said: Echo: hello"
    [sent] = [r["body"]["tools"] for r in emulator.requests() if r["path"] == "/v1/responses"]
    assert sent == [
        {
            "type": "mcp",
            "server_label": "everything",
            "server_url": everything_url,
            "allowed_tools": ["echo"],
            "require_approval": "never",
        }
    ]
    listing, call = result.hosted_calls
    assert listing == {
        "type": "mcp_list_tools",
        "id": listing["id"],
        "server_label": "everything",
        "tools": ["echo"],  # allowed_tools applied
        "error": None,
    }
    assert call["type"] == "mcp_call" and call["name"] == "echo" and call["status"] == "completed"
    assert call["arguments"] == {"message": "hello"} and call["output"] == "Echo: hello" and call["error"] is None


def test_a_tool_that_needs_approval_is_not_run_and_the_request_is_listed(emulator: Any, everything_url: str) -> None:
    emulator.load_script(SCRIPT)
    assistant = _assistant(emulator, everything_url, allowed_tools=["echo", "get-sum"], require_approval=["get-sum"])
    [sent] = [t for t in assistant.spec.hosted_tools]
    assert sent.to_request()["require_approval"] == {
        "always": {"tool_names": ["get-sum"]},
        "never": {"tool_names": ["echo"]},
    }
    result = assistant.run_turn("add two numbers")
    assert result.text == ""
    listing, request = result.hosted_calls
    assert listing["tools"] == ["echo", "get-sum"]
    assert request["type"] == "mcp_approval_request" and request["id"].startswith("mcpr_")
    assert request["name"] == "get-sum" and request["arguments"] == {"a": 2, "b": 40}
    # the approval-free tool still runs in the next turn of the same conversation
    again = assistant.run_turn("echo twice", thread_id=result.thread_id)
    assert again.text == "The server said: Echo: twice"


def test_a_server_that_cannot_be_reached_is_reported_in_the_listing(emulator: Any) -> None:
    emulator.load_script(SCRIPT)
    assistant = _assistant(emulator, "http://127.0.0.1:9/mcp", require_approval="never")
    result = assistant.run_turn("echo hi")
    [listing] = result.hosted_calls
    assert listing["type"] == "mcp_list_tools" and listing["tools"] == []
    assert "Error retrieving tool list from MCP server" in listing["error"]


def test_ask_with_a_tools_file_sends_the_remote_server(
    emulator: Any, everything_url: str, tmp_path: Path, capsys: Any
) -> None:
    emulator.load_script(SCRIPT)
    tools = tmp_path / "tools.yaml"
    tools.write_text(
        "tools:\n"
        f"  - mcp_remote: {{server_url: '{everything_url}', server_label: everything, require_approval: never}}\n"
        "  - web_search: {}\n"
    )
    argv = ["ask", "--base-url", emulator.base_url, "--api-key", KEY, "--model", "gpt-4o-mini", "--json"]
    assert main([*argv, "echo cli", "--tools", str(tools)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["text"] == "The server said: Echo: cli"
    assert [c["type"] for c in result["hosted_calls"]] == ["mcp_list_tools", "mcp_call"]
    [sent] = [r["body"]["tools"] for r in emulator.requests() if r["path"] == "/v1/responses"]
    assert [t["type"] for t in sent] == ["mcp", "web_search"]


def test_ask_refuses_a_remote_server_on_assistants(emulator: Any, tmp_path: Path, capsys: Any) -> None:
    tools = tmp_path / "tools.yaml"
    tools.write_text("- mcp_remote: {server_url: 'https://mcp.example.com/mcp'}\n")
    argv = ["ask", "--base-url", emulator.base_url, "--api-key", KEY, "--backend", "assistants"]
    assert main([*argv, "--assistant-id", "asst_x", "hi", "--tools", str(tools)]) != 0
    err = capsys.readouterr().err
    assert "hosted_tools[0] (mcp_remote mcp_example_com)" in err
    assert "the assistants backend cannot run mcp_remote" in err
    assert "Traceback" not in err
    assert emulator.requests() == []
