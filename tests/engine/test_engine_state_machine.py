"""The turn's state machine through the scripted backend at the seam (no server, no wire).

What these pin down holds for every backend, because the engine only sees the seam: a busy
conversation is handled by ``on_active_run``; a retryable failure is retried a bounded number of
times, as a new run for the same input; whatever interrupts a turn, our active run is cancelled;
an outcome nobody knows raises instead of spinning; the deadline bounds every wait.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.engine.conftest import FakeClock, Tools, scripted_assistant

from openaiassistant import Assistant
from openaiassistant.backends import base
from openaiassistant.engine.turn import RUN_RETRIES
from openaiassistant.errors import (
    ActiveRunError,
    RunCancelledError,
    RunExpiredError,
    RunFailedError,
    TurnTimeoutError,
)
from openaiassistant.testing import Call, ScriptedBackend, ScriptedOtherRun
from openaiassistant.tools.base import ToolCall

# the scripted backend takes microseconds: many examples, and no per-example time limit
PROPERTIES = settings(max_examples=60, deadline=None)


def _assistant(backend: ScriptedBackend, clock: FakeClock | None = None, tools: Any = None) -> Assistant:
    return scripted_assistant(backend, clock=clock, tools=tools)


def _answer(text: str = "ok") -> base.Completed:
    return base.Completed(output=base.TurnOutput(texts=[text]))


def _methods(backend: ScriptedBackend) -> list[str]:
    return [call.method for call in backend.calls]


def _tool_round(name: str = "probe") -> base.NeedsToolOutputs:
    return base.NeedsToolOutputs(calls=[ToolCall(call_id="call_1", name=name, arguments="{}")])


# -- the happy path ---------------------------------------------------------------------------
def test_a_turn_polls_runs_its_tool_round_and_returns_every_rounds_text() -> None:
    tools = Tools(probe=lambda args: {"disk": "93%"})
    backend = ScriptedBackend(
        [
            base.Pending(poll_after=0.5),
            base.NeedsToolOutputs(calls=[ToolCall(call_id="c1", name="probe", arguments="{}")]),
            _answer("db-1 is 93% full"),
        ]
    )
    clock = FakeClock()
    result = _assistant(backend, clock, tools=tools).run_turn("Disk full on db-1", thread_id="thread_a")
    assert result.text == "db-1 is 93% full"
    assert result.thread_id == "thread_a"
    assert result.run_id == "run_1" and result.response_id is None
    assert _methods(backend) == ["start", "poll", "submit"]
    submitted = backend.calls[2].outputs
    assert submitted is not None and [o.call_id for o in submitted] == ["c1"]
    assert clock.sleeps == [0.5]  # the server's hint, exactly
    assert [r.name for r in result.tool_calls] == ["probe"]


def test_the_result_names_a_response_by_the_backends_kind_of_id() -> None:
    backend = ScriptedBackend([_answer()], kind="response")
    result = _assistant(backend).run_turn("hi")
    assert result.response_id == "run_1" and result.run_id is None
    assert result.thread_id == "thread_1"  # made by the turn's first request


def test_an_incomplete_answer_is_a_result_not_an_error() -> None:
    backend = ScriptedBackend([base.Incomplete(reason="max_output_tokens", output=base.TurnOutput(texts=["part"]))])
    result = _assistant(backend).run_turn("hi")
    assert (result.status, result.incomplete_reason, result.text) == ("incomplete", "max_output_tokens", "part")


@pytest.mark.parametrize(
    ("outcome", "error", "status"),
    [
        (base.Failed(code="server_error", message="boom"), RunFailedError, "failed"),
        (base.Cancelled(), RunCancelledError, "cancelled"),
        (base.Expired(), RunExpiredError, "expired"),
    ],
)
def test_an_ended_run_without_an_answer_raises_with_its_ids(outcome: Any, error: type, status: str) -> None:
    backend = ScriptedBackend([base.Pending(), outcome])
    with pytest.raises(error) as caught:
        _assistant(backend).run_turn("hi", thread_id="thread_a")
    assert (caught.value.thread_id, caught.value.run_id, caught.value.status) == ("thread_a", "run_1", status)
    assert "cancel" not in _methods(backend)  # an ended run is not cancelled


# -- a busy conversation ----------------------------------------------------------------------
def test_busy_with_on_active_run_fail_raises_and_leaves_the_other_run_alone() -> None:
    other = ScriptedOtherRun(run_id="run_theirs", polls=5)
    backend = ScriptedBackend([base.Busy(thread_id="thread_a", other=other), _answer()])
    with pytest.raises(ActiveRunError) as caught:
        _assistant(backend).run_turn("hi", thread_id="thread_a", on_active_run="fail")
    assert "run_theirs" in str(caught.value) and caught.value.run_id == "run_theirs"
    assert (other.polled, other.cancelled) == (0, False)
    assert _methods(backend) == ["start"] and backend.remaining == 1


@given(polls=st.integers(min_value=0, max_value=8), hint=st.none() | st.floats(min_value=0.0, max_value=3.0))
@PROPERTIES
def test_busy_with_wait_polls_the_other_run_until_it_ends_then_starts_again(polls: int, hint: float | None) -> None:
    other = ScriptedOtherRun(polls=polls, poll_after=hint)
    backend = ScriptedBackend([base.Busy(thread_id="thread_a", other=other), _answer()])
    clock = FakeClock()
    result = _assistant(backend, clock).run_turn("hi", thread_id="thread_a", on_active_run="wait", timeout=None)
    assert result.text == "ok"
    assert not other.cancelled
    assert other.polled == polls + 1  # until it no longer held the conversation
    assert len(clock.sleeps) == polls  # one wait between polls, none after the last
    if hint is not None:
        assert clock.sleeps == [hint] * polls
    assert _methods(backend) == ["start", "start"]


def test_busy_with_cancel_cancels_the_other_run_waits_for_it_and_starts_again() -> None:
    other = ScriptedOtherRun(polls=50)
    backend = ScriptedBackend([base.Busy(thread_id="thread_a", other=other), _answer()])
    result = _assistant(backend).run_turn("hi", thread_id="thread_a", on_active_run="cancel")
    assert result.text == "ok"
    assert other.cancelled and other.polled == 1  # ended by the cancel, seen at the first poll
    assert _methods(backend) == ["start", "start"]


@pytest.mark.parametrize("policy", ["wait", "cancel"])
def test_busy_without_a_named_run_backs_off_and_starts_again(policy: str) -> None:
    backend = ScriptedBackend([base.Busy(thread_id="thread_a", other=None)] * 3 + [_answer()])
    clock = FakeClock()
    assert _assistant(backend, clock).run_turn("hi", thread_id="thread_a", on_active_run=policy).text == "ok"
    assert _methods(backend) == ["start"] * 4
    assert len(clock.sleeps) == 3 and all(0 < s <= 2.5 for s in clock.sleeps)


# -- retryable failures -----------------------------------------------------------------------
@given(failures=st.integers(min_value=0, max_value=RUN_RETRIES + 3))
@PROPERTIES
def test_retryable_failures_are_new_runs_for_the_same_input_at_most_run_retries_times(failures: int) -> None:
    backend = ScriptedBackend(
        [base.Retryable(code="rate_limit_exceeded", message="slow down")] * failures + [_answer()], kind="response"
    )
    assistant = _assistant(backend)
    retried = min(failures, RUN_RETRIES)
    if failures <= RUN_RETRIES:
        assert assistant.run_turn("hi", thread_id="thread_a").text == "ok"
    else:
        with pytest.raises(RunFailedError) as caught:
            assistant.run_turn("hi", thread_id="thread_a")
        assert caught.value.code == "rate_limit_exceeded" and "slow down" in str(caught.value)
        assert caught.value.run_id == f"run_{RUN_RETRIES + 1}"  # the last run tried
    # the first run posts the input; every retry answers the input already there
    assert _methods(backend) == ["start"] + ["retry"] * retried
    assert "cancel" not in _methods(backend)


def test_a_retry_that_meets_a_busy_conversation_waits_and_retries_again() -> None:
    other = ScriptedOtherRun(polls=1)
    backend = ScriptedBackend(
        [
            base.Retryable(code="rate_limit_exceeded", message="x"),
            base.Busy(thread_id="thread_a", other=other),
            _answer(),
        ]
    )
    assert _assistant(backend).run_turn("hi", thread_id="thread_a").text == "ok"
    assert _methods(backend) == ["start", "retry", "retry"]


# -- cancel on any exception ------------------------------------------------------------------
INTERRUPTIONS = st.sampled_from([KeyboardInterrupt, SystemExit, RuntimeError, ValueError, MemoryError])


@given(interruption=INTERRUPTIONS, where=st.sampled_from(["tool", "poll", "on_text", "submit"]))
@PROPERTIES
def test_whatever_interrupts_a_turn_our_active_run_is_cancelled_and_the_exception_goes_on(
    interruption: type[BaseException], where: str
) -> None:
    def tool(args: dict[str, Any]) -> Any:
        if where == "tool":
            raise interruption()
        return {"ok": True}

    def on_text(delta: str) -> None:
        if where == "on_text":
            raise interruption()

    def answer_poll(call: Call) -> Any:
        call.request.on_text("partial")  # type: ignore[misc]  # text arrives while the run works
        if where == "poll":
            raise interruption()
        return _tool_round()

    def answer_submit(call: Call) -> Any:
        if where == "submit":
            raise interruption()
        return _answer()

    backend = ScriptedBackend([base.Pending(), answer_poll, answer_submit])
    with pytest.raises(interruption):
        _assistant(backend, tools=Tools(probe=tool)).run_turn("hi", thread_id="thread_a", on_text=on_text)
    session = backend.sessions[0]
    assert session.cancelled == ["run_1"]
    assert _methods(backend)[-1] == "cancel"


def test_an_interruption_before_any_run_started_cancels_nothing() -> None:
    backend = ScriptedBackend([KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        _assistant(backend).run_turn("hi", thread_id="thread_a")
    assert _methods(backend) == ["start"] and backend.sessions[0].cancelled == []


def test_a_tool_round_with_no_tools_cancels_the_run_and_says_so() -> None:
    backend = ScriptedBackend([_tool_round("lookup")])
    with pytest.raises(Exception) as caught:
        _assistant(backend).run_turn("hi", thread_id="thread_a")
    assert "lookup" in str(caught.value) and caught.value.run_id == "run_1"  # type: ignore[attr-defined]
    assert backend.sessions[0].cancelled == ["run_1"]


# -- an unknown outcome -----------------------------------------------------------------------
class _Mystery:
    """An outcome no engine knows (a backend bug)."""


def test_an_unknown_outcome_raises_instead_of_spinning_and_cancels_the_run() -> None:
    backend = ScriptedBackend([base.Pending(), _Mystery(), _answer()])
    with pytest.raises(AssertionError):
        _assistant(backend).run_turn("hi", thread_id="thread_a")
    assert _methods(backend) == ["start", "poll", "cancel"]
    assert backend.remaining == 1


# -- the deadline -----------------------------------------------------------------------------
@given(
    timeout=st.floats(min_value=0.5, max_value=120.0),
    hint=st.none() | st.floats(min_value=0.01, max_value=10.0),
)
@PROPERTIES
def test_the_deadline_bounds_a_run_that_never_ends_and_cancels_it(timeout: float, hint: float | None) -> None:
    backend = ScriptedBackend(lambda call: base.Pending(poll_after=hint))
    clock = FakeClock()
    began = clock.now
    with pytest.raises(TurnTimeoutError) as caught:
        _assistant(backend, clock).run_turn("hi", thread_id="thread_a", timeout=timeout)
    assert clock.now - began <= timeout + 1e-6  # no wait went past the deadline
    assert backend.sessions[0].cancelled == ["run_1"]
    error = caught.value
    assert (error.run_id, error.thread_id, error.status) == ("run_1", "thread_a", "timeout")
    assert "run_1" in str(error) and "cancelled" in str(error)
    polls = _methods(backend).count("poll")
    if hint is not None:
        assert polls <= math.ceil(timeout / hint) + 1


def test_the_deadline_also_bounds_waiting_for_someone_elses_run() -> None:
    other = ScriptedOtherRun(polls=10**6, poll_after=1.0)
    backend = ScriptedBackend([base.Busy(thread_id="thread_a", other=other)])
    with pytest.raises(TurnTimeoutError):
        _assistant(backend).run_turn("hi", thread_id="thread_a", timeout=30)
    assert 25 <= other.polled <= 32 and not other.cancelled
    assert backend.sessions[0].cancelled == []  # we never had a run
