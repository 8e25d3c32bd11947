"""Chat turns at once, as Keep's workflow threads run them, on one thread registry (SQLite and
PostgreSQL): none fails for the database's sake (SQLite answered ``database is locked`` to a
few of 80 turns before registry/sqlite_tuning.py), and every conversation is consistent after:
each turn's message once, its answer once, every tool call with exactly one output."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from tests.engine.chat_helpers import SCRIPT, Tools, audit, make_chat

from openaiassistant.backends.capabilities import BOOK
from openaiassistant.registry import ThreadRegistry


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> ThreadRegistry:
    if request.param == "sqlite":
        return ThreadRegistry(f"sqlite:///{tmp_path / 'threads.db'}")
    return ThreadRegistry(request.getfixturevalue("postgres_url"))


def test_many_turns_at_once_on_one_registry(emulator: Any, registry: ThreadRegistry) -> None:
    emulator.load_script(SCRIPT)
    BOOK.forget()
    tools = Tools()
    assistant = make_chat(emulator, registry, tools=tools)
    shared = assistant.run_turn("hello shared", timeout=60).thread_id

    def incident(n: int) -> tuple[str, str]:
        first = assistant.run_turn(f"check disk on db-{n}", timeout=60)
        assistant.run_turn("what did I say?", thread_id=first.thread_id, timeout=60)
        # and every fourth one also adds to one conversation all of them share
        if n % 4 == 0:
            assistant.run_turn(f"hello from {n}", thread_id=shared, timeout=60)
        return first.thread_id, first.text

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(incident, range(40)))

    assert len({thread for thread, _ in results}) == 40
    for n, (thread, text) in enumerate(results):
        assert text == f'Disk of db-{n}: {{"host": "db-{n}", "used": 97}}'
        log = audit(registry, thread)
        assert log["users"] == [f"check disk on db-{n}", "what did I say?"]
        assert log["doubled"] == [] and log["orphan_calls"] == [] and log["stray_outputs"] == []
        assert len(log["calls"]) == 2
    together = audit(registry, shared)
    assert sorted(together["users"]) == sorted(["hello shared"] + [f"hello from {n}" for n in range(0, 40, 4)])
    assert len(together["messages"]) == 2 * len(together["users"])  # each answered once, in turn
    assert all(count == 1 for count in tools.ran.values()) and len(tools.ran) == 80
