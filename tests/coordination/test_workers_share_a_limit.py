"""Several worker processes, one quota: ``ask`` processes sharing a rate limit and a conversation
through a real redis-server or PostgreSQL, against the emulator's account limits."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from tests.coordination.workers import ask, finish, new_key, wait_for

STORES = ["redis", "postgresql"]


def _url(request: Any, store: str) -> str:
    return str(request.getfixturevalue("redis_url" if store == "redis" else "postgres_url"))


@pytest.mark.parametrize("store", STORES)
def test_processes_share_one_requests_per_minute_limit(emulator: Any, request: Any, store: str) -> None:
    """Three workers use the account's 6 requests of this minute between them (each turn: a new
    conversation and a response). A fourth, whose deadline ends long before the minute does,
    fails at once without sending anything: the server never has to refuse anyone."""
    url, key = _url(request, store), new_key()
    emulator.set_limits(rpm=6)
    workers = [ask(emulator, f"alert {i}", "--coordination-url", url, api_key=key) for i in range(3)]
    assert [finish(w)[0] for w in workers] == [0, 0, 0]
    code, _, err = finish(ask(emulator, "one too many", "--coordination-url", url, "--timeout", "5", api_key=key))
    assert code == 1
    assert "rate limit of pool" in err and "more than the" in err and "deadline" in err
    assert emulator.limits()["admitted"] == 6 and emulator.limits()["refused"] == 0


def test_without_coordination_the_server_has_to_refuse(emulator: Any) -> None:
    """The same fourth worker on its own: it asks, is refused (429), and learns the wait only then."""
    key = new_key()
    emulator.set_limits(rpm=6)
    workers = [ask(emulator, f"alert {i}", api_key=key) for i in range(3)]
    assert [finish(w)[0] for w in workers] == [0, 0, 0]
    code, _, err = finish(ask(emulator, "one too many", "--timeout", "5", api_key=key))
    assert code == 1 and "deadline" in err
    assert emulator.limits()["refused"] >= 1  # it had to ask to find out


@pytest.mark.parametrize("store", STORES)
def test_processes_share_one_conversation(emulator: Any, client: openai.OpenAI, request: Any, store: str) -> None:
    """A worker holds the conversation; another with on_active_run=fail gives up without sending
    anything, one with wait runs after it; the server's own lock never has to say no."""
    url, key = _url(request, store), new_key()
    emulator.load_script(
        {
            "rules": [
                {"match": "^long", "latency": {"run_ms": 600_000}, "reply": "long answer"},
                {"default": True, "reply": "Echo: {{ input }}"},
            ]
        }
    )
    conversation = client.post("/conversations", body={}, cast_to=object)["id"]
    common = ["--thread-id", conversation, "--coordination-url", url, "--transport", "poll"]
    holder = ask(emulator, "long job", *common, api_key=key)

    def responses() -> list[dict[str, Any]]:
        return [r for r in emulator.requests() if r["method"] == "POST" and r["path"] == "/v1/responses"]

    wait_for(lambda: responses(), what="the first worker's response")
    code, _, err = finish(ask(emulator, "impatient", *common, "--on-active-run", "fail", api_key=key))
    assert code == 1 and "busy with a turn of another worker" in err
    waiter = ask(emulator, "patient", *common, api_key=key)
    emulator.advance_time(700)  # the long answer is done: the holder's next poll sees it
    assert finish(holder)[0] == 0
    code, out, _ = finish(waiter)
    assert code == 0 and json.loads(out)["text"] == "Echo: patient"
    assert len(responses()) == 2  # the impatient worker never asked
    assert all(r["status"] != 400 for r in emulator.requests())  # no conversation_locked
