"""An action waits for a person: Keep's ZabbixProvider's acknowledge_problem (a PROVIDER_METHODS
``action``) is called by the assistant in one workflow run, approved in a second run on the same
thread, and runs exactly once; a repeated or unknown approval is an error; a denial reaches the
assistant with the person's note. Keep's real workflow engine, both backends; the pending
approval is kept in the thread registry's SQLite file across the runs (its in-process caches are
dropped between them, as a restarted worker would have none)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.keep.samples import one_step_workflow

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)

import zabbix_api  # noqa: E402  (tests/keep/zabbix_api.py)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "keep"

SCRIPT = {
    "rules": [
        {
            "match": "(?i)(?:acknowledge problem|zabbix problem) (?P<id>\\d+)",
            "tool_calls": [
                {"name": "get_problem_messages", "arguments": {"id": "{{ match.id }}"}},
                {"name": "acknowledge_problem", "arguments": {"id": "{{ match.id }}"}},
            ],
            "then": {"reply": "unexpected: {{ tool_outputs_json }}"},
        },
        {"match": "(?i)waited for a person[\\s\\S]*", "reply": "After the decision: {{ match.0 }}"},
    ]
}
FUNCTIONS = [
    {"provider": "zabbix-prod", "provider_type": "zabbix", "methods": ["get_problem_messages", "acknowledge_problem"]}
]


@pytest.fixture(params=["responses", "assistants", "chat"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every backend: on chat the waiting calls are closed in our own record (the registry)."""
    return request.param


@pytest.fixture
def approval_providers(keep_env: Path, emulator: Any, backend: str, tmp_path: Path, auth_for: Any, zabbix: Any) -> Path:
    registry = f"sqlite:///{tmp_path / 'threads.db'}"
    path = zabbix_api.write_providers(
        tmp_path, assistant_auth=auth_for(emulator, backend, registry_url=registry), zabbix=zabbix
    )
    emulator.load_script(SCRIPT)
    return path


def run(providers: Path, **with_: Any) -> Any:
    from openaiassistant.harness import runner

    body = one_step_workflow("approval-round-trip", {"functions": FUNCTIONS, **with_})
    return runner.run_workflow(
        body, alert=runner.make_alert({"name": "DiskFull", "id": "77"}), providers_file=providers
    )


def restart() -> None:
    """Forget every in-process handle on the registry (a new worker process has none)."""
    from openaiassistant import approvals
    from openaiassistant.keep import provider

    approvals._STORES.clear()  # noqa: SLF001
    provider._REGISTRIES.clear()  # noqa: SLF001


def test_an_action_waits_for_approval_in_a_second_run_then_runs_once(
    backend: str, approval_providers: Path, zabbix: Any
) -> None:
    first = run(approval_providers, prompt="Acknowledge problem 77 in Zabbix")
    assert first.error is None, first.error
    asked = first.results("ask")
    assert asked["status"] == "requires_approval"
    [pending] = asked["pending_approvals"]
    assert pending["tool"] == "acknowledge_problem" and pending["arguments"] == {"id": "77"}
    assert json.loads(asked["pending_approvals_json"]) == asked["pending_approvals"]
    assert 'acknowledge_problem({"id": "77"})' in asked["approval_request"]
    assert pending["call_id"] in asked["approval_request"]
    # the view method ran; the action did not
    assert zabbix.methods() == ["problem.get"]
    assert [c["name"] for c in asked["tool_calls"]] == ["get_problem_messages"]

    restart()
    approval = [{"call_id": pending["call_id"], "approve": True, "note": "go ahead"}]
    second = run(approval_providers, thread_id=asked["thread_id"], approvals=approval)
    assert second.error is None, second.error
    done = second.results("ask")
    assert done["status"] == "completed"
    assert done["thread_id"] == asked["thread_id"]
    assert zabbix.methods() == ["problem.get", "event.acknowledge"]
    assert zabbix.calls[-1]["params"] == {"eventids": "77", "action": 2}
    assert done["approvals"] == [
        {"call_id": pending["call_id"], "tool": "acknowledge_problem", "decision": "approved", "note": "go ahead"}
    ]
    assert [c["name"] for c in done["tool_calls"]] == ["acknowledge_problem"]
    assert '"decision": "approved"' in done["text"] and "get_problem_messages" in done["text"]

    # the same approval again: an error, and nothing runs twice
    again = run(approval_providers, thread_id=asked["thread_id"], approvals=approval)
    assert again.error is not None and "was already answered: executed" in again.error
    assert zabbix.methods().count("event.acknowledge") == 1


def test_a_denied_action_does_not_run_and_the_note_reaches_the_assistant(
    backend: str, approval_providers: Path, zabbix: Any
) -> None:
    asked = run(approval_providers, prompt="Acknowledge problem 78 please").results("ask")
    [pending] = asked["pending_approvals"]
    denied = run(
        approval_providers,
        thread_id=asked["thread_id"],
        approvals=[{"call_id": pending["call_id"], "approve": "false", "note": "not during the freeze"}],
    )
    assert denied.error is None, denied.error
    done = denied.results("ask")
    assert done["status"] == "completed"
    assert "event.acknowledge" not in zabbix.methods()
    assert "not during the freeze" in done["text"] and '"decision": "denied"' in done["text"]
    assert done["tool_calls"] == []


def test_an_unknown_call_or_a_missing_answer_is_an_error(backend: str, approval_providers: Path, zabbix: Any) -> None:
    asked = run(approval_providers, prompt="Acknowledge problem 79").results("ask")
    unknown = run(
        approval_providers, thread_id=asked["thread_id"], approvals=[{"call_id": "call_nope", "approve": True}]
    )
    assert unknown.error is not None and "missing" in unknown.error  # the real pending call has no answer
    both = [
        {"call_id": "call_nope", "approve": True},
        {"call_id": asked["pending_approvals"][0]["call_id"], "approve": True},
    ]
    unknown = run(approval_providers, thread_id=asked["thread_id"], approvals=both)
    assert unknown.error is not None and "no tool call 'call_nope' waits for approval" in unknown.error
    assert "event.acknowledge" not in zabbix.methods()  # the transaction rolled back: nothing ran


def test_the_approval_examples_run_as_written(backend: str, approval_providers: Path, zabbix: Any) -> None:
    """examples/keep/approval-request.yaml then approval-answer.yaml (Slack swapped for the console)."""
    from openaiassistant.harness import runner

    request = yaml.safe_load((EXAMPLES / "approval-request.yaml").read_text())
    request["workflow"]["actions"][0]["provider"] = {
        "type": "console",
        "with": {"message": "{{ steps.triage.results.approval_request }}"},
    }
    first = runner.run_workflow(
        request,
        alert=runner.make_alert({"name": "Ping", "id": "91", "source": ["zabbix"]}),
        providers_file=approval_providers,
    )
    assert first.error is None, first.error
    asked = first.results("triage")
    assert asked["status"] == "requires_approval"
    assert "acknowledge_problem" in first.results("ask-on-call")

    answer = yaml.safe_load((EXAMPLES / "approval-answer.yaml").read_text())
    answer["workflow"]["consts"] = {
        "thread_id": asked["thread_id"],
        "call_id": asked["pending_approvals"][0]["call_id"],
    }
    second = runner.run_workflow(answer, providers_file=approval_providers)
    assert second.error is None, second.error
    assert second.results("continue")["status"] == "completed"
    assert zabbix.methods().count("event.acknowledge") == 1
    assert "approved by on-call in Slack" in second.results("report")
