"""Whole-stream checks (sequence numbers, one terminal event, last) and ``response.queued``."""

from __future__ import annotations

from typing import Any

import pytest
from tests.emulator.conftest import a_broken_stream

from openaiassistant.emulator.stream_check import StreamChecker


def _events(*names: str, numbers: list[int] | None = None) -> list[tuple[str, dict[str, Any]]]:
    numbers = numbers if numbers is not None else list(range(len(names)))
    return [(name, {"type": name, "sequence_number": n}) for name, n in zip(names, numbers, strict=True)]


def _check(api: str, events: list[tuple[str, Any]], *, ended: bool = True) -> list[str]:
    checker = StreamChecker(api=api, where="SSE test")
    for name, data in events:
        checker.see(name, data)
    if ended:
        checker.end()
    return checker.problems


def test_a_well_formed_responses_stream_passes() -> None:
    assert _check("responses", _events("response.created", "response.in_progress", "response.completed")) == []
    assert _check("responses", _events("response.created", "response.failed", numbers=[3, 9])) == []  # gaps are fine


@pytest.mark.parametrize(
    ("events", "words"),
    [
        (_events("response.created", "response.in_progress", "response.completed", numbers=[0, 2, 2]), "not above"),
        (_events("response.created", "response.in_progress", numbers=[5, 4]), "not above"),
        (_events("response.created", "response.completed", "response.output_text.delta"), "after the terminal"),
        (_events("response.created", "response.completed", "response.completed"), "after the terminal"),
        (_events("response.created", "response.in_progress"), "without a terminal event"),
        ([("response.created", {"type": "response.created"})], "no integer sequence_number"),
    ],
)
def test_broken_responses_streams_are_flagged(events: list[tuple[str, Any]], words: str) -> None:
    problems = _check("responses", events)
    assert problems and words in problems[0]


def test_a_stream_that_was_cut_or_left_needs_no_terminal_event() -> None:
    assert _check("responses", _events("response.created", "response.in_progress"), ended=False) == []
    checker = StreamChecker(api="responses", where="SSE test")
    checker.see("response.created", {"sequence_number": 0})
    assert checker.end(terminal_expected=False) == []  # e.g. a cancelled background response


def test_assistants_streams_end_with_one_done() -> None:
    good = [("thread.run.created", {}), ("thread.run.completed", {}), ("done", "[DONE]")]
    assert _check("assistants", good) == []
    assert "without a terminal" in _check("assistants", good[:2])[0]
    assert "after the terminal" in _check("assistants", [*good, ("thread.run.created", {})])[0]
    assert "after the terminal" in _check("assistants", [*good, ("done", "[DONE]")])[0]


def test_background_streams_say_queued_first(emulator: Any, api: Any) -> None:
    events = api.stream_response(model="m", input="hello", background=True)
    assert [e["type"] for e in events][:3] == ["response.created", "response.queued", "response.in_progress"]
    assert events[1]["response"]["status"] == "queued"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    plain = api.stream_response(model="m", input="hello")
    assert "response.queued" not in [e["type"] for e in plain]
    assert emulator.violations() == []


def test_a_resumed_background_stream_replays_queued(emulator: Any, api: Any) -> None:
    created = api.create_response(model="m", input="hello", background=True)
    if api.typed:
        events = [e.model_dump() for e in api.client.responses.retrieve(created["id"], stream=True, starting_after=0)]
    else:
        import openai

        stream = api.client.get(
            f"/responses/{created['id']}",
            cast_to=object,
            stream=True,
            stream_cls=openai.Stream[object],
            options={"params": {"stream": "true", "starting_after": 0}},
        )
        events = [event["data"] if "event" in event else event for event in stream]
    assert [e["type"] for e in events][:2] == ["response.queued", "response.in_progress"]
    assert events[-1]["type"] == "response.completed"
    assert emulator.violations() == []


def test_stream_problems_count_as_violations(emulator: Any, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker is wired into the server: a stream that repeats its terminal event is
    reported like a spec violation; a stream cut by a fault is not."""
    from openaiassistant.emulator import responses_api

    follow = responses_api._follow

    async def repeating(record: Any, start: int) -> Any:
        last = None
        async for last in follow(record, start):
            yield last
        yield last  # the terminal event again, with the same sequence number

    monkeypatch.setattr(responses_api, "_follow", repeating)  # the server runs in this process
    api.stream_response(model="m", input="hello")
    problems = emulator.violations()
    assert any("after the terminal event 'response.completed'" in p for p in problems)
    assert any("not above the previous" in p for p in problems)
    emulator.reset()  # those were on purpose

    monkeypatch.setattr(responses_api, "_follow", follow)
    emulator.add_fault(kind="stream_cut", after_events=2)
    with a_broken_stream():
        api.stream_response(model="m", input="hello")
    assert emulator.violations() == []
