"""Observability in Keep's real workflow engine: the step's results carry usage in detail and
cost_usd, the turn's spans carry the alert's fingerprint and the workflow, and a step's budget
stops its turn cleanly (the next step continues the same conversation). Both backends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.keep.samples import DISK_ALERT

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)


def _run(workflow: dict, providers_file: Any) -> Any:
    from openaiassistant.harness import runner

    return runner.run_workflow(workflow, alert=runner.make_alert(DISK_ALERT), providers_file=providers_file)


def test_results_carry_usage_and_cost_and_spans_the_alert(backend, providers_file, services, example) -> None:
    from openaiassistant.observability.testing import SpanCapture

    with SpanCapture.install() as spans:
        run = _run(example("alert-triage.yaml", metrics_url=services.url), providers_file)
    assert run.error is None
    triage = run.results("triage")
    usage = triage["usage"]
    assert set(usage) >= {"input_tokens", "output_tokens", "total_tokens", "cached_tokens", "reasoning_tokens"}
    assert json.loads(triage["usage_json"]) == usage
    assert isinstance(triage["cost_usd"], float) and triage["cost_usd"] > 0  # gpt-4o-mini has a price

    turns = spans.spans("invoke_agent")
    assert len(turns) == 2  # triage, brief
    first = dict(turns[0].attributes or {})
    assert first["keep.alert.fingerprint"] == "diskfull-db-1"
    assert first["keep.workflow.id"] == first["gen_ai.workflow.name"]  # (no tenant in file-only mode)
    assert first["gen_ai.conversation.id"] == triage["thread_id"]
    assert first["gen_ai.usage.input_tokens"] == usage["input_tokens"]
    tools = {s.attributes["gen_ai.tool.name"] for s in SpanCapture.children(turns[0], spans.spans("execute_tool"))}
    assert tools == {"get_host_metrics", "get_runbook"}


def test_a_step_budget_stops_its_turn_and_the_conversation_goes_on(backend, providers_file, services, example) -> None:
    workflow = example("alert-triage.yaml", metrics_url=services.url)
    workflow["workflow"]["steps"][0]["provider"]["with"]["max_total_tokens"] = "5"  # as text, as Keep renders it
    services.requests.clear()
    run = _run(workflow, providers_file)
    assert run.error is None
    triage = run.results("triage")
    if backend == "assistants":
        # an Assistants run reports its usage only when it ends: the budget cannot see inside it
        assert triage["status"] == "completed"
        return
    assert (triage["status"], triage["incomplete_reason"]) == ("budget_exceeded", "max_total_tokens")
    assert triage["tool_calls"] == [] and services.requests == []
    brief = run.results("brief")
    assert brief["thread_id"] == triage["thread_id"] and brief["status"] == "completed"
