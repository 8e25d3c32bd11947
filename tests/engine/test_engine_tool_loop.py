"""The tool-call loop on both backends, streamed and polled: rounds, order, limits, cleanup."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.engine.conftest import Tools, posts, run_status

from openaiassistant.errors import TurnLimitError

SCRIPT = {
    "rules": [
        {
            "match": r"disk on (?P<host>\S+)",
            "tool_calls": [{"name": "disk", "arguments": {"host": "{{ match.host }}"}}],
            "then": {"reply": "Usage: {{ tool_outputs.disk }}"},
        },
        {
            "match": "fan out",
            "tool_calls": [
                {"name": "disk", "arguments": {"host": "a"}},
                {"name": "disk", "arguments": {"host": "b"}},
                {"name": "ping", "arguments": {"host": "c"}},
            ],
            "then": {"reply": "All: {{ tool_outputs_json }}"},
        },
        {
            "match": "deep",
            "tool_calls": [{"name": "ping", "arguments": {"host": "x"}}],
            "then": {
                "tool_calls": [{"name": "disk", "arguments": {"host": "y"}}],
                "then": {
                    "tool_calls": [{"name": "ping", "arguments": {"host": "z"}}],
                    "then": {"reply": "Three rounds done: {{ tool_outputs.ping }}"},
                },
            },
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}
SUBMIT = {"responses": r"/responses$", "assistants": r"/submit_tool_outputs$"}


def tools() -> Tools:
    return Tools(disk=lambda a: {"host": a["host"], "used": "91%"}, ping=lambda a: f"{a['host']} is up")


@pytest.fixture(autouse=True)
def _script(emulator: Any) -> None:
    emulator.load_script(SCRIPT)


def test_one_call(make_assistant: Any, stream: bool) -> None:
    seen = []
    deltas: list[str] = []
    result = make_assistant(tools=tools()).run_turn(
        "disk on db-1", stream=stream, on_tool_call=seen.append, on_text=deltas.append
    )
    assert result.text == 'Usage: {"host": "db-1", "used": "91%"}'
    assert [(r.round, r.name, r.arguments, r.error) for r in result.tool_calls] == [(1, "disk", {"host": "db-1"}, None)]
    assert json.loads(result.tool_calls[0].output) == {"host": "db-1", "used": "91%"}
    assert seen == result.tool_calls
    if stream:
        assert "".join(deltas) == result.text
    as_dict = result.to_dict()["tool_calls"][0]
    assert as_dict["name"] == "disk" and as_dict["call_id"]


def test_several_calls_in_one_round_keep_call_order(
    make_assistant: Any, emulator: Any, stream: bool, backend: str
) -> None:
    toolset = tools()
    result = make_assistant(tools=toolset).run_turn("fan out", stream=stream)
    assert [c.name for c in toolset.rounds[0]] == ["disk", "disk", "ping"]
    assert [(r.round, r.arguments["host"]) for r in result.tool_calls] == [(1, "a"), (1, "b"), (1, "c")]
    outputs = json.loads(result.text.removeprefix("All: "))
    assert json.loads(outputs["ping"]) == "c is up"
    expected_posts = 2 if backend == "responses" else 1  # Assistants: one submit_tool_outputs per round
    assert len(posts(emulator, SUBMIT[backend])) == expected_posts


def test_several_rounds(make_assistant: Any, stream: bool) -> None:
    result = make_assistant(tools=tools()).run_turn("go deep", stream=stream)
    assert result.text == 'Three rounds done: "z is up"'
    assert [(r.round, r.name) for r in result.tool_calls] == [(1, "ping"), (2, "disk"), (3, "ping")]


def test_max_tool_rounds(make_assistant: Any, client: Any, backend: str, stream: bool) -> None:
    assistant = make_assistant(tools=tools())
    with pytest.raises(TurnLimitError, match="max_tool_rounds is 2") as info:
        assistant.run_turn("go deep", stream=stream, params={"max_tool_rounds": 2})
    err = info.value
    assert err.thread_id and err.run_id
    if backend == "assistants":
        assert run_status(client, backend, err.thread_id, err.run_id) in ("cancelled", "cancelling")
    # nothing is left hanging: the conversation takes the next turn
    assert assistant.run_turn("hello", thread_id=err.thread_id).text == "Echo: hello"


def test_max_tool_calls(make_assistant: Any) -> None:
    with pytest.raises(TurnLimitError, match="max_tool_calls is 2"):
        make_assistant(tools=tools()).run_turn("fan out", params={"max_tool_calls": "2"})


# on Responses the model can only call tools the turn sends: with no tool set there are none
@pytest.mark.parametrize("backend", ["assistants"])
def test_no_tools_given_lists_the_requested_calls(make_assistant: Any, client: Any, backend: str) -> None:
    # the stored assistant declares a function; the caller gave no tool set to run it
    stored = client.beta.assistants.create(
        model="gpt-4o-mini",
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "disk",
                    "parameters": {"type": "object", "properties": {"host": {"type": "string"}}},
                },
            }
        ],
    )
    assistant = make_assistant(assistant_id=stored.id)
    with pytest.raises(TurnLimitError, match=r'no tools were given: disk\(\{"host": ?"db-9"\}\)') as info:
        assistant.run_turn("disk on db-9")
    assert run_status(client, backend, info.value.thread_id, info.value.run_id) in ("cancelled", "cancelling")


def test_parallel_tool_calls_false_gives_one_call_per_round(make_assistant: Any, stream: bool) -> None:
    toolset = tools()
    result = make_assistant(tools=toolset).run_turn("fan out", stream=stream, params={"parallel_tool_calls": "false"})
    assert [len(r) for r in toolset.rounds] == [1, 1, 1]
    assert [r.round for r in result.tool_calls] == [1, 2, 3]


def test_tool_choice_none_means_no_calls(make_assistant: Any) -> None:
    toolset = tools()
    result = make_assistant(tools=toolset).run_turn("disk on db-1", params={"tool_choice": "none"})
    assert toolset.rounds == [] and result.tool_calls == []
    assert result.text == "Echo: disk on db-1"


def test_usage_is_summed_over_rounds(make_assistant: Any, client: Any, backend: str) -> None:
    result = make_assistant(tools=tools()).run_turn("go deep")
    if backend == "assistants":
        run = client.beta.threads.runs.retrieve(result.run_id, thread_id=result.thread_id)
        assert result.usage.total_tokens == run.usage.total_tokens
    else:
        last = client.get(f"/responses/{result.response_id}", cast_to=object)["usage"]
        assert result.usage.total_tokens > last["total_tokens"]  # four responses, not one
        assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens


def test_interrupt_during_tools_leaves_nothing_active(
    make_assistant: Any, client: Any, backend: str, stream: bool
) -> None:
    def interrupted(_: dict[str, Any]) -> Any:
        raise KeyboardInterrupt

    assistant = make_assistant(tools=Tools(disk=interrupted, ping=lambda a: "up"))
    thread_id = assistant.run_turn("hello").thread_id
    with pytest.raises(KeyboardInterrupt):
        assistant.run_turn("disk on db-1", thread_id=thread_id, stream=stream)
    if backend == "assistants":
        latest = client.beta.threads.runs.list(thread_id=thread_id, limit=1).data[0]
        assert latest.status in ("cancelled", "cancelling")
    # the conversation takes the next turn at once (no active run, no unanswered call)
    assert assistant.run_turn("hello again", thread_id=thread_id, on_active_run="fail").text == "Echo: hello again"


def test_tools_are_sent_per_turn_not_stored(make_assistant: Any, client: Any, backend: str) -> None:
    assistant = make_assistant(tools=tools())
    result = assistant.run_turn("disk on db-1")
    if backend == "assistants":
        stored = client.beta.assistants.retrieve(assistant.spec.assistant_id)
        assert stored.tools == []
        run = client.beta.threads.runs.retrieve(result.run_id, thread_id=result.thread_id)
        assert {t.function.name for t in run.tools} == {"disk", "ping"}
    else:
        response = client.get(f"/responses/{result.response_id}", cast_to=object)
        assert {t["name"] for t in response["tools"]} == {"disk", "ping"}
        assert all(t["strict"] is False for t in response["tools"])


def test_tool_choice_names_the_function(make_assistant: Any, stream: bool) -> None:
    toolset = Tools(disk=lambda a: "disk ok", ping=lambda a: "pong")
    choice = {"type": "function", "name": "ping"}
    result = make_assistant(tools=toolset).run_turn("hello", stream=stream, params={"tool_choice": choice})
    assert [r.name for r in result.tool_calls] == ["ping"]


def test_tool_choice_required(make_assistant: Any) -> None:
    toolset = Tools(disk=lambda a: "disk ok")
    result = make_assistant(tools=toolset).run_turn("hello", params={"tool_choice": "required"})
    assert [r.name for r in result.tool_calls] == ["disk"]
