"""What a server says about its rate limits, read from one response.

OpenAI (and compatible servers) send on every response::

    x-ratelimit-limit-requests: 60          x-ratelimit-limit-tokens: 150000
    x-ratelimit-remaining-requests: 59      x-ratelimit-remaining-tokens: 149984
    x-ratelimit-reset-requests: 1s          x-ratelimit-reset-tokens: 6m0s

and on a 429 the body says how long to wait, in words::

    Rate limit reached for gpt-4o-mini in organization org-... on requests per min (RPM):
    Limit 60, Used 60, Requested 1. Please try again in 12.6s. Visit https://...

sometimes with ``retry-after`` / ``retry-after-ms`` headers too. Durations come in Go's format
(``20ms``, ``1.5s``, ``6m0s``, ``1h2m3s``). :func:`read_limits` turns all of it into one
:class:`ServerLimits`; anything missing or malformed is ``None`` (never an error: a server that
sends no such headers is simply not limited by them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ServerLimits", "parse_duration", "read_limits", "wait_in_message"]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
# "Please try again in 12.6s." / "try again in 1m30s" / "Try again in 20ms"
_TRY_AGAIN = re.compile(r"(?i)try again in\s+((?:\d+(?:\.\d+)?(?:ms|us|µs|ns|h|m|s)\s*)+)")
_TOKENS_LIMIT = re.compile(r"(?i)\btokens per (?:min|minute|day)\b|\(TPM\)|\(TPD\)")
_MAX_WAIT = 24 * 3600.0  # a hint beyond a day is not a hint


@dataclass(frozen=True, kw_only=True)
class ServerLimits:
    """One response's view of the account's limits (``None``: the server did not say)."""

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests: float | None = None  # seconds until the request limit is back to full
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens: float | None = None
    retry_after: float | None = None  # seconds the server asks us to wait (429/503 only)
    tokens_refused: bool = False  # the 429 was about tokens per minute, not requests

    @property
    def known(self) -> bool:
        return any(
            value is not None
            for value in (
                self.limit_requests,
                self.remaining_requests,
                self.limit_tokens,
                self.remaining_tokens,
                self.retry_after,
            )
        )


def parse_duration(text: str | None) -> float | None:
    """Seconds in ``text``: Go durations (``6m0s``, ``20ms``) or a plain number of seconds."""
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        pieces = _DURATION_PART.findall(text)
        if not pieces or "".join(n + u for n, u in pieces) != text.replace(" ", ""):
            return None
        value = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in pieces)
    return value if 0 <= value <= _MAX_WAIT else None


def wait_in_message(message: str | None) -> float | None:
    """The wait a 429's message asks for ("Please try again in 12.6s."), in seconds."""
    match = _TRY_AGAIN.search(message or "")
    return parse_duration(match.group(1).replace(" ", "")) if match else None


def read_limits(headers: Mapping[str, str] | Any, *, message: str | None = None) -> ServerLimits:
    """Everything ``headers`` (any case-insensitive mapping, e.g. httpx's) and a refusal's
    ``message`` say about the limits. The wait is the longest of what the server said in
    ``retry-after-ms``, ``retry-after`` and the message, so no hint is cut short."""
    if not message and not _mentions_limits(headers):  # most responses of most servers: nothing to read
        return ServerLimits()
    get = (lambda name: headers.get(name)) if headers is not None else (lambda name: None)
    waits = [
        w
        for w in (
            _scaled(get("retry-after-ms"), 0.001),
            _scaled(get("retry-after"), 1.0),
            wait_in_message(message),
        )
        if w is not None
    ]
    return ServerLimits(
        limit_requests=_count(get("x-ratelimit-limit-requests")),
        remaining_requests=_count(get("x-ratelimit-remaining-requests")),
        reset_requests=parse_duration(get("x-ratelimit-reset-requests")),
        limit_tokens=_count(get("x-ratelimit-limit-tokens")),
        remaining_tokens=_count(get("x-ratelimit-remaining-tokens")),
        reset_tokens=parse_duration(get("x-ratelimit-reset-tokens")),
        retry_after=max(waits) if waits else None,
        tokens_refused=bool(message and _TOKENS_LIMIT.search(message)),
    )


_LIMIT_HEADERS = ("retry-after", "x-ratelimit-")


def _mentions_limits(headers: Any) -> bool:
    """Whether any header could be one read_limits reads (one pass over the names, instead of
    eight case-insensitive lookups of headers that are not there)."""
    if headers is None:
        return False
    keys = getattr(headers, "keys", None)
    if keys is None:
        return True
    return any(str(name).lower().startswith(_LIMIT_HEADERS) for name in keys())


def _count(raw: Any) -> int | None:
    """A non-negative count; Azure sends -1 for "not reported", which is None here."""
    try:
        value = int(float(str(raw).strip()))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _scaled(raw: Any, scale: float) -> float | None:
    if raw is None:
        return None
    try:
        value = float(str(raw).strip()) * scale
    except ValueError:
        return None  # an HTTP date in retry-after: rare from API servers, not worth a parser
    return value if 0 <= value <= _MAX_WAIT else None
