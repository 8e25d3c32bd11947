"""The life of a Response, as a generator of timeline actions.

``lifecycle``: (background: ``response.queued`` ->) in_progress -> function_call items, or a
``file_search_call`` then a message streamed token by token (completed / incomplete at
``max_output_tokens``), or a fault (failed / incomplete / stuck). ``event`` numbers every event
(``sequence_number``); ``finish`` sets the final status and usage and releases the conversation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, assert_never

from openaiassistant.emulator import items as it
from openaiassistant.emulator.actions import Emit, Lifecycle, Sleep, Stuck
from openaiassistant.emulator.containers_api import add_file, container_for
from openaiassistant.emulator.hosted_calls import run_hosted
from openaiassistant.emulator.http import new_id
from openaiassistant.emulator.model import Plan, place
from openaiassistant.emulator.model_fault import ModelFault
from openaiassistant.emulator.script import chunks_of, count_tokens, cut_tokens, tokens_of
from openaiassistant.emulator.state import PendingCall, ResponseRecord
from openaiassistant.emulator.timeline import snapshot

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["event", "finish", "lifecycle"]

_Ending = Literal["completed", "incomplete"]  # how a response that ran to its answer ends


def event(record: ResponseRecord, kind: str, **fields: Any) -> Emit:
    return Emit(kind, {"type": kind, **snapshot(fields), "sequence_number": record.next_sequence()})


def lifecycle(
    emulator: Emulator, record: ResponseRecord, plan: Plan, body: dict[str, Any], *, background: bool
) -> Lifecycle[None]:
    obj = record.obj
    if background:  # the spec's ResponseQueuedEvent: "emitted when a response is queued"
        yield event(record, "response.queued", response=obj)
        yield Sleep(plan.latency.queue_ms / 1000.0)
    obj["status"] = "in_progress"
    yield event(record, "response.in_progress", response=obj)
    if plan.kind == "fault":
        yield from _fault(emulator, record, plan)
        return
    yield Sleep(plan.latency.run_ms / 1000.0 if plan.latency.run_ms else plan.latency.first_token_ms / 1000.0)
    status: _Ending
    match plan.kind:
        case "tool_calls":
            yield from _tool_calls(emulator, record, plan)
            status = "completed"
        case "message":
            if plan.citations:
                yield from _file_search_call(record, plan)
            written: list[dict[str, Any]] = []
            if plan.code is not None:
                written = yield from _code_interpreter_call(emulator, record, plan, body)
            waits = (yield from run_hosted(record, plan, body, event=event)) if plan.hosted else False
            status = "completed"  # a call waiting for approval ends the response without a message
            if not waits:
                status = yield from _message(record, plan, limit=body.get("max_output_tokens"), written=written)
        case _:
            assert_never(plan.kind)
    finish(emulator, record, status=status, plan=plan)
    yield event(record, f"response.{status}", response=obj)


def _add(record: ResponseRecord, item: dict[str, Any]) -> Lifecycle[int]:
    """An output item joins the response: appended to its output, announced by
    ``response.output_item.added``; returns its ``output_index``."""
    output = record.obj["output"]
    index = len(output)
    output.append(item)
    yield event(record, "response.output_item.added", output_index=index, item=item)
    return index


def _tool_calls(emulator: Emulator, record: ResponseRecord, plan: Plan) -> Lifecycle[None]:
    for call in plan.tool_calls:
        item: dict[str, Any] = {
            "id": new_id("fc_"),
            "type": "function_call",
            "status": "in_progress",
            "call_id": call.call_id,
            "name": call.name,
            "arguments": "",
        }
        index = yield from _add(record, item)
        for piece in chunks_of(call.arguments):  # arguments stream in pieces, as on the live API
            item["arguments"] += piece
            yield event(
                record, "response.function_call_arguments.delta", item_id=item["id"], output_index=index, delta=piece
            )
        yield event(
            record,
            "response.function_call_arguments.done",
            item_id=item["id"],
            output_index=index,
            name=call.name,
            arguments=call.arguments,
        )
        item["status"] = "completed"
        yield event(record, "response.output_item.done", output_index=index, item=item)
        if plan.step is not None:
            emulator.state.calls[call.call_id] = PendingCall(name=call.name, step=plan.step, variables=plan.variables)


def _file_search_call(record: ResponseRecord, plan: Plan) -> Lifecycle[None]:
    query = plan.variables.get("input", "")
    item = {
        "id": new_id("fs_"),
        "type": "file_search_call",
        "status": "in_progress",
        "queries": [query],
        "results": None,
    }
    index = yield from _add(record, item)
    for phase in ("in_progress", "searching", "completed"):
        yield event(record, f"response.file_search_call.{phase}", output_index=index, item_id=item["id"])
    item["status"] = "completed"
    yield event(record, "response.output_item.done", output_index=index, item=item)


def _code_interpreter_call(
    emulator: Emulator, record: ResponseRecord, plan: Plan, body: dict[str, Any]
) -> Lifecycle[list[dict[str, Any]]]:
    """A ``code_interpreter_call`` in the response's container; returns the files it wrote."""
    tool = next(t for t in body.get("tools") or [] if t.get("type") == "code_interpreter")
    container = container_for(emulator, tool)
    item: dict[str, Any] = {
        "id": new_id("ci_"),
        "type": "code_interpreter_call",
        "status": "in_progress",
        "container_id": container.obj["id"],
        "code": plan.code,
        "outputs": None,
    }
    index = yield from _add(record, item)
    for phase in ("in_progress", "interpreting", "completed"):
        yield event(record, f"response.code_interpreter_call.{phase}", output_index=index, item_id=item["id"])
    written = [
        add_file(emulator, container, name=name, content=data, source="assistant") for name, data in plan.written
    ]
    item["status"] = "completed"
    yield event(record, "response.output_item.done", output_index=index, item=item)
    return written


