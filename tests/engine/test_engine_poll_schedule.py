"""The poll schedule used when the server sends no ``openai-poll-after-ms`` hint."""

from __future__ import annotations

import itertools

from openaiassistant.engine.polling import POLL_FIRST, POLL_MAX, POLL_MIN_CEILING, POLL_SHARE, PollBackoff


def _delays(n: int) -> list[float]:
    schedule = PollBackoff()
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
    schedule = PollBackoff()
    assert schedule.next_delay(0.02) == 0.02
    assert schedule.next_delay(5.0) == 5.0
    assert schedule.next_delay(None) == POLL_FIRST


# -- learned plans ------------------------------------------------------------------------------
from openaiassistant.engine.polling import MIN_SAMPLES, POINTS, PhasePolls, RunTimes  # noqa: E402


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _history(durations: list[float]) -> RunTimes:
    times = RunTimes()
    for d in durations:
        times.record("start", d)
    return times


def _seen_done(plan: list[float] | None, ends_at: float) -> tuple[float, int]:
    """(when the run is seen done, polls made) for a run ending ``ends_at`` s after its start."""
    clock = _Clock()
    schedule = PhasePolls(clock=clock, started=0.0, plan=plan)
    polls = 0
    while clock.now < ends_at:
        clock.now += schedule.next_delay(None)
        polls += 1
    return clock.now, polls


def test_no_plan_without_enough_history():
    assert _history([2.0] * (MIN_SAMPLES - 1)).plan("start") is None
    assert _history([2.0] * MIN_SAMPLES).plan("other kind") is None


def test_the_plan_is_the_quantiles_of_recent_durations():
    durations = [2.0 + i / 99 for i in range(100)]  # 2..3 s
    plan = _history(durations).plan("start")
    assert plan is not None and len(plan) == POINTS + 1
    assert plan == sorted(plan) and abs(plan[0] - durations[-64]) < 1e-9 and abs(plan[-1] - 3.0) < 1e-9


def test_learned_polling_beats_the_generic_schedule_in_lateness_and_requests():
    durations = [2.0 + i / 63 for i in range(64)]
    plan = _history(durations).plan("start")
    learned = [_seen_done(plan, d) for d in durations]
    generic = [_seen_done(None, d) for d in durations]
    late = lambda runs: sorted(t - d for (t, _), d in zip(runs, durations, strict=True))[len(durations) // 2]  # noqa: E731
    polls = lambda runs: sum(n for _, n in runs) / len(runs)  # noqa: E731
    assert late(learned) <= 1.0 / POINTS  # the spread (1 s) over the number of quantiles
    assert late(learned) < late(generic) / 2
    assert polls(learned) < polls(generic)


def test_stale_history_costs_at_most_the_longest_wait():
    plan = _history([30.0] * 10).plan("start")  # runs used to take 30 s; this one takes 1 s
    seen, _ = _seen_done(plan, 1.0)
    assert seen <= 1.0 + POLL_MAX


def test_a_run_longer_than_any_recorded_backs_off():
    plan = _history([1.0] * 10).plan("start")
    clock = _Clock()
    schedule = PhasePolls(clock=clock, started=0.0, plan=plan)
    waits = []
    while clock.now < 60:
        waits.append(schedule.next_delay(None))
        clock.now += waits[-1]
    assert waits[0] == 1.0 and max(waits) == POLL_MAX and len(waits) < 45
    assert waits[1:] == sorted(waits[1:])  # past the plan: fast first, then backing off


def test_a_run_just_past_the_history_is_seen_soon():
    # few samples, one of them an outlier: runs that end just past the longest recorded one
    plan = _history([0.01, 2.0, 2.1, 2.2, 2.3]).plan("start")
    for ends_at in (2.4, 2.6, 2.8):
        seen, _ = _seen_done(plan, ends_at)
        assert seen - ends_at <= 0.25


def test_the_server_hint_wins_over_the_plan():
    schedule = PhasePolls(clock=_Clock(), started=0.0, plan=[5.0])
    assert schedule.next_delay(0.07) == 0.07


def test_turns_teach_the_next_turn_when_to_poll(make_assistant, emulator, fake_clock):
    emulator.load_script(
        {"latency": {"queue_ms": 1}, "poll_after_ms": None, "rules": [{"default": True, "reply": "ok"}]}
    )
    assistant = make_assistant(connection={"transport": "poll"})
    for _ in range(MIN_SAMPLES):
        assert assistant.run_turn("hi", stream=False).text == "ok"
    plan = assistant._run_times.plan("start")
    assert plan is not None
    fake_clock.sleeps.clear()
    assistant.run_turn("hi", stream=False)
    assert fake_clock.sleeps[0] == min(plan[0], POLL_MAX)  # the first poll is where runs ended before


def test_a_polled_phase_is_timed_when_the_poll_left_not_when_it_came_back():
    clock = _Clock()
    schedule = PhasePolls(clock=clock, started=0.0, plan=None)
    clock.now += schedule.next_delay(None)  # waits 0.1
    schedule.polling()
    clock.now += 0.3  # the poll's round trip and fetching the answer
    assert abs(schedule.duration() - (0.1 - 0.1 / 2)) < 1e-9
    streamed = PhasePolls(clock=clock, started=clock.now, plan=None)
    clock.now += 2.0
    assert streamed.duration() == 2.0  # a streamed end is seen when it happens
