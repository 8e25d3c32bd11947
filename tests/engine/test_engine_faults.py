"""Every emulator fault against a real turn: retried where it can succeed, clear errors where not."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import RUN_CREATE, posts

from openaiassistant.assistant import Assistant
from openaiassistant.errors import AuthenticationError, QuotaExceededError, ServerUnavailableError
from openaiassistant.settings import AssistantSpec, ConnectionSettings

POLL_PATH = {"responses": r"/responses/resp_\w+$", "assistants": r"/runs/run_\w+$"}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_http_errors_are_retried_honouring_retry_after(
    make_assistant: Any, emulator: Any, fake_clock: Any, backend: str, status: int
) -> None:
    assistant = make_assistant()
    # method POST: after a 5xx on a run request the thread is listed (GET .../runs) to see whether it landed
    emulator.add_fault(
        kind="http_error", status=status, retry_after_ms=37, times=2, method="POST", path=RUN_CREATE[backend]
    )
    result = assistant.run_turn("hello")
    assert result.text == "Echo: hello"
    attempts = posts(emulator, RUN_CREATE[backend])
    assert [a["status"] for a in attempts] == [status, status, 200]
    assert fake_clock.sleeps.count(0.037) == 2


def test_retry_after_seconds(make_assistant: Any, emulator: Any, fake_clock: Any, backend: str) -> None:
    assistant = make_assistant()
    emulator.add_fault(kind="http_error", status=429, retry_after=3, times=1)
    assert assistant.run_turn("hello").text == "Echo: hello"
    assert 3.0 in fake_clock.sleeps


def test_retries_run_out(make_assistant: Any, emulator: Any, backend: str) -> None:
    assistant = make_assistant(connection={"max_retries": 2})
    emulator.add_fault(kind="http_error", status=503, times=10, method="POST", path=RUN_CREATE[backend])
    with pytest.raises(ServerUnavailableError) as info:
        assistant.run_turn("hello")
    assert info.value.http_status == 503
    assert len(posts(emulator, RUN_CREATE[backend])) == 3


def test_insufficient_quota_fails_at_once(make_assistant: Any, emulator: Any, backend: str, fake_clock: Any) -> None:
    assistant = make_assistant()
    emulator.add_fault(kind="insufficient_quota", times=5, path=RUN_CREATE[backend])
    with pytest.raises(QuotaExceededError) as info:
        assistant.run_turn("hello")
    assert "quota" in str(info.value)
    assert len(posts(emulator, RUN_CREATE[backend])) == 1
    assert fake_clock.sleeps == []


def test_dropped_connection_while_polling_is_retried(make_assistant: Any, emulator: Any, backend: str) -> None:
    emulator.load_script({"latency": {"queue_ms": 1}, "rules": [{"default": True, "reply": "done"}]})
    assistant = make_assistant(connection={"transport": "poll"})
    emulator.add_fault(kind="drop_connection", method="GET", path=POLL_PATH[backend], times=1)
    result = assistant.run_turn("hello", stream=False)
    assert result.text == "done"
    assert 0 in [r["status"] for r in emulator.requests()]


def test_dropped_connection_on_create_is_retried(make_assistant: Any, emulator: Any, backend: str) -> None:
    # what creates the conversation: POST /conversations; POST /threads (made empty, then its run)
    path = r"/conversations$" if backend == "responses" else r"/threads$"
    emulator.add_fault(kind="drop_connection", method="POST", path=path, times=1)
    assert make_assistant().run_turn("hello").text == "Echo: hello"
    assert 0 in [r["status"] for r in emulator.requests()]  # the fault fired


def test_cut_stream_is_picked_up(make_assistant: Any, emulator: Any, backend: str) -> None:
    emulator.load_script({"rules": [{"default": True, "reply": "one two three four five six seven"}]})
    emulator.add_fault(kind="stream_cut", after_events=4, path=RUN_CREATE[backend])
    deltas: list[str] = []
    result = make_assistant().run_turn("hello", stream=True, on_text=deltas.append)
    assert result.text == "one two three four five six seven"
    assert result.status == "completed"
    assert "".join(deltas) == result.text  # resumed (Responses) or finished by polling (Assistants)


def test_bad_api_key(emulator: Any, backend: str) -> None:
    from openaiassistant.emulator.server import EmulatorServer

    with EmulatorServer(required_api_key="sk-the-right-key-123") as server:
        spec = AssistantSpec(backend=backend, model="gpt-4o-mini", assistant_id="asst_x")
        wrong = ConnectionSettings(api_key="sk-the-wrong-key-456", base_url=server.base_url)
        with pytest.raises(AuthenticationError) as info:
            Assistant(connection=wrong, spec=spec, sleep=lambda s: None).run_turn("hi")
    assert "sk-the-wrong-key-456" not in str(info.value)
    assert info.value.http_status == 401


def test_unreachable_server(backend: str) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ConnectionSettings(api_key="sk-test-unreachable", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1)
    spec = AssistantSpec(backend=backend, model="gpt-4o-mini", assistant_id="asst_x")
    sleeps: list[float] = []
    with pytest.raises(ServerUnavailableError, match="could not reach"):
        Assistant(connection=settings, spec=spec, sleep=sleeps.append).run_turn("hi")
    assert len(sleeps) == 1


def test_the_api_key_never_leaks(make_assistant: Any, emulator: Any, backend: str, caplog: Any) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    assistant = make_assistant()
    emulator.add_fault(kind="http_error", status=503, times=1, path=RUN_CREATE[backend])
    result = assistant.run_turn("hello")
    emulator.add_fault(kind="run_failed", code="server_error", message="broken")
    with pytest.raises(Exception) as info:
        assistant.run_turn("again")
    key = "sk-test-engine-key"
    assert key not in repr(result.to_dict()) and key not in str(info.value)
    assert key not in repr(assistant.connection)
    assert all(key not in record.getMessage() for record in caplog.records)
    assert any("retrying" in record.getMessage() for record in caplog.records)


def test_a_stream_that_keeps_breaking_is_finished_by_polling(make_assistant: Any, emulator: Any) -> None:
    emulator.load_script({"rules": [{"default": True, "reply": "one two three four five six seven eight nine"}]})
    emulator.add_fault(kind="stream_cut", after_events=3, times=20)
    deltas: list[str] = []
    result = make_assistant().run_turn("hello", stream=True, on_text=deltas.append)
    assert result.text == "one two three four five six seven eight nine"
    assert "".join(deltas) == result.text


@pytest.mark.parametrize("backend", ["responses"])
def test_cut_stream_without_background_mode_is_polled(make_assistant: Any, emulator: Any, backend: str) -> None:
    emulator.load_script({"rules": [{"default": True, "reply": "one two three four five six seven"}]})
    emulator.add_fault(kind="stream_cut", after_events=4, path=RUN_CREATE[backend])
    deltas: list[str] = []
    result = make_assistant(background=False).run_turn("hello", stream=True, on_text=deltas.append)
    assert result.text == "one two three four five six seven"
    assert "".join(deltas) == result.text


def test_an_error_event_in_the_stream_fails_the_turn_once(make_assistant: Any, emulator: Any, backend: str) -> None:
    """Both SDK generations: openai 1.37.1 names the event, newer ones hand it over bare."""
    emulator.add_fault(kind="stream_error", after_events=1, message="the model broke", path=RUN_CREATE[backend])
    with pytest.raises(ServerUnavailableError, match="the model broke"):
        make_assistant().run_turn("hello")
    assert len(posts(emulator, RUN_CREATE[backend])) == 1  # not sent again: the server answered
