"""``/v1/responses``: create (plain, streamed, background), retrieve, cancel, delete, input items.

A response's life is one generator (:func:`_lifecycle`) driven by a :class:`Timeline`: a plain
create awaits it in real time, a background create returns ``queued`` and lets reads catch up,
a streamed create sends its events. Conversations get the input and output items appended when
the response ends, and stay locked (``conversation_locked``) while it works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator import items as it
from openaiassistant.emulator.http import (
    ApiProblem, check_number, emulator_of, new_id, not_found, now, ok, paginate, read_json, require, sse_response,
)
from openaiassistant.emulator.script import Context, Plan, count_tokens, decide, tokens_of
from openaiassistant.emulator.state import PendingCall, ResponseRecord
from openaiassistant.emulator.timeline import Action, Timeline, snapshot
from openaiassistant.emulator.vector_stores_api import indexed_files

if TYPE_CHECKING:
    from openaiassistant.emulator.app import Emulator

_TERMINAL = {"completed", "failed", "cancelled", "incomplete"}


def locked_error(conversation_id: str) -> ApiProblem:
    return ApiProblem(
        400,
        f"Another process is currently operating on conversation {conversation_id}. Please try again later.",
        code="conversation_locked",
        param="conversation",
    )


# -- create ----------------------------------------------------------------------------------
async def create_response(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await read_json(request)
    model = require(body, "model")
    check_number(body, "max_output_tokens", minimum=16, integer=True)
    check_number(body, "temperature", minimum=0, maximum=2)
    check_number(body, "top_p", minimum=0, maximum=1)
    if body.get("conversation") and body.get("previous_response_id"):
        raise ApiProblem(400, "'previous_response_id' cannot be used together with 'conversation'.", param="conversation")
    record = _new_record(emulator, body, model=str(model))
    plan = _plan(emulator, record, body, request)
    background = bool(body.get("background"))
    record.timeline = Timeline(_lifecycle(emulator, record, plan, body, background=background))
    emulator.state.responses[record.obj["id"]] = record
    if record.conversation_id:
        emulator.state.conversations[record.conversation_id].active_response = record.obj["id"]
    if body.get("stream"):
        cut = emulator.stream_cut("POST", request.url.path)
        return sse_response(request, _stream(record), api="responses", cut_after=cut)
    if background:
        return ok(record.obj)
    async for _ in record.timeline.events(should_stop=request.is_disconnected):
        pass
    if not record.timeline.done:  # the client left while the response was stuck
        _finish(emulator, record, status="cancelled")
    return ok(record.obj)


def _new_record(emulator: "Emulator", body: dict[str, Any], *, model: str) -> ResponseRecord:
    state = emulator.state
    new_items = it.normalize_input(body.get("input", []), state=state)
    history: list[dict[str, Any]] = []
    conversation_id = _conversation_id(body.get("conversation"))
    if conversation_id:
        conversation = state.conversations.get(conversation_id)
        if conversation is None:
            raise not_found(f"Conversation with id '{conversation_id}' not found.")
        if conversation.active_response:
            active = state.responses.get(conversation.active_response)
            if active and active.timeline:
                active.timeline.catch_up()
            if conversation.active_response:
                raise locked_error(conversation_id)
        history = list(conversation.items)
    elif body.get("previous_response_id"):
        previous = state.responses.get(str(body["previous_response_id"]))
        if previous is None:
            raise not_found(f"Previous response with id '{body['previous_response_id']}' not found.")
        history = [*previous.context, *previous.obj.get("output", [])]
    context = [*history, *new_items]
    it.check_tool_pairs(context)
    context = _truncate(emulator, body, context)
    obj = _wire_object(body, model=model, conversation_id=conversation_id)
    return ResponseRecord(obj=obj, input_items=new_items, context=context, conversation_id=conversation_id)


def _conversation_id(raw: Any) -> str | None:
    if isinstance(raw, dict):
        return str(raw.get("id")) if raw.get("id") else None
    return str(raw) if raw else None


def _truncate(emulator: "Emulator", body: dict[str, Any], context: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``truncation: disabled`` fails on overflow; ``auto`` drops the oldest items."""
    window = emulator.script.context_window
    instructions = body.get("instructions") if isinstance(body.get("instructions"), str) else None
    if it.context_tokens(context, instructions) <= window:
        return context
    if body.get("truncation", "disabled") != "auto":
        raise ApiProblem(
            400,
            f"Your input exceeds the context window of this model ({window} tokens). "
            "Please adjust your input and try again.",
            code="context_length_exceeded",
            param="input",
        )
    kept = list(context)
    while len(kept) > 1 and it.context_tokens(kept, instructions) > window:
        kept.pop(0)
    return kept


