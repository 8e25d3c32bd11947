"""The emulator's clock: real time plus an offset that tests can move forward.

Everything time-driven (run and response lifecycles, run expiry, vector-store indexing,
timestamps) reads this clock, so ``EmulatorServer.advance_time(seconds)`` (or
``POST /_emulator/advance``) lets a test jump past a deadline instead of sleeping. Streams still
sleep in real time. The offset is per process (one emulator per process is the normal case).
"""

from __future__ import annotations

import time

_offset = 0.0


def monotonic() -> float:
    return time.monotonic() + _offset


def wall() -> float:
    return time.time() + _offset


def advance(seconds: float) -> None:
    """Move the emulator's clock forward (never back)."""
    global _offset
    if seconds < 0:
        raise ValueError("the emulator's clock only moves forward")
    _offset += float(seconds)


def reset() -> None:
    global _offset
    _offset = 0.0
