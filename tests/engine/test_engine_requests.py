"""What a turn costs on the wire: the requests each backend sends, counted in the emulator's log.

Every request is a chance for a 429 and counts against the account's rate limit, so these
counts are behaviour users depend on. They run in both environments: openai 1.37.1's pager
always asks for one more page, which once cost an extra request per turn outside our retries.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.engine.conftest import posts


def _wire(emulator: Any) -> list[str]:
    """``METHOD path`` of every /v1 request so far, ids replaced by their prefixes."""
    import re

    log = emulator.requests()
    for _ in range(20):  # a streamed request is logged when the server has finished it
        time.sleep(0.02)
        again = emulator.requests()
        if again == log:
            break
        log = again
    ids = re.compile(r"(thread|run|resp|conv|msg)_[A-Za-z0-9]+")
    return [r["method"] + " " + ids.sub(lambda m: m.group(1), r["path"]) for r in log]


@pytest.fixture
def quick(emulator: Any) -> None:
    emulator.load_script(
        {"latency": {"queue_ms": 1}, "poll_after_ms": None, "rules": [{"default": True, "reply": "ok"}]}
    )


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.usefixtures("quick")
def test_a_streamed_assistants_turn_is_one_request(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant()
    emulator.clear_requests()
    first = assistant.run_turn("first")
    # a new thread is made empty first: a run request that breaks where it may have landed is
    # then found on it (threads cannot be listed), never answered by a second thread
    assert _wire(emulator) == ["POST /v1/threads", "POST /v1/threads/thread/runs"]
    emulator.clear_requests()
    second = assistant.run_turn("second", thread_id=first.thread_id)
    assert _wire(emulator) == ["POST /v1/threads/thread/runs"]  # the message rides on the run
    assert (first.text, second.text) == ("ok", "ok")
    # nothing doubled, nothing lost: each question once, each answer once
    assert [m["text"] for m in assistant.history(first.thread_id)] == ["first", "ok", "second", "ok"]


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.usefixtures("quick")
def test_a_polled_assistants_turn_reads_one_page_of_messages(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant(connection={"transport": "poll"})
    emulator.clear_requests()
    result = assistant.run_turn("hello", stream=False)
    wire = _wire(emulator)
    assert result.text == "ok"
    assert wire[:2] == ["POST /v1/threads", "POST /v1/threads/thread/runs"]
    assert set(wire[2:-1]) == {"GET /v1/threads/thread/runs/run"}
    assert wire[-1] == "GET /v1/threads/thread/messages"  # one page, no extra request for an empty next page


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.usefixtures("quick")
def test_rate_limited_message_list_is_retried(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant(connection={"transport": "poll"})
    emulator.add_fault(kind="http_error", status=429, times=2, method="GET", path=r"/messages$")
    assert assistant.run_turn("hello", stream=False).text == "ok"
    statuses = [r["status"] for r in emulator.requests() if r["path"].endswith("/messages")]
    assert statuses == [429, 429, 200]


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.usefixtures("quick")
def test_run_options_createandrun_lacks_make_the_thread_first(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant()
    emulator.clear_requests()
    result = assistant.run_turn("hello", params={"additional_instructions": "Be brief."}, metadata={"tenant": "acme"})
    assert _wire(emulator) == ["POST /v1/threads", "POST /v1/threads/thread/runs"]
    assert result.text == "ok"
    created = next(r for r in emulator.requests() if r["path"] == "/v1/threads")
    assert created["body"] == {"metadata": {"tenant": "acme"}}
    run = next(r for r in emulator.requests() if r["path"].endswith("/runs"))
    assert run["body"]["additional_messages"] == [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.usefixtures("quick")
def test_new_thread_gets_the_metadata_on_createandrun(make_assistant: Any, emulator: Any, client: Any) -> None:
    result = make_assistant().run_turn("hello", metadata={"tenant": "acme"})
    assert client.beta.threads.retrieve(result.thread_id).metadata == {"tenant": "acme"}


@pytest.mark.usefixtures("quick")
def test_a_non_streamed_turn_still_reads_the_event_stream(
    make_assistant: Any, emulator: Any, backend: str, fake_clock: Any
) -> None:
    """``stream=False`` hands no deltas to the caller, but the default transport still sees
    the run end at once: no polling and no poll waits."""
    deltas: list[str] = []
    result = make_assistant().run_turn("hello", stream=False, on_text=deltas.append)
    assert result.text == "ok" and deltas == []
    assert fake_clock.sleeps == []
    assert not [w for w in _wire(emulator) if w.startswith("GET")]


@pytest.mark.usefixtures("quick")
def test_polling_transport_hands_a_streamed_caller_the_whole_text(
    make_assistant: Any, emulator: Any, backend: str
) -> None:
    deltas: list[str] = []
    result = make_assistant(connection={"transport": "poll"}).run_turn("hello", stream=True, on_text=deltas.append)
    assert deltas == ["ok"] and result.text == "ok"
    assert any(w.startswith("GET") for w in _wire(emulator))  # it polled


def test_unknown_transport_is_refused(make_assistant: Any) -> None:
    from openaiassistant.errors import ConfigError

    with pytest.raises(ConfigError, match="transport"):
        make_assistant(connection={"transport": "websocket"})


# -- a request that carries the user's message is never lost and never doubled ------------------
def _thread_with_one_turn(make_assistant: Any, **connection: Any) -> tuple[Any, str]:
    assistant = make_assistant(connection=connection or None)
    return assistant, assistant.run_turn("first").thread_id


def _texts(assistant: Any, thread_id: str) -> list[str]:
    return [m["text"] for m in assistant.history(thread_id)]


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.parametrize("transport", ["sse", "poll"])
@pytest.mark.usefixtures("quick")
def test_a_run_request_lost_on_the_way_is_sent_again(make_assistant: Any, emulator: Any, transport: str) -> None:
    assistant, thread_id = _thread_with_one_turn(make_assistant, transport=transport)
    emulator.add_fault(kind="drop_connection", method="POST", path=r"/threads/thread_\w+/runs$", times=1)
    assert assistant.run_turn("second", thread_id=thread_id, stream=False).text == "ok"
    assert _texts(assistant, thread_id) == ["first", "ok", "second", "ok"]


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.usefixtures("quick")
def test_a_run_that_started_before_its_stream_broke_is_adopted(make_assistant: Any, emulator: Any) -> None:
    assistant, thread_id = _thread_with_one_turn(make_assistant)
    emulator.add_fault(kind="stream_cut", after_events=0, path=r"/threads/thread_\w+/runs$", times=1)
    assert assistant.run_turn("second", thread_id=thread_id).text == "ok"
    assert _texts(assistant, thread_id) == ["first", "ok", "second", "ok"]  # not sent twice
    assert len(posts(emulator, r"/threads/thread_\w+/runs$")) == 2  # once per turn: not sent again


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.usefixtures("quick")
def test_a_run_on_a_new_thread_whose_stream_broke_is_adopted(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant()
    emulator.add_fault(kind="stream_cut", after_events=0, path=r"/threads/thread_\w+/runs$", times=1)
    result = assistant.run_turn("hello")
    assert result.text == "ok"
    assert len(posts(emulator, r"/threads$")) == 1  # no second thread
    assert len(posts(emulator, r"/threads/thread_\w+/runs$")) == 1  # no second run
    assert _texts(assistant, result.thread_id) == ["hello", "ok"]


@pytest.mark.parametrize("backend", ["assistants"])
@pytest.mark.usefixtures("quick")
def test_a_failure_after_the_thread_was_made_names_the_thread(make_assistant: Any, emulator: Any) -> None:
    from openaiassistant.errors import APIError

    emulator.add_fault(kind="http_error", status=400, times=1, path=r"/threads/thread_\w+/runs$")
    with pytest.raises(APIError) as info:  # the two-request path: the thread exists before the run fails
        make_assistant().run_turn("hello", params={"additional_instructions": "Be brief."})
    assert info.value.thread_id and info.value.thread_id.startswith("thread_")
