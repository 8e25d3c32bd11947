"""The spans of a turn: ``invoke_agent`` for the whole turn, ``chat {model}`` per model round.

A model round runs from the request that starts it (a run/response, or the submission of tool
outputs) to the outcome that ends it (tool calls asked for, an answer, a failure); its polls
and stream reads are its children. The engine opens and closes rounds (:class:`RoundSpans`);
the facade wraps the turn (:func:`turn_span`) and fills it from the result (:func:`finish_turn`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from openaiassistant.observability import attributes as attr
from openaiassistant.observability.tracing import (
    clean,
    error_status,
    fail,
    server_attributes,
    set_attributes,
    span,
    tracer,
)
from openaiassistant.result import TurnResult, Usage

if TYPE_CHECKING:  # opentelemetry loads with the first span (see tracing)
    from opentelemetry.trace import Span

__all__ = ["RoundSpans", "TraceTarget", "finish_turn", "turn_span", "usage_attributes"]


@dataclass(frozen=True, kw_only=True)
class TraceTarget:
    """What every span of a turn says about where it goes."""

    provider: str  # gen_ai.provider.name
    server_url: str | None
    backend: str
    agent_id: str | None = None  # the Assistants assistant id
    agent_name: str | None = None

    def common(self) -> dict[str, Any]:
        return {attr.PROVIDER: self.provider, attr.BACKEND: self.backend, **server_attributes(self.server_url)}


def usage_attributes(usage: Usage | None) -> dict[str, Any]:
    if usage is None:
        return {}
    values: dict[str, Any] = {attr.USAGE_INPUT: usage.input_tokens, attr.USAGE_OUTPUT: usage.output_tokens}
    if usage.cached_tokens:
        values[attr.USAGE_CACHE_READ] = usage.cached_tokens
    if usage.cache_write_tokens:
        values[attr.USAGE_CACHE_CREATION] = usage.cache_write_tokens
    if usage.reasoning_tokens:
        values[attr.USAGE_REASONING] = usage.reasoning_tokens
    return values


@contextmanager
def turn_span(
    target: TraceTarget, *, model: str | None, thread_id: str | None, tags: Mapping[str, Any] | None
) -> Iterator[Span]:
    """``invoke_agent {name}`` around one turn; an exception marks it failed."""
    name = target.agent_name or target.agent_id or model
    tags = tags or {}
    values = {
        attr.OPERATION: "invoke_agent",
        **target.common(),
        attr.AGENT_ID: target.agent_id,
        attr.AGENT_NAME: target.agent_name,
        attr.REQUEST_MODEL: model,
        attr.CONVERSATION_ID: thread_id,
        attr.KEEP_TENANT: _text(tags.get("tenant")),
        attr.KEEP_WORKFLOW: _text(tags.get("workflow")),
        attr.WORKFLOW_NAME: _text(tags.get("workflow")),
        attr.ALERT_FINGERPRINT: _text(tags.get("alert_fingerprint")),
    }
    with span(f"invoke_agent {name}" if name else "invoke_agent", attributes=values) as current:
        try:
            yield current
        except BaseException as exc:
            # whatever the error knows about the turn (it was attached at the engine's boundary)
            set_attributes(
                current,
                {
                    attr.CONVERSATION_ID: getattr(exc, "thread_id", None),
                    attr.RUN_ID: getattr(exc, "run_id", None),
                    attr.STATUS: getattr(exc, "status", None),
                },
            )
            raise


def finish_turn(target: Span, result: TurnResult) -> None:
    """The turn span's end: ids, status, usage summed over rounds, cost."""
    set_attributes(
        target,
        {
            attr.CONVERSATION_ID: result.thread_id,
            attr.RESPONSE_ID: result.response_id,
            attr.RUN_ID: result.run_id,
            attr.RESPONSE_MODEL: result.model,
            attr.STATUS: result.status,
            attr.COST_USD: result.cost_usd,
            attr.BUDGET_LIMIT: result.incomplete_reason if result.status == "budget_exceeded" else None,
            **usage_attributes(result.usage),
        },
    )


class RoundSpans:
    """The open ``chat`` span of a turn, at most one at a time, current while it is open."""

    def __init__(self, target: TraceTarget, *, request: Mapping[str, Any]) -> None:
        self.target = target
        self.request = clean(request)  # gen_ai.request.* of this turn's run controls
        self._span: Span | None = None
        self._token: Any = None  # a context Token (typed differently across opentelemetry-api versions)

    def open(self, *, model: str | None, thread_id: str | None) -> None:
        """A model round begins: its request is about to be sent."""
        self.abort(None)  # (a round left open by a failed start)
        values = {
            attr.OPERATION: "chat",
            **self.target.common(),
            attr.REQUEST_MODEL: model,
            attr.CONVERSATION_ID: thread_id,
            **self.request,
        }
        from opentelemetry import context as otel_context
        from opentelemetry import trace

        self._span = tracer().start_span(
            f"chat {model}" if model else "chat", kind=trace.SpanKind.CLIENT, attributes=clean(values)
        )
        self._token = otel_context.attach(trace.set_span_in_context(self._span))

    def close(
        self,
        *,
        response_id: str | None,
        model: str | None,
        usage: Usage | None,
        finish_reason: str,
        cost: Decimal | None,
        error: str | None = None,
    ) -> None:
        """The round's outcome arrived (``error``: the server's code when it failed)."""
        current = self._span
        if current is None:
            return
        set_attributes(
            current,
            {
                attr.RESPONSE_ID: response_id,
                attr.RESPONSE_MODEL: model,
                attr.RESPONSE_FINISH_REASONS: (finish_reason,),
                attr.COST_USD: float(round(cost, 8)) if cost is not None and usage is not None else None,
                **usage_attributes(usage),
            },
        )
        if error is not None:
            current.set_attribute(attr.ERROR_TYPE, error)
            error_status(current, error)
        self._end()

    def abort(self, exc: BaseException | None) -> None:
        """The turn stopped while a round was open (an exception, the deadline)."""
        current = self._span
        if current is None:
            return
        if exc is not None:
            fail(current, exc)
        self._end()

    def _end(self) -> None:
        assert self._span is not None
        self._span.end()
        if self._token is not None:
            from opentelemetry import context as otel_context

            otel_context.detach(self._token)
        self._span, self._token = None, None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
