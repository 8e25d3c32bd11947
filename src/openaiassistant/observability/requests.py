"""A span per request of ours to the API, with each retry as an event.

:func:`traced_request` decorates ``backends.transport.call`` (one line there, so the retry
loop stays the transport's own): the span covers every attempt of one logical request, each
attempt after the first adds a ``retry`` event naming why the previous one failed, and
``http.request.resend_count`` says how many were sent again. A streamed answer is read after
the span ends (the span covers the request until its response began).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from openaiassistant.observability import attributes as attr
from openaiassistant.observability.tracing import server_attributes, span

if TYPE_CHECKING:  # opentelemetry loads with the first span (see tracing)
    from opentelemetry.trace import Span

__all__ = ["traced_request"]

T = TypeVar("T")
Call = TypeVar("Call", bound=Callable[..., Any])


def traced_request(call: Call) -> Call:
    """Wrap ``call(fn, *, settings, what, ...)`` so that each call is one span."""

    @functools.wraps(call)
    def traced(fn: Callable[[float], T], *args: Any, settings: Any, what: str, **kwargs: Any) -> T:
        from opentelemetry.trace import SpanKind

        url = getattr(settings, "base_url", None) or getattr(settings, "azure_endpoint", None)
        with span(what, kind=SpanKind.CLIENT, attributes={attr.OPERATION_DETAIL: what, **server_attributes(url)}) as s:
            attempts = _Attempts(fn, s)
            result = call(attempts, *args, settings=settings, what=what, **kwargs)
            if attempts.sent > 1:
                s.set_attribute(attr.HTTP_RESEND_COUNT, attempts.sent - 1)
            return result

    return traced  # type: ignore[return-value]


class _Attempts:
    """``fn`` as the retry loop calls it: counts attempts and remembers why each one failed."""

    def __init__(self, fn: Callable[[float], Any], target: Span) -> None:
        self.fn = fn
        self.span = target
        self.sent = 0
        self.last_failure: str | None = None

    def __call__(self, timeout: float) -> Any:
        if self.sent:
            self.span.add_event(
                attr.RETRY_EVENT, {"attempt": self.sent + 1, "previous_failure": self.last_failure or "unknown"}
            )
        self.sent += 1
        try:
            return self.fn(timeout)
        except Exception as exc:
            status = getattr(exc, "status_code", None)
            if isinstance(status, int):
                self.span.set_attribute(attr.HTTP_STATUS, status)
                self.last_failure = f"HTTP {status}"
            else:
                self.last_failure = type(exc).__name__
            raise
