"""Every store keeps the same contract: in-process, a real redis-server, a real PostgreSQL.

The rate decisions themselves are window.py's (test_window.py); here: that each store applies
them atomically on its own clock, shares them between clients (two store objects on one
server are two workers), frees a dead worker's locks and slots, and keeps turn slots bounded.
"""

from __future__ import annotations

import time
import uuid

import pytest

from openaiassistant.coordination import store_for
from openaiassistant.coordination.headers import ServerLimits
from openaiassistant.coordination.local import LocalStore
from openaiassistant.coordination.window import Limits


def _pair(url: str | None):
    """Two stores on one server: what two worker processes would each have."""
    if url is None:
        store = LocalStore(time.monotonic)
        return store, store
    if url.startswith("redis"):
        from openaiassistant.coordination.redis_store import RedisStore

        return RedisStore(url), RedisStore(url)
    from openaiassistant.coordination.postgres_store import PostgresStore

    return PostgresStore(url), PostgresStore(url)


def _pool() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def test_requests_per_minute_are_shared(store_url: str | None) -> None:
    one, two = _pair(store_url)
    pool, limits = _pool(), Limits(rpm=3)
    tickets = [one.admit(pool, limits), two.admit(pool, limits), one.admit(pool, limits)]
    assert all(a.wait == 0 and a.ticket for a in tickets)
    refused = two.admit(pool, limits)
    assert refused.ticket is None and 59 < refused.wait <= 60.3  # the oldest leaves in a minute
    # a request the server refused does not count: its slot is free again
    one.observe(pool, ServerLimits(retry_after=0.0), refused=True, ticket=tickets[0].ticket)
    assert two.admit(pool, limits, ignore_backoff=True).wait == 0


def test_a_limit_learned_by_one_worker_holds_for_the_other(store_url: str | None) -> None:
    one, two = _pair(store_url)
    pool = _pool()
    one.observe(pool, ServerLimits(limit_requests=1), refused=False, ticket=None)
    assert two.admit(pool, Limits()).wait == 0
    assert one.admit(pool, Limits()).wait > 59


def test_a_429_seen_by_one_worker_slows_the_other(store_url: str | None) -> None:
    one, two = _pair(store_url)
    pool = _pool()
    one.observe(pool, ServerLimits(retry_after=30.0), refused=True, ticket=None)
    wait = two.admit(pool, Limits()).wait
    assert 29 < wait <= 30
    assert two.admit(pool, Limits(), ignore_backoff=True).wait == 0
    # a shorter back-off never shortens a longer one
    two.observe(pool, ServerLimits(retry_after=1.0), refused=True, ticket=None)
    assert one.admit(pool, Limits()).wait > 28


def test_a_lone_refusal_naming_no_wait_holds_nobody_but_frees_its_slot(store_url: str | None) -> None:
    one, two = _pair(store_url)
    pool, limits = _pool(), Limits(rpm=1)
    sent = one.admit(pool, limits)
    assert sent.wait == 0 and sent.ticket
    one.observe(pool, ServerLimits(), refused=True, ticket=sent.ticket, alone=True)
    assert two.admit(pool, limits).wait == 0  # no back-off, and the refused request did not count
    # the same refusal as the pattern holds the other worker
    one.observe(pool, ServerLimits(), refused=True, ticket=None)
    assert 0 < two.admit(pool, Limits()).wait <= 0.5


def test_tokens_spent_count_against_tokens_per_minute(store_url: str | None) -> None:
    one, two = _pair(store_url)
    pool, limits = _pool(), Limits(tpm=100)
    one.spend(pool, 60)
    assert two.admit(pool, limits).wait == 0
    two.spend(pool, 50)
    assert one.admit(pool, limits).wait > 59


def test_conversation_locks_are_exclusive_and_released(store_url: str | None) -> None:
    one, two = _pair(store_url)
    key = uuid.uuid4().hex
    held = one.try_lock(key, "host:1:a/turn-1")
    assert held is not None
    assert two.try_lock(key, "host:2:b/turn-2") is None
    held.release()
    again = two.try_lock(key, "host:2:b/turn-2")
    assert again is not None
    again.release()


def test_turn_slots_are_bounded(store_url: str | None) -> None:
    one, two = _pair(store_url)
    pool = _pool()
    first, second = one.try_slot(pool, 2, "w:1:a/t1"), two.try_slot(pool, 2, "w:2:b/t2")
    assert first is not None and second is not None
    assert one.try_slot(pool, 2, "w:1:a/t3") is None
    first.release()
    third = two.try_slot(pool, 2, "w:2:b/t4")
    assert third is not None
    second.release()
    third.release()


def test_the_lock_of_a_dead_worker_on_this_host_is_broken(store_url: str | None) -> None:
    """A holder whose process is gone: Redis and in-process name it and can break it;
    PostgreSQL never needs to (the dead worker's session ends, and its locks with it)."""
    import socket
    import subprocess
    import sys

    one, two = _pair(store_url)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = f"{socket.gethostname()}:{child.pid}:deadbeef/turn"
    key = uuid.uuid4().hex
    held = one.try_lock(key, dead)
    assert held is not None
    if store_url is not None and store_url.startswith("postgresql"):
        assert two.lock_holder(key) is None
        held.release()
        return
    assert two.lock_holder(key) == dead
    assert not two.break_lock(key, "someone-else")
    assert two.break_lock(key, dead)
    held.release()  # what the dead worker would never do: a no-op now
    taken = two.try_lock(key, "host:3:c/t")
    assert taken is not None
    taken.release()


def test_in_process_stores_are_one_per_url_or_clock() -> None:
    def clock() -> float:
        return 0.0

    assert store_for(None) is store_for(None)
    assert store_for(None, clock=clock) is not store_for(None)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0"])
def test_an_unreachable_store_lets_requests_through(url: str) -> None:
    """A limiter outage must not fail alerts: the gate lets the request go and warns."""
    from openaiassistant.coordination.gate import RateGate
    from openaiassistant.coordination.redis_store import RedisStore

    pytest.importorskip("redis")
    gate = RateGate(store=RedisStore(url), pool=_pool(), limits=Limits(rpm=1))

    class NoDeadline:
        def remaining(self) -> None:
            return None

        def sleep(self, seconds: float) -> None:
            raise AssertionError("an unreachable store must not make anyone wait")

    assert gate.admit(NoDeadline(), what="create response") is None
    gate.observe({"x-ratelimit-limit-requests": "1"})


def test_the_turn_slot_of_a_dead_worker_on_this_host_is_free_at_once(redis_url: str) -> None:
    """Redis keeps a slot until its lease ends; one whose holder died on this host is taken over
    at once (PostgreSQL ends a dead worker's slots with its session)."""
    import socket
    import subprocess
    import sys

    from openaiassistant.coordination.redis_store import RedisStore

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    store, pool = RedisStore(redis_url), _pool()
    assert store.try_slot(pool, 1, f"{socket.gethostname()}:{child.pid}:deadbeef/turn") is not None
    alive = store.try_slot(pool, 1, "other-host:1:a/t1")
    assert alive is not None  # the dead holder's slot was freed for it
    assert store.try_slot(pool, 1, "other-host:2:b/t2") is None  # a live holder elsewhere keeps its slot
    alive.release()
