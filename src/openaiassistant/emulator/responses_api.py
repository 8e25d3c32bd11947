"""``/v1/responses``: create (plain, streamed, background), retrieve, cancel, delete, input items.

A response's life is one generator (:func:`response_lifecycle.lifecycle`) driven by a :class:`Timeline`: a plain
create awaits it in real time, a background create returns ``queued`` and lets reads catch up,
a streamed create sends its events. Conversations get the input and output items appended when
the response ends, and stay locked (``conversation_locked``) while it works.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator import items as it
from openaiassistant.emulator import request_rules as rules
from openaiassistant.emulator.http import (
    ApiProblem,
    check_metadata,
    check_number,
    emulator_of,
    new_id,
    not_found,
    ok,
    paginate,
    raw_body,
    read_json,
    require,
    sse_response,
)
from openaiassistant.emulator.model import Context, Plan, decide, forced_tool
from openaiassistant.emulator.models_api import check_model
from openaiassistant.emulator.response_lifecycle import event, finish, lifecycle
from openaiassistant.emulator.state import ResponseRecord
from openaiassistant.emulator.timeline import Timeline
from openaiassistant.emulator.vector_stores_api import indexed_files

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES", "locked_error"]

_TERMINAL = {"completed", "failed", "cancelled", "incomplete"}


def locked_error(conversation_id: str) -> ApiProblem:
    return ApiProblem(
        400,
        f"Another process is currently operating on conversation {conversation_id}. Please try again later.",
        code="conversation_locked",
        param="conversation",
    )


# -- create ----------------------------------------------------------------------------------
def _check_body(emulator: Emulator, body: dict[str, Any]) -> str:
    """Refuse what the real API refuses before anything is created; returns the model."""
    model = require(body, "model")
    check_model(emulator, model)
    functions = rules.check_tools(body, nested_function=False)
    rules.check_tool_choice(body.get("tool_choice"), functions)
    if not isinstance(body.get("text") or {}, dict):
        raise ApiProblem(400, "Invalid type for 'text': expected an object.", param="text", code="invalid_type")
    rules.check_strict_format(_text_format(body), param="text.format")
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict):
        rules.check_reasoning(model, reasoning.get("effort"), param="reasoning.effort")
        rules.check_reasoning(model, reasoning.get("summary"), param="reasoning.summary")
    check_number(body, "max_output_tokens", minimum=16, integer=True)
    check_number(body, "temperature", minimum=0, maximum=2)
    check_number(body, "top_p", minimum=0, maximum=1)
    if body.get("background") and body.get("store") is False:
        raise ApiProblem(400, "Background mode requires 'store' to be true.", param="store")
    if body.get("conversation") and body.get("previous_response_id"):
        raise ApiProblem(
            400, "'previous_response_id' cannot be used together with 'conversation'.", param="conversation"
        )
    return str(model)


def _text_format(body: dict[str, Any]) -> Any:
    return (body.get("text") or {}).get("format")


def _check_json_mention(body: dict[str, Any], record: ResponseRecord) -> None:
    """``json_object`` needs "json" in the instructions or a message the model reads."""
    fmt = _text_format(body)
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    messages = [it.item_text(item) for item in record.context if item.get("type") == "message"]
    rules.check_json_mention(kind, [body.get("instructions"), *messages], api="responses")


async def create_response(request: Request) -> Response:
    """``POST /responses``: streamed (SSE), background (``queued``, advances on reads) or plain
    (the request is held until the response ends, in real time)."""
    emulator = emulator_of(request)
    body = await read_json(request)
    record = _new_record(emulator, body, model=_check_body(emulator, body))
    _check_json_mention(body, record)
    plan = _plan(emulator, record, body, request)
    background = bool(body.get("background"))
    life = lifecycle(emulator, record, plan, body, background=background)
    record.timeline = Timeline(life, clock=emulator.clock, sink=record.events)
    created = event(record, "response.created", response=record.obj)
    record.events.append((created.name, created.data))
    emulator.state.responses[record.obj["id"]] = record
    if record.conversation_id:
        emulator.state.conversations[record.conversation_id].active_response = record.obj["id"]
    if body.get("stream"):
        cut = emulator.stream_cut("POST", request.url.path, raw_body(request))
        return sse_response(
            request,
            _follow(record, 0),
            api="responses",
            cut_after=cut,
            terminal_due=lambda: record.obj["status"] != "cancelled",
        )
    if background:
        return ok(record.obj, headers=emulator.poll_headers("responses"))
    async with contextlib.aclosing(record.timeline.events(should_stop=request.is_disconnected)) as steps:
        async for _ in steps:
            pass
    if not record.timeline.done:  # the client left while the response was stuck
        finish(emulator, record, status="cancelled")
    return ok(record.obj)


def _new_record(emulator: Emulator, body: dict[str, Any], *, model: str) -> ResponseRecord:
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
        if previous is None or previous.obj.get("store") is False:
            raise not_found(f"Previous response with id '{body['previous_response_id']}' not found.")
        history = [*previous.context, *previous.obj.get("output", [])]
    context = [*history, *new_items]
    it.check_tool_pairs(context)
    context = _truncate(emulator, body, context)
    obj = _wire_object(body, model=model, conversation_id=conversation_id, created_at=emulator.clock.now())
    return ResponseRecord(obj=obj, input_items=new_items, context=context, conversation_id=conversation_id)


def _conversation_id(raw: Any) -> str | None:
    if isinstance(raw, dict):
        return str(raw.get("id")) if raw.get("id") else None
    return str(raw) if raw else None


def _truncate(emulator: Emulator, body: dict[str, Any], context: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def _wire_object(body: dict[str, Any], *, model: str, conversation_id: str | None, created_at: int) -> dict[str, Any]:
    text = dict(body.get("text") or {})
    text.setdefault("format", {"type": "text"})
    # ``usage`` appears once the response ends (the spec does not allow null there)
    obj = {
        "id": new_id("resp_"),
        "object": "response",
        "created_at": created_at,
        "status": "queued" if body.get("background") else "in_progress",
        "background": bool(body.get("background")),
        "completed_at": None,
        "conversation": {"id": conversation_id} if conversation_id else None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "metadata": check_metadata(body),
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


def _plan(emulator: Emulator, record: ResponseRecord, body: dict[str, Any], request: Request) -> Plan:
    fault = emulator.model_fault("POST", request.url.path, raw_body(request))
    outputs = [i for i in record.input_items if i.get("type") == "function_call_output"]
    if not record.input_items:  # a retried response: the round it answers is in the conversation
        outputs = it.unanswered_round_outputs(record.context)
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
    store_ids = [
        vs for t in body.get("tools") or [] if t.get("type") == "file_search" for vs in t.get("vector_store_ids") or []
    ]
    interpreter = next((t for t in body.get("tools") or [] if t.get("type") == "code_interpreter"), None)
    context = Context(
        user_text=it.latest_user_text(record.context),
        tools=tools,
        text_format=(body.get("text") or {}).get("format"),
        tool_outputs=named if outputs else None,
        pending=pending,
        files=indexed_files(emulator, store_ids) if store_ids else None,
        parallel=body.get("parallel_tool_calls") is not False,
        forced_tool=forced_tool(body.get("tool_choice")),
        seen=[it.item_text(item) for item in record.context if item.get("type") == "message"],
        code_interpreter=interpreter is not None,
        sandbox_files=_sandbox_names(emulator, interpreter),
        attached=_names(emulator, it.latest_user_files(record.context)),
        hosted=frozenset(str(t.get("type")) for t in body.get("tools") or [] if t.get("type") in ("web_search", "mcp")),
    )
    plan = decide(emulator.script, context)
    if fault is not None:
        plan.kind, plan.fault = "fault", fault
    return plan


def _names(emulator: Emulator, file_ids: list[str]) -> list[str]:
    files = emulator.state.files
    return [str(files[f].obj["filename"]) for f in file_ids if f in files]


def _sandbox_names(emulator: Emulator, tool: dict[str, Any] | None) -> list[str]:
    """The names of the files code_interpreter would find in the tool's container."""
    if tool is None:
        return []
    container = tool.get("container")
    if isinstance(container, str):
        record = emulator.state.containers.get(container)
        return [f["path"].rsplit("/", 1)[-1] for f in record.files.values()] if record else []
    return _names(emulator, [str(f) for f in (container or {}).get("file_ids") or []])


