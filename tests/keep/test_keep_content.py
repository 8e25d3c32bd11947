"""examples/keep/runbook-knowledge.yaml in Keep's real workflow engine, on both APIs: runbooks
synced into a vector store by one step (nothing sent the second time), its id chained into the
next step, which attaches a local log and a local PNG and answers with footnoted sources; old
conversations deleted by retention as new ones are recorded."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml
from sqlalchemy import update
from tests.keep.conftest import EXAMPLES, load_example
from tests.keep.samples import FIRING_DISK_ALERT

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    target = tmp_path / "files"
    shutil.copytree(EXAMPLES / "files", target)
    return target


@pytest.fixture
def providers(
    keep_env: Any, example_emulator: Any, backend: str, auth_for: Any, files_dir: Path, tmp_path: Path
) -> Any:
    registry = f"sqlite:///{tmp_path}/threads.db"
    auth = auth_for(example_emulator, backend, files_dir=str(files_dir), registry_url=registry, retention_days="30")
    if backend == "assistants":  # the stored assistant searches files
        client = openai.OpenAI(base_url=example_emulator.base_url, api_key=auth["api_key"])
        client.beta.assistants.update(auth["assistant_id"], tools=[{"type": "file_search"}])
    path = tmp_path / "providers.yaml"
    path.write_text(yaml.safe_dump({"triage-assistant": {"authentication": auth}}))
    return path, registry


def _run(providers_file: Path) -> Any:
    from openaiassistant.harness import runner

    return runner.run_workflow(
        load_example("runbook-knowledge.yaml"),
        alert=runner.make_alert(FIRING_DISK_ALERT),
        providers_file=providers_file,
    )


def test_sync_chain_attach_and_cite(providers, example_emulator, backend):
    from openaiassistant.retention import forget_schedule

    forget_schedule()
    providers_file, _ = providers
    run = _run(providers_file)
    assert run.error is None
    synced = run.results("sync_runbooks")
    assert (synced["uploaded"], synced["unchanged"]) == (2, 0)
    assert sorted(f["name"] for f in synced["files"]) == ["cpu-high.md", "disk-full.md"]
    assert synced["vector_store_id"].startswith("vs_") and "disk-full.md" in synced["files_json"]

    triage = run.results("triage")
    text = triage["text"]
    assert text.startswith("Rotate the logs, then grow the volume if it stays above 90%[1]; the log agrees[2].")
    assert "I looked at" in text and "db-1.png" in text  # the screenshot is part of the message
    # the runbook and the attached log were both searched and cited, by file name
    assert text.endswith("\n\nSources:\n[1] disk-full.md\n[2] db-1.log.txt")
    assert triage["citations"][0]["filename"] == "disk-full.md" and triage["citations"][0]["number"] == 1
    # the store the first step synced is the one the second searched
    sent = [
        r
        for r in example_emulator.requests()
        if r["method"] == "POST" and any(k in r["path"] for k in ("/responses", "/threads"))
    ]
    assert any(synced["vector_store_id"] in str(r.get("body")) for r in sent)
    # upload_policy delete_after_turn: the log and the screenshot are gone after the turn
    client = openai.OpenAI(base_url=example_emulator.base_url, api_key="sk-x")
    names = {f.filename for f in client.files.list()}
    assert "db-1.log.txt" not in names and "db-1.png" not in names

    example_emulator.clear_requests()
    again = _run(providers_file)
    assert again.error is None
    assert (again.results("sync_runbooks")["uploaded"], again.results("sync_runbooks")["unchanged"]) == (0, 2)
    uploads = [r for r in example_emulator.requests() if r["method"] == "POST" and r["path"] == "/v1/files"]
    assert len(uploads) == 2  # only the turn's log and screenshot, no runbook


def test_retention_deletes_idle_conversations_as_new_ones_are_recorded(providers, example_emulator, backend):
    from openaiassistant.registry import ThreadRegistry
    from openaiassistant.registry.models import ThreadRow
    from openaiassistant.retention import forget_schedule

    providers_file, registry_url = providers
    forget_schedule()
    first = _run(providers_file)
    old = first.results("triage")["thread_id"]
    registry = ThreadRegistry(registry_url)
    with registry.engine.begin() as conn:
        stale = datetime.now(UTC) - timedelta(days=40)
        conn.execute(update(ThreadRow).where(ThreadRow.thread_id == old).values(last_used_at=stale))

    forget_schedule()
    second = _run(providers_file)
    assert second.error is None
    assert registry.get(old).deleted_at is not None
    client = openai.OpenAI(base_url=example_emulator.base_url, api_key="sk-x", max_retries=0)
    path = f"/conversations/{old}" if backend == "responses" else f"/threads/{old}"
    with pytest.raises(openai.NotFoundError):
        client.get(path, cast_to=object, options={"headers": {"OpenAI-Beta": "assistants=v2"}})
    assert registry.get(second.results("triage")["thread_id"]).deleted_at is None


def test_a_path_outside_files_dir_fails_the_step_and_sends_nothing(providers, example_emulator, files_dir):
    from openaiassistant.harness import runner

    providers_file, _ = providers
    workflow = load_example("runbook-knowledge.yaml")
    workflow["workflow"]["steps"] = [workflow["workflow"]["steps"][1]]
    workflow["workflow"]["steps"][0]["provider"]["with"]["attachments"] = ["../../etc/passwd"]
    workflow["workflow"]["steps"][0]["provider"]["with"].pop("vector_store_ids")
    example_emulator.clear_requests()
    run = runner.run_workflow(workflow, alert=runner.make_alert(FIRING_DISK_ALERT), providers_file=providers_file)
    assert "attachments[0].path" in str(run.error) and "outside the allowed directory" in str(run.error)
    assert [r for r in example_emulator.requests() if r["method"] == "POST"] == []
