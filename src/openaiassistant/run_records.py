"""Recording a turn's runs in the run log, at the backend seam.

``RecordingBackend`` wraps a backend for one turn: its session records the run before the first
request is sent (``RunLog.begin``), names the run as soon as a step does (``started``), and
marks the record when a step ends the run. :meth:`RecordingBackend.finish` closes the record
however the turn ended (an error, a deadline, an approval that leaves the run waiting on
purpose), so a record stays open only while its worker is alive, or because it died.
Bookkeeping never fails a turn: a registry that cannot be written is logged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from openaiassistant.backends.base import (
    Backend,
    Busy,
    Cancelled,
    Completed,
    Expired,
    Failed,
    Incomplete,
    RunSession,
    Started,
    Step,
    TurnRequest,
)
from openaiassistant.deadline import Deadline
from openaiassistant.redaction import redact
from openaiassistant.registry.runs import RunLog
from openaiassistant.tools.base import ToolOutput

__all__ = ["RecordingBackend"]

log = logging.getLogger("openaiassistant.registry")


def _end_state(step: Step) -> str | None:
    """The record's end state for a step that ended its run (None: it did not, or a new run
    follows, as after a Retryable outcome)."""
    match step.outcome:
        case Completed():
            return "completed"
        case Incomplete():
            return "incomplete"
        case Failed():
            return "failed"
        case Cancelled():
            return "cancelled"
        case Expired():
            return "expired"
        case _:
            return None


class _Recorder:
    """The record of one turn."""

    def __init__(self, *, runs: RunLog, backend: str, server: str) -> None:
        self.runs, self.backend, self.server = runs, backend, server
        self.record: str | None = None
        self.run_id: str | None = None
        self.ended = False

    def _safely(self, what: str, fn: Any) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the answer matters more than its bookkeeping
            log.error("run log: could not %s: %s", what, redact(f"{type(exc).__name__}: {exc}")[:300])

    def begin(self, thread_id: str | None) -> None:
        if self.record is None:

            def begin() -> None:
                self.record = self.runs.begin(thread_id=thread_id, backend=self.backend, server=self.server)

            self._safely("record a run before it starts", begin)

    def step(self, started: Started) -> None:
        if self.record is None or self.ended or isinstance(started, Busy):
            return
        record = self.record
        if started.ref.run_id and started.ref.run_id != self.run_id:
            self.run_id = started.ref.run_id
            self._safely(
                "name the run",
                lambda: self.runs.started(record, thread_id=started.ref.thread_id, run_id=started.ref.run_id),
            )
        state = _end_state(started)
        if state is not None:
            self.end(state)

    def end(self, status: str, detail: str | None = None) -> None:
        if self.record is None or self.ended:
            return
        self.ended = True
        record = self.record
        self._safely("mark the run ended", lambda: self.runs.ended(record, status=status, detail=detail))


class _RecordingSession:
    def __init__(self, inner: RunSession, recorder: _Recorder, request: TurnRequest) -> None:
        self.inner, self.recorder, self.request = inner, recorder, request

    @property
    def thread_id(self) -> str | None:
        return self.inner.thread_id

    def start(self) -> Started:
        self.recorder.begin(self.inner.thread_id or self.request.thread_id)
        started = self.inner.start()
        self.recorder.step(started)
        return started

    def retry(self) -> Started:
        started = self.inner.retry()
        self.recorder.step(started)
        return started

    def poll(self) -> Step:
        step = self.inner.poll()
        self.recorder.step(step)
        return step

    def submit(self, outputs: list[ToolOutput]) -> Step:
        step = self.inner.submit(outputs)
        self.recorder.step(step)
        return step

    def cancel(self) -> None:
        self.inner.cancel()  # the record is closed by finish(), with why the turn ended


class RecordingBackend:
    """``backend`` for one turn, its runs recorded in ``runs`` (see the module docstring)."""

    def __init__(self, backend: Backend, *, runs: RunLog, server: str) -> None:
        self._backend = backend
        self.name = backend.name
        self._recorder = _Recorder(runs=runs, backend=backend.name, server=server)

    def begin(self, request: TurnRequest, *, deadline: Deadline) -> RunSession:
        return _RecordingSession(self._backend.begin(request, deadline=deadline), self._recorder, request)

    def finish(self, status: str, detail: str | None = None) -> None:
        """Close the record as the turn ended (no-op when a step already did)."""
        self._recorder.end(status, detail)

    def finish_error(self, exc: BaseException) -> None:
        """Close the record of a turn that raised ``exc``."""
        from openaiassistant.errors import AssistantError, TurnTimeoutError

        if isinstance(exc, TurnTimeoutError):
            self.finish("timeout", str(exc))
        elif isinstance(exc, AssistantError):
            self.finish("error", f"{exc.kind}: {exc}")
        else:
            self.finish("error", type(exc).__name__)

    def __getattr__(self, name: str) -> Any:  # delete_thread, history, validate, ...
        return getattr(self._backend, name)
