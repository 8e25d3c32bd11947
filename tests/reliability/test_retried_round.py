"""Issue 10 items the matrices do not pin down by themselves, each through the real SDK over
real HTTP to the emulator:

- ``rate_limit_exceeded`` on the response that follows a tool round restarted the turn: the
  user's message was posted again and the tool ran again (under a new call id, which the
  matrix's per-call-id count cannot see). Here the tool's executions are counted per turn.
- two dropped connections in a row on an Assistants run request failed the turn at once, with
  no backoff: here the turn answers, after a wait before each re-send.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import RUN_CREATE, Tools, posts

SCRIPT = {
    "rules": [
        {
            "match": r"check disk on (?P<host>db-\d+)",
            "tool_calls": [{"name": "get_disk_usage", "arguments": {"host": "{{ match.host }}"}}],
            "then": {"reply": "Disk on {{ match.host }}: {{ tool_outputs.get_disk_usage }}"},
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}
PROMPT = "check disk on db-7"
ANSWER = 'Disk on db-7: {"host": "db-7", "used": 91}'
SUBMIT = {
    "responses": {"method": "POST", "path": r"/responses$", "body": "function_call_output"},
    "assistants": {"method": "POST", "path": r"/submit_tool_outputs$"},
}


def _user_messages(client: Any, backend: str, thread_id: str) -> list[str]:
    """The conversation's user messages carrying the prompt, as the server holds them."""
    if backend == "assistants":
        listed = client.beta.threads.messages.list(thread_id=thread_id, limit=100)
        texts = [part.text.value for m in listed.data if m.role == "user" for part in m.content if part.type == "text"]
    else:
        items = client.get(f"/conversations/{thread_id}/items", cast_to=object, options={"params": {"limit": 100}})
        texts = [
            part.get("text", "")
            for item in items["data"]
            if item.get("type") == "message" and item.get("role") == "user"
            for part in item.get("content") or []
        ]
    return [text for text in texts if PROMPT in text]


def _rate_limited_after_the_round(
    make_assistant: Any, emulator: Any, client: Any, backend: str, *, stream: bool = True
) -> tuple[Tools, str]:
    emulator.load_script(SCRIPT)
    tools = Tools(get_disk_usage=lambda args: {"host": args["host"], "used": 91})
    emulator.add_fault(kind="run_failed", code="rate_limit_exceeded", **SUBMIT[backend])
    result = make_assistant(tools=tools).run_turn(PROMPT, stream=stream)
    assert result.text == ANSWER
    assert [f["fired"] for f in emulator.emulator.faults.describe()] == [1]
    return tools, result.thread_id


@pytest.mark.parametrize("backend", ["responses"])
def test_rate_limit_after_a_tool_round_runs_the_tool_once(
    make_assistant: Any, emulator: Any, client: Any, backend: str, stream: bool
) -> None:
    tools, thread_id = _rate_limited_after_the_round(make_assistant, emulator, client, backend, stream=stream)
    # the retried response answers the round the conversation holds: no second execution
    assert [[call.name for call in round_] for round_ in tools.rounds] == [["get_disk_usage"]]
    assert _user_messages(client, backend, thread_id) == [PROMPT]


@pytest.mark.parametrize("backend", ["assistants"])
def test_rate_limit_after_a_tool_round_on_assistants_runs_the_tool_once(
    make_assistant: Any, emulator: Any, client: Any, backend: str, stream: bool
) -> None:
    # a new Assistants run sees only the thread's messages, not the failed run's steps: its
    # model asks for the same call again under a new call id, answered from the kept output
    tools, thread_id = _rate_limited_after_the_round(make_assistant, emulator, client, backend, stream=stream)
    assert _user_messages(client, backend, thread_id) == [PROMPT]
    assert [[call.name for call in round_] for round_ in tools.rounds] == [["get_disk_usage"]]


