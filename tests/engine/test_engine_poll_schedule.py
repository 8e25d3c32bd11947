"""The poll schedule used when the server sends no ``openai-poll-after-ms`` hint."""

from __future__ import annotations

import itertools

from openaiassistant.engine.deadline import POLL_FIRST, POLL_MAX, POLL_MIN_CEILING, POLL_SHARE, PollSchedule


def _delays(n: int) -> list[float]:
    schedule = PollSchedule()
    return [schedule.next_delay(None) for _ in range(n)]


def test_starts_fast_and_never_shrinks():
    delays = _delays(60)
    assert delays[0] == POLL_FIRST
    assert all(b >= a for a, b in itertools.pairwise(delays))


def test_waits_at_most_a_share_of_the_time_already_spent():
    waited = 0.0
    for delay in _delays(200):
        assert delay <= max(POLL_MIN_CEILING, waited * POLL_SHARE) + 1e-9
        assert delay <= POLL_MAX
        waited += delay
    assert delay == POLL_MAX  # long runs settle at the ceiling


def test_a_short_run_is_seen_done_soon_after_it_ends():
    # a 2 s run: the first poll after 2 s comes at most the early ceiling later
    elapsed = 0.0
    for delay in _delays(50):
        elapsed += delay
        if elapsed >= 2.0:
            break
    assert elapsed - 2.0 <= POLL_MIN_CEILING


def test_the_server_hint_wins():
    schedule = PollSchedule()
    assert schedule.next_delay(0.02) == 0.02
    assert schedule.next_delay(5.0) == 5.0
    assert schedule.next_delay(None) == POLL_FIRST
