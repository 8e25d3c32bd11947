"""The in-process store: the default when no ``coordination_url`` is set.

Every thread of this process that calls one pool shares its request log and back-off (Keep runs
up to 20 workflow threads per process), but other processes are not seen. Time is the clock it
is given, so a test's fake clock drives it (see ``gate.py``).
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import overload

from openaiassistant.coordination.base import Admission, Held
from openaiassistant.coordination.headers import ServerLimits
from openaiassistant.coordination.window import WINDOW, Limits, PoolState, backoff_after, wait_before

__all__ = ["LocalStore"]


@dataclass(kw_only=True)
class _Pool:
    state: PoolState = field(default_factory=PoolState)
    requests: deque[tuple[float, str]] = field(default_factory=deque)
    tokens: deque[tuple[float, int]] = field(default_factory=deque)
    slots: set[str] = field(default_factory=set)

    def trim(self, now: float) -> None:
        while self.requests and self.requests[0][0] <= now - WINDOW:
            self.requests.popleft()
        while self.tokens and self.tokens[0][0] <= now - WINDOW:
            self.tokens.popleft()


class _Times(Sequence[float]):
    """The send times of a request log, read in place (no copy of the minute's log per request)."""

    def __init__(self, log: deque[tuple[float, str]]) -> None:
        self._log = log

    def __len__(self) -> int:
        return len(self._log)

    @overload
    def __getitem__(self, index: int) -> float: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[float]: ...

    def __getitem__(self, index: int | slice) -> float | Sequence[float]:
        if isinstance(index, slice):
            return [at for at, _ in list(self._log)[index]]
        return self._log[index][0]


class _Release:
    def __init__(self, release: Callable[[], object]) -> None:
        self._release: Callable[[], object] | None = release

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


class LocalStore:
    name = "in-process"

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._guard = threading.Lock()
        self._pools: dict[str, _Pool] = {}
        self._locks: dict[str, str] = {}

    def _pool(self, pool: str) -> _Pool:
        return self._pools.setdefault(pool, _Pool())

    def admit(self, pool: str, limits: Limits, *, ignore_backoff: bool = False) -> Admission:
        with self._guard:
            now, entry = self.clock(), self._pool(pool)
            entry.trim(now)
            wait = wait_before(
                now=now,
                state=entry.state,
                limits=limits,
                requests=_Times(entry.requests),
                tokens=entry.tokens,
                ignore_backoff=ignore_backoff,
            )
            if wait > 0:
                return Admission(wait)
            ticket = uuid.uuid4().hex
            entry.requests.append((now, ticket))
            return Admission(0.0, ticket)

    def observe(self, pool: str, seen: ServerLimits, *, refused: bool, ticket: str | None, alone: bool = False) -> None:
        with self._guard:
            now, entry = self.clock(), self._pool(pool)
            entry.state.learn(seen)
            hold = backoff_after(seen, refused=refused, alone=alone)
            if hold > 0:
                entry.state.blocked_until = max(entry.state.blocked_until, now + hold)
            if refused and ticket is not None:  # the server did not count a request it refused
                entry.requests = deque(item for item in entry.requests if item[1] != ticket)

    def spend(self, pool: str, tokens: int) -> None:
        if tokens > 0:
            with self._guard:
                self._pool(pool).tokens.append((self.clock(), int(tokens)))

    def try_slot(self, pool: str, capacity: int, holder: str) -> Held | None:
        with self._guard:
            slots = self._pool(pool).slots
            if len(slots) >= capacity:
                return None
            slots.add(holder)
        return _Release(lambda: self._free_slot(pool, holder))

    def _free_slot(self, pool: str, holder: str) -> None:
        with self._guard:
            self._pool(pool).slots.discard(holder)

    def try_lock(self, key: str, holder: str) -> Held | None:
        with self._guard:
            if key in self._locks:
                return None
            self._locks[key] = holder
        return _Release(lambda: self.break_lock(key, holder))

    def lock_holder(self, key: str) -> str | None:
        with self._guard:
            return self._locks.get(key)

    def break_lock(self, key: str, holder: str) -> bool:
        with self._guard:
            if self._locks.get(key) != holder:
                return False
            del self._locks[key]
            return True
