"""The approval round trip around a turn (see :mod:`openaiassistant.tools.approval`).

    turn 1: the model calls a gated tool
        the round's other calls run; the gated ones do not
        the run is closed on the server (Assistants: cancelled; Responses: the open calls get
        outputs), so the conversation stays usable for the next alert
        the round is stored (ApprovalStore: the registry's database) -> status requires_approval
    turn 2 on the same thread, with approvals: [{call_id, approve, note}]
        every pending call of the thread must be answered; unknown / already answered: error
        decisions are claimed atomically, then approved calls run once; denied ones do not
        the assistant hears every outcome (and the round's earlier outputs) in the next message

Both backends take the same path: the outcome travels as a message, never as tool outputs
for a run that may have expired (an Assistants run waits 10 minutes at most).
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from openaiassistant.errors import ConfigError
from openaiassistant.redaction import redact
from openaiassistant.tools.approval import ApprovalGate, ApprovalRequired, Decision
from openaiassistant.tools.base import ToolCall, ToolRecord

if TYPE_CHECKING:  # the store is SQLAlchemy's: loaded when a turn first needs one
    from openaiassistant.registry.approvals import ApprovalStore

__all__ = ["continue_after_approval", "record_pending", "store_for"]

_MEMORY: ApprovalStore | None = None
_MEMORY_LOCK = threading.Lock()
_STORES: dict[int, ApprovalStore] = {}

HEADER = "Tool calls of the previous turn that waited for a person, and what was decided:"


def store_for(registry: Any) -> ApprovalStore:
    """The registry's approval table, or (without a registry) one for this process only."""
    global _MEMORY
    from openaiassistant.registry.approvals import ApprovalStore

    engine = getattr(registry, "engine", None)
    with _MEMORY_LOCK:
        if engine is None:
            if _MEMORY is None:
                _MEMORY = ApprovalStore.in_memory()
            return _MEMORY
        if id(engine) not in _STORES:
            _STORES[id(engine)] = ApprovalStore(engine)
        return _STORES[id(engine)]


def record_pending(store: ApprovalStore, stop: ApprovalRequired) -> tuple[list[dict[str, Any]], list[ToolRecord]]:
    """Store a stopped round; the pending calls (for the result) and the records of what ran."""
    if not stop.thread_id:
        raise ConfigError("approvals", "the server named no conversation for this turn; cannot wait for approval")
    store.save_round(
        thread_id=stop.thread_id,
        run_id=stop.run_id,
        pending=[(c.call_id, c.name, c.arguments) for c in stop.pending],
        ran=[(c.call_id, c.name, c.arguments, o.output) for c, o in stop.ran],
    )
    from openaiassistant.registry.approvals import PendingCall

    pending = [
        PendingCall(call_id=c.call_id, tool=c.name, arguments=c.arguments, thread_id=stop.thread_id).to_dict()
        for c in stop.pending
    ]
    records = [_record(c, o.output, o.error, o.duration_ms) for c, o in stop.ran]
    return pending, records


def continue_after_approval(
    store: ApprovalStore,
    gate: ApprovalGate | None,
    *,
    thread_id: str | None,
    decisions: list[Decision],
    deadline: float | None,
) -> tuple[str, list[dict[str, Any]], list[ToolRecord]]:
    """Answer the thread's pending calls; run the approved ones once.

    Returns the text that tells the assistant what happened, the decisions for the result,
    and the records of the calls that ran.
    """
    if not thread_id:
        raise ConfigError("approvals", "need the thread_id of the turn that asked for approval")
    waiting = {p.call_id: p for p in store.pending(thread_id)}
    answered = {d.call_id for d in decisions}
    missing = sorted(set(waiting) - answered)
    if missing:
        names = ", ".join(f"{c} ({waiting[c].tool})" for c in missing)
        raise ConfigError("approvals", f"every pending call of thread {thread_id} needs an answer; missing: {names}")
    stored = store.claim(thread_id=thread_id, decisions=[(d.call_id, d.approve, d.note) for d in decisions])
    notes = {d.call_id: d for d in decisions}
    approved = [
        ToolCall(call_id=s.call_id, name=s.tool, arguments=s.arguments) for s in stored if notes[s.call_id].approve
    ]
    if approved and gate is None:
        raise ConfigError("approvals", "the approved calls' tools are not part of this turn's tools")
    ran = gate.run_approved(approved, deadline=deadline) if gate is not None and approved else []
    outputs = {o.call_id: o for o in ran}
    report, results, records = [], [], []
    for call in stored:
        decision = notes[call.call_id]
        if decision.approve:
            output = outputs[call.call_id]
            store.finish(call.call_id, output.output)
            records.append(_record(ToolCall(call_id=call.call_id, name=call.tool, arguments=call.arguments),
                                   output.output, output.error, output.duration_ms))  # fmt: skip
            text = output.output
        else:
            text = json.dumps({"error": "a person denied this call; it did not run", "note": decision.note})
        entry = {
            "call_id": call.call_id,
            "tool": call.tool,
            "arguments": _json(call.arguments),
            "decision": "approved" if decision.approve else "denied",
            "note": decision.note,
            "output": _json(text),
        }
        report.append(entry)
        results.append({k: entry[k] for k in ("call_id", "tool", "decision", "note")})
    earlier = [
        {"call_id": s.call_id, "tool": s.tool, "arguments": _json(s.arguments), "output": _json(s.output or "")}
        for s in store.round_of(stored[0].call_id)
        if s.kind == "ran"
    ] if stored else []  # fmt: skip
    body: dict[str, Any] = {"decided": report}
    if earlier:
        body["ran_before_approval"] = earlier
    text = redact(f"{HEADER}\n{json.dumps(body, ensure_ascii=False)}")
    return text, results, records


def _record(call: ToolCall, output: str, error: str | None, duration_ms: float) -> ToolRecord:
    return ToolRecord(
        round=0,
        call_id=call.call_id,
        name=call.name,
        arguments=_json(call.arguments),
        output=output,
        error=error,
        duration_ms=duration_ms,
    )


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return text