def _wire_object(body: dict[str, Any], *, model: str, conversation_id: str | None) -> dict[str, Any]:
    text = dict(body.get("text") or {})
    text.setdefault("format", {"type": "text"})
    # ``usage`` appears once the response ends (the spec does not allow null there)
    obj = {
        "id": new_id("resp_"),
        "object": "response",
        "created_at": now(),
        "status": "queued" if body.get("background") else "in_progress",
        "background": bool(body.get("background")),
        "completed_at": None,
        "conversation": {"id": conversation_id} if conversation_id else None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "metadata": body.get("metadata") or {},
        "model": model,
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": text,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": [_wire_tool(tool) for tool in body.get("tools") or []],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
    }
    if body.get("user"):  # the spec types ``user`` as a string, never null
        obj["user"] = str(body["user"])
    return obj


def _wire_tool(tool: dict[str, Any]) -> dict[str, Any]:
    if tool.get("type") != "function":
        return dict(tool)
    return {
        "type": "function",
        "name": tool.get("name"),
        "description": tool.get("description"),
        "parameters": tool.get("parameters"),
        "strict": tool.get("strict", True),
    }


def _plan(emulator: "Emulator", record: ResponseRecord, body: dict[str, Any], request: Request) -> Plan:
    fault = emulator.model_fault("POST", request.url.path)
    outputs = [i for i in record.input_items if i.get("type") == "function_call_output"]
    tools = {t.get("name") for t in body.get("tools") or [] if t.get("type") == "function"}
    if body.get("tool_choice") == "none":
        tools = set()
    pending = None
    named: list[tuple[str, str]] = []
    for item in outputs:
        call = emulator.state.calls.get(item["call_id"])
        name = call.name if call else _call_name(record.context, item["call_id"])
        named.append((name, item["output"]))
        if call and pending is None:
            pending = (call.step, call.variables)
    store_ids = [vs for t in body.get("tools") or [] if t.get("type") == "file_search" for vs in t.get("vector_store_ids") or []]
    context = Context(
        user_text=it.latest_user_text(record.context),
        tools=tools,
        text_format=(body.get("text") or {}).get("format"),
        tool_outputs=named if outputs else None,
        pending=pending,
        files=indexed_files(emulator.state, store_ids) if store_ids else None,
    )
    plan = decide(emulator.script, context)
    if fault is not None:
        plan.kind, plan.fault = "fault", fault
    return plan


def _call_name(context: list[dict[str, Any]], call_id: str) -> str:
    for item in context:
        if item.get("type") == "function_call" and item.get("call_id") == call_id:
            return str(item.get("name"))
    return "unknown"


# -- the lifecycle ---------------------------------------------------------------------------
def _event(record: ResponseRecord, kind: str, **fields: Any) -> Action:
    return ("event", kind, {"type": kind, **snapshot(fields), "sequence_number": record.next_sequence()})


