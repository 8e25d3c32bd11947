"""Fault injection: a book of armed faults, each firing ``times`` times on matching requests.

Kinds and where they act:

* HTTP-level (checked before the request reaches a handler): ``http_error`` (``status``,
  ``code``, ``message``, ``retry_after`` seconds, ``retry_after_ms``), ``insufficient_quota``
  (429, code ``insufficient_quota``), ``drop_connection`` (the connection closes mid-response).
* Stream-level: ``stream_cut`` (an SSE stream is cut after ``after_events`` events, default 2),
  ``stream_error`` (after ``after_events`` events the server sends an ``error`` event, with
  ``message``/``code``, and ends the stream).
* Model-level (when a run/response decides its next step): ``run_failed`` (``code``
  server_error | rate_limit_exceeded), ``run_expired``, ``run_incomplete`` (``reason``),
  ``stuck`` (stays in progress until cancelled).
* Ambiguous (the request *lands*: its handler runs to the end, or for an event stream until
  its first event, and creates what it creates; only the client's answer is lost):
  ``ambiguous_error`` (the client gets ``status``, default 502, as a gateway answers after the
  server did the work), ``ambiguous_drop`` (the client's connection breaks instead).

``method``, ``path`` (a regex searched in the request path) and ``body`` (a regex searched in
the raw request body, e.g. ``function_call_output`` for the request carrying tool outputs on
Responses) narrow where a fault fires; ``skip`` lets that many matching requests pass first.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["AMBIGUOUS_KINDS", "Fault", "FaultBook", "FaultError", "HTTP_KINDS", "MODEL_KINDS", "STREAM_KINDS"]

HTTP_KINDS = {"http_error", "insufficient_quota", "drop_connection"}
STREAM_KINDS = {"stream_cut", "stream_error"}
MODEL_KINDS = {"run_failed", "run_expired", "run_incomplete", "stuck"}
AMBIGUOUS_KINDS = {"ambiguous_error", "ambiguous_drop"}
KINDS = HTTP_KINDS | STREAM_KINDS | MODEL_KINDS | AMBIGUOUS_KINDS


class FaultError(ValueError):
    """A fault spec is malformed."""


@dataclass(kw_only=True)
class Fault:
    kind: str
    times: int = 1
    method: str | None = None
    path: re.Pattern[str] | None = None
    body: re.Pattern[str] | None = None
    skip: int = 0
    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    retry_after_ms: float | None = None
    after_events: int = 2
    reason: str = "max_output_tokens"
    fired: int = 0
    passed: int = 0  # matching requests let through so far (``skip``)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Fault:
        spec = dict(spec)
        kind = spec.pop("kind", None)
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")
        path, body = spec.pop("path", None), spec.pop("body", None)
        known = set(cls.__dataclass_fields__) - {"kind", "path", "body", "fired", "passed"}
        unknown = set(spec) - known
        if unknown:
            raise FaultError(f"unknown fault fields {sorted(unknown)}")
        fault = cls(kind=kind, path=_pattern(kind, path), body=_pattern(kind, body), **spec)
        if kind == "insufficient_quota":
            fault.status, fault.code = 429, "insufficient_quota"
        if kind == "http_error" and "status" not in spec:
            fault.status = 500
        if kind == "ambiguous_error" and "status" not in spec:
            fault.status = 502
        if fault.method:
            fault.method = fault.method.upper()
        return fault

    def matches(self, method: str, path: str, body: str | None = None) -> bool:
        """Whether this request fires the fault (a matching request it ``skip``s counts as passed)."""
        if self.fired >= self.times:
            return False
        if self.method and self.method != method.upper():
            return False
        if self.path and not self.path.search(path):
            return False
        if self.body and not self.body.search(body or ""):
            return False
        if self.passed < self.skip:
            self.passed += 1
            return False
        return True

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "times": self.times,
            "fired": self.fired,
            "method": self.method,
            "path": self.path.pattern if self.path else None,
            "body": self.body.pattern if self.body else None,
            "skip": self.skip,
        }


def _pattern(kind: str, text: Any) -> re.Pattern[str] | None:
    if not text:
        return None
    try:
        return re.compile(text)
    except (re.error, TypeError) as exc:
        raise FaultError(f"fault {kind}: {text!r} is not a regular expression ({exc})") from None


class FaultBook:
    """Thread-safe list of armed faults (the server thread and the test thread both use it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, spec: dict[str, Any]) -> Fault:
        fault = Fault.from_spec(spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, kinds: set[str], method: str, path: str, body: str | None = None) -> Fault | None:
        """Fire (count) and return the first armed fault of ``kinds`` matching the request."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(method, path, body):
                    fault.fired += 1
                    return fault
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]
