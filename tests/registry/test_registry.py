"""The thread registry on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from openaiassistant.errors import ConfigError
from openaiassistant.registry import ThreadRegistry


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request, tmp_path):
    if request.param == "sqlite":
        reg = ThreadRegistry(f"sqlite:///{tmp_path}/threads.db")
    else:
        reg = ThreadRegistry(request.getfixturevalue("postgres_url"))
        with reg.engine.begin() as conn:  # a clean table per test on the shared server
            conn.exec_driver_sql("DELETE FROM openaiassistant_threads")
    yield reg
    reg.engine.dispose()


def test_record_creates_then_counts_turns_without_erasing(registry):
    first = registry.record(thread_id="conv_1", backend="responses", tenant="t1", metadata={"a": "1"})
    assert (first.turns, first.fingerprint, first.metadata) == (1, None, {"a": "1"})
    second = registry.record(thread_id="conv_1", backend="responses", fingerprint="fp-9", metadata={"b": "2"})
    assert second.turns == 2
    assert second.tenant == "t1"  # not erased by a call that did not pass it
    assert second.fingerprint == "fp-9"
    assert second.metadata == {"a": "1", "b": "2"}
    assert second.last_used_at >= first.last_used_at
    assert registry.get("conv_1").turns == 2
    assert registry.get("missing") is None


def test_find_filters_and_orders_by_last_use(registry):
    registry.record(thread_id="c_a", backend="responses", tenant="t1", workflow="triage")
    registry.record(thread_id="c_b", backend="assistants", tenant="t1", workflow="triage")
    registry.record(thread_id="c_c", backend="responses", tenant="t2", workflow="triage")
    registry.record(thread_id="c_a", backend="responses")  # c_a used last
    assert [t.thread_id for t in registry.find(tenant="t1")] == ["c_a", "c_b"]
    assert [t.thread_id for t in registry.find(tenant="t1", backend="assistants")] == ["c_b"]
    assert [t.thread_id for t in registry.find(workflow="triage", limit=2)] == ["c_a", "c_c"]


def test_latest_for_fingerprint_and_forget(registry):
    registry.record(thread_id="c_old", backend="responses", tenant="t1", fingerprint="fp")
    registry.record(thread_id="c_new", backend="responses", tenant="t1", fingerprint="fp")
    assert registry.latest(fingerprint="fp", tenant="t1").thread_id == "c_new"
    assert registry.forget("c_new") is True
    assert registry.latest(fingerprint="fp", tenant="t1").thread_id == "c_old"
    assert registry.forget("nope") is False
    assert [t.thread_id for t in registry.find(tenant="t1", include_deleted=True)] == ["c_new", "c_old"]
    assert registry.get("c_new").deleted_at is not None


def test_stale_returns_only_idle_threads(registry):
    registry.record(thread_id="c_1", backend="responses", tenant="t1")
    assert registry.stale(older_than=timedelta(hours=1)) == []
    assert [t.thread_id for t in registry.stale(older_than=timedelta(seconds=-1))] == ["c_1"]


def test_concurrent_records_count_every_turn(registry):
    registry.record(thread_id="c_busy", backend="responses")
    threads = [
        threading.Thread(target=registry.record, kwargs={"thread_id": "c_busy", "backend": "responses"})
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert registry.get("c_busy").turns == 9


def test_bad_url_is_a_config_error():
    with pytest.raises(ConfigError, match="registry_url"):
        ThreadRegistry("not a url")


def test_to_dict_is_json_ready(registry):
    info = registry.record(thread_id="c_json", backend="responses", tenant="t")
    data = info.to_dict()
    assert data["thread_id"] == "c_json" and isinstance(data["created_at"], str)
