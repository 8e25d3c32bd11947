"""``spare_threads``: a process that starts many conversations gets the next one made ahead.

Real SDK, real HTTP to the emulator. Each test uses its own API key, as spares are kept per
server and key for the whole process (backends/spare.py).
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import openai
import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.backends import spare
from openaiassistant.settings import AssistantSpec, ConnectionSettings


def _assistant(emulator: Any, client: openai.OpenAI, backend: str, *, key: str, on: bool = True) -> Assistant:
    fields: dict[str, Any] = {"model": "gpt-4o-mini", "spare_threads": on}
    if backend == "assistants":
        fields["assistant_id"] = client.beta.assistants.create(model="gpt-4o-mini", instructions="You help.").id
    return Assistant(
        connection=ConnectionSettings(api_key=key, base_url=emulator.base_url),
        spec=AssistantSpec(backend=backend, **fields),
    )


def _containers(emulator: Any, backend: str) -> dict[str, Any]:
    state = emulator.emulator.state
    return state.threads if backend == "assistants" else state.conversations


def _made(emulator: Any, backend: str, count: int) -> set[str]:
    """The conversations (threads) on the server, once there are ``count`` (background work)."""
    for _ in range(500):
        found = set(_containers(emulator, backend))
        if len(found) >= count:
            return found
        time.sleep(0.01)
    raise AssertionError(f"the server has {len(_containers(emulator, backend))} conversations, not {count}")


def _turn_posts(emulator: Any, backend: str) -> list[dict[str, Any]]:
    """The turn's own requests: its response / run, without the background spare's create."""
    suffix = "/runs" if backend == "assistants" else "/responses"
    return [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith(suffix)]


def _two_new_conversations(emulator: Any, client: openai.OpenAI, backend: str) -> tuple[Assistant, Any, set[str]]:
    """An assistant with its own key after two turns on new conversations: the turns' results
    and the spare the second one had made."""
    assistant = _assistant(emulator, client, backend, key=f"sk-spare-{uuid.uuid4().hex}")
    first = assistant.run_turn("one")
    assert set(_containers(emulator, backend)) == {first.thread_id}  # one conversation: no spare
    second = assistant.run_turn("two")
    ready = _made(emulator, backend, 3) - {first.thread_id, second.thread_id}  # the second had the next made
    return assistant, (first, second), ready


@pytest.mark.parametrize("backend", ["responses", "assistants"])
def test_from_the_second_new_conversation_the_next_turn_takes_a_spare(
    emulator: Any, client: openai.OpenAI, backend: str
) -> None:
    assistant, (first, second), (ready,) = _two_new_conversations(emulator, client, backend)
    emulator.clear_requests()
    third = Assistant(connection=assistant.connection, spec=assistant.spec).run_turn("three")  # as Keep's next step
    assert third.status == "completed" and third.thread_id == ready
    made = [
        r
        for r in emulator.requests()
        if (r["method"], r["path"]) in (("POST", "/v1/threads"), ("POST", "/v1/conversations"))
    ]
    assert len(made) <= 1  # at most the next spare, made in the background: the turn made none
    _made(emulator, backend, 4)  # the next spare
    (posted,) = _turn_posts(emulator, backend)
    if backend == "responses":
        assert posted["body"]["conversation"] == ready
    else:
        assert posted["path"] == f"/v1/threads/{ready}/runs"
    history = assistant.history(ready)
    assert [m["role"] for m in history] == ["user", "assistant"] and history[0]["text"] == "three"  # empty before
    spare._discard_all()  # what atexit does
    assert set(_containers(emulator, backend)) == {first.thread_id, second.thread_id, third.thread_id}


@pytest.mark.parametrize("backend", ["responses", "assistants"])
def test_a_turn_with_thread_metadata_makes_its_own_conversation(
    emulator: Any, client: openai.OpenAI, backend: str
) -> None:
    assistant, _, ready = _two_new_conversations(emulator, client, backend)
    tagged = assistant.run_turn("three", metadata={"alert": "disk-full"})
    assert tagged.thread_id not in ready  # made for it, with its metadata
    assert _containers(emulator, backend)[tagged.thread_id].obj["metadata"] == {"alert": "disk-full"}
    spare._discard_all()


def test_spares_are_kept_per_key_and_off_by_default(emulator: Any, client: openai.OpenAI) -> None:
    off = _assistant(emulator, client, "responses", key=f"sk-spare-{uuid.uuid4().hex}", on=False)
    made = {off.run_turn(text).thread_id for text in ("one", "two", "three")}
    assert set(_containers(emulator, "responses")) == made  # no spare without spare_threads
    on = _assistant(emulator, client, "responses", key=f"sk-spare-{uuid.uuid4().hex}")
    on.run_turn("four")
    on.run_turn("five")
    ready = _made(emulator, "responses", 6) - made
    other = _assistant(emulator, client, "responses", key=f"sk-spare-{uuid.uuid4().hex}")
    assert other.run_turn("six").thread_id not in ready  # another key's spare is not taken
    spare._discard_all()


def _slow_spare() -> tuple[Any, threading.Event, list[str]]:
    """A key whose second turn starts a spare that is made only once ``release`` is set."""
    release, deleted = threading.Event(), []

    def make() -> str:
        release.wait(10)
        return "conv_late"

    key = ("test", uuid.uuid4().hex)
    for _ in range(2):  # the second new conversation starts the next one
        assert spare.take_spare(key, make=make, discard=deleted.append) is None
    return spare._SPARES[key], release, deleted


def test_a_spare_still_being_made_at_exit_is_waited_for_and_deleted() -> None:
    pending, release, deleted = _slow_spare()
    threading.Timer(0.05, release.set).start()
    pending.close(wait=5.0)  # as the exit does
    assert deleted == ["conv_late"]


def test_a_spare_made_after_its_key_was_pushed_out_is_deleted_at_once() -> None:
    pending, release, deleted = _slow_spare()
    pending.close()  # pushed out of the table: no wait
    assert deleted == []
    release.set()
    for _ in range(500):
        if deleted:
            break
        time.sleep(0.01)
    assert deleted == ["conv_late"]
    assert pending.take(make=lambda: "conv_never", discard=deleted.append) is None  # closed: nothing made
