"""A tool call runs at most once per call id within a turn (issue 10): when the server asks for
a round again (the submission of its outputs was lost: Assistants over the event stream polled
the run, still requires_action, after a dropped submit), the kept outputs are submitted again
and the tool is not run a second time."""

from __future__ import annotations

from typing import Any

from tests.engine.conftest import Tools, scripted_assistant

from openaiassistant.backends.base import Completed, NeedsToolOutputs, TurnOutput
from openaiassistant.testing import ScriptedBackend
from openaiassistant.tools.base import ToolCall


def _turn(script: list[Any], tools: Tools) -> tuple[Any, ScriptedBackend]:
    backend = ScriptedBackend(script)
    return scripted_assistant(backend, tools=tools).run_turn("disk?"), backend


def _call(call_id: str, host: str = "db-1") -> ToolCall:
    return ToolCall(call_id=call_id, name="disk", arguments=f'{{"host": "{host}"}}')


def test_a_round_asked_for_again_is_answered_from_the_kept_outputs() -> None:
    runs: list[str] = []
    tools = Tools(disk=lambda args: runs.append(args["host"]) or {"used": 93})
    result, backend = _turn(
        [
            NeedsToolOutputs(calls=[_call("c1")]),
            NeedsToolOutputs(calls=[_call("c1")]),
            Completed(TurnOutput(texts=["ok"])),
        ],
        tools,
    )
    assert runs == ["db-1"]  # once, although the server asked twice
    submits = [c.outputs for c in backend.calls if c.method == "submit"]
    assert len(submits) == 2 and submits[0] == submits[1]  # the same outputs, sent again
    assert [r.call_id for r in result.tool_calls] == ["c1"]


def test_only_the_new_calls_of_a_repeated_round_run() -> None:
    runs: list[str] = []
    tools = Tools(disk=lambda args: runs.append(args["host"]) or {"host": args["host"]})
    result, backend = _turn(
        [
            NeedsToolOutputs(calls=[_call("c1", "db-1"), _call("c2", "db-2")]),
            NeedsToolOutputs(calls=[_call("c2", "db-2"), _call("c3", "db-3")]),
            Completed(TurnOutput(texts=["ok"])),
        ],
        tools,
    )
    assert runs == ["db-1", "db-2", "db-3"]
    second = [c.outputs for c in backend.calls if c.method == "submit"][1]
    assert [o.call_id for o in second] == ["c2", "c3"] and '"db-2"' in second[0].output
    assert [r.call_id for r in result.tool_calls] == ["c1", "c2", "c3"]
