"""Concurrent turns per pool (``max_concurrent_turns``): a turn holds one slot from start to end.

A slot is taken before the turn's first request and released when the turn ends, however it
ends; a dead worker's slot is freed at once on its own host and otherwise when its lease ends
(Redis) or its session does (PostgreSQL). Waiting for a slot is bounded by the turn's deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from openaiassistant.coordination.base import Store
from openaiassistant.coordination.gate import Waiter
from openaiassistant.coordination.worker import holder_id
from openaiassistant.errors import TurnTimeoutError

__all__ = ["turn_slot"]

FIRST_WAIT, MAX_WAIT = 0.05, 1.0


@contextmanager
def turn_slot(*, store: Store, pool: str, capacity: int, deadline: Waiter) -> Iterator[None]:
    holder, wait = holder_id(), FIRST_WAIT
    while True:
        held = store.try_slot(pool, capacity, holder)
        if held is not None:
            break
        left = deadline.remaining()
        if left is not None and left <= 0:
            raise TurnTimeoutError(
                f"the deadline passed while waiting for one of the {capacity} turn slots of pool {pool} "
                f"({store.name}); raise max_concurrent_turns or the turn's timeout"
            )
        deadline.sleep(wait if left is None else min(wait, left))
        wait = min(wait * 2, MAX_WAIT)
    try:
        yield
    finally:
        held.release()
