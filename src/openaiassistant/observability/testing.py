"""Capture this package's spans in tests (needs ``opentelemetry-sdk``: the ``otel`` extra).

    from openaiassistant.observability.testing import SpanCapture

    def test_turn_is_traced():
        with SpanCapture.install() as capture:
            assistant.run_turn("Disk full on db-1")
        turn = capture.one("invoke_agent")
        assert turn.attributes["gen_ai.usage.input_tokens"] > 0

A process has one global tracer provider, set at most once. :meth:`SpanCapture.install`
sets an SDK provider with the SDK's in-memory exporter when none is set yet (sampling only
while a capture is open, so other tests pay nothing), or adds its exporter to an SDK provider
someone else set. Captures do not nest.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any, ClassVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

__all__ = ["SpanCapture"]


class _WhileOpen(Sampler):
    """Record spans only while a capture is open."""

    def __init__(self) -> None:
        self.open = False

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        # the SDK starts a span with the attributes the sampler hands back
        decision = Decision.RECORD_AND_SAMPLE if self.open else Decision.DROP
        return SamplingResult(decision, attributes if self.open else None)

    def get_description(self) -> str:
        return "openaiassistant.SpanCapture"


class _Gate(SpanProcessor):
    """Hands ended spans to the exporter while a capture is open."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.inner = SimpleSpanProcessor(exporter)
        self.open = False

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self.open:
            self.inner.on_end(span)

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class SpanCapture:
    """The spans ended while the capture is open (``with SpanCapture.install() as capture``)."""

    _installed: ClassVar[SpanCapture | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, exporter: InMemorySpanExporter, gate: _Gate, sampler: _WhileOpen | None) -> None:
        self.exporter = exporter
        self._gate = gate
        self._sampler = sampler

    @classmethod
    def install(cls) -> SpanCapture:
        """The process's capture (installed on first use)."""
        with cls._lock:
            if cls._installed is None:
                exporter = InMemorySpanExporter()
                gate = _Gate(exporter)
                current = trace.get_tracer_provider()
                sampler: _WhileOpen | None = None
                if isinstance(current, TracerProvider):
                    current.add_span_processor(gate)
                else:
                    sampler = _WhileOpen()
                    provider = TracerProvider(sampler=sampler)
                    provider.add_span_processor(gate)
                    trace.set_tracer_provider(provider)
                cls._installed = cls(exporter, gate, sampler)
            return cls._installed

    def __enter__(self) -> SpanCapture:
        self.exporter.clear()
        self._gate.open = True
        if self._sampler is not None:
            self._sampler.open = True
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._sampler is not None:
            self._sampler.open = False
        self._gate.open = False

    def spans(self, prefix: str = "") -> list[ReadableSpan]:
        """Ended spans whose name starts with ``prefix``, in the order they ended."""
        return [s for s in self.exporter.get_finished_spans() if s.name.startswith(prefix)]

    def one(self, prefix: str) -> ReadableSpan:
        """The only ended span whose name starts with ``prefix`` (AssertionError otherwise)."""
        found = self.spans(prefix)
        assert len(found) == 1, (
            f"expected one {prefix!r} span, got {[s.name for s in self.exporter.get_finished_spans()]}"
        )
        return found[0]

    @staticmethod
    def children(parent: ReadableSpan, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
        """The spans whose parent is ``parent``."""
        span_id = parent.context.span_id if parent.context else None
        return [s for s in spans if s.parent is not None and s.parent.span_id == span_id]