def _annotations(plan: Plan, written: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The answer's text and annotations: each searched file is cited at the next ``{{ cite }}``
    mark (by ``index``: Responses puts no marker in the text), then each written file's
    ``sandbox:`` link (a ``container_file_citation`` spanning it); the rest at the end."""
    links = [f"sandbox:{f['path']}" for f in written]
    text, spans = place(plan.text, plan.cite_at, [""] * len(plan.citations) + links)
    annotations: list[dict[str, Any]] = [
        {"type": "file_citation", "file_id": file_id, "filename": filename, "index": spans[i][0]}
        for i, (file_id, filename) in enumerate(plan.citations)
    ]
    for f, (start, end) in zip(written, spans[len(plan.citations) :], strict=True):
        annotations.append(
            {
                "type": "container_file_citation",
                "container_id": f["container_id"],
                "file_id": f["id"],
                "filename": f["path"].rsplit("/", 1)[-1],
                "start_index": start,
                "end_index": end,
            }
        )
    return text, annotations


def _message(record: ResponseRecord, plan: Plan, *, limit: Any, written: list[dict[str, Any]]) -> Lifecycle[_Ending]:
    """Stream the answer text token by token; returns the final status."""
    item: dict[str, Any] = {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
        "content": [],
    }
    index = yield from _add(record, item)
    part: dict[str, Any] = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    item["content"].append(part)
    yield event(
        record, "response.content_part.added", item_id=item["id"], output_index=index, content_index=0, part=part
    )
    text, annotations = _annotations(plan, written)
    tokens = tokens_of(text)
    status: _Ending = "completed"
    if isinstance(limit, int) and count_tokens(text) > limit:
        tokens, status = cut_tokens(tokens, limit), "incomplete"
    delay = 0.0 if plan.latency.run_ms else plan.latency.token_delay()
    for token in tokens:
        part["text"] += token
        yield event(
            record,
            "response.output_text.delta",
            item_id=item["id"],
            output_index=index,
            content_index=0,
            delta=token,
            logprobs=[],
        )
        if delay:
            yield Sleep(delay)
    shown = len(part["text"])
    for number, annotation in enumerate(a for a in annotations if a.get("index", a.get("end_index", 0)) <= shown):
        part["annotations"].append(annotation)
        yield event(
            record,
            "response.output_text.annotation.added",
            item_id=item["id"],
            output_index=index,
            content_index=0,
            annotation_index=number,
            annotation=annotation,
        )
    yield event(
        record,
        "response.output_text.done",
        item_id=item["id"],
        output_index=index,
        content_index=0,
        text=part["text"],
        logprobs=[],
    )
    yield event(
        record, "response.content_part.done", item_id=item["id"], output_index=index, content_index=0, part=part
    )
    item["status"] = status
    yield event(record, "response.output_item.done", output_index=index, item=item)
    return status


def _fault(emulator: Emulator, record: ResponseRecord, plan: Plan) -> Lifecycle[None]:
    fault = ModelFault.of(plan.fault or {})
    yield Sleep(plan.latency.duration(0))
    obj = record.obj
    match fault.kind:
        case "stuck":
            yield Stuck()
        case "run_incomplete":
            obj["incomplete_details"] = {"reason": fault.reason or "max_output_tokens"}
            finish(emulator, record, status="incomplete", plan=plan)
            yield event(record, "response.incomplete", response=obj)
        case "run_expired" | "run_failed":  # a response has no expired status: it fails
            default = (
                "The response expired before it could finish."
                if fault.kind == "run_expired"
                else "The server had an error while processing your request. Sorry about that!"
            )
            obj["error"] = {"code": fault.code or "server_error", "message": fault.message or default}
            finish(emulator, record, status="failed", plan=plan)
            yield event(record, "response.failed", response=obj)
        case _:
            assert_never(fault.kind)


def finish(emulator: Emulator, record: ResponseRecord, *, status: str, plan: Plan | None = None) -> None:
    """Set the final status and usage; append to the conversation; unlock it."""
    obj = record.obj
    obj["status"] = status
    if status == "incomplete" and obj["incomplete_details"] is None:
        obj["incomplete_details"] = {"reason": "max_output_tokens"}
    if status == "completed":
        obj["completed_at"] = emulator.clock.now()
    instructions = obj["instructions"] if isinstance(obj["instructions"], str) else None
    input_tokens = it.context_tokens(record.context, instructions)
    cache = emulator.state.prompt_cache
    cached = cache.read(it.prompt_units(instructions, record.context)) if status != "cancelled" else 0
    reasoning = plan.step.reasoning_tokens if plan is not None and plan.step is not None else 0
    output_tokens = sum(count_tokens(it.item_text(item)) for item in obj["output"]) + reasoning
    obj["usage"] = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }
    if status == "completed":
        cache.write(it.prompt_units(instructions, [*record.context, *obj["output"]]))
    conversation = emulator.state.conversations.get(record.conversation_id or "")
    if conversation is not None and conversation.active_response == obj["id"]:
        conversation.active_response = None
        if status != "cancelled":
            conversation.items.extend([*record.input_items, *obj["output"]])
