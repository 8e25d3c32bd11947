"""The rate limiter's decisions, as pure functions over one pool's state.

A pool (one API key, or a named pool) has:

* a **request log**: when each of its requests was sent, over the last :data:`WINDOW` seconds;
* a **token log**: tokens its turns used, over the same window;
* the **limits**: requests and tokens per minute, configured (``rpm`` / ``tpm``) or else learned
  from the server's ``x-ratelimit-limit-*`` headers;
* a **shared back-off**: an instant before which nobody in the pool sends, set by a 429's
  wait (``retry-after``, ``Please try again in 12.6s``) or by a response saying nothing is
  left (``x-ratelimit-remaining-*: 0``). A 429 seen by one worker slows them all. A 429 that
  names no wait does so only when it is the pattern (:func:`refusals_are_the_pattern`): a
  lone one is the refused request's own, and only it backs off.

:func:`wait_before` says how long a new request must wait; the stores (in-process, Redis,
PostgreSQL) apply it atomically and record the request when the wait is zero. The window is a
sliding minute plus :data:`MARGIN`, so a request is never sent the instant the server's own
minute ends (our clock and its clock see a request a few milliseconds apart).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openaiassistant.coordination.headers import ServerLimits

__all__ = [
    "MARGIN",
    "RECENT",
    "WINDOW",
    "Limits",
    "PoolState",
    "backoff_after",
    "refusals_are_the_pattern",
    "wait_before",
]

MARGIN = 0.25
WINDOW = 60.0 + MARGIN
# a 429 that says nothing, when it is the pattern: everyone waits as long as the refused
# request's own first retry (deadline.backoff's base, also the SDK's initial retry delay), no
# longer: a spent quota answers the retries with a 429 that names its wait
REFUSED_WITHOUT_HINT = 0.5
# how far back a worker looks at its own requests to judge a 429 that names no wait
RECENT = 5.0


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Configured limits (``None``: what the server's headers say, if anything)."""

    rpm: int | None = None
    tpm: int | None = None


@dataclass(kw_only=True)
class PoolState:
    """What a store keeps for a pool besides its logs."""

    blocked_until: float = 0.0
    limit_requests: int | None = None
    limit_tokens: int | None = None

    def learn(self, seen: ServerLimits) -> None:
        if seen.limit_requests:
            self.limit_requests = seen.limit_requests
        if seen.limit_tokens:
            self.limit_tokens = seen.limit_tokens


def wait_before(
    *,
    now: float,
    state: PoolState,
    limits: Limits,
    requests: Sequence[float],
    tokens: Sequence[tuple[float, int]],
    ignore_backoff: bool = False,
) -> float:
    """Seconds a new request must wait (0: send now). ``requests`` are send times and
    ``tokens`` (time, tokens) pairs, oldest first, already trimmed to the window."""
    wait = 0.0 if ignore_backoff else max(0.0, state.blocked_until - now)
    rpm = limits.rpm or state.limit_requests
    if rpm and len(requests) >= rpm:
        # the request that must leave the window before there is room for one more
        wait = max(wait, requests[len(requests) - rpm] + WINDOW - now)
    tpm = limits.tpm or state.limit_tokens
    if tpm:
        total = sum(n for _, n in tokens)
        for at, n in tokens:
            if total < tpm:
                break
            total -= n
            wait = max(wait, at + WINDOW - now)
    return max(0.0, wait)


def refusals_are_the_pattern(*, sent: int, refused: int) -> bool:
    """Whether a 429 that names no wait speaks for the pool: of the ``sent`` requests a worker
    sent over the last :data:`RECENT` seconds, ``refused`` (this one included) were refused.

    A spent limit refuses nearly everything, and its refusals come one after another; a 429 now
    and then among answered requests (a proxy or an overloaded server refusing at random) is
    the refused request's alone. Holding the whole pool for
    each of those would make every turn wait for the unlucky few: two refusals and at least
    half of the requests sent are the pattern, anything less is not.
    """
    return refused >= 2 and 2 * refused >= sent


def backoff_after(seen: ServerLimits, *, refused: bool, alone: bool = False) -> float:
    """How long the whole pool should hold back after this response (0: not at all).

    A refusal (429) holds the pool for the server's wait, or half a second when it named none;
    ``alone``: a refusal naming no wait that is not the pattern (see
    :func:`refusals_are_the_pattern`) holds nobody but the refused request, which backs off itself.
    A response that says a limit has nothing left holds it until one request's worth is back:
    the server's reset time is for the whole limit, so for requests it is divided by the limit
    (OpenAI's limits refill continuously); for tokens, what one request needs is unknown, and
    the whole reset is waited.
    """
    if refused:
        if seen.retry_after is not None:
            return seen.retry_after
        return 0.0 if alone else REFUSED_WITHOUT_HINT
    hold = 0.0
    if seen.remaining_requests == 0 and seen.reset_requests:
        hold = seen.reset_requests / max(seen.limit_requests or 1, 1)
    if seen.remaining_tokens == 0 and seen.reset_tokens:
        hold = max(hold, seen.reset_tokens)
    return hold
