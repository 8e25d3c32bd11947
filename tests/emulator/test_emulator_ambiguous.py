"""What the reliability matrix needs from the emulator (issue 10): a request that lands while its
answer is lost (``ambiguous_error`` / ``ambiguous_drop``), faults armed on one specific request
(``body``, ``skip``), and a client that leaves a stream during a latency sleep keeping the rest
of that sleep (the run does not complete at once)."""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest


def _user_messages(api: Any, conversation_id: str) -> list[str]:
    items = api.list_items(conversation_id, order="asc")
    return [p["text"] for i in items if i.get("role") == "user" for p in i["content"]]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_ambiguous_error_lands_the_request(emulator: Any, api: Any, stream: bool) -> None:
    conversation = api.create_conversation()
    emulator.add_fault(kind="ambiguous_error", path="/responses$")
    body = {"model": "m", "input": "hello", "conversation": conversation["id"], "background": True}
    with pytest.raises(openai.InternalServerError) as raised:
        if stream:
            api.stream_response(**body)
        else:
            api.create_response(**body)
    assert raised.value.status_code == 502
    assert _user_messages(api, conversation["id"]) == ["hello"]  # the server did the work
    assert [r["status"] for r in emulator.requests() if r["path"] == "/v1/responses"] == [502]


def test_ambiguous_drop_on_an_assistants_run(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create()
    emulator.add_fault(kind="ambiguous_drop", path="/runs$")
    with pytest.raises(openai.APIConnectionError):
        client.beta.threads.runs.create(
            thread_id=thread.id, assistant_id=assistant.id, additional_messages=[{"role": "user", "content": "hi"}]
        )
    runs = client.beta.threads.runs.list(thread_id=thread.id).data
    assert len(runs) == 1  # the run was created although the client never heard of it
    messages = client.beta.threads.messages.list(thread_id=thread.id).data
    assert [m.role for m in messages].count("user") == 1


def test_a_stream_that_landed_goes_on_after_the_error(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create()
    emulator.add_fault(kind="ambiguous_error", status=503, path="/runs$")
    with pytest.raises(openai.InternalServerError):
        client.post(
            f"/threads/{thread.id}/runs",
            body={"assistant_id": assistant.id, "stream": True},
            cast_to=object,
            stream=True,
            stream_cls=openai.Stream[object],
            options={"headers": {"OpenAI-Beta": "assistants=v2"}},
        )
    (run,) = client.beta.threads.runs.list(thread_id=thread.id).data
    done = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    assert done.status == "completed"


def test_faults_match_the_body_and_skip(emulator: Any, api: Any) -> None:
    emulator.add_fault(kind="http_error", status=500, path="/responses$", body="function_call_output")
    emulator.add_fault(kind="http_error", status=503, path="/responses$", body="second", skip=1)
    assert api.create_response(model="m", input="first")["status"] == "completed"
    assert api.create_response(model="m", input="second")["status"] == "completed"  # skipped once
    with pytest.raises(openai.InternalServerError) as raised:
        api.create_response(model="m", input="second")
    assert raised.value.status_code == 503
    with pytest.raises(openai.InternalServerError) as raised:
        api.create_response(model="m", input=[{"type": "function_call_output", "call_id": "call_1", "output": "{}"}])
    assert raised.value.status_code == 500


def test_bad_fault_patterns_are_refused(emulator: Any) -> None:
    from openaiassistant.emulator.faults import FaultError

    with pytest.raises(FaultError, match="regular expression"):
        emulator.add_fault(kind="http_error", body="(unclosed")


def test_leaving_a_stream_keeps_the_rest_of_its_latency(emulator: Any, client: openai.OpenAI) -> None:
    # issue 10: the remaining latency was dropped, the response completed at once and the
    # client's cancel got 400
    emulator.load_script({"latency": {"first_token_ms": 60_000}, "rules": [{"default": True, "reply": "slow"}]})
    stream = client.post(
        "/responses",
        body={"model": "m", "input": "hi", "stream": True, "background": True},
        cast_to=object,
        stream=True,
        stream_cls=openai.Stream[object],
    )
    response_id = None
    for raw in stream:
        event = raw["data"] if isinstance(raw, dict) and "event" in raw else raw
        response_id = response_id or event.get("response", {}).get("id")
        if event.get("type") == "response.in_progress":
            break
    stream.close()
    for _ in range(50):  # until the server has seen the client leave (bounded; no timing asserted)
        if client.get(f"/responses/{response_id}", cast_to=object)["status"] != "in_progress":
            break
        time.sleep(0.02)
    cancelled = client.post(f"/responses/{response_id}/cancel", cast_to=object)
    assert cancelled["status"] == "cancelled"
