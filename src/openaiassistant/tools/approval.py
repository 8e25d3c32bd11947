"""Approval before actions: a tool marked ``requires_approval`` never runs on the model's say-so.

:class:`ApprovalGate` wraps a tool set. In a round where the model calls a gated tool, the
other calls run, the gated ones do not, and :class:`ApprovalRequired` ends the turn: the
caller (``Assistant.run_turn``) stores the round and returns ``status: requires_approval``
with the pending calls. A later turn on the same thread passes decisions
(``approvals: [{call_id, approve, note}]``): the approved calls run once (through
:meth:`ApprovalGate.run_approved`, which runs exactly those call ids), the denied ones get an
output carrying the person's note, and the assistant hears both in the next message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..values import parse_bool
from .base import ToolCall, ToolDefinition, ToolOutput

__all__ = ["ApprovalGate", "ApprovalRequired", "Decision", "parse_decisions"]


class ApprovalRequired(Exception):
    """Control flow, not a failure (so no :class:`~openaiassistant.errors.AssistantError`):
    gated calls wait for a person (``pending``); the round's other calls ran (``ran``). The
    caller that ends the turn names its conversation and run (``thread_id``, ``run_id``)."""

    def __init__(self, *, pending: list[ToolCall], ran: list[tuple[ToolCall, ToolOutput]]) -> None:
        self.pending = pending
        self.ran = ran
        self.thread_id: str | None = None
        self.run_id: str | None = None
        names = ", ".join(f"{c.name} ({c.call_id})" for c in pending)
        super().__init__(f"tool calls wait for approval: {names}")


@dataclass(frozen=True, kw_only=True)
class Decision:
    call_id: str
    approve: bool
    note: str | None = None


def parse_decisions(value: Any) -> list[Decision]:
    """``approvals`` as given by a caller: a list of ``{call_id, approve, note}`` (or one)."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError("approvals", "must be a list of {call_id, approve: true|false, note}")
    decisions: list[Decision] = []
    for index, item in enumerate(value):
        decision = _decision(item, f"approvals[{index}]")
        if any(d.call_id == decision.call_id for d in decisions):
            raise ConfigError(f"approvals[{index}].call_id", f"{decision.call_id!r} is answered twice")
        decisions.append(decision)
    return decisions


def _decision(item: Any, where: str) -> Decision:
    if not isinstance(item, Mapping):
        raise ConfigError(where, "must be a mapping {call_id, approve, note}")
    unknown = sorted(set(item) - {"call_id", "approve", "note"})
    if unknown:
        raise ConfigError(where, f"unknown key(s) {unknown}; an approval takes call_id, approve, note")
    call_id = item.get("call_id")
    if not isinstance(call_id, str) or not call_id.strip():
        raise ConfigError(f"{where}.call_id", "required: the id of the pending tool call")
    if "approve" not in item:
        raise ConfigError(f"{where}.approve", "required: true to run the call, false to refuse it")
    note = item.get("note")
    return Decision(
        call_id=call_id.strip(),
        approve=parse_bool(f"{where}.approve", item["approve"]),
        note=str(note) if note not in (None, "") else None,
    )


class ApprovalGate:
    """A tool set whose gated tools run only for call ids a person approved."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    @staticmethod
    def needed(toolset: Any) -> bool:
        """Whether any tool of ``toolset`` waits for approval."""
        return any(getattr(tool, "requires_approval", False) for tool in _tools(toolset))

    def gated(self, name: str) -> bool:
        get = getattr(self.inner, "get", None)
        tool = get(name) if callable(get) else None
        return bool(getattr(tool, "requires_approval", False))

    def definitions(self) -> list[ToolDefinition]:
        return self.inner.definitions()

    def execute_round(self, calls: list[ToolCall], *, deadline: float | None = None) -> list[ToolOutput]:
        pending = [c for c in calls if self.gated(c.name)]
        if not pending:
            return self.inner.execute_round(calls, deadline=deadline)
        free = [c for c in calls if not self.gated(c.name)]
        outputs = self.inner.execute_round(free, deadline=deadline) if free else []
        raise ApprovalRequired(pending=pending, ran=list(zip(free, outputs, strict=True)))

    def run_approved(self, calls: list[ToolCall], *, deadline: float | None = None) -> list[ToolOutput]:
        """Run calls a person approved (and only those): the gate is open for these ids."""
        return self.inner.execute_round(calls, deadline=deadline)


def _tools(toolset: Any) -> list[Any]:
    """The tools of a tool set that can list them (a Toolbox iterates over its tools)."""
    return list(toolset) if isinstance(toolset, Iterable) else []