def _call_name(context: list[dict[str, Any]], call_id: str) -> str:
    for item in context:
        if item.get("type") == "function_call" and item.get("call_id") == call_id:
            return str(item.get("name"))
    return "unknown"


async def _follow(record: ResponseRecord, start: int) -> AsyncGenerator[tuple[str, Any], None]:
    """Send recorded events from index ``start`` on, then live ones until the response ends.

    Whoever streams drives the timeline; when that stream is gone (say it was cut), the next
    follower takes over driving, so a resumed stream keeps going in real time.
    """
    assert record.timeline is not None
    timeline, sent = record.timeline, start
    while True:
        while sent < len(record.events):
            yield record.events[sent]
            sent += 1
        if timeline.done:
            return
        if timeline.streaming:  # another stream drives it: follow its events
            await asyncio.sleep(0.01)
            continue
        async with contextlib.aclosing(timeline.events()) as steps:
            async for _ in steps:
                while sent < len(record.events):
                    yield record.events[sent]
                    sent += 1


# -- read / cancel / delete ------------------------------------------------------------------
def _record(request: Request) -> ResponseRecord:
    emulator = emulator_of(request)
    response_id = request.path_params["response_id"]
    record = emulator.state.responses.get(response_id)
    if record is None or (record.obj.get("store") is False and _settled(record)):
        # store=false: nothing is kept once the response is done
        raise not_found(f"Response with id '{response_id}' not found.")
    if record.timeline:
        record.timeline.catch_up()
    return record


def _settled(record: ResponseRecord) -> bool:
    return record.timeline is None or record.timeline.done


async def retrieve_response(request: Request) -> Response:
    """``GET /responses/{id}``; with ``stream=true`` (background responses) the event stream is
    replayed after ``starting_after`` (a sequence number) and continues live."""
    record = _record(request)
    if request.query_params.get("stream") not in ("true", "True", "1"):
        return ok(record.obj, headers=emulator_of(request).poll_headers("responses"))
    if not record.obj.get("background"):
        raise ApiProblem(
            400, "Streaming a response on retrieve is only supported for background responses.", param="stream"
        )
    try:
        after = int(request.query_params.get("starting_after", "-1"))
    except ValueError:
        raise ApiProblem(400, "Invalid 'starting_after': expected an integer.", param="starting_after") from None
    start = next(
        (i for i, (_, data) in enumerate(record.events) if data["sequence_number"] > after), len(record.events)
    )
    cut = emulator_of(request).stream_cut("GET", request.url.path, raw_body(request))
    return sse_response(
        request,
        _follow(record, start),
        api="responses",
        cut_after=cut,
        terminal_due=lambda: record.obj["status"] != "cancelled",
    )


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
        finish(emulator_of(request), record, status="cancelled")
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
