"""The limiter's decisions over one pool's state (pure functions: no server, no clock)."""

from __future__ import annotations

import pytest

from openaiassistant.coordination.headers import ServerLimits
from openaiassistant.coordination.window import (
    WINDOW,
    Limits,
    PoolState,
    backoff_after,
    refusals_are_the_pattern,
    wait_before,
)


def test_room_in_the_minute_means_no_wait() -> None:
    requests = [float(t) for t in range(59)]
    assert wait_before(now=59.0, state=PoolState(), limits=Limits(rpm=60), requests=requests, tokens=[]) == 0


def test_a_full_minute_waits_for_its_oldest_request_to_leave() -> None:
    requests = [10.0 + t for t in range(60)]
    wait = wait_before(now=70.0, state=PoolState(), limits=Limits(rpm=60), requests=requests, tokens=[])
    assert wait == pytest.approx(10.0 + WINDOW - 70.0)


def test_the_limit_learned_from_the_server_counts_when_none_is_configured() -> None:
    state = PoolState()
    state.learn(ServerLimits(limit_requests=2, limit_tokens=100))
    assert wait_before(now=5.0, state=state, limits=Limits(), requests=[1.0, 2.0], tokens=[]) == pytest.approx(
        1.0 + WINDOW - 5.0
    )
    # a configured limit wins over the learned one
    assert wait_before(now=5.0, state=state, limits=Limits(rpm=3), requests=[1.0, 2.0], tokens=[]) == 0


def test_tokens_per_minute_wait_until_enough_tokens_have_left() -> None:
    tokens = [(1.0, 40), (2.0, 40), (3.0, 40)]
    wait = wait_before(now=4.0, state=PoolState(), limits=Limits(tpm=100), requests=[], tokens=tokens)
    assert wait == pytest.approx(1.0 + WINDOW - 4.0)  # 120 >= 100: the oldest 40 must leave


def test_the_shared_backoff_holds_everyone_but_the_one_who_waited_it_out() -> None:
    state = PoolState(blocked_until=30.0)
    assert wait_before(now=20.0, state=state, limits=Limits(), requests=[], tokens=[]) == pytest.approx(10.0)
    assert wait_before(now=20.0, state=state, limits=Limits(), requests=[], tokens=[], ignore_backoff=True) == 0


def test_how_long_a_response_holds_the_pool() -> None:
    assert backoff_after(ServerLimits(retry_after=12.6), refused=True) == pytest.approx(12.6)
    assert backoff_after(ServerLimits(), refused=True) == pytest.approx(
        0.5
    )  # as long as the refused request's own first retry
    # a lone refusal naming no wait holds nobody; one naming its wait holds the pool all the same
    assert backoff_after(ServerLimits(), refused=True, alone=True) == 0
    assert backoff_after(ServerLimits(retry_after=3.0), refused=True, alone=True) == pytest.approx(3.0)
    assert backoff_after(ServerLimits(remaining_requests=5, reset_requests=5.0), refused=False) == 0
    # nothing left of 60/min: one request's worth of the reset (the limit refills continuously)
    assert backoff_after(
        ServerLimits(limit_requests=60, remaining_requests=0, reset_requests=30.0), refused=False
    ) == pytest.approx(0.5)
    assert backoff_after(ServerLimits(remaining_tokens=0, reset_tokens=2.5), refused=False) == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("sent", "refused", "pattern"),
    [
        (1, 1, False),  # one refusal is nobody's pattern: the refused request backs off alone
        (200, 20, False),  # a tenth refused at random among answered requests
        (4, 2, True),  # half refused
        (20, 19, True),  # a spent limit refuses nearly everything
        (2, 2, True),  # a lone worker refused twice running
    ],
)
def test_when_refusals_naming_no_wait_speak_for_the_pool(sent: int, refused: int, pattern: bool) -> None:
    assert refusals_are_the_pattern(sent=sent, refused=refused) is pattern