def _lifecycle(
    emulator: "Emulator", record: ResponseRecord, plan: Plan, body: dict[str, Any], *, background: bool
) -> Iterator[Action]:
    obj = record.obj
    if background:
        yield ("sleep", plan.latency.queue_ms / 1000.0)
    obj["status"] = "in_progress"
    yield _event(record, "response.in_progress", response=obj)
    if plan.kind == "fault":
        yield from _fault(emulator, record, plan)
        return
    yield ("sleep", plan.latency.run_ms / 1000.0 if plan.latency.run_ms else plan.latency.first_token_ms / 1000.0)
    if plan.kind == "tool_calls":
        yield from _tool_calls(emulator, record, plan)
        status = "completed"
    else:
        if plan.citations:
            yield from _file_search_call(record, plan)
        status = yield from _message(record, plan, limit=body.get("max_output_tokens"))
    _finish(emulator, record, status=status, plan=plan)
    yield _event(record, f"response.{status}", response=obj)


def _tool_calls(emulator: "Emulator", record: ResponseRecord, plan: Plan) -> Iterator[Action]:
    output = record.obj["output"]
    for call in plan.tool_calls:
        index = len(output)
        item = {"id": new_id("fc_"), "type": "function_call", "status": "in_progress",
                "call_id": call.call_id, "name": call.name, "arguments": ""}
        output.append(item)
        yield _event(record, "response.output_item.added", output_index=index, item=item)
        item["arguments"] = call.arguments
        yield _event(record, "response.function_call_arguments.delta", item_id=item["id"], output_index=index, delta=call.arguments)
        yield _event(record, "response.function_call_arguments.done", item_id=item["id"], output_index=index,
                     name=call.name, arguments=call.arguments)
        item["status"] = "completed"
        yield _event(record, "response.output_item.done", output_index=index, item=item)
        if plan.step is not None:
            emulator.state.calls[call.call_id] = PendingCall(name=call.name, step=plan.step, variables=plan.variables)


def _file_search_call(record: ResponseRecord, plan: Plan) -> Iterator[Action]:
    output = record.obj["output"]
    index = len(output)
    query = plan.variables.get("input", "")
    item = {"id": new_id("fs_"), "type": "file_search_call", "status": "in_progress", "queries": [query], "results": None}
    output.append(item)
    yield _event(record, "response.output_item.added", output_index=index, item=item)
    for phase in ("in_progress", "searching", "completed"):
        yield _event(record, f"response.file_search_call.{phase}", output_index=index, item_id=item["id"])
    item["status"] = "completed"
    yield _event(record, "response.output_item.done", output_index=index, item=item)


def _message(record: ResponseRecord, plan: Plan, *, limit: Any) -> Iterator[Action]:
    """Stream the answer text token by token; returns the final status."""
    output = record.obj["output"]
    index = len(output)
    item = {"id": new_id("msg_"), "type": "message", "role": "assistant", "status": "in_progress", "content": []}
    output.append(item)
    yield _event(record, "response.output_item.added", output_index=index, item=item)
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    item["content"].append(part)
    yield _event(record, "response.content_part.added", item_id=item["id"], output_index=index, content_index=0, part=part)
    tokens = tokens_of(plan.text)
    status = "completed"
    if isinstance(limit, int) and count_tokens(plan.text) > limit:
        tokens, status = _cut_tokens(tokens, limit), "incomplete"
    delay = 0.0 if plan.latency.run_ms else plan.latency.token_delay()
    for token in tokens:
        part["text"] += token
        yield _event(record, "response.output_text.delta", item_id=item["id"], output_index=index,
                     content_index=0, delta=token, logprobs=[])
        if delay:
            yield ("sleep", delay)
    for number, (file_id, filename) in enumerate(plan.citations):
        annotation = {"type": "file_citation", "file_id": file_id, "filename": filename, "index": len(part["text"])}
        part["annotations"].append(annotation)
        yield _event(record, "response.output_text.annotation.added", item_id=item["id"], output_index=index,
                     content_index=0, annotation_index=number, annotation=annotation)
    yield _event(record, "response.output_text.done", item_id=item["id"], output_index=index,
                 content_index=0, text=part["text"], logprobs=[])
    yield _event(record, "response.content_part.done", item_id=item["id"], output_index=index, content_index=0, part=part)
    item["status"] = status
    yield _event(record, "response.output_item.done", output_index=index, item=item)
    return status


