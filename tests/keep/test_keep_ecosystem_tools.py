"""MCP servers and Keep provider methods as tools, in Keep's real workflow engine.

The assistant (the emulator's scripted model) calls a real MCP server's tool (mcp-server-time
over stdio) and a real Keep provider's method (Keep's own ZabbixProvider, pointed at a local
stand-in of the Zabbix API) in one round, on both backends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)

import zabbix_api  # noqa: E402  (tests/keep/zabbix_api.py)

ALERT = {"name": "DiskFull", "host": "db-1", "fingerprint": "diskfull-db-1", "id": "4242"}


@pytest.fixture
def tools_providers(keep_env: Path, emulator: Any, backend: str, tmp_path: Path, auth_for: Any, zabbix: Any) -> Path:
    return zabbix_api.write_providers(tmp_path, assistant_auth=auth_for(emulator, backend), zabbix=zabbix)


def step(name: str, with_: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "provider": {"type": "openaiassistant", "config": "{{ providers.triage-assistant }}", "with": with_},
    }


def workflow(functions: list[dict[str, Any]], prompt: str) -> dict[str, Any]:
    return {
        "workflow": {
            "id": "ecosystem-tools",
            "triggers": [{"type": "manual"}],
            "steps": [step("triage", {"prompt": prompt, "functions": functions})],
        }
    }


def run(body: dict[str, Any], providers: Path) -> Any:
    from openaiassistant.harness import runner

    return runner.run_workflow(body, alert=runner.make_alert(ALERT), providers_file=providers)


def test_an_mcp_tool_and_a_provider_method_in_one_round(
    backend: str, emulator: Any, tools_providers: Path, zabbix: Any, time_command: list[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("OPENAIASSISTANT_MCP_COMMANDS", time_command[0])
    zabbix.messages["4242"] = ["disk cleaned by on-call"]
    emulator.load_script(
        {
            "rules": [
                {
                    "match": "(?i)triage",
                    "tool_calls": [
                        {"name": "get_current_time", "arguments": {"timezone": "UTC"}},
                        {"name": "get_problem_messages", "arguments": {"id": "4242"}},
                    ],
                    "then": {"reply": "Seen: {{ tool_outputs_json }}"},
                }
            ]
        }
    )
    functions = [
        {"mcp": {"command": time_command}, "allow": ["get_current_time"]},
        {"provider": "zabbix-prod", "provider_type": "zabbix", "methods": ["get_problem_messages"]},
    ]
    result = run(workflow(functions, "Triage problem {{ alert.id }}"), tools_providers)

    assert result.error is None, result.error
    triage = result.results("triage")
    calls = {c["name"]: c for c in triage["tool_calls"]}
    assert set(calls) == {"get_current_time", "get_problem_messages"}
    assert json.loads(calls["get_current_time"]["output"])["timezone"] == "UTC"
    assert json.loads(calls["get_problem_messages"]["output"]) == ["2023-11-14 22:13:20: disk cleaned by on-call"]
    assert zabbix.methods() == ["problem.get"]
    assert "disk cleaned by on-call" in triage["text"]


def test_the_tool_definitions_come_from_the_server_and_from_keeps_method_metadata(
    backend: str, emulator: Any, tools_providers: Path, time_command: list[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("OPENAIASSISTANT_MCP_COMMANDS", time_command[0])
    functions = [
        {"mcp": {"command": time_command}, "allow": ["convert_time"]},
        {
            "provider": "zabbix-prod",
            "provider_type": "zabbix",
            "methods": ["Get Problem Messages", "add_message_to_problem"],
            "approval": "never",
        },
    ]
    result = run(workflow(functions, "hello"), tools_providers)
    assert result.error is None, result.error
    sent = [r for r in emulator.requests() if r["path"].endswith(("/responses", "/runs"))][-1]["body"]
    tools = {
        t.get("name") or t["function"]["name"]: t.get("parameters") or t["function"]["parameters"]
        for t in sent["tools"]
    }
    assert set(tools) == {"convert_time", "get_problem_messages", "add_message_to_problem"}
    assert tools["add_message_to_problem"]["required"] == ["id", "message_text"]
    assert tools["add_message_to_problem"]["properties"]["message_text"] == {
        "type": "string",
        "description": "The message text.",
    }
    assert tools["convert_time"]["required"] == ["source_timezone", "time", "target_timezone"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"mcp": {"command": ["rm", "-rf", "/"]}}, "'rm' may not be started from a workflow"),
        (
            {"mcp": {"url": "http://127.0.0.1:1/mcp", "headers": {"X-Token": "${env:DATABASE_URL}"}}},
            "${env:DATABASE_URL} is not allowed",
        ),
        ({"provider": "zabbix-prod", "provider_type": "zabbix", "methods": ["dispose"]}, "has no method 'dispose'"),
        (
            {"provider": "zabbix-prod", "provider_type": "zabbix", "methods": ["__send_request"]},
            "has no method '__send_request'",
        ),
        (
            {"provider": "nope", "provider_type": "zabbix", "methods": ["get_problem_messages"]},
            "'nope' is not configured",
        ),
    ],
)
def test_what_a_workflow_may_not_do_fails_the_step_before_anything_runs(
    backend: str, emulator: Any, tools_providers: Path, zabbix: Any, entry: dict[str, Any], message: str
) -> None:
    result = run(workflow([entry], "hello"), tools_providers)
    assert result.error is not None and message in result.error
    assert zabbix.calls == []
