"""Values nobody should send, sent anyway: each ends in a typed error or a normal turn, never in
RecursionError, OverflowError, UnicodeEncodeError or a traceback (issue 10)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openaiassistant.engine.tool_loop import ToolLoop
from openaiassistant.errors import ConfigError
from openaiassistant.params import parse_params
from openaiassistant.tools import Toolbox, ToolCall
from openaiassistant.values import clean_text, positive_seconds

NUMERIC = ["temperature", "top_p", "max_prompt_tokens", "max_completion_tokens", "max_tool_rounds", "max_tool_calls"]
NOT_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", float("nan"), float("inf"), float("-inf"), 10**400]
DEEP = "[" * 50_000 + "]" * 50_000


def _lookup_tools() -> Toolbox:
    """A Toolbox with lookup(query), which answers its query."""
    registry = Toolbox()

    @registry.tool
    def lookup(query: str) -> str:
        """Look something up.

        Args:
            query: what
        """
        return query

    return registry


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
def test_not_finite_run_controls_are_config_errors(name: str, value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        parse_params({name: value})
    assert info.value.parameter == name
    assert len(str(info.value)) < 300  # 10**400 is not printed in full


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
def test_not_finite_last_messages_is_a_config_error(value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        parse_params({"truncation_strategy": {"type": "last_messages", "last_messages": value}})
    assert info.value.parameter == "truncation_strategy.last_messages"


@pytest.mark.parametrize("value", ["inf", "nan", 10**400])
def test_not_finite_seconds(value: Any) -> None:
    with pytest.raises(ConfigError):
        positive_seconds("default_timeout", value)


def test_not_finite_run_control_sends_nothing(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant()
    emulator.clear_requests()
    with pytest.raises(ConfigError):
        assistant.run_turn("hello", params={"max_tool_rounds": "inf"})
    assert emulator.requests() == []


def test_clean_text() -> None:
    assert clean_text("a\ud800b") == "a\ufffdb"
    assert clean_text("\ud83d\ude00") == "\U0001f600"  # a pair written as two code points
    assert clean_text("plain") == "plain"


def test_lone_surrogates_in_prompt_and_instructions(make_assistant: Any, emulator: Any, stream: bool) -> None:
    # issue 10: UnicodeEncodeError from the SDK when it encoded the request body
    result = make_assistant().run_turn(
        "disk \ud800 full", stream=stream, params={"additional_instructions": "be \udfff brief"}
    )
    assert result.text == "Echo: disk \ufffd full"


def test_lone_surrogate_in_a_tool_output_is_sent(make_assistant: Any, emulator: Any) -> None:
    registry = Toolbox()

    @registry.tool
    def read_log(host: str) -> str:
        """Read a log.

        Args:
            host: the host
        """
        return f"{host}: bad byte \udcff here"

    emulator.load_script(
        {
            "rules": [
                {
                    "match": "log",
                    "tool_calls": [{"name": "read_log", "arguments": {"host": "db-1"}}],
                    "then": {"reply": "Got: {{ tool_outputs.read_log }}"},
                }
            ]
        }
    )
    result = make_assistant(tools=registry).run_turn("read the log")
    assert result.text == 'Got: "db-1: bad byte \ufffd here"'


def test_deeply_nested_arguments_are_an_error_output_not_a_crash() -> None:
    # issue 10: arguments nested 50 000 deep ended the turn in RecursionError
    registry = _lookup_tools()
    calls = [
        ToolCall(call_id="c1", name="lookup", arguments=DEEP),
        ToolCall(call_id="c2", name="lookup", arguments='{"query": ' + DEEP + "}"),
        ToolCall(call_id="c3", name="lookup", arguments='{"query": "ok"}'),
    ]
    outputs = registry.execute_round(calls)
    assert [o.call_id for o in outputs] == ["c1", "c2", "c3"]
    for output in outputs[:2]:
        assert output.error and "nested more than" in output.error
        assert json.loads(output.output) == {"error": output.error}
    assert outputs[2].error is None and json.loads(outputs[2].output) == "ok"


def test_tool_loop_records_deep_arguments_as_text() -> None:
    from openaiassistant.deadline import Deadline

    registry = _lookup_tools()
    loop = ToolLoop(toolset=registry, params=parse_params({}), deadline=Deadline(timeout=30), on_tool_call=None)
    loop.run_round([ToolCall(call_id="c1", name="lookup", arguments=DEEP)])
    record = loop.records[0]
    assert record.arguments == DEEP and record.error
    json.dumps([r.arguments for r in loop.records])  # what the result's tool_calls_json does


@pytest.mark.parametrize(
    "arguments",
    ['{"query": NaN}', '{"query": Infinity}', "", "null", "[]", '"x"', "{" * 10, '{"query": "\\ud800"}'],
)
def test_odd_arguments(arguments: str) -> None:
    registry = _lookup_tools()
    (output,) = registry.execute_round([ToolCall(call_id="c1", name="lookup", arguments=arguments)])
    assert output.call_id == "c1"
    json.loads(output.output)  # always JSON, always encodable
    output.output.encode("utf-8")


def test_the_lock_table_keeps_only_conversations_in_use(make_assistant: Any) -> None:
    # issue 10: one lock per conversation stayed in the table forever
    from openaiassistant.engine.locks import LOCKS

    assistant = make_assistant()
    before = len(LOCKS)
    first = assistant.run_turn("one")
    for _ in range(3):
        assistant.run_turn("again", thread_id=first.thread_id)
    for _ in range(3):
        other = assistant.run_turn("new")
        assistant.run_turn("more", thread_id=other.thread_id)
    assert len(LOCKS) == before


def test_a_lock_is_shared_while_in_use_and_dropped_after() -> None:
    import threading

    from openaiassistant.deadline import Deadline
    from openaiassistant.engine.locks import InProcessLocks
    from openaiassistant.errors import ActiveRunError

    locks = InProcessLocks()
    entered, release = threading.Event(), threading.Event()

    def holder() -> None:
        with locks.hold(server="s", thread_id="t", deadline=Deadline(timeout=30), fail_if_busy=False):
            entered.set()
            release.wait(30)

    worker = threading.Thread(target=holder)
    worker.start()
    assert entered.wait(30)
    assert len(locks) == 1
    with (
        pytest.raises(ActiveRunError),
        locks.hold(server="s", thread_id="t", deadline=Deadline(timeout=30), fail_if_busy=True),
    ):
        pass
    assert len(locks) == 1  # the refused turn left, the holder stays
    release.set()
    worker.join(30)
    assert len(locks) == 0


DEEPER_THAN_THE_STACK = "[" * 5_000 + "]" * 5_000  # enough for RecursionError, quick to stream
HOSTILE_ARGUMENTS = [
    "{not json",  # broken JSON
    DEEPER_THAN_THE_STACK,
    '{"host": ' + DEEPER_THAN_THE_STACK + "}",
    '{"host": NaN}',  # not JSON
    '{"host": "db-1", "host": "db-2"}',  # duplicate keys
    '{"host": "\\ud800"}',  # a lone surrogate, escaped
    '{"host": "' + "x" * 30_000 + '"}',  # beyond the output cap
    '["db-1"]',  # not an object
    '{"host": 1}',  # wrong type
    '{"host": "db-1", "extra": {"__class__": "os.system"}}',  # unknown field
    "",  # empty
]


@pytest.mark.parametrize("arguments", HOSTILE_ARGUMENTS, ids=lambda a: repr(a[:30]))
def test_hostile_tool_arguments_from_the_model(make_assistant: Any, emulator: Any, arguments: str) -> None:
    """Arguments the model sends as it likes: the tool runs only on valid ones, every call gets
    one JSON output the model sees, and the turn completes with a result that serializes."""
    seen: list[str] = []
    registry = Toolbox()

    @registry.tool
    def disk(host: str) -> dict[str, Any]:
        """Disk usage.

        Args:
            host: the host, e.g. db-1
        """
        seen.append(host)
        return {"host": host, "used": 93}

    emulator.load_script(
        {
            "rules": [
                {
                    "match": "disk",
                    "tool_calls": [{"name": "disk", "raw_arguments": arguments}],
                    "then": {"reply": "Seen: {{ tool_outputs.disk }}"},
                }
            ]
        }
    )
    result = make_assistant(tools=registry).run_turn("check disk")
    assert result.status == "completed" and result.text.startswith("Seen: ")
    (record,) = result.tool_calls
    output = json.loads(record.output)
    if seen:
        assert record.error is None and (output.get("host") == seen[0] or output.get("truncated"))
        seen[0].encode("utf-8")  # what the tool got is text (a lone surrogate became U+FFFD)
    else:
        assert record.error and "error" in output
    json.dumps(result.to_dict())  # what Keep gets: always serializable


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("20", 0.02),
        ("0", 0.0),
        ("inf", None),
        ("nan", None),
        ("-5", None),
        ("1e400", None),
        ("soon", None),
        ("600000", None),
    ],
)
def test_poll_hints_from_a_compatible_server(header: str, seconds: float | None) -> None:
    from openaiassistant.backends.transport import poll_hint

    assert poll_hint({"openai-poll-after-ms": header}) == seconds
