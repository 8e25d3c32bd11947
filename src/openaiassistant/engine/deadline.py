"""One deadline for the whole turn, and the waits that live under it.

The clock and the sleep are injectable so tests never wait on wall clocks. ``request_timeout``
gives each HTTP request the smaller of the connection's request timeout and what is left of
the turn, so a request that would outlive the turn is cut off by the transport itself.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], None]
Clock = Callable[[], float]

# Polling without a server hint: start fast, back off to a ceiling that grows with the time
# already waited. A fixed high ceiling overshoots short runs (a 2 s run polled at 0.1 s x 1.5^n is
# seen done at ~2.1-3.2 s); a fixed low one floods long runs with requests. Waiting at most
# POLL_SHARE of the time already spent keeps the overshoot proportional to the run's length.
POLL_FIRST = 0.1
POLL_FACTOR = 1.5
POLL_MIN_CEILING = 0.4
POLL_SHARE = 0.25
POLL_MAX = 2.0


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
        self.sleep(max(0.0, seconds if left is None else min(seconds, left)))
        return not self.expired


def backoff(attempt: int, *, base: float = 0.5, ceiling: float = 8.0) -> float:
    """Exponential backoff with jitter for retry ``attempt`` (0-based)."""
    delay = min(ceiling, base * (2**attempt))
    return delay * (0.75 + random.random() * 0.5)


class PollSchedule:
    """Poll intervals: the server's hint when it gives one, else fast first, then backing off."""

    def __init__(self) -> None:
        self._next = POLL_FIRST
        self._waited = 0.0

    def next_delay(self, hint: float | None) -> float:
        if hint is not None and hint >= 0:
            self._waited += hint
            return hint
        ceiling = min(POLL_MAX, max(POLL_MIN_CEILING, self._waited * POLL_SHARE))
        delay = min(self._next, ceiling)
        self._next = delay * POLL_FACTOR
        self._waited += delay
        return delay
