"""A tool-calling conversation runs to completion through the SDK on both APIs, polled and
streamed: round 1 calls two tools in parallel, round 2 calls one more, then the model answers
with every output templated in."""

from __future__ import annotations

import json
import time
from typing import Any

import openai
import pytest

SCRIPT = {
    "rules": [
        {
            "name": "investigate",
            "match": "(?i)investigate (?P<host>\\S+)",
            "tool_calls": [
                {"name": "get_disk_usage", "arguments": {"host": "{{ match.host }}"}},
                {"name": "get_load", "arguments": {"host": "{{ match.host }}"}},
            ],
            "then": {
                "tool_calls": [{"name": "get_disk_usage", "arguments": {"host": "backup-of-{{ match.host }}"}}],
                "then": {"reply": "Final for {{ match.host }}: {{ tool_outputs.get_disk_usage }}"},
            },
        },
    ]
}
PARAMS = {"type": "object", "properties": {"host": {"type": "string"}}}
RESPONSES_TOOLS = [
    {"type": "function", "name": n, "parameters": PARAMS, "strict": False} for n in ("get_disk_usage", "get_load")
]
ASSISTANT_TOOLS = [
    {"type": "function", "function": {"name": n, "parameters": PARAMS}} for n in ("get_disk_usage", "get_load")
]


def run_tool(name: str, arguments: str) -> str:
    host = json.loads(arguments)["host"]
    return json.dumps({"tool": name, "host": host, "value": f"{len(host)}%"})


EXPECTED = 'Final for db-1: {"tool": "get_disk_usage", "host": "backup-of-db-1", "value": "14%"}'


@pytest.fixture(autouse=True)
def _script(emulator: Any) -> None:
    emulator.load_script(SCRIPT)


# -- Responses -------------------------------------------------------------------------------
def _poll(api: Any, response_id: str) -> dict[str, Any]:
    for _ in range(200):
        response = api.retrieve_response(response_id)
        if response["status"] not in ("queued", "in_progress"):
            return response
        time.sleep(0.01)
    raise AssertionError("response never finished")


def _responses_turn(api: Any, *, stream: bool, parallel: bool = True) -> tuple[str, list[list[str]]]:
    rounds: list[list[str]] = []
    body: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "input": "please investigate db-1",
        "tools": RESPONSES_TOOLS,
        "parallel_tool_calls": parallel,
    }
    for _ in range(5):
        if stream:
            events = api.stream_response(**body)
            assert events[-1]["type"] == "response.completed"
            response = events[-1]["response"]
        else:
            response = _poll(api, api.create_response(background=True, **body)["id"])
        calls = [item for item in response["output"] if item["type"] == "function_call"]
        if not calls:
            return response["output"][0]["content"][0]["text"], rounds
        rounds.append([c["name"] for c in calls])
        body = {
            "model": "gpt-4o-mini",
            "previous_response_id": response["id"],
            "tools": RESPONSES_TOOLS,
            "parallel_tool_calls": parallel,
            "input": [
                {"type": "function_call_output", "call_id": c["call_id"], "output": run_tool(c["name"], c["arguments"])}
                for c in calls
            ],
        }
    raise AssertionError("too many rounds")


@pytest.mark.parametrize("stream", [False, True], ids=["polled", "streamed"])
def test_responses_tool_loop(emulator: Any, api: Any, stream: bool) -> None:
    text, rounds = _responses_turn(api, stream=stream)
    assert rounds == [["get_disk_usage", "get_load"], ["get_disk_usage"]]
    assert text == EXPECTED
    assert emulator.violations() == []
    assert emulator.request_violations() == []  # what the SDK sent fits the spec too


def test_responses_without_parallel_calls_one_per_round(emulator: Any, api: Any) -> None:
    text, rounds = _responses_turn(api, stream=False, parallel=False)
    assert rounds == [["get_disk_usage"], ["get_load"], ["get_disk_usage"]]
    assert text == EXPECTED


# -- Assistants ------------------------------------------------------------------------------
def _outputs(run: Any) -> list[dict[str, str]]:
    return [
        {"tool_call_id": c.id, "output": run_tool(c.function.name, c.function.arguments)}
        for c in run.required_action.submit_tool_outputs.tool_calls
    ]


