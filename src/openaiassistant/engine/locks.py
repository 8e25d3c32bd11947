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


class ConversationLocks:
    """One lock per (server, conversation), created on first use."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}

    def _lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    @contextmanager
    def hold(self, *, server: str, thread_id: str, deadline: Deadline, fail_if_busy: bool) -> Iterator[None]:
        """Hold the conversation for this turn; ``fail_if_busy`` is ``on_active_run=fail``."""
        lock = self._lock((server, thread_id))
        if fail_if_busy:
            if not lock.acquire(blocking=False):
                raise ActiveRunError(
                    f"conversation {thread_id} is busy with another turn of this process", thread_id=thread_id
                )
        else:
            left = deadline.remaining()
            if not lock.acquire(timeout=-1 if left is None else max(left, 0.0)):
                raise TurnTimeoutError(
                    f"the deadline passed while waiting for another turn on conversation {thread_id}",
                    thread_id=thread_id,
                )
        try:
            yield
        finally:
            lock.release()


LOCKS = ConversationLocks()
