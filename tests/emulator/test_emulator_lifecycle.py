"""Runs and background responses advance over time; limits end them ``incomplete``.

No timing assertions: "advances over time" is shown by construction (a long ``run_ms`` keeps a
run observably ``in_progress``; a short one lets the SDK's poll helper reach the end).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

import httpx
import openai
import pytest


def _thread(client: openai.OpenAI, text: str = "hello there") -> tuple[Any, Any]:
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
    return assistant, thread


def test_run_moves_queued_to_in_progress_and_sends_poll_hint(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script({"latency": {"run_ms": 60_000}, "poll_after_ms": 7})
    assistant, thread = _thread(client)
    raw = client.beta.threads.runs.with_raw_response.create(thread_id=thread.id, assistant_id=assistant.id)
    assert raw.headers["openai-poll-after-ms"] == "7"
    run = raw.parse()
    assert run.status == "queued"
    current = client.beta.threads.runs.with_raw_response.retrieve(run.id, thread_id=thread.id)
    assert current.parse().status == "in_progress" and current.parse().started_at
    assert current.headers["openai-poll-after-ms"] == "7"
    assert client.beta.threads.runs.cancel(run.id, thread_id=thread.id).status == "cancelling"
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "cancelled"
    assert client.beta.threads.messages.list(thread.id).data[0].role == "user"  # no answer written


def test_short_run_completes_under_the_sdk_poll_helper(emulator: Any, client: openai.OpenAI) -> None:
    """The SDK's helper polls at the server's hint (20 ms) through the whole run (300 ms): several
    polls. Ignoring the hint (its 1 s fallback) would give 2 polls; a run that ended early would
    give 1."""
    emulator.load_script({"latency": {"run_ms": 300, "queue_ms": 0}, "poll_after_ms": 20})
    assistant, thread = _thread(client)
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    polls = [r for r in emulator.requests() if r["method"] == "GET" and "/runs/" in r["path"]]
    assert len(polls) >= 3


def test_streamed_tokens_with_latency(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script({"latency": {"first_token_ms": 5, "tokens_per_second": 500}})
    assistant, thread = _thread(client, "a b c d e")
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        deltas = list(stream.text_deltas)
    assert deltas == ["Echo: ", "a ", "b ", "c ", "d ", "e"]


def test_background_response_in_progress_then_cancel(emulator: Any, api: Any) -> None:
    emulator.load_script({"latency": {"run_ms": 60_000}})
    created = api.create_response(model="m", input="slow", background=True)
    assert created["status"] == "queued" and "usage" not in created
    assert api.retrieve_response(created["id"])["status"] == "in_progress"
    cancelled = api.cancel_response(created["id"])
    assert cancelled["status"] == "cancelled"
    assert api.retrieve_response(created["id"])["status"] == "cancelled"


@pytest.mark.emulator_bad_requests  # refused on purpose
def test_run_limits_end_incomplete(emulator: Any, client: openai.OpenAI) -> None:
    words = [f"w{i}" for i in range(300)]
    assistant, thread = _thread(client, " ".join(words))
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, max_completion_tokens=256, poll_interval_ms=5
    )
    assert run.status == "incomplete" and run.incomplete_details.reason == "max_completion_tokens"
    message = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert message.status == "incomplete" and message.content[0].text.value.split() == ["Echo:", *words[:255]]
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, max_prompt_tokens=256, poll_interval_ms=5
    )
    assert run.status == "incomplete" and run.incomplete_details.reason == "max_prompt_tokens"
    with pytest.raises(openai.BadRequestError) as too_small:  # the real API's minimum is 256
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id, max_completion_tokens=2)
    assert too_small.value.param == "max_completion_tokens"
    assert emulator.violations() == []


def test_run_response_format_json_schema(emulator: Any, client: openai.OpenAI) -> None:
    assistant, thread = _thread(client)
    schema = {
        "type": "object",
        "properties": {
            "severity": {"type": "string", "enum": ["low", "high"]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["severity", "tags"],
        "additionalProperties": False,
    }
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        poll_interval_ms=5,
        response_format={"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema, "strict": True}},
    )
    assert run.status == "completed"
    answer = json.loads(client.beta.threads.messages.list(thread.id, limit=1).data[0].content[0].text.value)
    assert answer["severity"] == "low" and isinstance(answer["tags"], list)


def test_tool_rule_skipped_when_tool_not_offered(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script({"rules": [{"match": "disk", "tool_calls": [{"name": "get_disk_usage"}]}]})
    assistant, thread = _thread(client, "disk full")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5)
    assert run.status == "completed"  # no tools offered: the default rule answers


def test_create_thread_and_run_stream(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    with client.beta.threads.create_and_run_stream(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "hi"}]}
    ) as stream:
        names = [event.event for event in stream]
    assert names[:3] == ["thread.created", "thread.run.created", "thread.run.queued"]
    assert names[-1] == "thread.run.completed"
    assert emulator.violations() == []


def test_run_left_in_requires_action_expires(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(
        {"run_expires_ms": 60_000, "rules": [{"match": "disk", "tool_calls": [{"name": "get_disk_usage"}]}]}
    )
    assistant = client.beta.assistants.create(
        model="m",
        tools=[
            {
                "type": "function",
                "function": {"name": "get_disk_usage", "parameters": {"type": "object", "properties": {}}},
            }
        ],
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "disk"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5)
    assert run.status == "requires_action"
    emulator.advance_time(59)
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "requires_action"
    emulator.advance_time(2)  # never submitted: past the deadline the run has expired
    run = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert run.status == "expired" and run.required_action is None
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert steps[0].status == "expired" and steps[0].expired_at
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.submit_tool_outputs(
            run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": "x", "output": "1"}]
        )
    assert client.beta.threads.messages.create(thread.id, role="user", content="again").role == "user"
    assert emulator.violations() == []


def test_advancing_the_clock_finishes_slow_work(emulator: Any, client: openai.OpenAI, api: Any) -> None:
    emulator.load_script({"latency": {"run_ms": 30_000}, "indexing_ms": 120_000})
    assistant, thread = _thread(client)
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    response = api.create_response(model="m", input="slow", background=True)
    stores = getattr(client, "vector_stores", None) or client.beta.vector_stores
    doc = client.files.create(file=("a.md", b"alpha"), purpose="assistants")
    store = stores.create(name="kb", file_ids=[doc.id])
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "in_progress"
    assert api.retrieve_response(response["id"])["status"] == "in_progress"
    emulator.advance_time(31)
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "completed"
    assert api.retrieve_response(response["id"])["status"] == "completed"
    assert stores.retrieve(store.id).status == "in_progress"
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{emulator.url}/_emulator/advance", method="POST", data=json.dumps({"seconds": 120}).encode()
        )
    ) as answer:
        assert json.load(answer)["ok"]
    assert stores.retrieve(store.id).status == "completed"


def test_poll_hint_can_be_switched_off_or_sent_on_responses(emulator: Any, client: openai.OpenAI, api: Any) -> None:
    assistant, thread = _thread(client)
    emulator.load_script({"poll_after_ms": None})
    raw = client.beta.threads.runs.with_raw_response.create(thread_id=thread.id, assistant_id=assistant.id)
    assert "openai-poll-after-ms" not in raw.headers
    emulator.load_script({"poll_after_ms": 40, "poll_hint_apis": ["responses"]})
    created = api.create_response(model="m", input="x", background=True)
    raw = httpx.get(
        f"{emulator.base_url}/responses/{created['id']}", headers={"Authorization": f"Bearer {emulator.api_key}"}
    )
    assert raw.headers["openai-poll-after-ms"] == "40"


def test_truncation_strategy_limits_the_prompt(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="m")
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "word " * 300}, {"role": "user", "content": "short"}]
    )
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5, max_prompt_tokens=256
    )
    assert run.status == "incomplete"  # 301 words of prompt
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        poll_interval_ms=5,
        max_prompt_tokens=256,
        truncation_strategy={"type": "last_messages", "last_messages": 1},
    )
    assert run.status == "completed" and run.usage.prompt_tokens == 1


def test_streams_are_served_concurrently(emulator: Any) -> None:
    """Each client holds a never-ending stream open and waits at a barrier: only a server that
    serves them all at once lets every client reach it."""
    count = 6
    emulator.add_fault(kind="stuck", times=count)
    barrier = threading.Barrier(count, timeout=20)
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
    assistant = client.beta.assistants.create(model="m")
    threads = [client.beta.threads.create(messages=[{"role": "user", "content": f"hi {i}"}]) for i in range(count)]
    ends: list[str] = []

    def one(thread_id: str) -> None:
        with client.beta.threads.runs.stream(thread_id=thread_id, assistant_id=assistant.id) as stream:
            for event in stream:
                if event.event == "thread.run.in_progress":
                    barrier.wait()  # every stream is open and stuck at the same time
                    client.beta.threads.runs.cancel(event.data.id, thread_id=thread_id)
                last = event.event
        ends.append(last)

    workers = [threading.Thread(target=one, args=(t.id,)) for t in threads]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert ends == ["thread.run.cancelled"] * count
