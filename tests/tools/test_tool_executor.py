"""The executor: one output per call in call order, failures as outputs, parallelism, cap,
per-call timeout, deadline and cancellation with drain. No timing assertions: parallelism is
shown with barriers that only open once all parties have started."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
import time

import pytest

from openaiassistant.errors import TurnCancelledError, TurnTimeoutError
from openaiassistant.redaction import register_secret
from openaiassistant.tools import Tool, Toolbox, ToolCall, ToolCallError, ToolDefinition

pytestmark = pytest.mark.timeout(30)


def call(name: str, args: object = None, *, call_id: str | None = None) -> ToolCall:
    text = args if isinstance(args, str) else json.dumps(args or {})
    return ToolCall(call_id=call_id or f"call_{name}", name=name, arguments=text)


def test_failures_are_outputs_one_per_call_in_order() -> None:
    registry = Toolbox()

    @registry.tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @registry.tool
    def explode(reason: str) -> None:
        """Always fails."""
        raise RuntimeError(f"boom: {reason}")

    calls = [
        call("add", {"a": 1, "b": 2}, call_id="c1"),
        call("add", "{not json", call_id="c2"),
        call("add", {"a": "one", "b": 2}, call_id="c3"),
        call("add", {"a": 1, "b": 2, "c": 3}, call_id="c4"),
        call("missing_tool", {}, call_id="c5"),
        call("explode", {"reason": "disk"}, call_id="c6"),
        call("add", "[1, 2]", call_id="c7"),
    ]
    outputs = registry.execute_round(calls)

    assert [o.call_id for o in outputs] == [c.call_id for c in calls]
    assert [o.name for o in outputs] == [c.name for c in calls]
    assert outputs[0].output == "3" and outputs[0].error is None
    for output in outputs[1:]:
        assert output.error, output
        assert json.loads(output.output) == {"error": output.error}
    assert "not valid JSON" in outputs[1].error
    assert "schema" in outputs[2].error and "'one' is not of type 'integer'" in outputs[2].error
    assert "Additional properties" in outputs[3].error
    assert outputs[4].error == "unknown tool 'missing_tool'; available tools: add, explode"
    assert "RuntimeError: boom: disk" in outputs[5].error
    assert "must be a JSON object" in outputs[6].error


def test_empty_arguments_mean_no_arguments() -> None:
    registry = Toolbox()

    @registry.tool
    def ping() -> str:
        """Say pong."""
        return "pong"

    [output] = registry.execute_round([call("ping", "")])
    assert output.output == '"pong"' and output.error is None


def test_sync_calls_run_in_parallel_until_all_started() -> None:
    n = 5
    barrier = threading.Barrier(n, timeout=10)  # opens only when all n calls are running at once
    registry = Toolbox(max_concurrency=n)

    @registry.tool
    def wait_for_all(i: int) -> int:
        """Wait for the others."""
        barrier.wait()
        return i

    outputs = registry.execute_round([call("wait_for_all", {"i": i}, call_id=f"c{i}") for i in range(n)])
    assert [o.output for o in outputs] == [str(i) for i in range(n)]
    assert all(o.error is None for o in outputs)


def test_async_calls_run_in_parallel_until_all_started() -> None:
    n = 4
    registry = Toolbox(max_concurrency=n)
    state: dict[str, asyncio.Barrier] = {}

    @registry.tool
    async def gather_up(i: int) -> int:
        """Wait for the others (async)."""
        # Created lazily: the round's event loop only exists while the round runs.
        barrier = state.setdefault("barrier", asyncio.Barrier(n))
        async with asyncio.timeout(10):
            await barrier.wait()
        return i * 10

    outputs = registry.execute_round([call("gather_up", {"i": i}, call_id=f"c{i}") for i in range(n)])
    assert [o.output for o in outputs] == ["0", "10", "20", "30"]


def test_concurrency_cap_holds() -> None:
    cap, n = 2, 6
    lock = threading.Lock()
    active = {"now": 0, "max": 0}
    # Barrier(cap): every call needs `cap` calls running at the same time to finish, so the
    # round only completes if exactly `cap` run together; the counter shows never more.
    barrier = threading.Barrier(cap, timeout=10)
    registry = Toolbox(max_concurrency=cap)

    @registry.tool
    def capped(i: int) -> int:
        """Count how many run at once."""
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        barrier.wait()
        with lock:
            active["now"] -= 1
        return i

    outputs = registry.execute_round([call("capped", {"i": i}, call_id=f"c{i}") for i in range(n)])
    assert [o.output for o in outputs] == [str(i) for i in range(n)]
    assert active["max"] == cap


def test_outputs_keep_call_order_when_completion_order_is_reversed() -> None:
    n = 4
    done = [threading.Event() for _ in range(n)]
    finished: list[int] = []
    registry = Toolbox(max_concurrency=n)

    @registry.tool
    def chain(i: int) -> str:
        """Finish only after the next call has finished."""
        if i + 1 < n:
            assert done[i + 1].wait(10)
        finished.append(i)
        done[i].set()
        return f"result {i}"

    outputs = registry.execute_round([call("chain", {"i": i}, call_id=f"c{i}") for i in range(n)])
    assert finished == [3, 2, 1, 0]
    assert [o.call_id for o in outputs] == ["c0", "c1", "c2", "c3"]
    assert [json.loads(o.output) for o in outputs] == [f"result {i}" for i in range(n)]


def test_timing_out_call_becomes_an_error_and_the_others_still_answer() -> None:
    release = threading.Event()
    registry = Toolbox(call_timeout=0.2)

    @registry.tool
    def stuck() -> str:
        """Never answers in time."""
        release.wait(10)
        return "late"

    @registry.tool
    def quick() -> str:
        """Answers at once."""
        return "ok"

    try:
        outputs = registry.execute_round([call("stuck"), call("quick")])
    finally:
        release.set()
    assert outputs[0].error == "tool 'stuck' timed out after 0.2 s"
    assert json.loads(outputs[0].output) == {"error": "tool 'stuck' timed out after 0.2 s"}
    assert outputs[1].output == '"ok"' and outputs[1].error is None


def test_async_tool_timeout_cancels_it() -> None:
    registry = Toolbox()
    seen: list[str] = []

    async def forever(arguments: dict) -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return "never"

    registry.add(
        Tool(
            definition=ToolDefinition(
                name="forever", description="Sleeps.", parameters={"type": "object", "properties": {}}
            ),
            invoke=forever,
            timeout=0.2,
        )
    )
    [output] = registry.execute_round([call("forever")])
    assert output.error == "tool 'forever' timed out after 0.2 s"
    assert seen == ["cancelled"]


def test_deadline_cancels_and_drains_then_raises() -> None:
    registry = Toolbox()
    started = threading.Event()
    cleaned_up = threading.Event()

    @registry.tool
    async def slow() -> str:
        """Waits a long time."""
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned_up.set()
        return "never"

    with pytest.raises(TurnTimeoutError):
        registry.execute_round([call("slow")], deadline=time.monotonic() + 0.3)
    # Drained: the cancelled task ran its cleanup before execute_round raised.
    assert started.is_set() and cleaned_up.is_set()


def test_deadline_already_past_runs_nothing() -> None:
    registry = Toolbox()
    ran: list[int] = []

    @registry.tool
    def record() -> None:
        """Record a run."""
        ran.append(1)

    with pytest.raises(TurnTimeoutError):
        registry.execute_round([call("record")], deadline=time.monotonic() - 1)
    assert ran == []


def test_cancel_event_cancels_and_drains() -> None:
    registry = Toolbox()
    started = threading.Event()
    cleaned_up = threading.Event()
    cancel = threading.Event()

    @registry.tool
    async def long_job() -> str:
        """Runs until cancelled."""
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned_up.set()
        return "never"

    def cancel_once_started() -> None:
        started.wait(10)
        cancel.set()

    threading.Thread(target=cancel_once_started, daemon=True).start()
    with pytest.raises(TurnCancelledError):
        registry.execute_round([call("long_job")], cancel_event=cancel)
    assert cleaned_up.is_set()


def test_cancel_event_already_set_runs_nothing() -> None:
    registry = Toolbox()
    ran: list[int] = []
    registry.register(lambda: ran.append(1), name="record")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TurnCancelledError):
        registry.execute_round([call("record")], cancel_event=cancel)
    assert ran == []


class _Interrupt(Exception):
    pass


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="needs the main thread")
def test_interrupted_caller_cancels_and_drains_before_the_exception_propagates() -> None:
    # A real signal delivered while the caller waits (as Ctrl-C would), raising in the caller.
    registry = Toolbox()
    started = threading.Event()
    cleaned_up = threading.Event()

    @registry.tool
    async def long_job() -> str:
        """Runs until cancelled."""
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned_up.set()
        return "never"

    def handler(signum: int, frame: object) -> None:
        raise _Interrupt()

    def signal_once_started() -> None:
        started.wait(10)
        # Ctrl-C while the caller waits for the round: give the caller a moment to be inside that
        # wait. An interrupt raised while it is still returning from Thread.start() lands inside
        # CPython's own Condition.wait bookkeeping, which no code can make safe (it once hung here).
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        threading.Thread(target=signal_once_started, daemon=True).start()
        with pytest.raises(_Interrupt):
            registry.execute_round([call("long_job")])
        # Drained before the interrupt reached the caller.
        assert cleaned_up.is_set()
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_works_from_a_thread_with_a_running_event_loop() -> None:
    registry = Toolbox()

    @registry.tool
    async def double(x: int) -> int:
        """Double it."""
        await asyncio.sleep(0)
        return 2 * x

    async def caller() -> list:
        # The engine may be called from async code; the round runs on its own loop/thread.
        return registry.execute_round([call("double", {"x": 21})])

    [output] = asyncio.run(caller())
    assert output.output == "42"


def test_output_cap_has_a_visible_marker_and_stays_json() -> None:
    registry = Toolbox(max_output_chars=300)

    @registry.tool
    def huge(quote_chars: bool) -> str:
        """A long answer."""
        return ('"' if quote_chars else "x") * 5000

    outputs = registry.execute_round(
        [call("huge", {"quote_chars": False}, call_id="a"), call("huge", {"quote_chars": True}, call_id="b")]
    )
    for output, raw in zip(outputs, ["x" * 5000, '"' * 5000], strict=True):
        assert len(output.output) <= 300
        notice = json.loads(output.output)
        assert notice["truncated"] is True
        assert notice["total_chars"] == len(json.dumps(raw))  # the serialized output's length
        assert json.dumps(raw).startswith(notice["output_prefix"])
        assert notice["note"].startswith("output truncated: showing ")
        assert notice["output_prefix"]
        assert output.error is None


def test_results_are_serialized_to_json() -> None:
    import dataclasses
    import enum

    class Color(enum.Enum):
        RED = "red"

    @dataclasses.dataclass
    class Point:
        x: int
        color: Color

    registry = Toolbox()

    @registry.tool
    def point() -> Point:
        """A point."""
        return Point(x=1, color=Color.RED)

    @registry.tool
    def nothing() -> None:
        """Nothing."""

    outputs = registry.execute_round([call("point"), call("nothing")])
    assert json.loads(outputs[0].output) == {"x": 1, "color": "red"}
    assert outputs[1].output == "null"
    assert outputs[0].duration_ms >= 0


def test_tool_call_error_gives_structured_error() -> None:
    registry = Toolbox()

    @registry.tool
    def lookup(key: str) -> str:
        """Look something up."""
        raise ToolCallError(f"no such key {key!r}", data={"known": ["a", "b"]})

    [output] = registry.execute_round([call("lookup", {"key": "z"})])
    assert output.error == "no such key 'z'"
    assert json.loads(output.output) == {"error": "no such key 'z'", "known": ["a", "b"]}


def test_secrets_in_exceptions_never_reach_outputs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "topsecret-value-4411"
    register_secret(secret)
    registry = Toolbox()

    @registry.tool
    def leaky() -> str:
        """Fails with a secret in the message."""
        raise ValueError(f"could not log in with {secret} / key sk-abcdefghijklmnop")

    @registry.tool
    def echo_secret() -> str:
        """Returns a secret."""
        return f"token is {secret}"

    with caplog.at_level(logging.DEBUG, logger="openaiassistant"):
        outputs = registry.execute_round([call("leaky"), call("echo_secret")])
    text = caplog.text + "".join(o.output + (o.error or "") for o in outputs)
    assert "ValueError: could not log in with ***" in outputs[0].error
    assert secret not in text and "sk-abcdefghijklmnop" not in text
    assert json.loads(outputs[1].output) == "token is ***"


def test_unknown_tool_with_empty_registry() -> None:
    [output] = Toolbox().execute_round([call("anything")])
    assert output.error == "unknown tool 'anything'; available tools: (none)"
    assert Toolbox().execute_round([]) == []


def test_a_tool_exiting_or_returning_unserializable_data_still_gets_one_output() -> None:
    import sys

    registry = Toolbox()

    @registry.tool
    def quits() -> None:
        """Calls sys.exit."""
        sys.exit(3)

    @registry.tool
    def circular() -> dict:
        """Returns a cycle."""
        data: dict = {}
        data["self"] = data
        return data

    @registry.tool
    def fine() -> int:
        """Fine."""
        return 1

    outputs = registry.execute_round([call("quits"), call("circular"), call("fine")])
    assert outputs[0].error == "tool 'quits' failed: RuntimeError: the tool raised SystemExit"
    assert outputs[1].error is not None and "Circular reference" in outputs[1].error
    assert outputs[2].output == "1"


def test_abandoned_sync_calls_are_capped_per_registry() -> None:
    # A sync tool's thread cannot be stopped: after its timeout it runs on, abandoned. Past the
    # cap, new sync calls get an error output instead of yet another thread; async tools and
    # other registries are not affected, and the room comes back once the threads finish.
    release = threading.Event()
    entered = threading.Semaphore(0)
    started: list[str] = []
    registry = Toolbox(call_timeout=0.1, max_abandoned_calls=2)

    @registry.tool
    def stuck() -> str:
        """Hangs until released."""
        started.append("stuck")
        entered.release()
        release.wait(20)
        return "late"

    @registry.tool
    def quick() -> str:
        """Answers at once."""
        started.append("quick")
        return "ok"

    @registry.tool
    async def quick_async() -> str:
        """Answers at once, on the event loop."""
        return "async ok"

    try:
        first = registry.execute_round([call("stuck", call_id="s1"), call("stuck", call_id="s2")])
        assert entered.acquire(timeout=10) and entered.acquire(timeout=10)
        assert [o.error for o in first] == ["tool 'stuck' timed out after 0.1 s"] * 2
        assert registry.abandoned_calls == 2

        refused = registry.execute_round([call("quick"), call("stuck", call_id="s3"), call("quick_async")])
        assert started == ["stuck", "stuck"]  # no new thread was started
        for output in refused[:2]:
            assert output.error == (
                f"tool {output.name!r} was not started: 2 earlier calls of synchronous tools timed out and "
                "are still running (limit 2); try again later"
            )
            assert json.loads(output.output) == {"error": output.error}
        assert refused[2].error is None and json.loads(refused[2].output) == "async ok"

        other = Toolbox()
        other.register(quick)
        assert other.execute_round([call("quick")])[0].output == '"ok"'
    finally:
        release.set()
    assert registry.wait_for_abandoned_calls(timeout=10)
    assert registry.abandoned_calls == 0
    [again] = registry.execute_round([call("quick")])
    assert again.error is None and again.output == '"ok"'
