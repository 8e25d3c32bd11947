"""Every fault kind, observed through the real SDK (``max_retries=0`` unless retries are the
point), set at runtime, by the script, and over the control endpoint."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import openai
import pytest
from tests.emulator.conftest import a_broken_stream


def _beta_run(client: openai.OpenAI, text: str = "hi") -> tuple[Any, Any]:
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5)
    return thread, run


@pytest.mark.parametrize(
    "status, error",
    [
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_http_error_with_retry_headers(emulator: Any, api: Any, status: int, error: type) -> None:
    emulator.add_fault(
        kind="http_error", status=status, retry_after=1, retry_after_ms=5, code="boom", path="/responses$"
    )
    with pytest.raises(error) as raised:
        api.create_response(model="m", input="x")
    assert raised.value.status_code == status
    assert raised.value.response.headers["retry-after"] == "1"
    assert raised.value.response.headers["retry-after-ms"] == "5"
    assert raised.value.code == "boom"
    assert api.create_response(model="m", input="x")["status"] == "completed"  # fired once
    assert [r["status"] for r in emulator.requests()] == [status, 200]


def test_sdk_retries_honour_retry_after_ms(emulator: Any) -> None:
    emulator.add_fault(kind="http_error", status=429, retry_after_ms=1, times=2)
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=2)
    assert client.beta.assistants.create(model="m").object == "assistant"
    assert [r["status"] for r in emulator.requests()] == [429, 429, 200]


def test_insufficient_quota(emulator: Any, client: openai.OpenAI) -> None:
    emulator.add_fault(kind="insufficient_quota")
    with pytest.raises(openai.RateLimitError) as raised:
        client.beta.assistants.create(model="m")
    assert raised.value.code == "insufficient_quota"
    assert raised.value.status_code == 429


def test_drop_connection(emulator: Any, client: openai.OpenAI) -> None:
    emulator.add_fault(kind="drop_connection", method="POST", path="/assistants$")
    with pytest.raises(openai.APIConnectionError):
        client.beta.assistants.create(model="m")
    assert client.beta.assistants.create(model="m").object == "assistant"
    assert [r["status"] for r in emulator.requests()] == [0, 200]


def test_stream_cut_responses(emulator: Any, api: Any) -> None:
    emulator.add_fault(kind="stream_cut", after_events=3)
    seen: list[dict[str, Any]] = []
    with a_broken_stream():
        for event in _iterate_stream(api):
            seen.append(event)
    assert len(seen) == 3
    assert all(e["type"] != "response.completed" for e in seen)


def _iterate_stream(api: Any) -> Any:
    if api.typed:
        return (e.model_dump() for e in api.client.responses.create(model="m", input="cut me short", stream=True))
    stream = api.client.post(
        "/responses",
        cast_to=object,
        body={"model": "m", "input": "cut me short", "stream": True},
        stream=True,
        stream_cls=openai.Stream[object],
    )
    return (e["data"] for e in stream)


def test_stream_cut_assistants(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="m")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
    emulator.add_fault(kind="stream_cut", after_events=2, path="/runs$")
    names: list[str] = []
    with a_broken_stream(), client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for event in stream:
            names.append(event.event)
    assert names == ["thread.run.created", "thread.run.queued"]
    # the run goes on server-side: polling picks it up where the stream stopped
    run = client.beta.threads.runs.list(thread.id).data[0]
    assert client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5).status == "completed"


@pytest.mark.parametrize("code", ["server_error", "rate_limit_exceeded"])
def test_run_failed(emulator: Any, client: openai.OpenAI, api: Any, code: str) -> None:
    emulator.add_fault(kind="run_failed", code=code, times=2)
    _, run = _beta_run(client)
    assert run.status == "failed" and run.last_error.code == code and run.failed_at
    response = api.create_response(model="m", input="x")
    assert response["status"] == "failed" and response["error"]["code"] == code
    assert emulator.violations() == []


def test_run_expired_and_incomplete(emulator: Any, client: openai.OpenAI, api: Any) -> None:
    emulator.add_fault(kind="run_expired")
    _, run = _beta_run(client)
    assert run.status == "expired"
    emulator.add_fault(kind="run_incomplete", reason="max_prompt_tokens")
    _, run = _beta_run(client)
    assert run.status == "incomplete" and run.incomplete_details.reason == "max_prompt_tokens"
    emulator.add_fault(kind="run_incomplete")
    response = api.create_response(model="m", input="x")
    assert response["status"] == "incomplete" and response["incomplete_details"]["reason"] == "max_output_tokens"


def test_stuck_run_until_cancelled(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="m")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
    emulator.add_fault(kind="stuck")
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    for _ in range(3):
        assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "in_progress"
    client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "cancelled"


def test_rule_level_fault_and_script_faults(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(
        {
            "rules": [{"match": "fail me", "fault": {"kind": "run_failed", "code": "rate_limit_exceeded"}}],
            "faults": [{"kind": "http_error", "status": 503, "path": "/threads$"}],
        }
    )
    with pytest.raises(openai.InternalServerError):
        client.beta.threads.create()
    _, run = _beta_run(client, "please fail me")
    assert run.status == "failed" and run.last_error.code == "rate_limit_exceeded"
    _, run = _beta_run(client, "fine")
    assert run.status == "completed"


def test_faults_over_the_control_endpoint(emulator: Any, client: openai.OpenAI) -> None:
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/faults",
        method="POST",
        headers={"content-type": "application/json"},
        data=json.dumps({"kind": "http_error", "status": 500, "times": 2}).encode(),
    )
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer)["faults"][0]["kind"] == "http_error"
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            client.beta.assistants.create(model="m")
    assert client.beta.assistants.create(model="m").object == "assistant"
    with urllib.request.urlopen(urllib.request.Request(f"{emulator.url}/_emulator/faults", method="DELETE")) as answer:
        assert json.load(answer) == {"faults": []}


def test_bad_fault_spec_is_refused(emulator: Any) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        emulator.add_fault(kind="meteor")


def test_cut_background_stream_resumes_where_it_stopped(emulator: Any, api: Any) -> None:
    emulator.load_script({"latency": {"tokens_per_second": 1000}})
    emulator.add_fault(kind="stream_cut", after_events=4)
    seen: list[dict[str, Any]] = []
    body = {"model": "m", "input": "one two three four five", "background": True, "stream": True}
    with a_broken_stream():
        if api.typed:
            for event in api.client.responses.create(**body):
                seen.append(event.model_dump())
        else:
            for event in api.client.post(
                "/responses", cast_to=object, body=body, stream=True, stream_cls=openai.Stream[object]
            ):
                seen.append(event["data"])
    assert len(seen) == 4
    response_id, last = seen[0]["response"]["id"], seen[-1]["sequence_number"]
    if api.typed:
        rest = [e.model_dump() for e in api.client.responses.retrieve(response_id, stream=True, starting_after=last)]
    else:
        rest = [
            e["data"]
            for e in api.client.get(
                f"/responses/{response_id}",
                cast_to=object,
                stream=True,
                stream_cls=openai.Stream[object],
                options={"params": {"stream": "true", "starting_after": last}},
            )
        ]
    events = seen + rest
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] == "response.completed"
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == "Echo: one two three four five"
    assert emulator.violations() == []


def test_stuck_stream_ends_with_cancelled_when_cancelled(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="m")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
    emulator.add_fault(kind="stuck")
    names: list[str] = []
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for event in stream:
            names.append(event.event)
            if event.event == "thread.run.in_progress":  # stuck from here on: cancel it
                other = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key)
                other.beta.threads.runs.cancel(event.data.id, thread_id=thread.id)
    assert names[-2:] == ["thread.run.cancelling", "thread.run.cancelled"]
    assert emulator.violations() == []
