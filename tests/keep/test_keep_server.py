"""A real Keep server (``keep api``) set up exactly as docs/run-your-workflow.md says, running
examples/keep/my-first-workflow.yaml against the emulator: from an alert and by hand, with its
answer in the execution's results and a dropped YAML float named in the execution's log."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from tests.local_programs import stop

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(240)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "keep" / "my-first-workflow.yaml"
HEADERS = {"x-api-key": "local"}  # AUTH_TYPE=NOAUTH takes any key, but one must be sent
ALERT = {
    "id": "first-hour-1",
    "name": "DiskFull",
    "host": "db-1",
    "description": "disk / is 97% full",
    "status": "firing",
    "severity": "critical",
    "lastReceived": "2026-12-01T09:00:00.000Z",
    "source": ["first-hour"],
    "fingerprint": "first-hour-diskfull-db-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def keep_server(keep_shim: None, _emulator_session: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module (it takes half a minute to start); the session emulator serves
    it (each test's ``emulator`` fixture is that server, reset)."""
    emulator = _emulator_session
    tmp_path = tmp_path_factory.mktemp("keep-server")
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    shutil.copy(EXAMPLE, workflows / EXAMPLE.name)
    dropped = EXAMPLE.read_text().replace('temperature: "0.2"', "temperature: 0.2")
    dropped = dropped.replace("my-first-assistant-workflow", "float-workflow").replace("My first", "Float")
    dropped = dropped.replace("value: DiskFull", "value: NeverFires")  # run by hand only
    (workflows / "float-workflow.yaml").write_text(dropped)
    providers = {
        "my-assistant": {
            "authentication": {
                "api_key": "sk-emulator-local-key",
                "base_url": emulator.base_url,
                "model": "gpt-4o-mini",
            }
        }
    }
    (tmp_path / "providers.yaml").write_text(yaml.safe_dump(providers))
    (tmp_path / "secrets").mkdir()
    port = _free_port()
    env = {
        **os.environ,
        # the settings docs/run-your-workflow.md gives, one for one
        "AUTH_TYPE": "NOAUTH",
        "DATABASE_CONNECTION_STRING": f"sqlite:///{tmp_path / 'keep.db'}",
        "SECRET_MANAGER_TYPE": "FILE",
        "SECRET_MANAGER_DIRECTORY": str(tmp_path / "secrets"),
        "KEEP_PROVIDERS_FILE": str(tmp_path / "providers.yaml"),
        "KEEP_WORKFLOWS_DIRECTORY": str(workflows),
        "POSTHOG_DISABLED": "true",
    }
    keep = Path(sys.executable).with_name("keep")
    log = (tmp_path / "keep.log").open("w")
    server = subprocess.Popen(
        [str(keep), "api", "--host", "127.0.0.1", "--port", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _up(url), what=f"keep api on {url}", server=server, log=tmp_path / "keep.log")
        yield url
    finally:
        stop(server, grace=20)
        log.close()


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthcheck", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(ready: Any, *, what: str, server: Any = None, log: Path | None = None, limit: float = 150) -> Any:
    """Poll until ``ready()`` gives something (a condition to reach, not a timing to check)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            pytest.fail(f"{what} exited: {log.read_text()[-3000:] if log else ''}")
        value = ready()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} not ready" + (f": {log.read_text()[-3000:]}" if log else ""))


def _workflow_id(url: str, name: str) -> str:
    workflows = httpx.get(f"{url}/workflows", headers=HEADERS, timeout=20).json()
    return next(w["id"] for w in workflows if w["name"] == name)


def _finished(url: str, workflow_id: str, execution_id: str) -> Any:
    run = httpx.get(f"{url}/workflows/{workflow_id}/runs/{execution_id}", headers=HEADERS, timeout=20).json()
    return run if run.get("status") in ("success", "error", "failed") else None


def test_an_alert_runs_the_workflow_in_a_real_keep_server(keep_server: str, emulator: Any) -> None:
    answer = httpx.post(f"{keep_server}/alerts/event", json=ALERT, headers=HEADERS, timeout=20)
    assert answer.status_code in (200, 202), answer.text

    def executed() -> Any:
        found = httpx.get(
            f"{keep_server}/workflows/executions",
            params={"alert_fingerprint": ALERT["fingerprint"]},
            headers=HEADERS,
            timeout=20,
        ).json()
        done = [e for e in found if e.get("workflow_status") in ("success", "error")]
        return done[0] if done else None

    execution = _wait(executed, what="the workflow's execution")
    assert execution["workflow_status"] == "success", execution
    run = _finished(keep_server, execution["workflow_id"], execution["workflow_execution_id"])
    (summary,) = run["results"]["summarise"]  # Keep keeps a step's results as a list (one per run of it)
    prompt = f"Summarise this alert in one sentence for the on-call: DiskFull on db-1: {ALERT['description']}"
    assert summary["text"] == f"Echo: {prompt}" and summary["status"] == "completed"
    assert summary["thread_id"].startswith("conv_")
    sent = [r for r in emulator.requests() if r["method"] == "POST" and r["path"] == "/v1/responses"]
    assert sent and sent[0]["body"]["temperature"] == 0.2  # the quoted number arrived


def test_a_dropped_float_is_named_in_the_execution_log(keep_server: str, emulator: Any) -> None:
    workflow_id = _workflow_id(keep_server, "Float assistant workflow")
    started = httpx.post(
        f"{keep_server}/workflows/{workflow_id}/run",
        json={"name": "DiskFull", "host": "db-2", "description": "disk full"},
        headers=HEADERS,
        timeout=60,
    ).json()
    run = _wait(lambda: _finished(keep_server, workflow_id, started["workflow_execution_id"]), what="the run")
    assert run["status"] == "success", run

    def logged() -> Any:  # Keep writes an execution's log after its status
        again = _finished(keep_server, workflow_id, started["workflow_execution_id"])
        logs = (again or {}).get("logs") or []
        return logs if any(e["message"].startswith("Finished workflow execution") for e in logs) else None

    messages = [entry["message"] for entry in _wait(logged, what="the run's log")]
    assert any(
        "step summarise: temperature: 0.2 is a YAML float, which Keep's workflow parser drops" in m for m in messages
    ), messages
    sent = [r for r in emulator.requests() if r["method"] == "POST" and r["path"] == "/v1/responses"]
    assert sent and "temperature" not in sent[-1]["body"]  # what the warning is about
