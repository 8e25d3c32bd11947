"""Hosted tools in Keep's real workflow engine: a step's ``hosted_tools`` (web_search, a remote
MCP server: the real server-everything over Streamable HTTP, called by the emulator as the live
API would) on Responses, what they did in ``hosted_calls`` / ``hosted_calls_json`` for later
steps; refused with the setting named, before anything is sent, on Assistants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)

ALERT = {"name": "DiskFull", "host": "db-1", "fingerprint": "diskfull-db-1", "id": "4242"}


@pytest.fixture
def providers(keep_env: Path, emulator: Any, backend: str, tmp_path: Path, auth_for: Any) -> Path:
    path = tmp_path / "providers.yaml"
    path.write_text(yaml.safe_dump({"triage-assistant": {"authentication": auth_for(emulator, backend)}}))
    return path


def workflow(hosted_tools: Any) -> dict[str, Any]:
    def step(name: str, with_: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            "provider": {"type": "openaiassistant", "config": "{{ providers.triage-assistant }}", "with": with_},
        }

    return {
        "workflow": {
            "id": "hosted-tools",
            "triggers": [{"type": "manual"}],
            "steps": [
                step(
                    "triage", {"prompt": "Triage {{ alert.host }}: echo {{ alert.name }}", "hosted_tools": hosted_tools}
                ),
                step(
                    "followup",
                    {
                        "prompt": "Calls: {{ steps.triage.results.hosted_calls_json }}",
                        "thread_id": "{{ steps.triage.results.thread_id }}",
                    },
                ),
            ],
        }
    }


def run(body: dict[str, Any], providers: Path) -> Any:
    from openaiassistant.harness import runner

    return runner.run_workflow(body, alert=runner.make_alert(ALERT), providers_file=providers)


SCRIPT = {
    "rules": [
        {
            "match": "(?i)echo (?P<word>\\w+)",
            "web_search": {
                "query": "{{ match.word }} runbook",
                "sources": [{"url": "https://runbooks.example.com/disk"}],
            },
            "mcp": {"tool": "echo", "arguments": {"message": "{{ match.word }}"}},
            "reply": "Searched; the server said {{ mcp.output }}",
        },
        {"match": "^Calls: ", "reply": "Seen: {{ input }}"},
    ]
}


@pytest.mark.parametrize("backend", ["responses"])
def test_a_step_uses_web_search_and_a_remote_mcp_server(
    backend: str, emulator: Any, providers: Path, everything_url: str
) -> None:
    emulator.load_script(SCRIPT)
    hosted = [
        {"web_search": {}},
        {
            "mcp_remote": {
                "server_url": everything_url,
                "server_label": "everything",
                "allowed_tools": ["echo"],
                "require_approval": "never",
            }
        },
    ]
    result = run(workflow(hosted), providers)
    assert result.error is None, result.error
    triage = result.results("triage")
    assert triage["text"] == "Searched; the server said Echo: DiskFull"
    kinds = [c["type"] for c in triage["hosted_calls"]]
    assert kinds == ["web_search", "mcp_list_tools", "mcp_call"]
    assert triage["hosted_calls"][0]["queries"] == ["DiskFull runbook"]
    assert json.loads(triage["hosted_calls_json"]) == triage["hosted_calls"]
    # a later step reads them as JSON
    followup = result.results("followup")
    assert '"name": "echo"' in followup["text"] and '"output": "Echo: DiskFull"' in followup["text"]


@pytest.mark.parametrize("backend", ["assistants"])
def test_assistants_refuses_web_search_before_anything_is_sent(backend: str, emulator: Any, providers: Path) -> None:
    emulator.load_script(SCRIPT)
    emulator.clear_requests()
    result = run(workflow(["code_interpreter", "web_search"]), providers)  # bare names: the defaults
    assert result.error is not None
    assert "invalid hosted_tools[1] (web_search): the assistants backend cannot run web_search" in result.error
    assert [r for r in emulator.requests() if r["method"] == "POST"] == []
