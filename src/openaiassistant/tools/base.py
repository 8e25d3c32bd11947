"""The records shared by the engine and the tool machinery.

The engine only ever sees these types: a backend turns the wire's tool calls into
:class:`ToolCall`, the tool set executes a round and returns one :class:`ToolOutput` per call,
in call order, and the backend sends them back in its own wire form.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["ToolCall", "ToolDefinition", "ToolOutput", "ToolRecord", "Toolset"]


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """One call the model asked for. ``arguments`` is the raw JSON text from the wire."""

    call_id: str
    name: str
    arguments: str


@dataclass(kw_only=True)
class ToolOutput:
    """The output sent back for one call. ``output`` is always a JSON string."""

    call_id: str
    name: str
    output: str
    error: str | None = None
    duration_ms: float = 0.0


@dataclass(kw_only=True)
class ToolRecord:
    """One executed call, as reported in ``TurnResult.tool_calls``."""

    round: int
    call_id: str
    name: str
    arguments: Any
    output: str
    error: str | None
    duration_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "call_id": self.call_id,
            "name": self.name,
            "arguments": self.arguments,
            "output": self.output,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 1),
        }


@dataclass(frozen=True, kw_only=True)
class ToolDefinition:
    """What the model is told about a tool (backend-neutral; each backend wraps it)."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = True


@runtime_checkable
class Toolset(Protocol):
    """What the engine needs from a set of tools.

    ``definitions()`` is sent with every run/response. ``execute_round`` runs every call of one
    round (in parallel, capped, each with its own timeout) and returns exactly one output per
    call, in the order of ``calls``. Tool failures are outputs, not exceptions; it raises only
    when ``deadline`` (a ``time.monotonic()`` value) has passed.
    """

    def definitions(self) -> list[ToolDefinition]: ...

    def execute_round(self, calls: list[ToolCall], *, deadline: float | None = None) -> list[ToolOutput]: ...


def monotonic_ms(start: float) -> float:
    return (time.monotonic() - start) * 1000.0


SyncOrAsyncCallable = Callable[..., Any] | Callable[..., Awaitable[Any]]
