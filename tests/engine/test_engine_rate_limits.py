"""Rate limits in a turn: a 429 is waited out as the server says while the deadline allows (not
just max_retries times); a limit the server stated is kept by the in-process rate gate, so the
turn waits for its slot instead of being refused; a wait the deadline cannot hold fails at once.
Fake clock: every wait is recorded, none is slept (the emulator's clock follows it)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import RUN_CREATE, posts

from openaiassistant.errors import ServerUnavailableError

RPM_429 = (
    "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 60, Used 60, "
    "Requested 1. Please try again in 2.5s. Visit https://platform.openai.com/account/rate-limits to learn more."
)


def test_429s_are_waited_out_as_the_message_says_beyond_max_retries(
    make_assistant: Any, emulator: Any, fake_clock: Any, backend: str
) -> None:
    assistant = make_assistant(connection={"max_retries": 1})
    emulator.add_fault(kind="http_error", status=429, message=RPM_429, times=4, path=RUN_CREATE[backend])
    assert assistant.run_turn("hello", timeout=300).text == "Echo: hello"
    assert [a["status"] for a in posts(emulator, RUN_CREATE[backend])] == [429, 429, 429, 429, 200]
    assert fake_clock.sleeps.count(2.5) == 4  # the message's wait, no header needed


def test_without_a_deadline_max_retries_still_bounds_429s(make_assistant: Any, emulator: Any, backend: str) -> None:
    assistant = make_assistant(connection={"max_retries": 1})
    emulator.add_fault(kind="http_error", status=429, message=RPM_429, times=4, path=RUN_CREATE[backend])
    with pytest.raises(ServerUnavailableError) as info:
        assistant.run_turn("hello", timeout=None)
    assert info.value.http_status == 429
    assert len(posts(emulator, RUN_CREATE[backend])) == 2


def test_a_wait_the_deadline_cannot_hold_fails_at_once(
    make_assistant: Any, emulator: Any, fake_clock: Any, backend: str
) -> None:
    assistant = make_assistant()
    slow = RPM_429.replace("2.5s", "1m30s")
    emulator.add_fault(kind="http_error", status=429, message=slow, times=1, path=RUN_CREATE[backend])
    with pytest.raises(ServerUnavailableError) as info:
        assistant.run_turn("hello", timeout=30)
    assert "deadline" in str(info.value)
    assert 90.0 not in fake_clock.sleeps  # it did not sleep into a certain timeout


def test_a_limit_the_server_states_is_kept_without_a_429(
    make_assistant: Any, emulator: Any, fake_clock: Any, backend: str
) -> None:
    """The account allows 1 request a minute: every later request waits for its slot (the gate
    learned the limit from the first answer's headers) and the server refuses none."""
    assistant = make_assistant()
    fake_clock.on_sleep = emulator.advance_time  # the server's minute passes with ours
    emulator.set_limits(rpm=1)
    first = assistant.run_turn("one")
    second = assistant.run_turn("two", thread_id=first.thread_id)
    assert second.text == "Echo: two"
    assert emulator.limits()["refused"] == 0
    assert any(55 < s <= 61 for s in fake_clock.sleeps)  # waited for the oldest request to leave the minute
