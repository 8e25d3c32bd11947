"""The rate gate judges a 429 that names no wait by this worker's own recent requests.

A fake clock drives the in-process store and the gate together, so nothing here sleeps: a turn's
wait shows as the time its deadline was asked to sleep.
"""

from __future__ import annotations

from openaiassistant.coordination.gate import RateGate
from openaiassistant.coordination.local import LocalStore
from openaiassistant.coordination.window import RECENT, Limits


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Deadline:
    """A turn without a deadline whose sleeps move the fake clock (and are counted)."""

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock
        self.slept = 0.0

    def remaining(self) -> float | None:
        return None

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.clock.now += seconds


def _gate() -> tuple[RateGate, _Clock]:
    clock = _Clock()
    return RateGate(store=LocalStore(clock), pool="p", limits=Limits(), clock=clock), clock


def _send(gate: RateGate, clock: _Clock) -> tuple[str | None, float]:
    deadline = _Deadline(clock)
    return gate.admit(deadline, what="create response"), deadline.slept


def test_a_429_now_and_then_among_answered_requests_holds_only_the_refused_one() -> None:
    gate, clock = _gate()
    tickets = [_send(gate, clock)[0] for _ in range(10)]
    gate.observe({}, message="Too many requests", refused=True, ticket=tickets[3])
    assert _send(gate, clock)[1] == 0  # the other turns go on at once
    # and the refused request did not use up a request of the pool's minute
    assert tickets[3] not in {ticket for _, ticket in gate.store._pool("p").requests}


def test_refusals_one_after_another_hold_the_whole_pool() -> None:
    gate, clock = _gate()
    first, _ = _send(gate, clock)
    second, _ = _send(gate, clock)
    gate.observe({}, message="Too many requests", refused=True, ticket=first)
    assert _send(gate, clock)[1] == 0  # one refusal of two sent: not yet the pattern
    gate.observe({}, message="Too many requests", refused=True, ticket=second)
    _, waited = _send(gate, clock)  # two of three refused: everyone holds back
    assert 0 < waited <= 0.5


def test_old_refusals_no_longer_count() -> None:
    gate, clock = _gate()
    first, _ = _send(gate, clock)
    gate.observe({}, message="Too many requests", refused=True, ticket=first)
    clock.now += RECENT + 1
    second, _ = _send(gate, clock)
    gate.observe({}, message="Too many requests", refused=True, ticket=second)
    assert _send(gate, clock)[1] == 0


def test_a_429_naming_its_wait_holds_the_pool_even_alone() -> None:
    gate, clock = _gate()
    tickets = [_send(gate, clock)[0] for _ in range(10)]
    gate.observe({"retry-after": "2"}, message="Rate limit reached", refused=True, ticket=tickets[0])
    _, waited = _send(gate, clock)
    assert 1.9 < waited <= 2.0
