"""Assistants v2: ``/v1/assistants`` CRUD, ``/v1/threads`` CRUD, thread messages.

Runs and run steps live in :mod:`runs_api`; a thread with an active run refuses new messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator import request_rules as rules
from openaiassistant.emulator.clock import Clock
from openaiassistant.emulator.http import (
    ApiProblem,
    check_metadata,
    emulator_of,
    found,
    new_id,
    not_found,
    ok,
    paginate,
    read_json,
    require,
)
from openaiassistant.emulator.items import require_file
from openaiassistant.emulator.models_api import check_model
from openaiassistant.emulator.state import RunRecord, State, ThreadRecord

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ACTIVE", "ROUTES", "active_run", "assistant_of", "new_message", "new_thread", "settle", "thread_of"]

ACTIVE = {"queued", "in_progress", "requires_action", "cancelling"}


# -- assistants ------------------------------------------------------------------------------
def _wire_tools(tools: Any) -> list[dict[str, Any]]:
    result = []
    for tool in tools or []:
        if tool.get("type") == "function":
            function = dict(tool.get("function") or {})
            if function.get("description") is None:  # the spec has no null description
                function.pop("description", None)
            function.setdefault("parameters", {"type": "object", "properties": {}})
            function.setdefault("strict", False)
            result.append({"type": "function", "function": function})
        else:
            result.append(dict(tool))
    return result


_ASSISTANT_FIELDS = (
    "name",
    "description",
    "instructions",
    "metadata",
    "temperature",
    "top_p",
    "response_format",
    "tool_resources",
    "reasoning_effort",
)


def _apply_assistant(obj: dict[str, Any], body: dict[str, Any]) -> None:
    rules.check_tools(body, nested_function=True)
    fmt = body.get("response_format")
    if isinstance(fmt, dict):
        rules.check_strict_format(fmt.get("json_schema"), param="response_format.json_schema")
    rules.check_reasoning(body.get("model") or obj.get("model"), body.get("reasoning_effort"), param="reasoning_effort")
    if "metadata" in body:
        check_metadata(body)
    for name in _ASSISTANT_FIELDS:
        if name in body:
            obj[name] = body[name]
    if "model" in body:
        obj["model"] = str(body["model"])
    if "tools" in body:
        obj["tools"] = _wire_tools(body["tools"])
    obj["metadata"] = obj.get("metadata") or {}
    obj["tool_resources"] = obj.get("tool_resources") or {}
    obj["response_format"] = obj.get("response_format") or "auto"
    if obj.get("reasoning_effort") is None:
        obj.pop("reasoning_effort", None)


async def create_assistant(request: Request) -> Response:
    body = await read_json(request)
    emulator = emulator_of(request)
    check_model(emulator, require(body, "model"))
    obj: dict[str, Any] = {
        "id": new_id("asst_"),
        "object": "assistant",
        "created_at": emulator.clock.now(),
        "name": None,
        "description": None,
        "model": "",
        "instructions": None,
        "tools": [],
        "tool_resources": {},
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "response_format": "auto",
    }
    _apply_assistant(obj, body)
    emulator.state.assistants[obj["id"]] = obj
    return ok(obj)


def assistant_of(state: State, assistant_id: str) -> dict[str, Any]:
    return found(state.assistants, assistant_id, f"No assistant found with id '{assistant_id}'.")


async def retrieve_assistant(request: Request) -> Response:
    return ok(assistant_of(emulator_of(request).state, request.path_params["assistant_id"]))


async def update_assistant(request: Request) -> Response:
    obj = assistant_of(emulator_of(request).state, request.path_params["assistant_id"])
    body = await read_json(request)
    if "model" in body:
        check_model(emulator_of(request), body["model"])
    _apply_assistant(obj, body)
    return ok(obj)


async def delete_assistant(request: Request) -> Response:
    state = emulator_of(request).state
    obj = assistant_of(state, request.path_params["assistant_id"])
    del state.assistants[obj["id"]]
    return ok({"id": obj["id"], "object": "assistant.deleted", "deleted": True})


async def list_assistants(request: Request) -> Response:
    return ok(paginate(list(emulator_of(request).state.assistants.values()), request))


# -- threads ---------------------------------------------------------------------------------
def thread_of(request: Request, thread_id: str | None = None) -> ThreadRecord:
    """The thread, with its runs caught up to now (so ``active_run`` is current)."""
    emulator = emulator_of(request)
    state = emulator.state
    thread_id = thread_id or request.path_params["thread_id"]
    record = found(state.threads, thread_id, f"No thread found with id '{thread_id}'.")
    for run_id in record.runs:
        run = state.runs.get(run_id)
        if run is not None:
            settle(run, clock=emulator.clock)
    return record


def settle(run: RunRecord, *, clock: Clock) -> None:
    """Bring a run up to now: due lifecycle steps run; a ``cancelling`` run becomes
    ``cancelled``; an unfinished run past its deadline becomes ``expired``."""
    if run.timeline is not None:
        run.timeline.catch_up()
    status = run.obj["status"]
    if status == "cancelling":  # the cancel takes effect on the next read
        _close(run, "cancelled", clock=clock)
    elif status in ACTIVE and clock.monotonic() >= run.expires_mono:
        if run.timeline is not None:
            run.timeline.cancel()
        _close(run, "expired", clock=clock)


def _close(run: RunRecord, status: str, *, clock: Clock) -> None:
    stamp = clock.now()
    stamp_field = {"cancelled": "cancelled_at", "expired": "expired_at"}[status]
    run.obj.update(status=status, required_action=None)
    if status == "cancelled":
        run.obj["cancelled_at"] = stamp
    for step in run.steps:
        if step["status"] == "in_progress":
            step.update({"status": status, stamp_field: stamp})


def active_run(state: State, record: ThreadRecord) -> str | None:
    for run_id in record.runs:
        run = state.runs.get(run_id)
        if run is not None and run.obj["status"] in ACTIVE:
            return run_id
    return None


def new_thread(emulator: Emulator, body: dict[str, Any]) -> ThreadRecord:
    state, created = emulator.state, emulator.clock.now()
    thread_id = new_id("thread_")
    obj = {
        "id": thread_id,
        "object": "thread",
        "created_at": created,
        "metadata": check_metadata(body),
        "tool_resources": body.get("tool_resources") or {},
    }
    record = ThreadRecord(obj=obj)
    for raw in body.get("messages") or []:
        record.messages.append(new_message(thread_id, raw, state=state, created_at=created))
    state.threads[thread_id] = record
    return record


async def create_thread(request: Request) -> Response:
    return ok(new_thread(emulator_of(request), await read_json(request)).obj)


async def retrieve_thread(request: Request) -> Response:
    return ok(thread_of(request).obj)


async def update_thread(request: Request) -> Response:
    record = thread_of(request)
    body = await read_json(request)
    if "metadata" in body:
        record.obj["metadata"] = check_metadata(body)
    if "tool_resources" in body:
        record.obj["tool_resources"] = body["tool_resources"] or {}
    return ok(record.obj)


async def delete_thread(request: Request) -> Response:
    record = thread_of(request)
    emulator_of(request).state.threads.pop(record.obj["id"], None)
    return ok({"id": record.obj["id"], "object": "thread.deleted", "deleted": True})


# -- messages --------------------------------------------------------------------------------
def _check_files(state: State, raw: dict[str, Any], content: list[dict[str, Any]]) -> None:
    """Attachments and image_file parts must name uploaded files."""
    for part in content:
        if part["type"] == "image_file":
            require_file(state, str(part["image_file"].get("file_id")), param="content")
    for attachment in raw.get("attachments") or []:
        require_file(state, str(attachment.get("file_id")), param="attachments")


def _content(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        return [{"type": "text", "text": {"value": raw, "annotations": []}}]
    if not isinstance(raw, list) or not raw:
        raise ApiProblem(
            400, "Invalid 'content': expected a string or a non-empty array of content parts.", param="content"
        )
    parts = []
    for part in raw:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            parts.append({"type": "text", "text": {"value": str(part.get("text", "")), "annotations": []}})
        elif kind == "image_file":
            parts.append({"type": "image_file", "image_file": {"detail": "auto", **part.get("image_file", {})}})
        elif kind == "image_url":
            parts.append({"type": "image_url", "image_url": {"detail": "auto", **part.get("image_url", {})}})
        else:
            raise ApiProblem(400, f"Invalid content part type: {kind!r}.", param="content")
    return parts


def new_message(
    thread_id: str, raw: dict[str, Any], *, created_at: int, state: State | None = None, **fields: Any
) -> dict[str, Any]:
    """A ``thread.message`` from a create body; with ``state``, file references are checked."""
    if not isinstance(raw, dict):
        raise ApiProblem(400, "Invalid type for message: expected an object.", param="messages", code="invalid_type")
    role = raw.get("role")
    if role not in ("user", "assistant"):
        raise ApiProblem(
            400, f"Invalid value for 'role': {role!r}. Supported values are: 'user' and 'assistant'.", param="role"
        )
    content = _content(raw.get("content"))
    if state is not None:
        _check_files(state, raw, content)
    return {
        "id": new_id("msg_"),
        "object": "thread.message",
        "created_at": created_at,
        "thread_id": thread_id,
        "status": "completed",
        "incomplete_details": None,
        "completed_at": created_at,
        "incomplete_at": None,
        "role": role,
        "content": content,
        "assistant_id": None,
        "run_id": None,
        "attachments": raw.get("attachments") or [],
        "metadata": check_metadata(raw),
        **fields,
    }


async def create_message(request: Request) -> Response:
    emulator = emulator_of(request)
    record = thread_of(request)
    running = active_run(emulator.state, record)
    if running:
        raise ApiProblem(400, f"Can't add messages to {record.obj['id']} while a run {running} is active.")
    body = await read_json(request)
    message = new_message(record.obj["id"], body, state=emulator.state, created_at=emulator.clock.now())
    record.messages.append(message)
    return ok(message)


async def list_messages(request: Request) -> Response:
    record = thread_of(request)
    messages = record.messages
    run_id = request.query_params.get("run_id")
    if run_id:
        messages = [m for m in messages if m.get("run_id") == run_id]
    return ok(paginate(messages, request))


def _message(request: Request) -> dict[str, Any]:
    record = thread_of(request)
    message_id = request.path_params["message_id"]
    for message in record.messages:
        if message["id"] == message_id:
            return message
    raise not_found(f"No message found with id '{message_id}'.")


async def retrieve_message(request: Request) -> Response:
    return ok(_message(request))


async def update_message(request: Request) -> Response:
    message = _message(request)
    body = await read_json(request)
    if "metadata" in body:
        message["metadata"] = check_metadata(body)
    return ok(message)


async def delete_message(request: Request) -> Response:
    record = thread_of(request)
    message = _message(request)
    record.messages.remove(message)
    return ok({"id": message["id"], "object": "thread.message.deleted", "deleted": True})


ROUTES = [
    Route("/v1/assistants", create_assistant, methods=["POST"]),
    Route("/v1/assistants", list_assistants, methods=["GET"]),
    Route("/v1/assistants/{assistant_id}", retrieve_assistant, methods=["GET"]),
    Route("/v1/assistants/{assistant_id}", update_assistant, methods=["POST"]),
    Route("/v1/assistants/{assistant_id}", delete_assistant, methods=["DELETE"]),
    Route("/v1/threads", create_thread, methods=["POST"]),
    Route("/v1/threads/{thread_id}", retrieve_thread, methods=["GET"]),
    Route("/v1/threads/{thread_id}", update_thread, methods=["POST"]),
    Route("/v1/threads/{thread_id}", delete_thread, methods=["DELETE"]),
    Route("/v1/threads/{thread_id}/messages", create_message, methods=["POST"]),
    Route("/v1/threads/{thread_id}/messages", list_messages, methods=["GET"]),
    Route("/v1/threads/{thread_id}/messages/{message_id}", retrieve_message, methods=["GET"]),
    Route("/v1/threads/{thread_id}/messages/{message_id}", update_message, methods=["POST"]),
    Route("/v1/threads/{thread_id}/messages/{message_id}", delete_message, methods=["DELETE"]),
]
