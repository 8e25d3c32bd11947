"""One turn of a conversation: a small state machine over the backends' typed outcomes.

    session = backend.begin(request)          one session per turn; nothing sent yet
    hold the conversation (in-process lock) when the turn continues one
    start ──► Step | Busy
        Busy              on_active_run: fail raises; cancel cancels the other run; both
                          cancel and wait then wait for it to end, and start again
    loop on the step's outcome:
        Pending           wait (server hint, else the learned plan, else back-off) under the
                          deadline; poll
        NeedsToolOutputs  run the round through the Toolset; submit every output once; continue
        Completed         done: build the result from every round's output
        Incomplete        done: result marked incomplete, with the reason and the partial text
        Retryable         back off, start a new run for the same input (at most RUN_RETRIES)
        (before a further round: a used-up budget, max_cost_usd or max_total_tokens, ends the
         turn with status budget_exceeded; the run is closed on the server)
        Failed            raise RunFailedError (a Retryable past its retries too)
        Cancelled/Expired raise
        anything else     a backend bug: raise (never spin)
    on ANY exception (deadline, tool limit, KeyboardInterrupt...) while our run is active:
        cancel it on the server, then re-raise with the conversation and run attached

The engine never reads a status string or an error code, and never asks which backend it drives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, assert_never

from openaiassistant import progress
from openaiassistant.backends.base import (
    Backend,
    Busy,
    Cancelled,
    Completed,
    Expired,
    Failed,
    Incomplete,
    NeedsToolOutputs,
    OtherRun,
    Pending,
    Retryable,
    RunRef,
    Started,
    Step,
    TurnOutput,
    TurnRequest,
)
from openaiassistant.content.citations import join_parts
from openaiassistant.deadline import Deadline, backoff
from openaiassistant.engine.locks import LOCKS
from openaiassistant.engine.output import parse_answer
from openaiassistant.engine.polling import PhasePolls, PollBackoff, RunTimes
from openaiassistant.engine.tool_loop import OnToolCall, ToolLoop
from openaiassistant.errors import (
    ActiveRunError,
    AssistantError,
    RunCancelledError,
    RunExpiredError,
    RunFailedError,
    TurnTimeoutError,
)
from openaiassistant.locking import ConversationLocks
from openaiassistant.observability.cost import BudgetStop, TurnCost, check_budget
from openaiassistant.observability.prices import PriceTable, builtin_table
from openaiassistant.observability.rounds import RoundSpans, TraceTarget
from openaiassistant.result import TurnResult, Usage
from openaiassistant.tools.base import Toolset

__all__ = ["RUN_RETRIES", "Turn", "TurnSetup"]

RUN_RETRIES = 3  # new runs after Retryable outcomes, per turn


@dataclass(kw_only=True)
class TurnSetup:
    """Everything about the turn that is not the backend."""

    backend: Backend
    server: str  # identifies the server for the in-process conversation lock
    request: TurnRequest
    toolset: Toolset | None
    deadline: Deadline
    on_active_run: str = "wait"
    on_tool_call: OnToolCall | None = None
    include_history: bool = False
    default_model: str | None = None
    run_times: RunTimes | None = None  # learned phase durations for polling (shared per Assistant)
    prices: PriceTable | None = None  # what a round costs (default: the built-in table)
    trace: TraceTarget | None = None  # what the turn's spans say about the server
    # the conversation locks (None: this process's LOCKS; coordination/locks.py shares them
    # across processes with the same interface)
    locks: ConversationLocks | None = None


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
        self.session = setup.backend.begin(self.request, deadline=setup.deadline)
        self.tools = ToolLoop(
            toolset=setup.toolset, params=setup.request.params, deadline=setup.deadline, on_tool_call=setup.on_tool_call
        )
        self.output = TurnOutput()
        self.usage = Usage()
        self.model: str | None = None
        requested = setup.request.params.model or setup.default_model
        self.cost = TurnCost(setup.prices or builtin_table(), requested_model=requested)
        target = setup.trace or TraceTarget(provider="openai", server_url=None, backend=setup.backend.name)
        self.rounds = RoundSpans(target, request=request_attributes(setup.request.params))
        self.stopped: BudgetStop | None = None  # the budget that ended the turn before a round
        self.active: RunRef | None = None  # our run while it occupies the conversation
        self.thread_id: str | None = setup.request.thread_id

    def run(self) -> TurnResult:
        started = time.monotonic()
        try:
            if self.thread_id is None:  # the turn makes its conversation: nobody else can hold it yet
                final = self._guarded()
            else:
                with (self.setup.locks or LOCKS).hold(
                    server=self.setup.server,
                    thread_id=self.thread_id,
                    deadline=self.deadline,
                    fail_if_busy=self.setup.on_active_run == "fail",
                ):
                    final = self._guarded()
            result = self._result(final, started)
            if self.setup.include_history:
                result.messages = self.backend.history(final.ref.thread_id)
            return result
        except AssistantError as exc:
            exc.with_context(
                backend=self.backend.name, thread_id=self.thread_id, run_id=self.active.run_id if self.active else None
            )
            raise

    # -- the loop -----------------------------------------------------------------------------
    def _guarded(self) -> Step:
        """Drive the turn; whatever interrupts it, our active run is cancelled on the server."""
        try:
            return self._drive()
        except BaseException as exc:
            self.rounds.abort(exc)
            # a conversation made by the turn is named by the session or the error, if at all
            self.thread_id = self.thread_id or self.session.thread_id or getattr(exc, "thread_id", None)
            self.session.cancel()
            if isinstance(exc, TurnTimeoutError):
                raise self._timeout(exc.run_id) from None
            raise

    def _drive(self) -> Step:
        step, polls = self._start(self.session.start)
        retries = 0
        while True:
            self._note(step)
            if self._over_budget(step, retries):
                return step
            match outcome := step.outcome:
                case Pending(poll_after=hint):
                    self._wait(polls.next_delay(hint))
                    polls.polling()
                    step = self.session.poll()
                case NeedsToolOutputs(calls=calls, output=output):
                    self._learn(polls)
                    self.output.extend(output)
                    outputs = self.tools.run_round(calls)
                    polls = self._phase("continue")
                    self._open_round()
                    step = self.session.submit(outputs)
                case Completed(output=output) | Incomplete(output=output):
                    self._learn(polls)
                    self.output.extend(output)
                    return step
                case Retryable() if retries < RUN_RETRIES:
                    self._wait(backoff(retries, base=1.0, ceiling=20.0))
                    retries += 1
                    self.tools.replay_after_retry()  # the new run's calls get the kept outputs
                    step, polls = self._start(self.session.retry)
                case Retryable(code=code, message=message) | Failed(code=code, message=message):
                    raise RunFailedError(
                        f"the run failed{f' ({code})' if code else ''}: {message}",
                        code=code,
                        run_id=step.ref.run_id,
                        status="failed",
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
                case _:
                    assert_never(outcome)

    def _phase(self, kind: str, started: float | None = None) -> PhasePolls:
        """The waits of a phase whose request was sent at ``started`` (default: is sent now)."""
        times = self.setup.run_times
        return PhasePolls(
            clock=self.deadline.clock,
            started=self.deadline.clock() if started is None else started,
            plan=times.plan(kind) if times is not None else None,
            kind=kind,
        )

    def _learn(self, polls: PhasePolls) -> None:
        if self.setup.run_times is not None:
            self.setup.run_times.record(polls.kind, polls.duration())

    def _note(self, step: Step) -> None:
        """Bookkeeping shared by every outcome: usage and cost, model, whether our run is
        active; a round's span ends with its outcome."""
        self.usage.add(step.usage)
        cost = self.cost.add(step.usage, step.model or self.model) if step.usage is not None else None
        self.thread_id = step.ref.thread_id or self.thread_id
        self.model = step.model or self.model
        self.active = step.ref if step.active else None
        if not isinstance(outcome := step.outcome, Pending):
            self.rounds.close(
                response_id=step.ref.run_id or None,
                model=step.model,
                usage=step.usage,
                finish_reason=finish_reason(outcome),
                cost=cost,
                error=(outcome.code or "failed") if isinstance(outcome, (Failed, Retryable)) else None,
            )

    def _open_round(self) -> None:
        self.rounds.open(model=self.model or self.cost.requested_model, thread_id=self.thread_id)

    def _over_budget(self, step: Step, retries: int) -> bool:
        """Before a further round (tool outputs to submit, a run to retry): has the turn used up
        a budget? Then our run is closed on the server (the conversation stays usable) and the
        turn ends with what it has."""
        outcome = step.outcome
        if not (isinstance(outcome, NeedsToolOutputs) or (isinstance(outcome, Retryable) and retries < RUN_RETRIES)):
            return False
        params = self.request.params
        self.stopped = check_budget(
            max_cost_usd=params.max_cost_usd, max_total_tokens=params.max_total_tokens, usage=self.usage, cost=self.cost
        )
        if self.stopped is None:
            return False
        if isinstance(outcome, NeedsToolOutputs):
            self.output.extend(outcome.output)
        self.session.cancel()
        self.active = None
        return True

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
    def _start(self, begin: Callable[[], Started]) -> tuple[Step, PhasePolls]:
        """A started run and the polls of its first phase (timed from when its request left)."""
        attempt = 0
        while True:
            sent = self.deadline.clock()
            self._open_round()
            match begin():
                case Step() as step:
                    return step, self._phase("start", started=sent)
                case Busy() as busy:
                    self.rounds.abort(None)  # no round ran
                    self._on_busy(busy, attempt)
                    attempt += 1
                case unknown:
                    assert_never(unknown)

    def _on_busy(self, busy: Busy, attempt: int) -> None:
        other = busy.other
        if self.setup.on_active_run == "fail":
            raise ActiveRunError(
                f"conversation {busy.thread_id} already has an active run {other.run_id if other else ''}".rstrip()
                + " (on_active_run=fail; use wait or cancel)",
                run_id=other.run_id if other else None,
                status="active",
            )
        if attempt == 0:
            what = "cancelling it" if self.setup.on_active_run == "cancel" and other else "waiting"
            holder = other.run_id if other else "another run"
            progress.note(f"conversation {busy.thread_id} is busy with {holder}, {what}")
        if other is None:  # the server did not say which run: wait for the lock to go
            self._wait(backoff(attempt, base=0.2, ceiling=2.0))
            return
        if self.setup.on_active_run == "cancel":
            other.cancel()
        self._wait_until_done(other)

    def _wait_until_done(self, other: OtherRun) -> None:
        """Poll someone else's run until it no longer occupies the conversation."""
        polls = PollBackoff()
        while (pending := other.poll()) is not None:
            self._wait(polls.next_delay(pending.poll_after))

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

    def _stop_reason(self, final: Step) -> str | None:
        """Why the turn ended early: the budget used up, or the server's incomplete reason."""
        if self.stopped is not None:
            return self.stopped.limit
        return final.outcome.reason if isinstance(final.outcome, Incomplete) else None

    def _result(self, final: Step, started: float) -> TurnResult:
        texts = [t for t in self.output.texts if t]
        text, citations = join_parts(self.output.texts, self.output.citations)
        self._finish_stream(text)
        refusal = "\n".join(r for r in self.output.refusals if r) or None
        incomplete = isinstance(final.outcome, Incomplete)
        fmt = self.request.params.response_format
        if incomplete or self.stopped is not None or (refusal and not texts):
            # a partial or refused answer is reported as it is, not validated against a schema
            response: Any = parse_answer(text, None) if texts else text
        else:
            try:
                response = parse_answer(text, fmt)
            except AssistantError as exc:
                exc.with_context(run_id=final.ref.run_id)
                raise
        ref = final.ref
        return TurnResult(
            text=text,
            response=response,
            status="budget_exceeded" if self.stopped else "incomplete" if incomplete else "completed",
            incomplete_reason=self._stop_reason(final),
            refusal=refusal,
            thread_id=ref.thread_id,
            backend=self.backend.name,
            model=self.model or self.request.params.model or self.setup.default_model,
            tool_calls=list(self.tools.records),
            citations=citations,
            hosted_calls=list(self.output.hosted),
            usage=self.usage,
            cost_usd=self.cost.usd,
            duration_ms=(time.monotonic() - started) * 1000.0,
            run_id=ref.result_run_id,
            response_id=ref.result_response_id,
        )


def finish_reason(outcome: Any) -> str:
    """``gen_ai.response.finish_reasons`` of a round's outcome."""
    match outcome:
        case NeedsToolOutputs():
            return "tool_calls"
        case Completed():
            return "stop"
        case Incomplete(reason=reason):
            return str(reason or "length")
        case Failed() | Retryable():
            return "error"
        case Cancelled():
            return "cancelled"
        case Expired():
            return "expired"
        case _:
            return "unknown"


def request_attributes(params: Any) -> dict[str, Any]:
    """``gen_ai.request.*`` and ``gen_ai.output.type`` of a turn's run controls."""
    from openaiassistant.observability import attributes as attr

    fmt = params.response_format
    return {
        attr.REQUEST_TEMPERATURE: params.temperature,
        attr.REQUEST_TOP_P: params.top_p,
        attr.REQUEST_MAX_TOKENS: params.max_completion_tokens,
        attr.OUTPUT_TYPE: "json" if fmt is not None and fmt.kind != "text" else "text",
    }
