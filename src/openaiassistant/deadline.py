"""One deadline for the whole turn: the leaf both the engine and the backends stand on.

The clock and the sleep are injectable so tests never wait on wall clocks. ``request_timeout``
gives each HTTP request the smaller of the connection's request timeout and what is left of
the turn, so a request that would outlive the turn is cut off by the transport itself.
This module imports nothing of the package: the seam (``backends.base``) takes a ``Deadline``
without the backends knowing the engine.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Clock", "Deadline", "Sleep", "backoff"]

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(kw_only=True)
class Deadline:
    """``timeout`` seconds from creation (``None``: no deadline)."""

    timeout: float | None
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float | None:
        if self.timeout is None:
            return None
        return self.timeout - (self.clock() - self.started)

    @property
    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def monotonic_at(self) -> float | None:
        """The deadline as a ``time.monotonic()`` value (what Toolset.execute_round takes)."""
        left = self.remaining()
        return None if left is None else time.monotonic() + max(left, 0.0)

    def request_timeout(self, ceiling: float) -> tuple[float, bool]:
        """(timeout for the next request, whether the turn's deadline is what bounds it)."""
        left = self.remaining()
        if left is None or left >= ceiling:
            return ceiling, False
        return max(left, 0.05), True

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` but not past the deadline; False if the deadline is (now) reached."""
        left = self.remaining()
        if left is not None and left <= 0:
            return False
        if left is not None and seconds >= left:  # sleeping all that is left reaches the deadline
            self.sleep(left)
            return False
        self.sleep(max(0.0, seconds))
        return not self.expired


def backoff(attempt: int, *, base: float = 0.5, ceiling: float = 8.0) -> float:
    """Exponential backoff with jitter for retry ``attempt`` (0-based)."""
    delay = min(ceiling, base * (2**attempt))
    return delay * (0.75 + random.random() * 0.5)
