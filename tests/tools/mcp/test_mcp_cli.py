"""``openaiassistant ask --tools FILE`` with an MCP server (mcp-server-time over stdio), against
the emulator, on both backends."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from openaiassistant.cli.main import main

warnings.filterwarnings("ignore", category=DeprecationWarning)
pytestmark = pytest.mark.timeout(90)
KEY = "sk-cli-mcp-test-key-0001"


@pytest.mark.parametrize("backend", ["responses", "assistants"])
def test_ask_calls_an_mcp_servers_tool(
    emulator: Any, capsys: Any, tmp_path: Path, time_command: list[str], backend: str
) -> None:
    emulator.load_script(
        {
            "rules": [
                {
                    "match": r"time in (?P<tz>\S+)",
                    "tool_calls": [{"name": "get_current_time", "arguments": {"timezone": "{{ match.tz }}"}}],
                    "then": {"reply": "Clock: {{ tool_outputs.get_current_time }}"},
                }
            ]
        }
    )
    tools = tmp_path / "tools.yaml"
    tools.write_text(yaml.safe_dump({"tools": [{"mcp": {"command": time_command}, "allow": ["get_current_time"]}]}))
    argv = ["ask", "--base-url", emulator.base_url, "--api-key", KEY, "--backend", backend, "--json"]
    if backend == "assistants":
        client = openai.OpenAI(base_url=emulator.base_url, api_key=KEY)
        argv += ["--assistant-id", client.beta.assistants.create(model="gpt-4o-mini", instructions="Help.").id]
    else:
        argv += ["--model", "gpt-4o-mini"]
    assert main([*argv, "time in Asia/Kolkata", "--tools", str(tools)]) == 0
    result = json.loads(capsys.readouterr().out)
    [call] = result["tool_calls"]
    assert call["name"] == "get_current_time" and call["error"] is None
    assert json.loads(call["output"])["timezone"] == "Asia/Kolkata"
    assert "+05:30" in result["text"]


def test_ask_names_an_mcp_server_that_cannot_start(emulator: Any, capsys: Any, tmp_path: Path) -> None:
    tools = tmp_path / "tools.yaml"
    tools.write_text(yaml.safe_dump([{"mcp": {"command": ["no-such-mcp-server-abc"]}, "name": "grafana"}]))
    argv = ["ask", "--base-url", emulator.base_url, "--api-key", KEY, "--model", "gpt-4o-mini"]
    assert main([*argv, "hello", "--tools", str(tools)]) != 0
    err = capsys.readouterr().err
    assert "MCP server 'grafana' (stdio: no-such-mcp-server-abc) could not start" in err
    assert "Traceback" not in err
    assert emulator.requests() == []
