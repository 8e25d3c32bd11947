"""Many workers, one quota: the rate limiter, back-off, turn slots and conversation locks that
workers of one pool share (see ``docs/coordination.md``).

    gate = gate_for(settings, clock=deadline.clock)   # every request: admit / observe
    locks = conversation_locks(settings, local=LOCKS) # the engine's conversation lock
    with turn_slot_for(settings, deadline): ...       # max_concurrent_turns

Where the state lives is ``ConnectionSettings.coordination_url``: Redis or PostgreSQL across
processes and hosts, or (``None``) this process only. A pool is ``coordination_pool``, else one
per server and API key (the key itself is never stored: a hash of it names the pool).

    headers.py         the server's x-ratelimit-* headers, retry-after and 429 bodies
    window.py          the decisions (pure): how long a request waits, how long a 429 holds
    base.py            the store seam; local.py, redis_store.py, postgres_store.py
    gate.py            the rate gate requests pass; locks.py; slots.py
    worker.py          who this worker is, whether another is alive; heartbeat.py renews leases
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from openaiassistant.coordination.base import Store
from openaiassistant.coordination.gate import RateGate, Waiter
from openaiassistant.coordination.local import LocalStore
from openaiassistant.coordination.locks import SharedConversationLocks
from openaiassistant.coordination.slots import turn_slot
from openaiassistant.coordination.window import Limits
from openaiassistant.locking import ConversationLocks
from openaiassistant.settings import ConnectionSettings

__all__ = ["RateGate", "conversation_locks", "gate_for", "pool_name", "store_for", "turn_slot_for"]

_guard = threading.Lock()
_gates: OrderedDict[tuple[Any, ...], RateGate] = OrderedDict()
_GATES = 256
_shared: dict[str, Store] = {}  # coordination_url -> store
# in-process stores, one per clock: the real one is shared by the whole process; a test's fake
# clock gets its own (its times mean nothing to another clock's); the newest few are kept
_local: OrderedDict[Callable[[], float], LocalStore] = OrderedDict()
_LOCAL_CLOCKS = 32


def pool_name(settings: ConnectionSettings) -> str:
    """The pool these settings draw from: ``coordination_pool``, else server + key (hashed)."""
    if settings.coordination_pool:
        return settings.coordination_pool
    server = settings.base_url or settings.azure_endpoint or "https://api.openai.com/v1"
    return _key_pool(server.rstrip("/"), settings.resolved_api_key())


@functools.lru_cache(maxsize=256)
def _key_pool(server: str, key: str) -> str:  # hashed once per server and key, not per request
    digest = hashlib.sha256(f"{server}\0{key}".encode()).hexdigest()
    return f"key-{digest[:20]}"


def store_for(url: str | None, *, clock: Callable[[], float] = time.monotonic) -> Store:
    """The store at ``url`` (one per URL per process), or the in-process one for ``clock``."""
    with _guard:
        if url is None:
            store = _local.pop(clock, None) or LocalStore(clock)
            _local[clock] = store
            while len(_local) > _LOCAL_CLOCKS:
                _local.popitem(last=False)
            return store
        if url not in _shared:
            _shared[url] = _open(url)
        return _shared[url]


def _open(url: str) -> Store:
    if url.partition("://")[0] in ("redis", "rediss", "unix"):
        from openaiassistant.coordination.redis_store import RedisStore

        return RedisStore(url)
    from openaiassistant.coordination.postgres_store import PostgresStore

    return PostgresStore(url)


def gate_for(settings: ConnectionSettings, *, clock: Callable[[], float] = time.monotonic) -> RateGate:
    """The rate gate of these settings' pool (``clock``: the turn's, for the in-process store)."""
    store = store_for(settings.coordination_url, clock=clock)
    pool = pool_name(settings)
    key = (id(store), pool, settings.rpm, settings.tpm)
    with _guard:
        gate = _gates.get(key)
        if gate is None or gate.store is not store:  # one gate per store and pool, not per request
            gate = _gates[key] = RateGate(
                store=store, pool=pool, limits=Limits(rpm=settings.rpm, tpm=settings.tpm), clock=clock
            )
            while len(_gates) > _GATES:
                _gates.popitem(last=False)
        return gate


def conversation_locks(settings: ConnectionSettings, *, local: ConversationLocks) -> ConversationLocks:
    """The conversation locks for these settings: ``local`` (the engine's in-process locks) when
    there is no coordination store, else locks shared through it (taken after ``local``)."""
    if settings.coordination_url is None:
        return local
    return SharedConversationLocks(store=store_for(settings.coordination_url), local=local)


def turn_slot_for(
    settings: ConnectionSettings, deadline: Waiter, *, clock: Callable[[], float] = time.monotonic
) -> AbstractContextManager[None]:
    """Hold one of the pool's ``max_concurrent_turns`` slots (nothing to hold when unset)."""
    if not settings.max_concurrent_turns:
        return nullcontext()
    return turn_slot(
        store=store_for(settings.coordination_url, clock=clock),
        pool=pool_name(settings),
        capacity=settings.max_concurrent_turns,
        deadline=deadline,
    )