@pytest.mark.parametrize("backend", ["assistants"])
def test_two_dropped_run_requests_are_sent_again_after_a_backoff(
    make_assistant: Any, emulator: Any, client: Any, backend: str, fake_clock: Any, stream: bool
) -> None:
    assistant = make_assistant()
    thread_id = assistant.run_turn("earlier alert", stream=stream).thread_id
    emulator.clear_requests()
    fake_clock.sleeps.clear()
    emulator.add_fault(kind="drop_connection", times=2, method="POST", path=RUN_CREATE[backend])
    result = assistant.run_turn(PROMPT, thread_id=thread_id, stream=stream)
    assert result.text == f"Echo: {PROMPT}"
    assert len(posts(emulator, RUN_CREATE[backend])) == 3  # two dropped, one answered
    assert len([seconds for seconds in fake_clock.sleeps if seconds > 0]) >= 2  # a wait before each re-send
    assert _user_messages(client, backend, thread_id) == [PROMPT]
    runs = client.beta.threads.runs.list(thread_id=thread_id).data
    assert [run.status for run in runs] == ["completed", "completed"]  # this turn's and the earlier one


def _holding(emulator: Any, backend: str) -> list[int]:
    """For each conversation/thread on the server holding the prompt: how many copies it holds."""
    state = emulator.emulator.state
    if backend == "responses":
        records = [record.items for record in state.conversations.values()]
    else:
        records = [record.messages for record in state.threads.values()]
    copies = []
    for items in records:
        texts = [
            part.get("text") if isinstance(part.get("text"), str) else (part.get("text") or {}).get("value")
            for item in items
            if item.get("role") == "user"
            for part in (item.get("content") if isinstance(item.get("content"), list) else [])
        ]
        if PROMPT in texts:
            copies.append(texts.count(PROMPT))
    return copies


def test_a_stream_cut_before_its_first_event_doubles_nothing(make_assistant: Any, emulator: Any, backend: str) -> None:
    # issue 10: the request landed, the stream broke before it named the response/run; sent again
    # blindly it put the message twice into the conversation (a second thread on Assistants)
    emulator.add_fault(kind="stream_cut", after_events=0, method="POST", path=RUN_CREATE[backend])
    result = make_assistant().run_turn(PROMPT, stream=True)
    assert result.text == f"Echo: {PROMPT}"
    assert [f["fired"] for f in emulator.emulator.faults.describe()] == [1]
    assert _holding(emulator, backend) == [1]  # one conversation/thread, holding the message once


def test_a_retried_runs_calls_take_each_kept_output_once() -> None:
    """The replay after a retried run: the same tool with the same arguments (keys in any order)
    takes the kept output once; a second such call, or other arguments, runs the tool."""
    from openaiassistant.deadline import Deadline
    from openaiassistant.engine.tool_loop import ToolLoop
    from openaiassistant.params import parse_params
    from openaiassistant.tools import Toolbox, ToolCall

    ran: list[dict[str, Any]] = []
    toolbox = Toolbox()

    @toolbox.tool
    def get_disk_usage(host: str, mount: str = "/") -> dict[str, Any]:
        """Disk usage of a host.

        Args:
            host: the host
            mount: the mount point
        """
        ran.append({"host": host, "mount": mount})
        return {"host": host, "mount": mount, "used": 90 + len(ran)}

    loop = ToolLoop(toolset=toolbox, params=parse_params({}), deadline=Deadline(timeout=30), on_tool_call=None)
    (first,) = loop.run_round(
        [ToolCall(call_id="a1", name="get_disk_usage", arguments='{"host": "db-1", "mount": "/"}')]
    )
    loop.replay_after_retry()
    again = loop.run_round(
        [
            ToolCall(call_id="b1", name="get_disk_usage", arguments='{"mount": "/", "host": "db-1"}'),
            ToolCall(call_id="b2", name="get_disk_usage", arguments='{"host": "db-1", "mount": "/"}'),
            ToolCall(call_id="b3", name="get_disk_usage", arguments='{"host": "db-2", "mount": "/"}'),
        ]
    )
    assert [o.call_id for o in again] == ["b1", "b2", "b3"]
    assert again[0].output == first.output  # the kept output, under the new call id
    assert ran == [{"host": "db-1", "mount": "/"}, {"host": "db-1", "mount": "/"}, {"host": "db-2", "mount": "/"}]
    assert [r.call_id for r in loop.records] == ["a1", "b2", "b3"]  # the replayed call did not run
