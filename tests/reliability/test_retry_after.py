"""A server's retry-after longer than 120 s (issue 10: it was ignored and the request retried
after 0.5 s): waited out when the turn's deadline allows it, else the turn fails at once saying
when to retry."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import RUN_CREATE, posts

from openaiassistant.errors import ServerUnavailableError


def test_a_long_retry_after_beyond_the_deadline_fails_saying_when(
    make_assistant: Any, emulator: Any, backend: str, fake_clock: Any
) -> None:
    emulator.add_fault(kind="http_error", status=429, retry_after=300, method="POST", path=RUN_CREATE[backend])
    with pytest.raises(ServerUnavailableError) as info:
        make_assistant().run_turn("hello", timeout=30)
    assert "retry after 300 s" in str(info.value) and "UTC" in str(info.value)
    assert len(posts(emulator, RUN_CREATE[backend])) == 1  # not retried against the server's word
    assert max(fake_clock.sleeps, default=0) < 30


def test_a_long_retry_after_within_the_deadline_is_waited_out(
    make_assistant: Any, emulator: Any, backend: str, fake_clock: Any
) -> None:
    emulator.add_fault(kind="http_error", status=429, retry_after=300, method="POST", path=RUN_CREATE[backend])
    assert make_assistant().run_turn("hello", timeout=900).text == "Echo: hello"
    assert sum(fake_clock.sleeps) >= 300
    assert [r["status"] for r in posts(emulator, RUN_CREATE[backend])] == [429, 200]
