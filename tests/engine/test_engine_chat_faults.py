"""A failure at any request of a chat turn leaves the stored conversation consistent.

The turn here makes three requests (a round of two parallel calls, a second round, the answer).
A fault is armed on exactly one of them (the emulator's ``skip``: the requests before it pass),
including the ambiguous ones (the server did the work; only its answer is lost). Whatever the
fault does (the turn recovers, or fails), the conversation in the registry then holds the
user's message once, no answer twice, every tool call with exactly one output and no output
without its call; every call ran at most once; and the next turn on the thread is accepted by
the server (the emulator answers an orphan tool call with the live API's 400) and sees it all.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.chat_helpers import SCRIPT, Tools, audit, completions, make_chat
from tests.engine.conftest import FakeClock

from openaiassistant.backends.capabilities import BOOK
from openaiassistant.backends.chat_record import ChatRecord
from openaiassistant.backends.chat_wire import Completion
from openaiassistant.content import build_input
from openaiassistant.errors import AssistantError
from openaiassistant.registry import ThreadRegistry
from openaiassistant.registry.conversation_log import ConversationLog
from openaiassistant.tools.base import ToolCall

PROMPT = "audit disk on db-3"
TWO_ROUNDS = {
    "name": "audit",
    "match": "(?i)audit disk on (?P<host>[\\w-]+)",
    "tool_calls": [
        {"name": "get_disk_usage", "arguments": {"host": "{{ match.host }}"}},
        {"name": "get_load", "arguments": {"host": "{{ match.host }}"}},
    ],
    "then": {
        "tool_calls": [{"name": "get_load", "arguments": {"host": "{{ match.host }}-replica"}}],
        "then": {"reply": "Audit of {{ match.host }} done: {{ tool_outputs.get_load }}"},
    },
}
PATH = "/chat/completions$"
# (name, fault spec, transports it applies to)
FAULTS = [
    ("http 500 once", {"kind": "http_error", "status": 500, "times": 1}, ("sse", "poll")),
    ("http 503 always", {"kind": "http_error", "status": 503, "times": 50}, ("sse", "poll")),
    ("http 400", {"kind": "http_error", "status": 400, "message": "bad request", "times": 1}, ("sse", "poll")),
    ("429 once", {"kind": "http_error", "status": 429, "retry_after": 1, "times": 1}, ("sse", "poll")),
    ("dropped once", {"kind": "drop_connection", "times": 1}, ("sse", "poll")),
    ("dropped always", {"kind": "drop_connection", "times": 50}, ("sse", "poll")),
    ("model fails always", {"kind": "run_failed", "times": 50}, ("sse", "poll")),
    ("stream cut once", {"kind": "stream_cut", "after_events": 2, "times": 1}, ("sse",)),
    ("stream cut always", {"kind": "stream_cut", "after_events": 1, "times": 50}, ("sse",)),
    ("stream error once", {"kind": "stream_error", "after_events": 2, "code": "server_error"}, ("sse",)),
    ("stream error always", {"kind": "stream_error", "after_events": 1, "times": 50}, ("sse",)),
    ("stuck", {"kind": "stuck", "times": 1}, ("sse", "poll")),
    # the completion was made (the emulator's model ran, its calls exist there), its answer lost
    ("ambiguous 502 once", {"kind": "ambiguous_error", "times": 1}, ("sse", "poll")),
    ("ambiguous 502 always", {"kind": "ambiguous_error", "times": 50}, ("sse", "poll")),
    ("ambiguous drop once", {"kind": "ambiguous_drop", "times": 1}, ("sse", "poll")),
    ("ambiguous drop always", {"kind": "ambiguous_drop", "times": 50}, ("sse", "poll")),
]
CASES = [
    pytest.param(at, spec, transport, id=f"{name}-request{at}-{transport}")
    for name, spec, transports in FAULTS
    for transport in transports
    for at in (1, 2, 3)
]


@pytest.fixture(autouse=True)
def _script(emulator: Any) -> Any:
    # recall first: after a turn that failed before its answer, the next request carries both
    # user messages as one (chat templates want user and assistant to alternate)
    recall = [r for r in SCRIPT["rules"] if r["name"] == "recall"]
    emulator.load_script({**SCRIPT, "rules": [*recall, TWO_ROUNDS, *SCRIPT["rules"]]})
    BOOK.forget()
    yield
    BOOK.forget()


def assert_consistent(registry: ThreadRegistry, thread_id: str, tools: Tools, *, users: list[str]) -> None:
    log = audit(registry, thread_id)
    assert log["users"] == users
    assert log["doubled"] == []
    assert log["orphan_calls"] == []
    assert log["stray_outputs"] == []
    assert all(n == 1 for n in tools.ran.values()), tools.ran


@pytest.mark.parametrize(("at", "spec", "transport"), CASES)
def test_a_fault_at_any_request_leaves_the_conversation_consistent(
    emulator: Any, registry: ThreadRegistry, at: int, spec: dict[str, Any], transport: str
) -> None:
    emulator.add_fault(method="POST", path=PATH, skip=at - 1, **spec)  # request `at` of the turn
    tools = Tools()
    clock = FakeClock()  # retries and backoff advance a fake clock; a stuck stream meets the real deadline
    assistant = make_chat(emulator, registry, tools=tools, transport=transport, clock=clock)
    try:
        result = assistant.run_turn(PROMPT, timeout=1 if spec["kind"] == "stuck" else 60)
        thread_id = result.thread_id
        assert result.text == "Audit of db-3 done: " + '{"load": 0.5}'
    except AssistantError as exc:
        assert exc.thread_id and exc.thread_id.startswith("oachat_"), exc
        thread_id = exc.thread_id
    assert_consistent(registry, thread_id, tools, users=[PROMPT])
    # the next alert's turn on the same conversation is accepted and sees everything before it
    emulator.clear_faults()
    emulator.clear_requests()
    again = assistant.run_turn("what did I say?", thread_id=thread_id, timeout=60)
    assert PROMPT in again.text
    assert_consistent(registry, thread_id, tools, users=[PROMPT, "what did I say?"])
    (request,) = completions(emulator)
    roles = [m["role"] for m in request["body"]["messages"]]
    # the messages the server got pair every call with its output
    for index, message in enumerate(request["body"]["messages"]):
        if message.get("tool_calls"):
            following = request["body"]["messages"][index + 1 : index + 1 + len(message["tool_calls"])]
            assert [m["tool_call_id"] for m in following] == [c["id"] for c in message["tool_calls"]]
    assert roles[-1] == "user"


def test_a_tool_limit_mid_turn_closes_the_round_it_leaves(emulator: Any, registry: ThreadRegistry) -> None:
    tools = Tools()
    assistant = make_chat(emulator, registry, tools=tools)
    with pytest.raises(AssistantError, match="round") as caught:
        assistant.run_turn(PROMPT, params={"max_tool_rounds": 1}, timeout=60)
    thread_id = caught.value.thread_id
    assert_consistent(registry, thread_id, tools, users=[PROMPT])
    log = ConversationLog(engine=registry.engine).items(thread_id)
    assert [i.output for i in log if i.kind == "function_call_output"][-1] == (
        '{"error": "the turn ended before this call was answered"}'
    )
    assert "db-3" in assistant.run_turn("what did I say?", thread_id=thread_id, timeout=60).text


def test_a_round_left_unanswered_by_a_process_that_died_is_answered_in_the_next_request(
    emulator: Any, registry: ThreadRegistry
) -> None:
    assistant = make_chat(emulator, registry)
    thread_id = assistant.run_turn("hello before the crash", timeout=60).thread_id
    # what a process killed between logging a round's calls and running them leaves behind
    log = ConversationLog(engine=registry.engine)
    dead = ChatRecord.open(log, thread_id)
    dead.record_user(build_input("check disk on db-4"))
    dead.record_completion(
        Completion(id="chatcmpl-dead", calls=[ToolCall(call_id="call_dead", name="get_disk_usage", arguments="{}")])
    )
    emulator.clear_requests()
    again = assistant.run_turn("what did I say?", thread_id=thread_id, timeout=60)
    assert "hello before the crash" in again.text
    (request,) = completions(emulator)
    sent = request["body"]["messages"]
    index = next(i for i, m in enumerate(sent) if m.get("tool_calls"))
    assert sent[index + 1] == {
        "role": "tool",
        "tool_call_id": "call_dead",
        "content": '{"error": "the turn ended before this call was answered"}',
    }


def test_a_worker_that_died_mid_round_is_recovered_from_our_own_record(emulator: Any, registry: ThreadRegistry) -> None:
    """The run log (registry/runs.py) names a chat turn's run like any other; when its worker
    died with a round's calls unanswered, the next turn's recovery closes them in our record
    (nothing to ask or cancel on a chat server) and the turn goes on."""
    import socket
    import subprocess
    import sys

    from openaiassistant.registry.runs import RunLog, RunRow

    assistant = make_chat(emulator, registry)
    first = assistant.run_turn("hello before the crash", timeout=60)
    runs = RunLog.for_engine(registry.engine)
    with runs._sessions() as session:  # noqa: SLF001 - reading what the turn wrote
        (record,) = list(session.query(RunRow))
    assert (record.backend, record.run_id, record.status) == ("chat", first.response_id, "completed")
    # what a worker killed between logging its round's calls and running them leaves behind
    log = ConversationLog(engine=registry.engine)
    dead = ChatRecord.open(log, first.thread_id)
    dead.record_user(build_input("check disk on db-5"))
    dead.record_completion(
        Completion(id="chatcmpl-dead", calls=[ToolCall(call_id="call_dead", name="get_disk_usage", arguments="{}")])
    )
    orphan = runs.begin(thread_id=first.thread_id, backend="chat", server=emulator.base_url)
    runs.started(orphan, thread_id=first.thread_id, run_id="chatcmpl-dead")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with runs._sessions.begin() as session:  # noqa: SLF001 - what a dead worker's record looks like
        session.get(RunRow, orphan).owner = f"{socket.gethostname()}:{child.pid}:cafe0001"
    emulator.clear_requests()

    again = assistant.run_turn("what did I say?", thread_id=first.thread_id, timeout=60)

    assert "hello before the crash" in again.text
    assert [r["path"] for r in emulator.requests()] == ["/v1/chat/completions"]  # nothing asked of the server
    closed = [i for i in log.items(first.thread_id) if i.kind == "function_call_output"]
    assert [(i.call_id, "worker running this turn died" in (i.output or "")) for i in closed] == [("call_dead", True)]
    assert runs.get(orphan).status == "recovered-cancelled"
