"""The cells of the two reliability matrices (issue 10): which fault, where, on which turn.

A cell is one turn of the real engine against the emulator with faults armed on specific
requests. The **fault matrix** puts every emulator fault on the request it can hit (the run's
creation, the tool-output submit, a poll, the conversation's creation) on both backends, both
transports (event stream / polling) and both a new and an existing conversation. The
**ambiguous matrix** puts failures where the request *landed* (the server did the work, the
client got a 5xx or a broken connection) on every request that changes the server's state.

Targets are resolved per backend (:data:`TARGETS`): the Responses request that carries tool
outputs is told from the one carrying the user's message by its body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BACKENDS = ("responses", "assistants")
TRANSPORTS = ("sse", "poll")
CONVERSATIONS = ("new", "existing")

# where a fault can hit, per backend: {method, path, body} as the emulator's fault book takes them
TARGETS: dict[str, dict[str, dict[str, str]]] = {
    "create": {  # the request that carries the user's message and starts the run
        "responses": {"method": "POST", "path": r"/responses$", "body": r"\"input_text\""},
        "assistants": {"method": "POST", "path": r"/runs$"},
    },
    "submit": {  # the request that carries the tool outputs
        "responses": {"method": "POST", "path": r"/responses$", "body": r"function_call_output"},
        "assistants": {"method": "POST", "path": r"/submit_tool_outputs$"},
    },
    "poll": {
        "responses": {"method": "GET", "path": r"/responses/resp_[0-9a-f]+$"},
        "assistants": {"method": "GET", "path": r"/runs/run_[0-9a-f]+$"},
    },
    "conversation": {  # what makes the conversation (Assistants: the thread comes with its run)
        "responses": {"method": "POST", "path": r"/conversations$"},
        "assistants": {"method": "POST", "path": r"/threads(/runs)?$"},
    },
}

ANSWER = "answer"  # the turn must complete (or end incomplete) with the right text
TYPED = "typed error"  # the turn may fail, with one of the package's errors


@dataclass(frozen=True, kw_only=True)
class FaultCase:
    """One row of a matrix: faults (``target`` + an emulator fault spec) and what must happen."""

    name: str
    faults: tuple[tuple[str, dict[str, Any]], ...]
    expect: str = ANSWER  # ANSWER: the fault can be ridden out; TYPED: it cannot
    tools: bool = True  # the turn makes one tool round
    fan_out: int = 0  # a round of this many calls (with max_tool_calls below it: abandoned)
    timeout: float = 30.0  # the turn's deadline (seconds on the harness's fake clock)
    transports: tuple[str, ...] = TRANSPORTS
    conversations: tuple[str, ...] = CONVERSATIONS


def _f(target: str, kind: str, **spec: Any) -> tuple[str, dict[str, Any]]:
    return target, {"kind": kind, **spec}


FAULT_CASES: tuple[FaultCase, ...] = (
    FaultCase(name="429 on create", faults=(_f("create", "http_error", status=429, retry_after_ms=20),)),
    FaultCase(name="500 on create", faults=(_f("create", "http_error", status=500),)),
    FaultCase(
        name="503 x6 on create (retries used up)",
        faults=(_f("create", "http_error", status=503, times=6),),
        expect=TYPED,
    ),
    FaultCase(
        name="retry-after 300 s on create",
        faults=(_f("create", "http_error", status=429, retry_after=300),),
        expect=TYPED,
    ),
    FaultCase(name="insufficient_quota on create", faults=(_f("create", "insufficient_quota"),), expect=TYPED),
    FaultCase(name="dropped connection on create", faults=(_f("create", "drop_connection"),)),
    FaultCase(name="2 dropped connections on create", faults=(_f("create", "drop_connection", times=2),)),
    FaultCase(
        name="dropped connection on the conversation",
        faults=(_f("conversation", "drop_connection"),),
        conversations=("new",),
    ),
    FaultCase(
        name="stream cut after 3 events on create",
        faults=(_f("create", "stream_cut", after_events=3),),
        transports=("sse",),
    ),
    FaultCase(
        name="stream error event on create",
        faults=(_f("create", "stream_error", after_events=2),),
        transports=("sse",),
        expect=TYPED,
    ),
    FaultCase(name="dropped connection on a poll", faults=(_f("poll", "drop_connection"),), transports=("poll",)),
    FaultCase(name="503 on a poll", faults=(_f("poll", "http_error", status=503),), transports=("poll",)),
    FaultCase(name="429 on submit", faults=(_f("submit", "http_error", status=429, retry_after_ms=20),)),
    FaultCase(
        name="503 x6 on submit (retries used up)",
        faults=(_f("submit", "http_error", status=503, times=6),),
        expect=TYPED,
    ),
    FaultCase(name="insufficient_quota on submit", faults=(_f("submit", "insufficient_quota"),), expect=TYPED),
    FaultCase(name="dropped connection on submit", faults=(_f("submit", "drop_connection"),)),
    FaultCase(
        name="stream cut after 2 events on submit",
        faults=(_f("submit", "stream_cut", after_events=2),),
        transports=("sse",),
    ),
    FaultCase(
        name="run failed (server_error)", faults=(_f("create", "run_failed", code="server_error"),), expect=TYPED
    ),
    FaultCase(
        name="run failed (rate_limit_exceeded)", faults=(_f("create", "run_failed", code="rate_limit_exceeded"),)
    ),
    FaultCase(
        name="rate_limit_exceeded after the tool round",
        faults=(_f("submit", "run_failed", code="rate_limit_exceeded"),),
    ),
    FaultCase(name="run expired", faults=(_f("create", "run_expired"),), expect=TYPED),
    FaultCase(name="run incomplete", faults=(_f("create", "run_incomplete"),)),
    FaultCase(name="stuck run (deadline)", faults=(_f("create", "stuck"),), expect=TYPED, timeout=3.0),
    FaultCase(name="stuck after the tool round (deadline)", faults=(_f("submit", "stuck"),), expect=TYPED, timeout=3.0),
    FaultCase(name="21 calls abandoned (max_tool_calls)", faults=(), fan_out=21, expect=TYPED),
)

AMBIGUOUS_CASES: tuple[FaultCase, ...] = (
    FaultCase(name="502 after create landed", faults=(_f("create", "ambiguous_error"),)),
    FaultCase(name="dropped after create landed", faults=(_f("create", "ambiguous_drop"),)),
    FaultCase(
        name="stream cut before its first event",
        faults=(_f("create", "stream_cut", after_events=0),),
        transports=("sse",),
    ),
    FaultCase(
        name="502 after the conversation landed",
        faults=(_f("conversation", "ambiguous_error"),),
        conversations=("new",),
    ),
    FaultCase(name="502 after submit landed", faults=(_f("submit", "ambiguous_error"),)),
    FaultCase(name="dropped after submit landed", faults=(_f("submit", "ambiguous_drop"),)),
    FaultCase(
        name="submit stream cut before its first event",
        faults=(_f("submit", "stream_cut", after_events=0),),
        transports=("sse",),
    ),
    FaultCase(name="502 after create landed, no tools", faults=(_f("create", "ambiguous_error"),), tools=False),
)


@dataclass(frozen=True, kw_only=True)
class Cell:
    matrix: str  # "fault" | "ambiguous"
    case: FaultCase
    backend: str
    transport: str
    conversation: str
    index: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return f"{self.matrix}:{self.case.name}:{self.backend}:{self.transport}:{self.conversation}"

    def fault_specs(self) -> list[dict[str, Any]]:
        """The emulator fault specs of this cell, with their targets resolved for its backend."""
        return [{**TARGETS[target][self.backend], **spec} for target, spec in self.case.faults]


def cells(matrix: str) -> list[Cell]:
    cases = FAULT_CASES if matrix == "fault" else AMBIGUOUS_CASES
    out = []
    for case in cases:
        for backend in BACKENDS:
            for transport in case.transports:
                for conversation in case.conversations:
                    out.append(
                        Cell(
                            matrix=matrix,
                            case=case,
                            backend=backend,
                            transport=transport,
                            conversation=conversation,
                            index=len(out),
                        )
                    )
    return out


def all_cells() -> list[Cell]:
    return cells("fault") + cells("ambiguous")
