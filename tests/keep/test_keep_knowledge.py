"""Knowledge, images, attachments and the thread registry through a real Keep workflow.

The provider's ``vector_store_ids`` give the assistant a file_search tool over runbooks; the
answer's citations reach later steps (``citations_json``); a step's ``images`` and
``attachments`` reach the model; ``registry_url`` records the conversation under Keep's tenant,
workflow and the alert's fingerprint.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
import yaml

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)

SCRIPT = {
    "rules": [
        {
            "match": "(?i)^what does the runbook",
            "file_search": True,
            "reply": "Per {{ search.filenames }}: {{ search.snippet }}",
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}
ALERT = {
    "name": "DiskFull",
    "host": "db-1",
    "description": "disk / is 97% full",
    "severity": "critical",
    "fingerprint": "diskfull-db-1",
}


def _workflow(*, images: Any = None, attachments: Any = None) -> dict:
    triage_with: dict[str, Any] = {"prompt": "What does the runbook say about {{ alert.name }}?"}
    if images is not None:
        triage_with["images"] = images
    if attachments is not None:
        triage_with["attachments"] = attachments
    return {
        "workflow": {
            "id": "knowledge-triage",
            "triggers": [{"type": "manual"}],
            "steps": [
                {
                    "name": "triage",
                    "provider": {
                        "type": "openaiassistant",
                        "config": "{{ providers.kb-assistant }}",
                        "with": triage_with,
                    },
                },
                {
                    "name": "sources",
                    "provider": {
                        "type": "openaiassistant",
                        "config": "{{ providers.kb-assistant }}",
                        "with": {"prompt": "cited: {{ steps.triage.results.citations_json }}"},
                    },
                },
            ],
        }
    }


@pytest.fixture
def knowledge(emulator: Any, tmp_path: Any) -> dict[str, str]:
    emulator.load_script(SCRIPT)
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key)
    runbook = client.files.create(
        file=("diskfull-runbook.md", b"DiskFull: rotate logs, then grow the volume."), purpose="assistants"
    )
    store = (
        client.vector_stores.create(name="runbooks")
        if hasattr(client, "vector_stores")
        else client.beta.vector_stores.create(name="runbooks")
    )
    (client.vector_stores if hasattr(client, "vector_stores") else client.beta.vector_stores).files.create(
        vector_store_id=store.id, file_id=runbook.id
    )
    log = client.files.create(file=("db-1.log", b"ERROR no space left on device"), purpose="assistants")
    return {"store": store.id, "runbook": runbook.id, "log": log.id}


def _providers(tmp_path: Any, auth: dict) -> Any:
    path = tmp_path / "providers.yaml"
    path.write_text(yaml.safe_dump({"kb-assistant": {"authentication": auth}}))
    return path


def test_runbook_search_cites_its_sources_and_the_registry_files_the_conversation(
    keep_env, backend, emulator, knowledge, auth_for, tmp_path
):
    from openaiassistant.harness import runner
    from openaiassistant.registry import ThreadRegistry

    registry_url = f"sqlite:///{tmp_path}/threads.db"
    auth = auth_for(emulator, backend, vector_store_ids=knowledge["store"], registry_url=registry_url)
    run = runner.run_workflow(_workflow(), alert=runner.make_alert(ALERT), providers_file=_providers(tmp_path, auth))

    assert run.error is None
    triage = run.results("triage")
    assert triage["text"].startswith("Per diskfull-runbook.md: DiskFull: rotate logs")
    assert [(c["type"], c["file_id"]) for c in triage["citations"]] == [("file_citation", knowledge["runbook"])]
    # chained into the next step as JSON text, not a Python repr
    sources_prompt = run.results("sources")["text"].removeprefix("Echo: cited: ")
    assert json.loads(sources_prompt)[0]["file_id"] == knowledge["runbook"]

    registry = ThreadRegistry(registry_url)
    recorded = {t.thread_id: t for t in registry.find(fingerprint="diskfull-db-1")}
    # one conversation per step (neither continued the other), both filed under the alert
    assert set(recorded) == {triage["thread_id"], run.results("sources")["thread_id"]}
    assert {(t.backend, t.workflow, t.turns) for t in recorded.values()} == {(backend, "knowledge-triage", 1)}
    assert registry.latest(fingerprint="diskfull-db-1").thread_id == run.results("sources")["thread_id"]


def test_images_and_attachments_reach_the_model(keep_env, backend, emulator, knowledge, auth_for, tmp_path):
    from openaiassistant.harness import runner

    auth = auth_for(emulator, backend)
    workflow = _workflow(
        images=["https://grafana.example/render/db-1.png"],
        attachments=json.dumps([{"file_id": knowledge["log"], "tools": ["file_search"]}]),
    )
    emulator.clear_requests()
    run = runner.run_workflow(workflow, alert=runner.make_alert(ALERT), providers_file=_providers(tmp_path, auth))

    assert run.error is None
    sent = json.dumps([r.get("body") for r in emulator.requests() if r["method"] == "POST"])
    assert "https://grafana.example/render/db-1.png" in sent
    assert knowledge["log"] in sent


def test_a_bad_image_fails_the_step_naming_the_parameter(keep_env, backend, emulator, knowledge, auth_for, tmp_path):
    from openaiassistant.harness import runner

    auth = auth_for(emulator, backend)
    emulator.clear_requests()
    run = runner.run_workflow(
        _workflow(images=[{"url": "ftp://nope/a.png"}]),
        alert=runner.make_alert(ALERT),
        providers_file=_providers(tmp_path, auth),
    )

    assert "images[0]" in str(run.error)
    assert [r for r in emulator.requests() if r["method"] == "POST"] == []  # nothing was sent