def test_assistants_tool_loop_polled(emulator: Any, client: openai.OpenAI) -> None:
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-4o-mini", tools=ASSISTANT_TOOLS)
    thread = beta.threads.create(messages=[{"role": "user", "content": "please investigate db-1"}])
    run = beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5)
    rounds = []
    while run.status == "requires_action":
        rounds.append([c.function.name for c in run.required_action.submit_tool_outputs.tool_calls])
        run = beta.threads.runs.submit_tool_outputs_and_poll(
            run_id=run.id, thread_id=thread.id, tool_outputs=_outputs(run), poll_interval_ms=5
        )
    assert run.status == "completed"
    assert rounds == [["get_disk_usage", "get_load"], ["get_disk_usage"]]
    assert beta.threads.messages.list(thread.id, limit=1).data[0].content[0].text.value == EXPECTED
    assert emulator.violations() == []


def test_assistants_tool_loop_streamed(emulator: Any, client: openai.OpenAI) -> None:
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-4o-mini", tools=ASSISTANT_TOOLS)
    thread = beta.threads.create(messages=[{"role": "user", "content": "please investigate db-1"}])
    with beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        stream.until_done()
        run = stream.current_run
    rounds, text = [], ""
    while run is not None and run.status == "requires_action":
        rounds.append([c.function.name for c in run.required_action.submit_tool_outputs.tool_calls])
        with beta.threads.runs.submit_tool_outputs_stream(
            thread_id=thread.id, run_id=run.id, tool_outputs=_outputs(run)
        ) as stream:
            text = "".join(stream.text_deltas)
            run = stream.current_run
    assert rounds == [["get_disk_usage", "get_load"], ["get_disk_usage"]]
    assert run is not None and run.status == "completed"
    assert text == EXPECTED
    assert emulator.violations() == []
    assert emulator.request_violations() == []  # what the SDK sent fits the spec too


def test_assistants_without_parallel_calls_one_per_round(emulator: Any, client: openai.OpenAI) -> None:
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-4o-mini", tools=ASSISTANT_TOOLS)
    thread = beta.threads.create(messages=[{"role": "user", "content": "please investigate db-1"}])
    # openai 1.37.1's create_and_poll lacks the parameter; create + poll works in both
    run = beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id, parallel_tool_calls=False)
    run = beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    rounds = []
    while run.status == "requires_action":
        rounds.append([c.function.name for c in run.required_action.submit_tool_outputs.tool_calls])
        run = beta.threads.runs.submit_tool_outputs_and_poll(
            run_id=run.id, thread_id=thread.id, tool_outputs=_outputs(run), poll_interval_ms=5
        )
    assert rounds == [["get_disk_usage"], ["get_load"], ["get_disk_usage"]]
    assert beta.threads.messages.list(thread.id, limit=1).data[0].content[0].text.value == EXPECTED


def test_tool_choice_on_both_apis(emulator: Any, api: Any, client: openai.OpenAI) -> None:
    forced = api.create_response(
        model="m", input="hello", tools=RESPONSES_TOOLS, tool_choice={"type": "function", "name": "get_load"}
    )
    assert [i["name"] for i in forced["output"]] == ["get_load"]
    assistant = client.beta.assistants.create(model="m", tools=ASSISTANT_TOOLS)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id, tool_choice="required")
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    assert run.status == "requires_action"
    assert emulator.violations() == []


def test_streamed_arguments_arrive_in_pieces_that_add_up(emulator: Any, api: Any, client: openai.OpenAI) -> None:
    events = api.stream_response(model="m", input="please investigate db-1", tools=RESPONSES_TOOLS)
    done = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    for finished in done:
        pieces = [
            e["delta"]
            for e in events
            if e["type"] == "response.function_call_arguments.delta" and e["item_id"] == finished["item_id"]
        ]
        assert len(pieces) > 1 and "".join(pieces) == finished["arguments"]
    assistant = client.beta.assistants.create(model="m", tools=ASSISTANT_TOOLS)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "please investigate db-1"}])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        deltas = [e for e in stream if e.event == "thread.run.step.delta"]
        snapshot = stream.current_run_step_snapshot
        run = stream.current_run
    assert len(deltas) > 2
    wanted = [c.function.arguments for c in run.required_action.submit_tool_outputs.tool_calls]
    assert [c.function.arguments for c in snapshot.step_details.tool_calls] == wanted  # the SDK's accumulation
    assert emulator.violations() == []
