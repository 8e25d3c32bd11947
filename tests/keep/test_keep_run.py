"""``openaiassistant keep run`` end to end, in its own process (it sets Keep's environment itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(240)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "keep"
ALERT = '{"name": "DiskFull", "host": "db-1", "description": "disk / is 97% full"}'


def keep_run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    code = f"from openaiassistant.cli.main import main; raise SystemExit(main(['keep', 'run', *{list(argv)!r}]))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
        timeout=200,
    )


def test_a_first_workflow_runs_offline(keep_shim: None, tmp_path: Path) -> None:
    """No providers file, no key: --emulator makes the provider the workflow names."""
    done = keep_run(tmp_path, str(EXAMPLES / "my-first-workflow.yaml"), "--emulator", "--alert", ALERT)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Step summarise" in out and "Action print-answer" in out
    assert "Echo: Summarise this alert in one sentence for the on-call: DiskFull on db-1" in out
    assert "status completed" in out and "tokens" in out
    assert "Emulator (offline OpenAI API): http://127.0.0.1:" in done.stderr
    assert not list(tmp_path.glob("openaiassistant-keep-*"))  # its work directory (secrets) is gone


def test_json_names_the_failed_step_and_the_dropped_float(keep_shim: None, tmp_path: Path) -> None:
    workflow = (EXAMPLES / "my-first-workflow.yaml").read_text()
    workflow = workflow.replace('temperature: "0.2"', "temperature: 0.2").replace("Summarise this alert", "Please fail")
    (tmp_path / "wf.yaml").write_text(workflow)
    done = keep_run(
        tmp_path,
        "wf.yaml",
        "--emulator",
        "--script",
        str(EXAMPLES / "emulator-script.yaml"),
        "--alert",
        ALERT,
        "--json",
    )
    assert done.returncode == 1, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["ok"] is False and result["failed_step"] == "summarise"
    assert "RunFailedError: the run failed" in result["error"] and "thread_id=conv_" in result["error"]
    assert result["warnings"] == [
        "step summarise: temperature: 0.2 is a YAML float, which Keep's workflow parser drops (the step runs "
        'without it); write it as text: temperature: "0.2"'
    ]
    assert result["steps"] == {}


def test_a_provider_missing_from_the_providers_file_is_named(keep_shim: None, tmp_path: Path) -> None:
    (tmp_path / "providers.yaml").write_text("other: {authentication: {}}\n")
    done = keep_run(tmp_path, str(EXAMPLES / "my-first-workflow.yaml"), "--alert", ALERT)
    assert done.returncode == 2
    assert "step summarise" in done.stderr and "'my-assistant'" in done.stderr and "providers.yaml" in done.stderr
    assert "--emulator" in done.stderr


def test_an_error_prints_the_path_as_written(keep_shim: None, tmp_path: Path) -> None:
    # a name in [brackets] is not terminal markup: it used to vanish from the error line
    done = keep_run(tmp_path, str(tmp_path / "[draft] triage.yaml"), "--emulator")
    assert done.returncode == 2
    assert "[draft] triage.yaml" in done.stderr and "cannot read" in done.stderr
