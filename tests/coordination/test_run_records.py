"""The run log as turns write it: recorded before the first request, named, marked at the end;
what makes a record orphaned; one recoverer per orphan."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.errors import RunFailedError, TurnTimeoutError
from openaiassistant.registry import ThreadRegistry
from openaiassistant.registry.runs import RunLog, RunRow
from openaiassistant.settings import AssistantSpec, ConnectionSettings


@pytest.fixture
def registry(tmp_path: Any) -> ThreadRegistry:
    return ThreadRegistry(f"sqlite:///{tmp_path / 'threads.db'}")


def _assistant(emulator: Any, registry: ThreadRegistry) -> Assistant:
    connection = ConnectionSettings(api_key="sk-test-run-records", base_url=emulator.base_url)
    return Assistant(connection=connection, spec=AssistantSpec(model="gpt-4o-mini"), registry=registry)


def _records(registry: ThreadRegistry) -> list[Any]:
    runs = RunLog.for_engine(registry.engine)
    with runs._sessions() as session:  # noqa: SLF001 - reading what the turns wrote
        return list(session.query(RunRow).order_by(RunRow.started_at))


def test_a_turn_records_its_run_and_marks_its_end(emulator: Any, registry: ThreadRegistry) -> None:
    result = _assistant(emulator, registry).run_turn("hello")
    [record] = _records(registry)
    assert (record.thread_id, record.run_id, record.status) == (result.thread_id, result.response_id, "completed")
    assert record.ended_at is not None and record.backend == "responses" and record.server == emulator.base_url


def test_every_end_is_marked(emulator: Any, registry: ThreadRegistry) -> None:
    assistant = _assistant(emulator, registry)
    emulator.add_fault(kind="run_failed", code="server_error", message="broken")
    with pytest.raises(RunFailedError):
        assistant.run_turn("fails")
    emulator.load_script({"rules": [{"default": True, "latency": {"run_ms": 60_000}, "reply": "late"}]})
    with pytest.raises(TurnTimeoutError):
        assistant.run_turn("too slow", timeout=1)
    assert [(r.status, r.ended_at is not None) for r in _records(registry)] == [("failed", True), ("timeout", True)]
    assert RunLog.for_engine(registry.engine).open_runs() == []


def test_orphans_are_records_whose_worker_is_gone(registry: ThreadRegistry) -> None:
    runs = RunLog.for_engine(registry.engine)
    mine = runs.begin(thread_id="conv_a", backend="responses", server="http://x/v1")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = runs.begin(thread_id="conv_b", backend="responses", server="http://x/v1")
    elsewhere = runs.begin(thread_id="conv_c", backend="responses", server="http://x/v1")
    with runs._sessions.begin() as session:  # noqa: SLF001 - what a dead worker's record looks like
        session.get(RunRow, dead).owner = f"{socket.gethostname()}:{child.pid}:cafe0001"
        stale = session.get(RunRow, elsewhere)
        stale.owner = "other-host:77:cafe0002"
        stale.lease_until = stale.lease_until - timedelta(seconds=60)  # nobody renewed it
    assert {r.record_id for r in runs.orphans()} == {dead, elsewhere}
    assert runs.get(mine) is not None and not runs.get(mine).orphaned
    # one recoverer wins
    owner = runs.get(dead).owner
    assert runs.claim(dead, owner=owner) and not runs.claim(dead, owner=owner)
    for record in (mine, dead, elsewhere):
        runs.ended(record, status="lost")
