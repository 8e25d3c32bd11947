"""The seam every coordination store implements (in-process, Redis, PostgreSQL).

    store.admit(pool, limits)          may a request be sent now? (records it when yes)
    store.observe(pool, seen, ...)     what a response said: learned limits, shared back-off
    store.spend(pool, tokens)          tokens a turn used (the tokens-per-minute log)
    store.try_slot(pool, capacity, holder) -> Held | None      one of the pool's turn slots
    store.try_lock(key, holder) -> Held | None                 a conversation's lock
    store.lock_holder(key) / store.break_lock(key, holder)     for a lock left by a dead worker

A ``Held`` is released by ``release()``; a worker that dies without releasing loses it by
itself (a lease that is no longer renewed, or a PostgreSQL session that ends). Waiting, and
what the deadline allows, is not the store's business: see ``gate.py``, ``locks.py`` and
``slots.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from openaiassistant.coordination.headers import ServerLimits
from openaiassistant.coordination.window import Limits

__all__ = ["Admission", "Held", "Store"]


@dataclass(frozen=True)
class Admission:
    """``wait`` seconds before trying again (0: admitted, the request is logged as ``ticket``)."""

    wait: float
    ticket: str | None = None


class Held(Protocol):
    """A slot or lock this worker holds until ``release()``."""

    def release(self) -> None: ...


class Store(Protocol):
    name: str  # how messages name it: "in-process", "redis", "postgresql"

    def admit(self, pool: str, limits: Limits, *, ignore_backoff: bool = False) -> Admission: ...

    def observe(
        self, pool: str, seen: ServerLimits, *, refused: bool, ticket: str | None, alone: bool = False
    ) -> None: ...

    def spend(self, pool: str, tokens: int) -> None: ...

    def try_slot(self, pool: str, capacity: int, holder: str) -> Held | None: ...

    def try_lock(self, key: str, holder: str) -> Held | None: ...

    def lock_holder(self, key: str) -> str | None: ...

    def break_lock(self, key: str, holder: str) -> bool: ...
