"""``openaiassistant demo`` end to end, in its own process (it sets Keep's environment itself)."""

from __future__ import annotations

import pytest
from tests.keep.environment import cli_process

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("host, severity", [("db-1", "critical"), ("web-3", "warning")])
def test_demo_runs_the_triage_example(keep_shim, tmp_path, host, severity):
    done = cli_process(["demo", "--host", host], cwd=tmp_path, timeout=150)

    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "tool call get_host_metrics({'host': '" + host + "'})" in out
    assert "tool call get_runbook(" in out
    assert "│ On-call note:" in out  # the streamed step
    assert f"severity       {severity}" in out
    assert ("Action page-on-call ran" in out) == (severity == "critical")
    assert "Keep work directory (removed on exit)" in out
    assert not list(tmp_path.glob("openaiassistant-demo-*"))  # its providers file and secrets are gone
