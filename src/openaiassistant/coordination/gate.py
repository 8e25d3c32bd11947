"""The rate gate every request passes (``backends/transport.py: call`` consults and feeds it).

    ticket = gate.admit(deadline, what="create response")   # waits for a slot in the pool
    ...send...
    gate.observe(headers)                                    # learned limits, shared back-off
    gate.observe(headers, message=..., refused=True, ticket=ticket)   # a 429

A 429 that names no wait holds the pool only when this worker's own recent requests show it is
the pattern (``window.refusals_are_the_pattern``); a lone one backs off the refused request only.
A wait the turn's deadline cannot hold fails at once (no sleeping into a certain timeout). A
store that cannot be reached (Redis down) does not fail turns: the gate lets requests through
and warns once a minute, and the server's own 429s still slow the worker down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from openaiassistant.coordination.base import Admission, Store
from openaiassistant.coordination.headers import ServerLimits, read_limits
from openaiassistant.coordination.window import RECENT, Limits, refusals_are_the_pattern
from openaiassistant.errors import ServerUnavailableError
from openaiassistant.redaction import redact

__all__ = ["RateGate", "Waiter", "observe_response", "watching"]

log = logging.getLogger("openaiassistant.coordination")
_WARN_EVERY = 60.0
_LET_THROUGH = Admission(0.0)  # what an unreachable store answers: send
_KEPT = 512  # the newest sends and refusals a gate keeps to judge a 429 that names no wait


class Waiter(Protocol):
    """What the gate needs of a turn's deadline (``openaiassistant.deadline.Deadline`` fits)."""

    def remaining(self) -> float | None: ...

    def sleep(self, seconds: float) -> None: ...


class RateGate:
    """One pool's requests through one store."""

    def __init__(self, *, store: Store, pool: str, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.pool = pool
        self.limits = limits
        self.clock = clock
        self._warned = 0.0
        self._warn_lock = threading.Lock()
        # this worker's own evidence (appends are atomic; read only when a 429 names no wait)
        self._sent: deque[float] = deque(maxlen=_KEPT)
        self._refused: deque[float] = deque(maxlen=_KEPT)

    def admit(self, deadline: Waiter, *, what: str, after_refusal: bool = False) -> str | None:
        """Wait until the pool may send one more request; the request's ticket.

        ``after_refusal``: the caller has just waited out a 429's hint itself, so the back-off
        that same 429 set is not waited again (the request and token logs still are)."""
        while True:
            admission = self._ask(lambda: self.store.admit(self.pool, self.limits, ignore_backoff=after_refusal))
            if admission.wait <= 0:
                self._sent.append(self.clock())
                return admission.ticket
            left = deadline.remaining()
            if left is not None and admission.wait >= left:
                raise ServerUnavailableError(
                    f"{what}: the rate limit of pool {self.pool} ({self.store.name}) has no room for "
                    f"{admission.wait:.1f} s, more than the {max(left, 0.0):.1f} s left of the turn's deadline; "
                    "raise the turn's timeout, or lower the load (rpm / tpm / max_concurrent_turns)"
                )
            log.info("%s waits %.2fs for the rate limit of pool %s", what, admission.wait, self.pool)
            deadline.sleep(admission.wait)

    def observe(
        self, headers: Any, *, message: str | None = None, refused: bool = False, ticket: str | None = None
    ) -> ServerLimits:
        """Feed what a response said to the pool; returns it (``retry_after`` is the server's wait)."""
        seen = read_limits(headers, message=message)
        if seen.known or refused:
            alone = refused and not self._speaks_for_the_pool(hinted=seen.retry_after is not None)
            self._ask(
                lambda: self.store.observe(self.pool, seen, refused=refused, ticket=ticket, alone=alone), default=None
            )
        return seen

    def _speaks_for_the_pool(self, *, hinted: bool) -> bool:
        """Counts a refusal; one that names no wait is judged by this worker's last ``RECENT`` s."""
        now = self.clock()
        self._refused.append(now)
        if hinted:  # the server said how long: that is the pool's wait, whatever came before
            return True
        since = now - RECENT
        return refusals_are_the_pattern(
            sent=sum(1 for at in list(self._sent) if at >= since),
            refused=sum(1 for at in list(self._refused) if at >= since),
        )

    def spend(self, tokens: int) -> None:
        """Tokens a turn used, for the pool's tokens-per-minute log."""
        if tokens > 0:
            self._ask(lambda: self.store.spend(self.pool, tokens), default=None)

    def _ask(self, fn: Callable[[], Any], default: Any = _LET_THROUGH) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the limiter must never fail a turn
            self._warn(exc)
            return default

    def _warn(self, exc: Exception) -> None:
        with self._warn_lock:
            now = time.monotonic()
            if now - self._warned < _WARN_EVERY and self._warned:
                return
            self._warned = now
        log.warning(
            "the %s rate limiter is not reachable; requests go out unlimited until it is: %s",
            self.store.name,
            redact(f"{type(exc).__name__}: {exc}")[:300],
        )


# The gate of the request being sent in this thread: the SDK client's response hook feeds it the
# headers of every answer (parsed bodies keep none), while ``call`` feeds it the refusals.
_watched: ContextVar[RateGate | None] = ContextVar("openaiassistant_rate_gate", default=None)


@contextmanager
def watching(gate: RateGate) -> Iterator[None]:
    """Within this block, answers to this thread's requests teach ``gate`` (see observe_response)."""
    token = _watched.set(gate)
    try:
        yield
    finally:
        _watched.reset(token)


def observe_response(response: Any) -> None:
    """An httpx ``response`` event hook: a successful answer's ``x-ratelimit-*`` headers go to
    the gate of the request (errors are observed by ``call``, with their message)."""
    gate = _watched.get()
    if gate is not None and getattr(response, "status_code", 500) < 400:
        gate.observe(response.headers)
