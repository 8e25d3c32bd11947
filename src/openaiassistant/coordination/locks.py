"""Conversation locks across processes, a ``locking.ConversationLocks`` as ``engine/locks.py`` is.

    locks = SharedConversationLocks(store=store, local=LOCKS)
    with locks.hold(server=..., thread_id=..., deadline=deadline, fail_if_busy=False):
        ...  # no other worker of any process runs a turn on this conversation

The turn first takes this process's own lock (threads queue there, not on the store), then the
store's: a Redis lease or a PostgreSQL advisory lock. Waiting is bounded by the turn's deadline;
``fail_if_busy`` (``on_active_run=fail``) does not wait. A lock held by a worker that has died
is broken at once when the worker ran on this host, and ends with its lease otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from openaiassistant.coordination.base import Held, Store
from openaiassistant.coordination.worker import holder_id, is_dead
from openaiassistant.deadline import Deadline
from openaiassistant.errors import ActiveRunError, TurnTimeoutError
from openaiassistant.locking import ConversationLocks

__all__ = ["SharedConversationLocks", "conversation_key"]

FIRST_WAIT, MAX_WAIT = 0.05, 1.0


def conversation_key(server: str, thread_id: str) -> str:
    """The store's name for a conversation's lock (the server's URL is not spelled out)."""
    return hashlib.sha256(f"{server}\0{thread_id}".encode()).hexdigest()[:32]


class SharedConversationLocks:
    def __init__(self, *, store: Store, local: ConversationLocks) -> None:
        self.store = store
        self.local = local

    @contextmanager
    def hold(self, *, server: str, thread_id: str, deadline: Deadline, fail_if_busy: bool) -> Iterator[None]:
        with self.local.hold(server=server, thread_id=thread_id, deadline=deadline, fail_if_busy=fail_if_busy):
            held = self._acquire(conversation_key(server, thread_id), thread_id, deadline, fail_if_busy)
            try:
                yield
            finally:
                held.release()

    def _acquire(self, key: str, thread_id: str, deadline: Deadline, fail_if_busy: bool) -> Held:
        holder, wait = holder_id(), FIRST_WAIT
        while True:
            held = self.store.try_lock(key, holder)
            if held is not None:
                return held
            other = self.store.lock_holder(key)
            if other and is_dead(other) and self.store.break_lock(key, other):
                continue  # its worker died on this host: the lock is free now
            if fail_if_busy:
                raise ActiveRunError(
                    f"conversation {thread_id} is busy with a turn of another worker"
                    f"{f' ({other})' if other else ''} (on_active_run=fail; use wait or cancel)",
                    thread_id=thread_id,
                )
            left = deadline.remaining()
            if left is not None and left <= 0:
                raise TurnTimeoutError(
                    f"the deadline passed while waiting for another worker's turn on conversation {thread_id}"
                    f" (lock in {self.store.name})",
                    thread_id=thread_id,
                )
            deadline.sleep(wait if left is None else min(wait, left))
            wait = min(wait * 2, MAX_WAIT)
