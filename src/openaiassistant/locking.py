"""The one interface of conversation locks: a leaf both ``engine/`` and ``coordination/`` import.

``engine/locks.py`` holds a conversation within this process (``InProcessLocks``, the table
``LOCKS``); ``coordination/locks.py`` holds it across processes through a store, after taking the
in-process lock. A turn takes whichever it is given through this interface, under its deadline.
This module imports only ``deadline.py``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from openaiassistant.deadline import Deadline

__all__ = ["ConversationLocks"]


class ConversationLocks(Protocol):
    """Holds one conversation of one server for a turn; waits no longer than ``deadline``
    (TurnTimeoutError) and not at all with ``fail_if_busy`` (``on_active_run=fail``:
    ActiveRunError)."""

    def hold(
        self, *, server: str, thread_id: str, deadline: Deadline, fail_if_busy: bool
    ) -> AbstractContextManager[None]: ...
