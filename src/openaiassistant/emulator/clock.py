"""The emulator's clock: real time plus an offset that tests can move forward.

Everything time-driven (run and response lifecycles, run expiry, vector-store indexing,
timestamps) reads the clock of its own emulator, so ``EmulatorServer.advance_time(seconds)`` (or
``POST /_emulator/advance``) lets a test jump past a deadline instead of sleeping, without moving
any other emulator in the process. Streams still sleep in real time. The time sources are
injectable (``Clock(monotonic=..., wall=...)``) for tests that want a clock of their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Clock"]


class Clock:
    """One emulator's time: ``monotonic`` for deadlines, ``wall``/``now`` for timestamps."""

    def __init__(
        self, *, monotonic: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()  # the test thread advances while the server thread reads
        self._offset = 0.0

    def monotonic(self) -> float:
        return self._monotonic() + self._offset

    def wall(self) -> float:
        return self._wall() + self._offset

    def now(self) -> int:
        """Unix seconds, as OpenAI's ``created_at`` & co."""
        return int(self.wall())

    def advance(self, seconds: float) -> None:
        """Move this clock forward (never back)."""
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward")
        with self._lock:
            self._offset += float(seconds)

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0
