"""One tool round: limits, execution through the Toolset, records for the result.

The engine hands every ``NeedsToolOutputs`` round here. The Toolset runs the calls (in
parallel, capped, each with its own timeout; failures come back as ``{"error": ...}`` outputs);
this module enforces the turn's limits (``max_tool_rounds``, ``max_tool_calls``), makes sure
every call gets exactly one output in call order, and keeps a :class:`ToolRecord` per call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from openaiassistant import json_limits
from openaiassistant.deadline import Deadline
from openaiassistant.errors import TurnLimitError
from openaiassistant.params import RunParams
from openaiassistant.tools.base import ToolCall, ToolOutput, ToolRecord, Toolset

__all__ = ["OnToolCall", "ToolLoop"]

OnToolCall = Callable[[ToolRecord], None]


class ToolLoop:
    """Executes rounds for one turn and remembers what ran."""

    def __init__(
        self, *, toolset: Toolset | None, params: RunParams, deadline: Deadline, on_tool_call: OnToolCall | None
    ) -> None:
        self.toolset = toolset
        self.params = params
        self.deadline = deadline
        self.on_tool_call = on_tool_call
        self.records: list[ToolRecord] = []
        self.rounds = 0
        # every output of this turn by call id: a round the server asks for again (its
        # submission was lost on the way) is answered from here, never by running a tool twice
        self.outputs: dict[str, ToolOutput] = {}
        self._ran: list[tuple[str, ToolOutput]] = []  # (what was called, its output), in order
        self._replay: dict[str, list[ToolOutput]] = {}  # after a retried run: outputs to hand back

    def replay_after_retry(self) -> None:
        """A new run replaces one that failed after tool rounds (``rate_limit_exceeded``): on
        Assistants it sees only the thread's messages, so its model asks for the same calls
        again under new call ids. Each call this turn already ran is answered once more from its
        kept output (same tool, same arguments) instead of running the tool again."""
        self._replay = {}
        for key, output in self._ran:
            self._replay.setdefault(key, []).append(output)

    def run_round(self, calls: list[ToolCall]) -> list[ToolOutput]:
        """Execute one round; raises TurnLimitError when a limit is hit or there are no tools.

        Calls this turn already ran (same call id) are not run again: their kept outputs are
        returned, and only the others (if any) make a new round.
        """
        fresh = [c for c in calls if c.call_id not in self.outputs and not self._replayed(c)]
        if fresh:
            self._execute(fresh)
        return [self.outputs[c.call_id] for c in calls]

    def _replayed(self, call: ToolCall) -> bool:
        """Answer ``call`` from a kept output of the run it replaces, if there is one left."""
        kept = self._replay.get(_called(call))
        if not kept:
            return False
        output = kept.pop(0)
        self.outputs[call.call_id] = ToolOutput(
            call_id=call.call_id, name=call.name, output=output.output, error=output.error, duration_ms=0.0
        )
        return True

    def _execute(self, calls: list[ToolCall]) -> None:
        requested = ", ".join(f"{c.name}({_shown(c.arguments)})" for c in calls)
        if self.toolset is None:
            raise TurnLimitError(f"the model asked for tool calls but no tools were given: {requested}")
        if self.rounds + 1 > self.params.max_tool_rounds:
            raise TurnLimitError(
                f"the model asked for tool round {self.rounds + 1} but max_tool_rounds is "
                f"{self.params.max_tool_rounds}; pending calls: {requested}"
            )
        if len(self.records) + len(calls) > self.params.max_tool_calls:
            raise TurnLimitError(
                f"the model asked for {len(self.records) + len(calls)} tool calls in this turn but "
                f"max_tool_calls is {self.params.max_tool_calls}"
            )
        self.rounds += 1
        outputs = _in_call_order(calls, self.toolset.execute_round(list(calls), deadline=self.deadline.monotonic_at()))
        for call, output in zip(calls, outputs, strict=True):  # one output per call, in call order
            self.outputs[call.call_id] = output
            self._ran.append((_called(call), output))
            record = ToolRecord(
                round=self.rounds,
                call_id=call.call_id,
                name=call.name,
                arguments=_arguments(call.arguments),
                output=output.output,
                error=output.error,
                duration_ms=output.duration_ms,
            )
            self.records.append(record)
            if self.on_tool_call is not None:
                self.on_tool_call(record)


def _in_call_order(calls: list[ToolCall], outputs: list[ToolOutput]) -> list[ToolOutput]:
    """Exactly one output per call, in call order, whatever the tool set returned.

    The server rejects a submission that misses a call (and the run would hang in
    requires_action), so a missing output becomes an error output rather than a crash.
    """
    by_id: dict[str, ToolOutput] = {}
    for output in outputs:
        by_id.setdefault(output.call_id, output)
    ordered = []
    for call in calls:
        found = by_id.get(call.call_id)
        if found is not None:
            output = found
        else:
            message = "the tool set produced no output for this call"
            output = ToolOutput(
                call_id=call.call_id, name=call.name, output=json.dumps({"error": message}), error=message
            )
        ordered.append(output)
    return ordered


def _called(call: ToolCall) -> str:
    """What a call asks for, whatever its id: the tool and its arguments (keys in any order)."""
    arguments = _arguments(call.arguments)
    shown = arguments if isinstance(arguments, str) else json.dumps(arguments, sort_keys=True, ensure_ascii=False)
    return f"{call.name}\n{shown}"


def _shown(arguments: str, limit: int = 200) -> str:
    """Arguments as an error message names them: cut short (a model can send megabytes)."""
    text = arguments if isinstance(arguments, str) else repr(arguments)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _arguments(raw: str) -> Any:
    """The call's arguments as data for the result (the raw text when it is not JSON)."""
    try:
        return json_limits.loads(raw)
    except (TypeError, json_limits.JSONLimitError):  # too deep or not JSON: kept as the text it was
        return raw
