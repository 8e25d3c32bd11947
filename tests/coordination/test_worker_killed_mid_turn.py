"""A worker killed mid-turn (SIGKILL: no cleanup of any kind) and what comes after it.

The worker is a real ``openaiassistant ask`` process with a registry and a coordination store;
its response/run is still working on the server when it dies. Then ``threads list`` shows the
orphan, ``threads recover`` (or the next worker on the conversation) cancels it or adopts its
answer, and the next turn on the conversation starts at once (``on_active_run=fail`` proves it
does not wait for anyone).
"""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import openai
import pytest
from tests.coordination.workers import ask, finish, new_key, threads, wait_for

from openaiassistant.registry import ThreadRegistry
from openaiassistant.registry.runs import RunLog

LONG = {
    "rules": [
        {"match": "^long", "latency": {"run_ms": 600_000}, "reply": "the long answer"},
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}


class Setup:
    """One scenario's world: a store, a registry, a conversation (+ assistant) on one backend."""

    def __init__(self, emulator: Any, client: openai.OpenAI, request: Any, tmp_path: Any, variant: str) -> None:
        self.emulator, self.client, self.key = emulator, client, new_key()
        self.store, self.backend = variant.split("-")
        if self.store == "redis":
            self.url = str(request.getfixturevalue("redis_url"))
            self.registry_url = f"sqlite:///{tmp_path / 'threads.db'}"
        else:
            self.url = self.registry_url = str(request.getfixturevalue("postgres_url"))
        emulator.load_script(LONG)
        self.flags = ["--registry", self.registry_url, "--coordination-url", self.url, "--transport", "poll"]
        if self.backend == "responses":
            self.thread = client.post("/conversations", body={}, cast_to=object)["id"]
        else:
            assistant = client.beta.assistants.create(model="gpt-4o-mini", instructions="You help.")
            self.thread = client.beta.threads.create().id
            self.flags += ["--backend", "assistants", "--assistant-id", assistant.id]
        self.flags += ["--thread-id", self.thread]
        self.runs = RunLog.for_engine(ThreadRegistry(self.registry_url).engine)

    def killed_worker(self) -> str:
        """Start a long turn, SIGKILL its worker once the server has named its run; the run id."""
        worker = ask(self.emulator, "long job", *self.flags, api_key=self.key)
        record = wait_for(
            lambda: next((r for r in self.runs.open_runs(thread_id=self.thread) if r.run_id), None),
            what="the worker's run record",
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        assert self.status(record.run_id) in ("queued", "in_progress")  # still working on the server
        return str(record.run_id)

    def status(self, run_id: str) -> str:
        if self.backend == "responses":
            return str(self.client.get(f"/responses/{run_id}", cast_to=object)["status"])
        return self.client.beta.threads.runs.retrieve(run_id, thread_id=self.thread).status

    def connection_flags(self) -> list[str]:
        flags = ["--base-url", self.emulator.base_url, "--coordination-url", self.url]
        return flags + (["--backend", "assistants"] if self.backend == "assistants" else [])

    def record_of(self, run_id: str) -> Any:
        with self.runs._sessions() as session:
            from openaiassistant.registry.runs import RunInfo, RunRow

            row = session.query(RunRow).filter(RunRow.run_id == run_id).one()
            return RunInfo.from_row(row)


VARIANTS = ["redis-responses", "postgresql-assistants"]


@pytest.fixture(params=VARIANTS)
def world(emulator: Any, client: openai.OpenAI, request: Any, tmp_path: Any) -> Setup:
    return Setup(emulator, client, request, tmp_path, request.param)


def test_threads_recover_cancels_the_orphan_and_the_next_turn_starts_at_once(world: Setup) -> None:
    run_id = world.killed_worker()

    listed = threads("--registry", world.registry_url, "list", api_key=world.key)
    assert listed.returncode == 0 and "orphaned runs" in listed.stdout and run_id in listed.stdout
    # the conversation is filed once a turn on it ends: then --json lists its orphans with it
    ThreadRegistry(world.registry_url).record(thread_id=world.thread, backend=world.backend)
    as_json = json.loads(threads("--registry", world.registry_url, "list", "--json", api_key=world.key).stdout)
    [filed] = [t for t in as_json if t["thread_id"] == world.thread]
    assert [r["run_id"] for r in filed["orphaned_runs"]] == [run_id] and filed["orphaned_runs"][0]["orphaned"]

    recovered = threads(
        "--registry", world.registry_url, "recover", *world.connection_flags(), "--json", api_key=world.key
    )
    assert recovered.returncode == 0, recovered.stderr
    [done] = json.loads(recovered.stdout)
    assert (done["run_id"], done["action"]) == (run_id, "recovered-cancelled")
    world.emulator.advance_time(5)  # an Assistants run passes through cancelling
    assert world.status(run_id) == "cancelled"
    assert world.record_of(run_id).status == "recovered-cancelled"

    code, out, err = finish(
        ask(world.emulator, "next alert", *world.flags, "--on-active-run", "fail", api_key=world.key)
    )
    assert code == 0, err
    assert json.loads(out)["text"] == "Echo: next alert"
    again = threads("--registry", world.registry_url, "recover", *world.connection_flags(), api_key=world.key)
    assert again.returncode == 0 and "no orphaned runs" in again.stdout


def test_the_next_worker_on_the_conversation_recovers_by_itself(world: Setup) -> None:
    run_id = world.killed_worker()
    code, out, err = finish(
        ask(world.emulator, "next alert", *world.flags, "--on-active-run", "fail", api_key=world.key)
    )
    assert code == 0, err
    assert json.loads(out)["text"] == "Echo: next alert"
    assert world.record_of(run_id).status == "recovered-cancelled"


def test_an_answer_that_arrived_after_its_worker_died_is_adopted(world: Setup) -> None:
    run_id = world.killed_worker()
    world.emulator.advance_time(700)  # the run finishes on the server with nobody to read it
    assert world.status(run_id) == "completed"
    recovered = threads(
        "--registry", world.registry_url, "recover", *world.connection_flags(), "--json", api_key=world.key
    )
    [done] = json.loads(recovered.stdout)
    assert (done["action"], done["detail"]) == ("adopted", "the long answer")
    assert world.record_of(run_id).detail == "the long answer"
