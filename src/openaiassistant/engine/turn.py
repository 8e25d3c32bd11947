"""One turn of a conversation: a small state machine over the backends' typed outcomes.

    open (or continue) the conversation
    hold the conversation (in-process lock; on_active_run decides what a busy server means)
    start a run/response ──► Step
    loop on the step's outcome:
        Pending           wait (server hint, else fast-then-backing-off) under the deadline; poll
        NeedsToolOutputs  run the round through the Toolset; submit every output once; continue
        Completed         done: build the result from every round's output
        Incomplete        done: result marked incomplete, with the reason and the partial text
        Failed            rate_limit_exceeded: back off, start a new run (bounded); else raise
        Cancelled/Expired raise
    on ANY exception (deadline, tool limit, KeyboardInterrupt...) while a run is active:
        cancel it on the server, then re-raise with the conversation and run attached

The engine never reads a status string and never asks which backend it drives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from openaiassistant.backends.base import (
    Backend,
    Cancelled,
    Completed,
    ConversationBusy,
    Expired,
    Failed,
    Incomplete,
    NeedsToolOutputs,
    Pending,
    RunRef,
    Step,
    TurnOutput,
    TurnRequest,
)
from openaiassistant.content.citations import join_parts
from openaiassistant.engine.deadline import Deadline, PollSchedule, backoff
from openaiassistant.engine.locks import LOCKS
from openaiassistant.engine.output import parse_answer
from openaiassistant.engine.poll_plan import PhaseSchedule, RunTimes
from openaiassistant.engine.tool_loop import OnToolCall, ToolLoop
from openaiassistant.errors import (
    ActiveRunError,
    AssistantError,
    RunCancelledError,
    RunExpiredError,
    RunFailedError,
    TurnTimeoutError,
)
from openaiassistant.result import TurnResult, Usage
from openaiassistant.tools.base import Toolset

ACTIVE_RUN_POLICIES = ("wait", "cancel", "fail")
RATE_LIMIT_RETRIES = 3


@dataclass(kw_only=True)
class TurnSetup:
    """Everything about the turn that is not the backend."""

    backend: Backend
    server: str  # identifies the server for the in-process conversation lock
    request: TurnRequest
    toolset: Toolset | None
    deadline: Deadline
    thread_id: str | None
    metadata: dict[str, str] | None
    on_active_run: str = "wait"
    on_tool_call: OnToolCall | None = None
    include_history: bool = False
    default_model: str | None = None
    run_times: RunTimes | None = None  # learned phase durations for polling (shared per Assistant)


class Turn:
    """Runs one turn to its end; see the module docstring for the loop."""

    def __init__(self, setup: TurnSetup) -> None:
        self.setup = setup
        self.backend = setup.backend
        self.deadline = setup.deadline
        self.streamed: list[str] = []
        # every delta passes through here, so the end of an answer whose stream broke (and
        # was finished by polling) can still be handed to on_text
        self.request = replace(setup.request, on_text=self._on_text) if setup.request.on_text else setup.request
        self.tools = ToolLoop(
            toolset=setup.toolset, params=setup.request.params, deadline=setup.deadline, on_tool_call=setup.on_tool_call
        )
        self.output = TurnOutput()
        self.usage = Usage()
        self.model: str | None = None
        self.active: RunRef | None = None  # our run while it occupies the conversation
        self.thread_id: str | None = setup.thread_id

    def run(self) -> TurnResult:
        started = time.monotonic()
        try:
            self.thread_id = (
                self.backend.open_thread(
                    thread_id=self.setup.thread_id, metadata=self.setup.metadata, deadline=self.deadline
                )
                or None
            )
            if self.thread_id is None:  # made by the first request: nobody else can hold it yet
                final = self._guarded("")
            else:
                with LOCKS.hold(
                    server=self.setup.server,
                    thread_id=self.thread_id,
                    deadline=self.deadline,
                    fail_if_busy=self.setup.on_active_run == "fail",
                ):
                    final = self._guarded(self.thread_id)
            result = self._result(final, started)
            if self.setup.include_history:
                result.messages = self.backend.history(self.thread_id)
            return result
        except AssistantError as exc:
            raise exc.with_context(
                backend=self.backend.name, thread_id=self.thread_id, run_id=self.active.run_id if self.active else None
            )

    # -- the loop -----------------------------------------------------------------------------
    def _guarded(self, thread_id: str) -> Step:
        """Drive the turn; whatever interrupts it, our active run is cancelled on the server."""
        try:
            return self._drive(self._start(thread_id, first=True))
        except BaseException as exc:
            # a conversation made by the first request is named only by the error, if at all
            self.thread_id = self.thread_id or getattr(exc, "thread_id", None)
            if self.active is not None:
                self.backend.cancel(self.active)
            if isinstance(exc, TurnTimeoutError):
                raise self._timeout(exc.run_id) from None
            raise

    def _drive(self, step: Step) -> Step:
        schedule = self._phase("start", started=self._start_sent)
        rate_limit_retries = 0
        while True:
            self._note(step)
            match step.outcome:
                case Pending(poll_after=hint):
                    self._wait(schedule.next_delay(hint))
                    schedule.polling()
                    step = self.backend.poll(step.ref, self.request, deadline=self.deadline)
                    continue
                case NeedsToolOutputs(calls=calls, output=output):
                    self._learn(schedule)
                    self.output.extend(output)
                    outputs = self.tools.run_round(calls)
                    schedule = self._phase("continue")
                    step = self.backend.submit(step.ref, self.request, outputs, deadline=self.deadline)
                case Completed(output=output) | Incomplete(output=output):
                    self._learn(schedule)
                    self.output.extend(output)
                    return step
                case Failed(code="rate_limit_exceeded") if rate_limit_retries < RATE_LIMIT_RETRIES:
                    self._wait(backoff(rate_limit_retries, base=1.0, ceiling=20.0))
                    rate_limit_retries += 1
                    step = self._start(step.ref.thread_id, first=False)
                    schedule = self._phase("start", started=self._start_sent)
                case Failed(code=code, message=message):
                    raise RunFailedError(
                        f"the run failed: {message}", code=code, run_id=step.ref.run_id, status="failed"
                    )
                case Cancelled():
                    raise RunCancelledError(
                        "the run was cancelled on the server", run_id=step.ref.run_id, status="cancelled"
                    )
                case Expired():
                    raise RunExpiredError(
                        "the run expired before it finished (tool outputs must arrive within 10 minutes)",
                        run_id=step.ref.run_id,
                        status="expired",
                    )

    def _phase(self, kind: str, started: float | None = None) -> PhaseSchedule:
        """The waits of a phase whose request was sent at ``started`` (default: is sent now)."""
        times = self.setup.run_times
        return PhaseSchedule(
            clock=self.deadline.clock,
            started=self.deadline.clock() if started is None else started,
            plan=times.plan(kind) if times is not None else None,
            kind=kind,
        )

    def _learn(self, schedule: PhaseSchedule) -> None:
        if self.setup.run_times is not None:
            self.setup.run_times.record(schedule.kind, schedule.duration())

    def _note(self, step: Step) -> None:
        """Bookkeeping shared by every outcome: usage, model, whether our run is active."""
        self.usage.add(step.usage)
        self.thread_id = step.ref.thread_id or self.thread_id
        self.model = step.model or self.model
        self.active = step.ref if step.active else None

    def _on_text(self, delta: str) -> None:
        self.streamed.append(delta)
        self.setup.request.on_text(delta)  # type: ignore[misc]

    def _finish_stream(self, text: str) -> None:
        """Hand on_text what no stream delivered (a broken stream's end, or the whole answer on
        the polling transport), when it is a plain continuation of what was sent."""
        sent = "".join(self.streamed)
        if self.setup.request.on_text and len(text) > len(sent) and text.startswith(sent):
            self._on_text(text[len(sent) :])

    def _wait(self, seconds: float) -> None:
        if not self.deadline.wait(seconds):
            raise TurnTimeoutError("the turn's deadline passed")

    # -- starting, and a busy conversation ----------------------------------------------------
    def _start(self, thread_id: str, *, first: bool) -> Step:
        attempt = 0
        while True:
            try:
                self._start_sent = self.deadline.clock()
                return self.backend.start(thread_id, self.request, deadline=self.deadline, first=first)
            except ConversationBusy as busy:
                self._on_busy(busy, attempt)
                attempt += 1

    def _on_busy(self, busy: ConversationBusy, attempt: int) -> None:
        policy = self.setup.on_active_run
        if policy == "fail":
            raise ActiveRunError(
                f"conversation {busy.thread_id} already has an active run {busy.run_id or ''}".rstrip()
                + " (on_active_run=fail; use wait or cancel)",
                run_id=busy.run_id,
                status="active",
            )
        if busy.run_id is None:  # the server did not say which run: wait for the lock to go
            self._wait(backoff(attempt, base=0.2, ceiling=2.0))
            return
        other = RunRef(thread_id=busy.thread_id, run_id=busy.run_id)
        if policy == "cancel":
            self.backend.cancel(other)
        self._wait_until_done(other)

    def _wait_until_done(self, ref: RunRef) -> None:
        """Poll someone else's run until it no longer occupies the conversation."""
        schedule = PollSchedule()
        while True:
            step = self.backend.poll(ref, None, deadline=self.deadline)
            if not step.active:
                return
            # a run waiting for tool outputs nobody here will send ends only by cancel or expiry
            hint = step.outcome.poll_after if isinstance(step.outcome, Pending) else None
            self._wait(schedule.next_delay(hint))

    # -- the end ------------------------------------------------------------------------------
    def _timeout(self, run_id: str | None) -> TurnTimeoutError:
        run = self.active.run_id if self.active else run_id
        what = f"run {run} on conversation {self.thread_id} was cancelled" if run else f"conversation {self.thread_id}"
        return TurnTimeoutError(
            f"the turn did not finish within {self.deadline.timeout:g}s; {what}",
            backend=self.backend.name,
            thread_id=self.thread_id,
            run_id=run,
            status="timeout",
        )

    def _result(self, final: Step, started: float) -> TurnResult:
        texts = [t for t in self.output.texts if t]
        text, citations = join_parts(self.output.texts, self.output.citations)
        self._finish_stream(text)
        refusal = "\n".join(r for r in self.output.refusals if r) or None
        incomplete = isinstance(final.outcome, Incomplete)
        fmt = self.request.params.response_format
        if incomplete or (refusal and not texts):
            # a partial or refused answer is reported as it is, not validated against a schema
            response: Any = parse_answer(text, None) if texts else text
        else:
            try:
                response = parse_answer(text, fmt)
            except AssistantError as exc:
                raise exc.with_context(run_id=final.ref.run_id)
        ids = {self.backend.run_id_field: final.ref.run_id}
        return TurnResult(
            text=text,
            response=response,
            status="incomplete" if incomplete else "completed",
            incomplete_reason=final.outcome.reason if isinstance(final.outcome, Incomplete) else None,
            refusal=refusal,
            thread_id=final.ref.thread_id,
            backend=self.backend.name,
            model=self.model or self.request.params.model or self.setup.default_model,
            tool_calls=list(self.tools.records),
            citations=citations,
            usage=self.usage,
            duration_ms=(time.monotonic() - started) * 1000.0,
            **ids,
        )
