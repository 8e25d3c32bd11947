"""run_turn's keywords are one list (turn_options.TurnOptions): unknown ones are refused as in
any Python call, left-out ones mean their defaults, and a Keep step passes its own through."""

from __future__ import annotations

import pytest
from tests.engine.conftest import FakeClock

from openaiassistant import Assistant, AssistantSpec, ConnectionSettings
from openaiassistant.backends.base import Completed, Pending, TurnOutput
from openaiassistant.errors import TurnTimeoutError
from openaiassistant.keep.step_request import TURN_KEYS, build_step_request
from openaiassistant.testing import ScriptedBackend
from openaiassistant.turn_options import DEFAULT_TIMEOUT, NAMES


def _assistant(backend: ScriptedBackend, clock: FakeClock) -> Assistant:
    return Assistant(
        connection=ConnectionSettings(api_key="sk-test-options-key"),
        spec=AssistantSpec(model="m"),
        backend=backend,
        sleep=clock.sleep,
        clock=clock.clock,
    )


def test_an_unknown_keyword_is_refused_before_anything_is_sent() -> None:
    backend = ScriptedBackend([Completed(output=TurnOutput(texts=["ok"]))])
    with pytest.raises(TypeError, match="temprature"):
        _assistant(backend, FakeClock()).run_turn("hi", temprature="0.2")  # type: ignore[call-arg]
    assert backend.calls == []


def test_a_left_out_timeout_is_the_default_deadline_and_none_is_no_deadline() -> None:
    clock = FakeClock()
    forever = ScriptedBackend(lambda call: Pending(poll_after=60.0))
    with pytest.raises(TurnTimeoutError, match=f"within {DEFAULT_TIMEOUT:g}s"):
        _assistant(forever, clock).run_turn("hi")
    polls = iter([Pending(poll_after=60.0)] * 20 + [Completed(output=TurnOutput(texts=["late"]))])
    slow = ScriptedBackend(lambda call: next(polls))
    assert _assistant(slow, FakeClock()).run_turn("hi", timeout=None).text == "late"  # 20 minutes, no deadline


def test_a_keep_step_passes_every_turn_keyword_it_takes() -> None:
    request = build_step_request({"prompt": "hi", "thread_id": "t1", "stream": "true"}, default_timeout=None)
    options = request.turn_options()
    assert set(options) <= NAMES
    assert options["thread_id"] == "t1" and options["stream"] is True
    assert "timeout" not in options  # left out: run_turn's own default
    assert {"prompt", "functions", "vector_store_ids"} <= set(TURN_KEYS)
    assert build_step_request({"prompt": "hi", "timeout": "5"}, default_timeout=None).turn_options()["timeout"] == 5.0