def _cut_tokens(tokens: list[str], limit: int) -> list[str]:
    kept, words = [], 0
    for token in tokens:
        if token.strip():
            if words >= limit:
                break
            words += 1
        kept.append(token)
    return kept


def _fault(emulator: "Emulator", record: ResponseRecord, plan: Plan) -> Iterator[Action]:
    fault = plan.fault or {}
    yield ("sleep", plan.latency.duration(0))
    kind = fault.get("kind")
    if kind == "stuck":
        yield ("stuck",)
        return
    obj = record.obj
    if kind == "run_incomplete":
        obj["incomplete_details"] = {"reason": fault.get("reason") or "max_output_tokens"}
        _finish(emulator, record, status="incomplete", plan=plan)
        yield _event(record, "response.incomplete", response=obj)
        return
    code = fault.get("code") or "server_error"
    default = "The response expired before it could finish." if kind == "run_expired" else "The server had an error while processing your request. Sorry about that!"
    obj["error"] = {"code": code, "message": fault.get("message") or default}
    _finish(emulator, record, status="failed", plan=plan)
    yield _event(record, "response.failed", response=obj)


def _finish(emulator: "Emulator", record: ResponseRecord, *, status: str, plan: Plan | None = None) -> None:
    """Set the final status and usage; append to the conversation; unlock it."""
    obj = record.obj
    obj["status"] = status
    if status == "incomplete" and obj["incomplete_details"] is None:
        obj["incomplete_details"] = {"reason": "max_output_tokens"}
    if status == "completed":
        obj["completed_at"] = now()
    input_tokens = it.context_tokens(record.context, obj["instructions"] if isinstance(obj["instructions"], str) else None)
    output_tokens = sum(count_tokens(it.item_text(item)) for item in obj["output"])
    obj["usage"] = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
    conversation = emulator.state.conversations.get(record.conversation_id or "")
    if conversation is not None and conversation.active_response == obj["id"]:
        conversation.active_response = None
        if status != "cancelled":
            conversation.items.extend([*record.input_items, *obj["output"]])


async def _stream(record: ResponseRecord) -> AsyncIterator[tuple[str, Any]]:
    created = _event(record, "response.created", response=record.obj)
    yield created[1], created[2]
    assert record.timeline is not None
    async for name, data in record.timeline.events():
        yield name, data


# -- read / cancel / delete ------------------------------------------------------------------
def _record(request: Request) -> ResponseRecord:
    emulator = emulator_of(request)
    response_id = request.path_params["response_id"]
    record = emulator.state.responses.get(response_id)
    if record is None:
        raise not_found(f"Response with id '{response_id}' not found.")
    if record.timeline:
        record.timeline.catch_up()
    return record


async def retrieve_response(request: Request) -> Response:
    return ok(_record(request).obj)


async def cancel_response(request: Request) -> Response:
    record = _record(request)
    if not record.obj.get("background"):
        raise ApiProblem(400, "Only responses created with background=true can be cancelled.", param="response_id")
    status = record.obj["status"]
    if status in _TERMINAL and status != "cancelled":
        raise ApiProblem(400, f"Cannot cancel a response with status '{status}'.", param="response_id")
    if status != "cancelled":
        assert record.timeline is not None
        record.timeline.cancel()
        _finish(emulator_of(request), record, status="cancelled")
    return ok(record.obj)


async def delete_response(request: Request) -> Response:
    record = _record(request)
    emulator_of(request).state.responses.pop(record.obj["id"], None)
    return ok({"id": record.obj["id"], "object": "response.deleted", "deleted": True})


async def list_input_items(request: Request) -> Response:
    record = _record(request)
    page = paginate(record.input_items, request)
    return ok(page)


ROUTES = [
    Route("/v1/responses", create_response, methods=["POST"]),
    Route("/v1/responses/{response_id}", retrieve_response, methods=["GET"]),
    Route("/v1/responses/{response_id}", delete_response, methods=["DELETE"]),
    Route("/v1/responses/{response_id}/cancel", cancel_response, methods=["POST"]),
    Route("/v1/responses/{response_id}/input_items", list_input_items, methods=["GET"]),
]
