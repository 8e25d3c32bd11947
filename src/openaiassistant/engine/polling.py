"""When to poll: the server's hint, else a plan learned from this assistant's runs, else back-off.

Three layers, one module:

* :class:`PollBackoff`, the generic waits. Without a server hint start fast, back off to a
  ceiling that grows with the time already waited: a fixed high ceiling overshoots short runs
  (a 2 s run polled at 0.1 s x 1.5^n is seen done at ~2.1-3.2 s); a fixed low one floods long
  runs with requests. Waiting at most ``POLL_SHARE`` of the time already spent keeps the
  overshoot proportional to the run's length.
* :class:`RunTimes`, the recent durations of each kind of phase (a run's start, a run continued
  after tool outputs) of one assistant. Polling every second (the SDK helper) sees a run ~0.5 s
  after it ended; polling fast costs a request per tick. Runs of one assistant take similar
  times, so
* :class:`PhasePolls` polls at the quantiles of that distribution: where runs actually end,
  polls are dense; where none ever ended, there are none. With ``POINTS`` quantiles a run is seen
  done on average 1/(2*POINTS) of the spread of durations after it ended, with at most
  ``POINTS + 1`` polls inside that spread.

A phase that outlives every recorded duration searches on from the plan's end: waits start at
the plan's typical spacing and grow by ``POLL_FACTOR`` up to the generic ceiling (a share of the
time already spent). No wait ever exceeds ``POLL_MAX``, so stale history (runs got faster) costs
at most that. Streamed phases are recorded too (their end is seen exactly), so a connection that
switches to polling starts with a plan.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque

from openaiassistant.deadline import Clock

__all__ = [
    "MIN_SAMPLES",
    "POINTS",
    "POLL_FIRST",
    "POLL_MAX",
    "POLL_MIN_CEILING",
    "POLL_SHARE",
    "PhasePolls",
    "PollBackoff",
    "RunTimes",
    "shared_run_times",
]

# the generic back-off (see the module docstring)
POLL_FIRST = 0.1
POLL_FACTOR = 1.5
POLL_MIN_CEILING = 0.4
POLL_SHARE = 0.25
POLL_MAX = 2.0

POINTS = 8  # quantiles polled inside the spread of recent durations
MIN_SAMPLES = 4  # fewer recorded phases: the generic schedule
HISTORY = 64  # recent phases kept per kind
MIN_GAP = 0.03  # polls closer than this are merged


class PollBackoff:
    """The generic waits: the server's hint when it gives one, else fast first, then backing off
    (the waits for someone else's run, and a phase without a learned plan)."""

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


class RunTimes:
    """Recent phase durations (seconds) per kind; shared by the turns of one Assistant."""

    def __init__(self, size: int = HISTORY) -> None:
        self._size = size
        self._times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def record(self, kind: str, seconds: float) -> None:
        if seconds < 0:
            return
        with self._lock:
            self._times.setdefault(kind, deque(maxlen=self._size)).append(seconds)

    def plan(self, kind: str, points: int = POINTS) -> list[float] | None:
        """Offsets from the phase's start to poll at, or None without enough history."""
        with self._lock:
            times = sorted(self._times.get(kind, ()))
        if len(times) < MIN_SAMPLES:
            return None
        offsets: list[float] = []
        for i in range(points + 1):
            value = _quantile(times, i / points)
            if not offsets or value - offsets[-1] >= MIN_GAP:
                offsets.append(value)
        return offsets


def _typical_gap(plan: list[float]) -> float:
    """The median spacing of a plan's polls (at least ``MIN_GAP``)."""
    gaps = sorted(b - a for a, b in itertools.pairwise(plan))
    return max(MIN_GAP, gaps[len(gaps) // 2]) if gaps else POLL_MIN_CEILING


def _quantile(ordered: list[float], q: float) -> float:
    """Linear-interpolated quantile of a sorted, non-empty list."""
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


class PhasePolls:
    """The waits of one phase: the server's hint, else the learned plan, else the generic one."""

    def __init__(self, *, clock: Clock, started: float, plan: list[float] | None, kind: str = "") -> None:
        self.kind = kind  # what RunTimes files this phase's duration under
        self._clock = clock
        self._started = started
        self._plan = list(plan or [])
        self._learned = plan is not None
        self._tail = _typical_gap(self._plan)  # the first wait past the plan's end
        self._generic = PollBackoff()
        self.last_delay = 0.0
        self._last_poll: float | None = None  # when the latest poll was sent

    def elapsed(self) -> float:
        return self._clock() - self._started

    def next_delay(self, hint: float | None) -> float:
        self.last_delay = self._next(hint)
        return self.last_delay

    def _next(self, hint: float | None) -> float:
        if hint is not None and hint >= 0 or not self._learned:
            return self._generic.next_delay(hint)
        elapsed = self.elapsed()
        while self._plan and self._plan[0] <= elapsed + MIN_GAP / 2:
            self._plan.pop(0)
        if self._plan:
            return min(self._plan[0] - elapsed, POLL_MAX)
        # longer than every recorded phase: search on from the plan's spacing, backing off
        delay = min(self._tail, POLL_MAX, max(POLL_MIN_CEILING, elapsed * POLL_SHARE))
        self._tail = delay * POLL_FACTOR
        return delay

    def polling(self) -> None:
        """Note that a poll is being sent now."""
        self._last_poll = self._clock()

    def duration(self) -> float:
        """The phase's length as best known: exact when its end was streamed; when a poll saw it,
        the end lies within the wait before that poll was sent, taken at its middle (not when the
        answer came back: its round trip and the fetch of the answer are no part of the run)."""
        if self._last_poll is None:
            return self.elapsed()
        return self._last_poll - self._started - self.last_delay / 2


_SHARED: dict[tuple, RunTimes] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_MAX = 256


def shared_run_times(key: tuple) -> RunTimes:
    """One RunTimes per assistant (server, backend, assistant or model), so that assistants
    rebuilt for every workflow step (Keep) still learn from earlier steps; bounded."""
    with _SHARED_LOCK:
        times = _SHARED.get(key)
        if times is None:
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.pop(next(iter(_SHARED)))
            times = _SHARED[key] = RunTimes()
        return times
