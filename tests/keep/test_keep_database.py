"""Through Keep's database-backed engine (SQLite): providers installed in Keep's database,
alert enrichment keeping the conversation id, and follow-up alerts continuing it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)


def _use_provider(workflow: dict, name: str) -> dict:
    for step in workflow["workflow"]["steps"]:
        if step["provider"]["type"] == "openaiassistant":
            step["provider"]["config"] = "{{ providers." + name + " }}"
    return workflow


def _install_assistant(emulator: Any, backend: str, auth_for: Any) -> str:
    from openaiassistant.harness import runner

    name = f"assistant-{backend}-{uuid.uuid4().hex[:8]}"
    # Keep's own install path: the provider class is found through the shim, validate_config
    # and validate_scopes run (GET /models/{id} or /assistants/{id}), the config goes to the secret store.
    result = runner.install_provider(
        name=name, provider_type="openaiassistant", authentication=auth_for(emulator, backend), validate_scopes=True
    )
    assert result["validatedScopes"] == {"authenticated": True, "assistant_available": True}
    return name


def test_followup_alert_continues_the_incident_conversation(backend, keep_env, example_emulator, example, auth_for):
    from keep.api.core.db import get_enrichment

    from openaiassistant.harness import runner

    name = _install_assistant(example_emulator, backend, auth_for)
    workflow = _use_provider(example("followup-alert.yaml"), name)
    fingerprint = f"diskfull-db-1-{backend}-{uuid.uuid4().hex[:6]}"
    alert = {"name": "DiskFull", "host": "db-1", "fingerprint": fingerprint}

    first = runner.run_workflow(workflow, alert=runner.alert_with_enrichments(alert), tenant_id=runner.TENANT)
    assert first.error is None
    thread_id = first.results("investigate")["thread_id"]
    assert get_enrichment(runner.TENANT, fingerprint).enrichments["assistant_thread_id"] == thread_id

    # the alert fires again: Keep hands the workflow the alert with its stored enrichments
    second = runner.run_workflow(workflow, alert=runner.alert_with_enrichments(alert), tenant_id=runner.TENANT)
    assert second.error is None
    result = second.results("investigate")
    assert result["thread_id"] == thread_id
    user_turns = [m for m in result["messages"] if m["role"] == "user"]
    assert len(user_turns) == 2 and all("What changed since the last time" in m["text"] for m in user_turns)

    # a different incident starts its own conversation
    other = runner.run_workflow(
        workflow,
        alert=runner.alert_with_enrichments({**alert, "fingerprint": fingerprint + "-x"}),
        tenant_id=runner.TENANT,
    )
    assert other.error is None and other.results("investigate")["thread_id"] != thread_id


def test_provider_tool_type_comes_from_keeps_database(keep_env, example_emulator, services, example, auth_for):
    """A `functions` entry naming a provider installed in Keep's database needs no provider_type."""
    from openaiassistant.harness import runner

    name = _install_assistant(example_emulator, "assistants", auth_for)
    metrics = f"metrics-{uuid.uuid4().hex[:8]}"
    runner.install_provider(name=metrics, provider_type="http", authentication={}, validate_scopes=False)
    workflow = _use_provider(example("alert-triage.yaml", metrics_url=services.url), name)
    tool = workflow["workflow"]["steps"][0]["provider"]["with"]["functions"][0]
    tool["provider"] = metrics
    del tool["provider_type"]
    services.requests.clear()

    run = runner.run_workflow(
        workflow, alert=runner.make_alert({"name": "DiskFull", "host": "db-1"}), tenant_id=runner.TENANT
    )

    assert run.error is None
    calls = {c["name"]: c for c in run.results("triage")["tool_calls"]}
    assert calls["get_host_metrics"]["error"] is None
    assert "/hosts/db-1" in services.requests
    assert run.results("triage")["response"]["severity"] == "critical"


def test_install_checks_scopes_with_actionable_messages(backend, keep_env, example_emulator, auth_for):
    from keep.contextmanager.contextmanager import ContextManager
    from keep.providers.providers_factory import ProvidersFactory

    auth = auth_for(example_emulator, backend)
    missing_id = {"assistant_id": "asst_doesnotexist"} if backend == "assistants" else {"model": "gpt-doesnotexist"}
    if backend == "responses":  # a model catalogue makes unknown model ids a 404, as on the real API
        example_emulator.load_script({"models": ["gpt-4o-mini"], "rules": [{"default": True, "reply": "ok"}]})

    def scopes(**overrides: Any) -> dict:
        config = {"authentication": {**auth, **overrides}}
        provider = ProvidersFactory.get_provider(ContextManager(tenant_id="keep"), "check", "openaiassistant", config)
        return provider.validate_scopes()

    assert scopes() == {"authenticated": True, "assistant_available": True}

    missing = scopes(**missing_id)
    assert missing["authenticated"] is True
    assert next(iter(missing_id.values())) in missing["assistant_available"]
    assert "not found" in missing["assistant_available"]

    example_emulator.add_fault(kind="http_error", status=401, code="invalid_api_key", times=10)
    rejected = scopes()
    assert "rejected the API key" in rejected["authenticated"]
    assert "sk-keeptest" not in rejected["authenticated"]
    example_emulator.clear_faults()

    example_emulator.add_fault(kind="insufficient_quota", times=10)
    quota = scopes()
    assert quota["authenticated"] is True  # the key works; its quota is used up
    assert "quota is used up" in quota["assistant_available"] and "not found" not in quota["assistant_available"]
