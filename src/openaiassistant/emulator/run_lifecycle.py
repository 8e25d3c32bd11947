"""The life of an Assistants v2 run, as a generator of timeline actions.

``lifecycle`` goes queued -> in_progress -> (tool calls: requires_action) | (answer: a
message written token by token, then completed / incomplete) | (fault: failed / expired /
incomplete / stuck). ``after_tool_outputs`` resumes it once all outputs are submitted. The same
generator serves polling (catch-up on reads) and streaming (real time), see ``timeline.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, assert_never

from openaiassistant.emulator.actions import Emit, Lifecycle, Sleep, Stuck
from openaiassistant.emulator.assistants_api import new_message
from openaiassistant.emulator.clock import Clock
from openaiassistant.emulator.http import new_id
from openaiassistant.emulator.model import Plan, place
from openaiassistant.emulator.model_fault import ModelFault
from openaiassistant.emulator.script import chunks_of, count_tokens, cut_tokens, tokens_of
from openaiassistant.emulator.state import FileRecord, PendingCall, RunRecord, ThreadRecord
from openaiassistant.emulator.timeline import snapshot

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["after_tool_outputs", "lifecycle", "message_text", "visible_messages"]

_Ending = Literal["completed", "incomplete"]  # how the answer's message ends


def message_text(message: dict[str, Any]) -> str:
    return " ".join(p["text"]["value"] for p in message["content"] if p.get("type") == "text")


def _event(name: str, data: dict[str, Any]) -> Emit:
    return Emit(name, snapshot(data))


def _new_step(run: RunRecord, kind: str, details: dict[str, Any], *, clock: Clock) -> dict[str, Any]:
    step = {
        "id": new_id("step_"),
        "object": "thread.run.step",
        "created_at": clock.now(),
        "assistant_id": run.obj["assistant_id"],
        "thread_id": run.obj["thread_id"],
        "run_id": run.obj["id"],
        "type": kind,
        "status": "in_progress",
        "step_details": details,
        "last_error": None,
        "expired_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "metadata": {},
        "usage": None,
    }
    run.steps.append(step)
    return step


def visible_messages(record: ThreadRecord, run: RunRecord) -> list[dict[str, Any]]:
    """The thread's messages the model sees: only the last N with ``truncation_strategy``
    ``{type: last_messages, last_messages: N}``."""
    messages = record.messages
    strategy = run.obj.get("truncation_strategy") or {}
    if strategy.get("type") == "last_messages" and isinstance(strategy.get("last_messages"), int):
        messages = messages[-strategy["last_messages"] :] if strategy["last_messages"] > 0 else []
    return messages


def _prompt_tokens(record: ThreadRecord, run: RunRecord) -> int:
    """Instructions + the messages the model sees."""
    messages = visible_messages(record, run)
    return count_tokens(run.obj["instructions"] or "") + sum(count_tokens(message_text(m)) for m in messages)


def lifecycle(emulator: Emulator, record: ThreadRecord, run: RunRecord, plan: Plan) -> Lifecycle[None]:
    obj, clock = run.obj, emulator.clock
    yield _event("thread.run.queued", obj)
    yield Sleep(plan.latency.queue_ms / 1000.0)
    obj["status"] = "in_progress"
    obj["started_at"] = obj["started_at"] or clock.now()
    yield _event("thread.run.in_progress", obj)
    run.prompt_tokens = _prompt_tokens(record, run)  # before the answer joins the thread
    if plan.kind == "fault":
        yield from _fault(record, run, plan, clock=clock)
        return
    limit = obj["max_prompt_tokens"]
    if isinstance(limit, int) and run.prompt_tokens > limit:
        yield from _end(record, run, "incomplete", reason="max_prompt_tokens", clock=clock)
        return
    yield Sleep(plan.latency.run_ms / 1000.0 if plan.latency.run_ms else plan.latency.first_token_ms / 1000.0)
    match plan.kind:
        case "tool_calls":
            yield from _tool_calls(emulator, run, plan)
        case "message":
            if plan.citations:
                yield from _file_search_step(run, clock=clock)
            if plan.code is not None:
                yield from _code_step(run, plan, clock=clock)
            status = yield from _message(emulator, record, run, plan, clock=clock)
            reason = "max_completion_tokens" if status == "incomplete" else None
            yield from _end(record, run, status, reason=reason, clock=clock)
        case _:
            assert_never(plan.kind)


def _tool_calls(emulator: Emulator, run: RunRecord, plan: Plan) -> Lifecycle[None]:
    # the step starts empty; each call arrives by deltas, name first, then its arguments in
    # pieces (clients accumulate the deltas onto the created step, as the SDK does)
    calls: list[dict[str, Any]] = []
    step = _new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": calls}, clock=emulator.clock)
    run.tool_step = step
    yield _event("thread.run.step.created", step)
    yield _event("thread.run.step.in_progress", step)
    for index, call in enumerate(plan.tool_calls):
        entry: dict[str, Any] = {
            "id": call.call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": "", "output": None},
        }
        calls.append(entry)
        yield _step_delta(step, {"index": index, **entry})
        for piece in chunks_of(call.arguments):
            entry["function"]["arguments"] += piece
            yield _step_delta(step, {"index": index, "type": "function", "function": {"arguments": piece}})
    for call in plan.tool_calls:
        if plan.step is not None:
            emulator.state.calls[call.call_id] = PendingCall(name=call.name, step=plan.step, variables=plan.variables)
    run.obj["status"] = "requires_action"
    run.obj["required_action"] = {
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {
            "tool_calls": [
                {"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in plan.tool_calls
            ]
        },
    }
    yield _event("thread.run.requires_action", run.obj)


def _step_delta(step: dict[str, Any], tool_call: dict[str, Any]) -> Emit:
    delta = {"step_details": {"type": "tool_calls", "tool_calls": [tool_call]}}
    return _event("thread.run.step.delta", {"id": step["id"], "object": "thread.run.step.delta", "delta": delta})


def _file_search_step(run: RunRecord, *, clock: Clock) -> Lifecycle[None]:
    call = {
        "id": new_id("call_"),
        "type": "file_search",
        "file_search": {"ranking_options": {"ranker": "default_2024_08_21", "score_threshold": 0.0}, "results": []},
    }
    step = _new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": [call]}, clock=clock)
    yield _event("thread.run.step.created", step)
    yield _event("thread.run.step.in_progress", step)
    step.update(status="completed", completed_at=clock.now())
    yield _event("thread.run.step.completed", step)


def _message(
    emulator: Emulator, record: ThreadRecord, run: RunRecord, plan: Plan, *, clock: Clock
) -> Lifecycle[_Ending]:
    """Write the answer into a new assistant message token by token; returns the run status."""
    message = new_message(
        record.obj["id"],
        {"role": "assistant", "content": "x"},
        assistant_id=run.obj["assistant_id"],
        run_id=run.obj["id"],
        created_at=clock.now(),
        status="in_progress",
        completed_at=None,
        content=[],
    )
    details = {"type": "message_creation", "message_creation": {"message_id": message["id"]}}
    step = _new_step(run, "message_creation", details, clock=clock)
    yield _event("thread.run.step.created", step)
    yield _event("thread.run.step.in_progress", step)
    record.messages.append(message)
    yield _event("thread.message.created", message)
    yield _event("thread.message.in_progress", message)
    text, annotations = _annotations(emulator, plan)
    limit = run.obj["max_completion_tokens"]
    status: _Ending = "completed"
    if isinstance(limit, int) and count_tokens(text) > limit:
        kept = "".join(cut_tokens(tokens_of(text), limit))
        text, status = kept, "incomplete"
        annotations = [a for a in annotations if a["end_index"] <= len(kept)]
    part: dict[str, Any] = {"type": "text", "text": {"value": "", "annotations": []}}
    message["content"].append(part)
    delay = 0.0 if plan.latency.run_ms else plan.latency.token_delay()
    at = 0
    for number, annotation in enumerate([*annotations, None]):
        upto = annotation["start_index"] if annotation is not None else len(text)
        for token in tokens_of(text[at:upto]):
            part["text"]["value"] += token
            delta = {"content": [{"index": 0, "type": "text", "text": {"value": token, "annotations": []}}]}
            yield _event(
                "thread.message.delta", {"id": message["id"], "object": "thread.message.delta", "delta": delta}
            )
            if delay:
                yield Sleep(delay)
        if annotation is None:
            break
        # the marker arrives as its own delta, carrying its annotation (as on the live API)
        part["text"]["value"] += annotation["text"]
        part["text"]["annotations"].append(annotation)
        at = annotation["end_index"]
        marked = {"value": annotation["text"], "annotations": [{"index": number, **annotation}]}
        delta = {"content": [{"index": 0, "type": "text", "text": marked}]}
        yield _event("thread.message.delta", {"id": message["id"], "object": "thread.message.delta", "delta": delta})
    completion = count_tokens(part["text"]["value"])
    if status == "completed":
        message.update(status="completed", completed_at=clock.now())
        yield _event("thread.message.completed", message)
    else:
        message.update(status="incomplete", incomplete_at=clock.now(), incomplete_details={"reason": "max_tokens"})
        yield _event("thread.message.incomplete", message)
    prompt = run.prompt_tokens
    step.update(
        status="completed",
        completed_at=clock.now(),
        usage={"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    )
    yield _event("thread.run.step.completed", step)
    return status


def _annotations(emulator: Emulator, plan: Plan) -> tuple[str, list[dict[str, Any]]]:
    """The answer's text with its markers, and their annotations: each searched file's
    ``【N:0†name】`` at the next ``{{ cite }}`` mark (a ``file_citation`` spanning it), then each
    file code_interpreter wrote as a ``sandbox:`` link (a ``file_path``); the rest at the end."""
    written = [_output_file(emulator, name, data) for name, data in plan.written]
    markers = [f"【{n}:0†{filename}】" for n, (_, filename) in enumerate(plan.citations)]
    links = [f"sandbox:/mnt/data/{obj['filename']}" for obj in written]
    text, spans = place(plan.text, plan.cite_at, markers + links)
    annotations: list[dict[str, Any]] = []
    for i, (start, end) in enumerate(spans):
        if i < len(markers):
            kind, target = "file_citation", {"file_citation": {"file_id": plan.citations[i][0]}}
        else:
            kind, target = "file_path", {"file_path": {"file_id": written[i - len(markers)]["id"]}}
        annotations.append({"type": kind, "text": text[start:end], "start_index": start, "end_index": end, **target})
    return text, annotations


def _output_file(emulator: Emulator, name: str, data: bytes) -> dict[str, Any]:
    """A file code_interpreter wrote: a File with purpose ``assistants_output``."""
    obj: dict[str, Any] = {
        "id": new_id("file-"),
        "object": "file",
        "bytes": len(data),
        "created_at": emulator.clock.now(),
        "filename": name,
        "purpose": "assistants_output",
        "status": "processed",
    }
    emulator.state.files[obj["id"]] = FileRecord(obj=obj, content=data)
    return obj


def _code_step(run: RunRecord, plan: Plan, *, clock: Clock) -> Lifecycle[None]:
    call = {"id": new_id("call_"), "type": "code_interpreter", "code_interpreter": {"input": plan.code, "outputs": []}}
    step = _new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": [call]}, clock=clock)
    yield _event("thread.run.step.created", step)
    yield _event("thread.run.step.in_progress", step)
    step.update(status="completed", completed_at=clock.now())
    yield _event("thread.run.step.completed", step)


def _usage(record: ThreadRecord, run: RunRecord) -> dict[str, int]:
    prompt = run.prompt_tokens
    completion = sum((s.get("usage") or {}).get("completion_tokens", 0) for s in run.steps)
    completion += sum(
        count_tokens(c["function"]["arguments"])
        for s in run.steps
        if s["type"] == "tool_calls"
        for c in s["step_details"]["tool_calls"]
        if c["type"] == "function"
    )
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _end(
    record: ThreadRecord,
    run: RunRecord,
    status: str,
    *,
    clock: Clock,
    reason: str | None = None,
    error: dict[str, Any] | None = None,
) -> Lifecycle[None]:
    obj = run.obj
    stamp = clock.now()
    obj["status"] = status
    obj["usage"] = _usage(record, run)
    if status == "completed":
        obj["completed_at"] = stamp
    elif status == "incomplete":
        obj["incomplete_details"] = {"reason": reason or "max_completion_tokens"}
        obj["completed_at"] = stamp
    elif status == "failed":
        obj["failed_at"] = stamp
        obj["last_error"] = error
    yield _event(f"thread.run.{status}", obj)


def _fault(record: ThreadRecord, run: RunRecord, plan: Plan, *, clock: Clock) -> Lifecycle[None]:
    fault = ModelFault.of(plan.fault or {})
    yield Sleep(plan.latency.duration(0))
    match fault.kind:
        case "stuck":
            yield Stuck()
        case "run_expired":
            run.obj["expires_at"] = clock.now()
            yield from _end(record, run, "expired", clock=clock)
        case "run_incomplete":
            known = ("max_prompt_tokens", "max_completion_tokens")
            reason = fault.reason if fault.reason in known else "max_completion_tokens"
            yield from _end(record, run, "incomplete", reason=reason, clock=clock)
        case "run_failed":
            code = fault.code or "server_error"
            message = fault.message or (
                "Rate limit reached for requests." if code == "rate_limit_exceeded" else "Sorry, something went wrong."
            )
            yield from _end(record, run, "failed", error={"code": code, "message": message}, clock=clock)
        case _:
            assert_never(fault.kind)


def after_tool_outputs(
    emulator: Emulator, record: ThreadRecord, run: RunRecord, step: dict[str, Any], plan: Plan
) -> Lifecycle[None]:
    step.update(status="completed", completed_at=emulator.clock.now())
    run.tool_step = None
    yield _event("thread.run.step.completed", step)
    yield from lifecycle(emulator, record, run, plan)
