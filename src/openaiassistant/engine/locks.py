"""In-process serialization of turns on one conversation.

The server rejects a second run on a conversation while one is active; two turns from the same
process on the same conversation would otherwise race into that error. The table is process-wide
on purpose (two ``Assistant`` objects can share a conversation), keyed by server and thread id.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from openaiassistant.deadline import Deadline
from openaiassistant.errors import ActiveRunError, TurnTimeoutError

__all__ = ["LOCKS", "InProcessLocks"]


class InProcessLocks:
    """One lock per (server, conversation) while any turn holds or waits for it (a
    ``locking.ConversationLocks``).

    An entry lives only while it is in use (a count of holders and waiters), so a process that
    runs turns on a million conversations does not keep a million locks.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], tuple[threading.Lock, int]] = {}

    def __len__(self) -> int:
        """Conversations some turn of this process holds or waits for right now."""
        with self._guard:
            return len(self._locks)

    def _enter(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key) or (threading.Lock(), 0)
            self._locks[key] = (lock, users + 1)
            return lock

    def _leave(self, key: tuple[str, str]) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @contextmanager
    def hold(self, *, server: str, thread_id: str, deadline: Deadline, fail_if_busy: bool) -> Iterator[None]:
        """Hold the conversation for this turn; ``fail_if_busy`` is ``on_active_run=fail``."""
        key = (server, thread_id)
        lock = self._enter(key)
        try:
            self._acquire(lock, thread_id=thread_id, deadline=deadline, fail_if_busy=fail_if_busy)
            try:
                yield
            finally:
                lock.release()
        finally:
            self._leave(key)

    @staticmethod
    def _acquire(lock: threading.Lock, *, thread_id: str, deadline: Deadline, fail_if_busy: bool) -> None:
        if fail_if_busy:
            if not lock.acquire(blocking=False):
                raise ActiveRunError(
                    f"conversation {thread_id} is busy with another turn of this process", thread_id=thread_id
                )
            return
        left = deadline.remaining()
        if not lock.acquire(timeout=-1 if left is None else max(left, 0.0)):
            raise TurnTimeoutError(
                f"the deadline passed while waiting for another turn on conversation {thread_id}",
                thread_id=thread_id,
            )


LOCKS = InProcessLocks()
