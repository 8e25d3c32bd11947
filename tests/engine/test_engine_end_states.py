"""Every end state of a run, on both backends, streamed and polled; and the turn's deadline."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.engine.conftest import RUN_CREATE, posts, run_status

from openaiassistant.errors import RunCancelledError, RunExpiredError, RunFailedError, TurnTimeoutError


def test_incomplete_is_a_marked_result_with_partial_text(make_assistant: Any, emulator: Any, stream: bool) -> None:
    emulator.load_script({"rules": [{"default": True, "reply": " ".join(f"word{i}" for i in range(400))}]})
    result = make_assistant().run_turn("talk", stream=stream, params={"max_completion_tokens": "256"})
    assert result.status == "incomplete"
    assert result.incomplete_reason in ("max_output_tokens", "max_completion_tokens")
    assert result.text.startswith("word0 word1")
    assert len(result.text.split()) < 400
    assert result.to_dict()["incomplete_reason"] == result.incomplete_reason


def test_incomplete_fault(make_assistant: Any, emulator: Any, stream: bool, backend: str) -> None:
    reason = "max_prompt_tokens" if backend == "assistants" else "max_output_tokens"
    emulator.add_fault(kind="run_incomplete", reason=reason)
    result = make_assistant().run_turn("hi", stream=stream)
    assert (result.status, result.incomplete_reason) == ("incomplete", reason)


def test_failed_names_code_conversation_and_run(make_assistant: Any, emulator: Any, stream: bool) -> None:
    emulator.add_fault(kind="run_failed", code="server_error", message="The model broke.")
    with pytest.raises(RunFailedError) as info:
        make_assistant().run_turn("hi", stream=stream)
    err = info.value
    assert err.code == "server_error"
    assert "the run failed (server_error): The model broke." in str(err)  # the code is in the message too
    assert err.thread_id and err.run_id and err.run_id in str(err) and err.thread_id in str(err)


def test_rate_limited_run_is_retried_as_a_new_run(
    make_assistant: Any, emulator: Any, stream: bool, fake_clock: Any
) -> None:
    assistant = make_assistant()
    emulator.add_fault(kind="run_failed", code="rate_limit_exceeded", times=2)
    result = assistant.run_turn("hello", stream=stream)
    assert result.text == "Echo: hello"
    assert len(posts(emulator, RUN_CREATE[assistant.backend])) == 3, emulator.requests()
    assert len([s for s in fake_clock.sleeps if s >= 0.5]) >= 2  # backed off between runs
    # the retried runs answer the one message: it is in the conversation once
    assert [m["text"] for m in assistant.history(result.thread_id)] == ["hello", "Echo: hello"]


def test_rate_limited_run_gives_up_after_bounded_retries(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant()
    emulator.add_fault(kind="run_failed", code="rate_limit_exceeded", times=50)
    with pytest.raises(RunFailedError) as info:
        assistant.run_turn("hello")
    assert info.value.code == "rate_limit_exceeded"
    assert len(posts(emulator, RUN_CREATE[assistant.backend])) == 4  # first run + 3 retries


def test_expired(make_assistant: Any, emulator: Any, stream: bool, backend: str) -> None:
    emulator.add_fault(kind="run_expired")
    # Responses has no "expired" status: the emulator (like the API) reports a failure
    expected = RunExpiredError if backend == "assistants" else RunFailedError
    with pytest.raises(expected) as info:
        make_assistant().run_turn("hi", stream=stream)
    assert info.value.run_id


def test_cancelled_by_someone_else(
    make_assistant: Any, emulator: Any, client: Any, fake_clock: Any, backend: str
) -> None:
    emulator.add_fault(kind="stuck")
    assistant = make_assistant(connection={"transport": "poll"})

    def cancel_from_outside(_: float) -> None:
        # another actor cancels the run while the turn polls it
        for entry in reversed(emulator.requests()):
            match = re.search(r"/threads/(thread_\w+)/runs/(run_\w+)$|/responses/(resp_\w+)$", entry["path"])
            if match:
                if backend == "assistants":
                    client.beta.threads.runs.cancel(match.group(2), thread_id=match.group(1))
                else:
                    client.post(f"/responses/{match.group(3)}/cancel", cast_to=object)
                fake_clock.on_sleep = None
                return

    fake_clock.on_sleep = cancel_from_outside
    with pytest.raises(RunCancelledError) as info:
        assistant.run_turn("hi", stream=False, timeout=60)
    assert info.value.run_id


def test_deadline_cancels_the_run_on_the_server(
    make_assistant: Any, emulator: Any, client: Any, stream: bool, backend: str
) -> None:
    emulator.add_fault(kind="stuck")
    assistant = make_assistant()
    # streamed: the stream read is cut by the deadline itself (0.3 s of real time)
    with pytest.raises(TurnTimeoutError) as info:
        assistant.run_turn("hi", stream=stream, timeout=0.3 if stream else 1)
    err = info.value
    assert err.thread_id and err.run_id
    assert err.thread_id in str(err) and err.run_id in str(err)
    assert run_status(client, backend, err.thread_id, err.run_id) in ("cancelled", "cancelling")
    # the conversation is usable again
    emulator.clear_faults()
    assert assistant.run_turn("again", thread_id=err.thread_id, timeout=30).text == "Echo: again"


def test_polling_honours_the_server_hint(make_assistant: Any, emulator: Any, fake_clock: Any) -> None:
    emulator.load_script(
        {
            "poll_after_ms": 70,
            "poll_hint_apis": ["assistants", "responses"],
            "rules": [{"default": True, "reply": "ok"}],
        }
    )
    emulator.add_fault(kind="stuck")
    with pytest.raises(TurnTimeoutError):
        make_assistant(connection={"transport": "poll"}).run_turn("hi", stream=False, timeout=1)
    assert fake_clock.sleeps and set(fake_clock.sleeps[:-1]) == {0.07}


def test_polling_without_hint_starts_fast_and_backs_off(make_assistant: Any, emulator: Any, fake_clock: Any) -> None:
    emulator.load_script({"poll_after_ms": None, "rules": [{"default": True, "reply": "ok"}]})
    emulator.add_fault(kind="stuck")
    with pytest.raises(TurnTimeoutError):
        make_assistant(connection={"transport": "poll"}).run_turn("hi", stream=False, timeout=30)
    waits = fake_clock.sleeps
    assert waits[0] <= 0.1 and waits[:-1] == sorted(waits[:-1]) and max(waits) == 2.0
