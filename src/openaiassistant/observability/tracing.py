"""OpenTelemetry spans for turns, model rounds, tool calls and HTTP requests.

Spans go to whatever tracer provider the process set up (Keep's own, the CLI's from the
``OTEL_*`` environment, a test's): this module only uses ``opentelemetry-api``, whose default
provider records nothing, so without an SDK every span here is a no-op.

    invoke_agent {agent}          one turn (Assistant.run_turn)            INTERNAL
    ├── chat {model}              one model round: start/submit -> outcome CLIENT
    │   └── <request>             one HTTP request of ours (transport.call), retries as events
    ├── execute_tool {tool}       one tool call                             INTERNAL
    │   └── (an HTTP tool's request carries this span's ``traceparent``)
    └── chat {model}              the next round ...

Tool arguments and results are recorded only when content capture is asked for
(``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``, the GenAI instrumentations'
switch), redacted and capped; secrets are never recorded.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from openaiassistant.errors import AssistantError
from openaiassistant.observability import attributes as attr
from openaiassistant.redaction import redact, redact_data

if TYPE_CHECKING:  # opentelemetry loads with the first span: `import openaiassistant.assistant` stays light
    from opentelemetry import trace
    from opentelemetry.trace import Span, SpanKind

__all__ = [
    "CONTENT_ENV",
    "TRACER_NAME",
    "capture_content",
    "clean",
    "error_status",
    "fail",
    "inject_context",
    "provider_name",
    "server_attributes",
    "set_attributes",
    "span",
    "tool_outcome",
    "tool_span",
    "tracer",
]

TRACER_NAME = "openaiassistant"
CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_CONTENT_ON = {"true", "1", "yes", "on", "span_only", "span_and_event"}
MAX_CONTENT_CHARS = 4000


_TRACER: trace.Tracer | None = None


def tracer() -> trace.Tracer:
    """Our tracer. Got once: before an SDK is set up it is the API's proxy, which hands over to
    the real provider as soon as one is set (Keep's, the CLI's, a test's)."""
    global _TRACER
    if _TRACER is None:
        from opentelemetry import trace

        from openaiassistant import __version__

        _TRACER = trace.get_tracer(TRACER_NAME, __version__)
    return _TRACER


@contextmanager
def span(name: str, *, kind: SpanKind | None = None, attributes: Mapping[str, Any] | None = None) -> Iterator[Span]:
    """A span that is current inside the block (``kind`` default: internal); an exception marks
    it failed (see :func:`fail`)."""
    from opentelemetry.trace import SpanKind

    with tracer().start_as_current_span(
        name,
        kind=SpanKind.INTERNAL if kind is None else kind,
        attributes=clean(attributes or {}),
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            fail(current, exc)
            raise


def fail(target: Span, exc: BaseException) -> None:
    """Mark ``target`` failed: ``error.type`` is our error kind (or the exception class), the
    description the redacted message. No stack trace: it is no part of what a user needs."""
    kind = exc.kind if isinstance(exc, AssistantError) else type(exc).__name__
    message = redact(str(exc))[:500]
    target.set_attribute(attr.ERROR_TYPE, kind)
    target.add_event("exception", {"exception.type": kind, "exception.message": message})
    error_status(target, message)


def error_status(target: Span, description: str) -> None:
    """Set ``target``'s status to ERROR with ``description``."""
    from opentelemetry.trace import Status, StatusCode

    target.set_status(Status(StatusCode.ERROR, description))


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes without the unknowns (OpenTelemetry refuses None values)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def set_attributes(target: Span, values: Mapping[str, Any]) -> None:
    if target.is_recording():
        target.set_attributes(clean(values))


def provider_name(*, azure: bool) -> str:
    return "azure.ai.openai" if azure else "openai"


def server_attributes(url: str | None) -> dict[str, Any]:
    """``server.address`` and ``server.port`` of a base URL (OpenAI's when none is given)."""
    return dict(_server_attributes(url or "https://api.openai.com/v1"))


@functools.lru_cache(maxsize=64)
def _server_attributes(url: str) -> tuple[tuple[str, Any], ...]:  # once per URL, not per request
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return ((attr.SERVER_ADDRESS, parts.hostname), (attr.SERVER_PORT, port))


def capture_content() -> bool:
    """Whether tool arguments and results may be recorded (off unless asked for)."""
    return os.environ.get(CONTENT_ENV, "").strip().lower() in _CONTENT_ON


def content(value: Any) -> str:
    """A value as recorded under content capture: redacted, JSON text, capped."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return redact(value)[:MAX_CONTENT_CHARS]
    return json.dumps(redact_data(value), ensure_ascii=False, default=str)[:MAX_CONTENT_CHARS]


def inject_context(headers: MutableMapping[str, str]) -> None:
    """Add the current span's context to outgoing headers: whatever the process's propagator
    writes (``OTEL_PROPAGATORS``; Keep sets Cloud Trace's), and W3C ``traceparent`` always.
    Nothing is added outside a valid span (no SDK: no span context)."""
    from opentelemetry import trace

    if not trace.get_current_span().get_span_context().is_valid:
        return
    # imported here: opentelemetry.propagate reads its propagators from entry points at import
    # (tens of ms), and only the HTTP and MCP tools send our context on
    from opentelemetry import propagate
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    propagate.inject(headers)
    if not any(key.lower() == "traceparent" for key in headers):
        TraceContextTextMapPropagator().inject(headers)


@contextmanager
def tool_span(*, name: str, call_id: str, description: str | None = None, arguments: str = "") -> Iterator[Span]:
    """``execute_tool {name}``: one tool call, current inside the block (so an HTTP tool's
    request carries it as ``traceparent``). :func:`tool_outcome` records how it ended."""
    values: dict[str, Any] = {
        attr.OPERATION: "execute_tool",
        attr.TOOL_NAME: name,
        attr.TOOL_CALL_ID: call_id,
        attr.TOOL_TYPE: "function",
        attr.TOOL_DESCRIPTION: (description or "")[:300],
    }
    if capture_content():
        values[attr.TOOL_CALL_ARGUMENTS] = content(arguments)
    with span(f"execute_tool {name}", attributes=values) as current:
        yield current


def tool_outcome(target: Span, *, outcome: str, error: str | None = None, output: str | None = None) -> None:
    """How a tool call ended: ``ok``, ``error`` (the tool failed), ``timeout`` or ``rejected``
    (never ran: unknown tool, bad arguments, a full thread pool). A failed call is data for the
    model, so the span fails with ``error.type`` = the outcome and the redacted message."""
    if not target.is_recording():
        return
    target.set_attribute(attr.TOOL_OUTCOME, outcome)
    if output is not None and capture_content():
        target.set_attribute(attr.TOOL_CALL_RESULT, content(output))
    if outcome != "ok":
        target.set_attribute(attr.ERROR_TYPE, outcome)
        error_status(target, redact(error or outcome)[:500])
