"""Run one matrix cell: a real turn of the engine against the emulator, faults armed on the
requests the cell names, then an audit of the server and a follow-up turn on the conversation.

The harness's clock is fake (its ``sleep`` advances time at once), so backoff, retry-after and
polling cost no wall-clock time; a stream still runs in real time (a stuck one waits for the
turn's deadline, a few seconds).
"""

from __future__ import annotations

import json
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import openai
from reliability.audit import Audit, Auditor
from reliability.cells import ANSWER, Cell

from openaiassistant.assistant import Assistant
from openaiassistant.errors import AssistantError
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools import Toolbox
from openaiassistant.tools.base import ToolCall, ToolDefinition, ToolOutput

warnings.filterwarnings("ignore", category=DeprecationWarning)

API_KEY = "sk-reliability-harness-0123456789"
SCRIPT: dict[str, Any] = {
    "rules": [
        {
            "name": "disk",
            "match": r"check disk on (?P<host>db-\d+)",
            "tool_calls": [{"name": "get_disk_usage", "arguments": {"host": "{{ match.host }}"}}],
            "then": {"reply": "Disk on {{ match.host }}: {{ tool_outputs.get_disk_usage }}"},
        },
        {
            "name": "fan-out",
            "match": r"fan out",
            "tool_calls": [{"name": "get_disk_usage", "arguments": {"host": f"db-{n}"}} for n in range(21)],
            "then": {"reply": "all hosts checked"},
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}


_NEXT_ALERT_SECONDS = 600.0


class FakeClock:
    """The turn's clock: ``sleep`` advances it at once. Every clock starts an hour after the last
    one made, so what a cell leaves in process-wide time-keeping (the rate gate's back-off after
    a 429 asking for 300 s) is long past for the next cell."""

    _epoch = 1000.0

    def __init__(self) -> None:
        FakeClock._epoch += 3600.0
        self.now = FakeClock._epoch
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class CountingTools:
    """The turn's tool set: a real Toolbox, counting executions per call id and per request
    (the same tool with the same arguments: a repeated call under a new call id, as a new run's
    model makes after a failed one, counts there)."""

    def __init__(self) -> None:
        self.registry = Toolbox()
        self.executions: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()

        @self.registry.tool
        def get_disk_usage(host: str) -> dict[str, Any]:
            """Disk usage of a host.

            Args:
                host: host name, e.g. db-1
            """
            return {"host": host, "used_percent": 91}

    def definitions(self) -> list[ToolDefinition]:
        return self.registry.definitions()

    def execute_round(self, calls: list[ToolCall], *, deadline: float | None = None) -> list[ToolOutput]:
        self.executions.update(call.call_id for call in calls)
        self.requests.update(f"{call.name} {_canonical(call.arguments)}" for call in calls)
        return self.registry.execute_round(calls, deadline=deadline)


@dataclass(kw_only=True)
class CellResult:
    id: str
    matrix: str
    case: str
    backend: str
    transport: str
    conversation: str
    expect: str
    outcome: str = ""
    error: str = ""
    fired: bool = False
    audit: Audit = field(default_factory=Audit)
    tool_runs_max: int = 0
    tool_repeats_max: int = 0  # executions of one tool with the same arguments in the turn
    follow_up: str = "n/a"
    problems: list[str] = field(default_factory=list)
    wall_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "audit"}
        out["audit"] = self.audit.to_dict()
        return out


_clients: dict[str, openai.OpenAI] = {}


def plain_client(server: Any) -> openai.OpenAI:
    """One SDK client per server (no retries) for what the harness itself asks the server."""
    if server.base_url not in _clients:
        _clients[server.base_url] = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
    return _clients[server.base_url]


def _assistant(server: Any, cell: Cell, clock: FakeClock, tools: CountingTools) -> Assistant:
    spec: dict[str, Any] = {"model": "gpt-4o-mini"}
    if cell.backend == "assistants":
        created = plain_client(server).beta.assistants.create(model="gpt-4o-mini", instructions="You help.")
        spec["assistant_id"] = created.id
    return Assistant(
        connection=ConnectionSettings(api_key=API_KEY, base_url=server.base_url, transport=cell.transport),
        spec=AssistantSpec(backend=cell.backend, **spec),
        tools=tools,
        sleep=clock.sleep,
        clock=clock.clock,
    )


def _prompt(cell: Cell) -> str:
    if cell.case.fan_out:
        return f"[cell {cell.index}] fan out to every host"
    if cell.case.tools:
        return f"[cell {cell.index}] check disk on db-{cell.index}"
    return f"[cell {cell.index}] hello"


def _expected_text(cell: Cell, prompt: str) -> str:
    if cell.case.tools and not cell.case.fan_out:
        return f'Disk on db-{cell.index}: {{"host": "db-{cell.index}", "used_percent": 91}}'
    return f"Echo: {prompt}"


def run_cell(server: Any, cell: Cell) -> CellResult:
    """Run ``cell`` against ``server`` (an EmulatorServer, reset here) and judge what it left."""
    started = time.perf_counter()
    server.reset()
    server.load_script(SCRIPT)
    clock, tools = FakeClock(), CountingTools()
    assistant = _assistant(server, cell, clock, tools)
    result = CellResult(
        id=cell.id,
        matrix=cell.matrix,
        case=cell.case.name,
        backend=cell.backend,
        transport=cell.transport,
        conversation=cell.conversation,
        expect=cell.case.expect,
    )
    thread_id = None
    if cell.conversation == "existing":
        thread_id = assistant.run_turn(f"[cell {cell.index}] earlier alert", timeout=30).thread_id
    auditor = Auditor(server, plain_client(server))
    auditor.mark()
    for spec in cell.fault_specs():
        server.add_fault(**spec)
    prompt = _prompt(cell)
    params = {"max_tool_calls": 20} if cell.case.fan_out else None
    thread_id = _turn(assistant, cell, prompt, thread_id, params, result)
    result.fired = all(f["fired"] > 0 for f in server.emulator.faults.describe())
    server.clear_faults()
    result.tool_runs_max = max(tools.executions.values(), default=0)
    result.tool_repeats_max = max(tools.requests.values(), default=0)
    result.audit = auditor.audit(backend=cell.backend, thread_id=thread_id, prompt=prompt)
    thread_id = thread_id or auditor.only_thread(cell.backend, prompt)
    if thread_id:
        # the next alert comes later: past any wait the server asked for (a 429's retry-after
        # holds the whole pool, see coordination/), so the follow-up sees the conversation only
        clock.now += _NEXT_ALERT_SECONDS
        result.follow_up = _follow_up(assistant, cell, thread_id)
        copies = auditor.audit(backend=cell.backend, thread_id=thread_id, prompt=prompt).message_copies
        result.audit.message_copies = max(result.audit.message_copies, copies)
    result.problems = judge(result)
    result.wall_ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def _turn(
    assistant: Assistant, cell: Cell, prompt: str, thread_id: str | None, params: Any, result: CellResult
) -> str | None:
    try:
        turn = assistant.run_turn(
            prompt, thread_id=thread_id, params=params, stream=cell.transport == "sse", timeout=cell.case.timeout
        )
    except AssistantError as exc:
        result.outcome, result.error = exc.kind, str(exc)[:400]
        return exc.thread_id or thread_id
    except Exception as exc:  # noqa: BLE001 - exactly what the matrix looks for
        result.outcome, result.error = f"untyped {type(exc).__name__}", str(exc)[:400]
        return thread_id
    result.outcome = turn.status
    if turn.status == "completed" and turn.text != _expected_text(cell, prompt):
        result.problems.append(f"wrong answer: {turn.text[:120]!r}")
    return turn.thread_id


def _follow_up(assistant: Assistant, cell: Cell, thread_id: str) -> str:
    """The next alert's turn on the conversation."""
    text = f"[cell {cell.index}] follow up"
    try:
        turn = assistant.run_turn(text, thread_id=thread_id, stream=cell.transport == "sse", timeout=30)
    except Exception as exc:  # noqa: BLE001
        return f"failed: {type(exc).__name__}: {str(exc)[:200]}"
    return "ok" if turn.text == f"Echo: {text}" else f"failed: wrong answer {turn.text[:80]!r}"


def judge(result: CellResult) -> list[str]:
    """What went wrong in a cell (empty: nothing)."""
    audit, answered = result.audit, result.outcome in ("completed", "incomplete")
    checks = [
        (result.outcome.startswith("untyped"), f"untyped error ({result.outcome})"),
        (
            result.expect == ANSWER and not answered and result.fired,
            f"failed although the fault can be ridden out ({result.outcome})",
        ),
        (
            result.expect != ANSWER and answered and result.fired,
            "answered although the server refused (its refusal was ignored)",
        ),
        (audit.message_copies > 1, f"user message doubled ({audit.message_copies} copies)"),
        (audit.threads_with_message > 1, f"thread doubled ({audit.threads_with_message} hold the message)"),
        (answered and audit.message_copies == 0, "user message missing from the conversation"),
        (result.tool_runs_max > 1, f"tool ran {result.tool_runs_max} times for one call id"),
        (result.tool_repeats_max > 1, f"tool ran {result.tool_repeats_max} times for the same arguments"),
        (bool(audit.active_runs), f"run left active: {', '.join(audit.active_runs)}"),
        (bool(audit.dangling_calls), f"{len(audit.dangling_calls)} function call(s) without output"),
        (result.follow_up.startswith("failed"), f"conversation unusable: {result.follow_up}"),
    ]
    return list(result.problems) + [problem for failed, problem in checks if failed]


def _canonical(arguments: str) -> str:
    """A call's arguments with their keys sorted (the raw text when it is not JSON)."""
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except ValueError:
        return arguments
