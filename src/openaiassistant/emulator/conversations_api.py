"""``/v1/conversations``: CRUD and items CRUD; adding items to a busy conversation is refused."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator import items as it
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
)
from openaiassistant.emulator.responses_api import locked_error
from openaiassistant.emulator.state import ConversationRecord

__all__ = ["ROUTES"]

_MAX_CREATE_ITEMS = 20


def _conversation(request: Request) -> ConversationRecord:
    emulator = emulator_of(request)
    conversation_id = request.path_params["conversation_id"]
    record = found(
        emulator.state.conversations, conversation_id, f"Conversation with id '{conversation_id}' not found."
    )
    if record.active_response:  # let a finished background response release the lock
        active = emulator.state.responses.get(record.active_response)
        if active is not None and active.timeline is not None:
            active.timeline.catch_up()
    return record


async def create_conversation(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await read_json(request)
    raw_items = body.get("items") or []
    if len(raw_items) > _MAX_CREATE_ITEMS:
        raise ApiProblem(
            400, f"Invalid 'items': array too long. Expected at most {_MAX_CREATE_ITEMS} items.", param="items"
        )
    obj: dict[str, Any] = {
        "id": new_id("conv_"),
        "object": "conversation",
        "created_at": emulator.clock.now(),
        "metadata": check_metadata(body),
    }
    record = ConversationRecord(obj=obj, items=it.normalize_input(raw_items, state=emulator.state))
    emulator.state.conversations[obj["id"]] = record
    return ok(obj)


async def retrieve_conversation(request: Request) -> Response:
    return ok(_conversation(request).obj)


async def update_conversation(request: Request) -> Response:
    record = _conversation(request)
    body = await read_json(request)
    if "metadata" not in body:
        raise ApiProblem(400, "Missing required parameter: 'metadata'.", param="metadata")
    record.obj["metadata"] = check_metadata(body)
    return ok(record.obj)


async def delete_conversation(request: Request) -> Response:
    record = _conversation(request)
    emulator_of(request).state.conversations.pop(record.obj["id"], None)
    return ok({"id": record.obj["id"], "object": "conversation.deleted", "deleted": True})


async def create_items(request: Request) -> Response:
    record = _conversation(request)
    if record.active_response:
        raise locked_error(record.obj["id"])
    body = await read_json(request)
    raw_items = body.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise ApiProblem(400, "Missing required parameter: 'items'.", param="items")
    if len(raw_items) > _MAX_CREATE_ITEMS:
        raise ApiProblem(
            400, f"Invalid 'items': array too long. Expected at most {_MAX_CREATE_ITEMS} items.", param="items"
        )
    new_items = it.normalize_input(raw_items, state=emulator_of(request).state)
    record.items.extend(new_items)
    return ok(_item_list(new_items, has_more=False))


def _item_list(items: list[dict[str, Any]], *, has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": has_more,
    }


async def list_items(request: Request) -> Response:
    record = _conversation(request)
    return ok(paginate(record.items, request))


def _find(record: ConversationRecord, item_id: str) -> dict[str, Any]:
    for item in record.items:
        if item.get("id") == item_id:
            return item
    raise not_found(f"Item with id '{item_id}' not found.")


async def retrieve_item(request: Request) -> Response:
    record = _conversation(request)
    return ok(_find(record, request.path_params["item_id"]))


async def delete_item(request: Request) -> Response:
    record = _conversation(request)
    if record.active_response:
        raise locked_error(record.obj["id"])
    item = _find(record, request.path_params["item_id"])
    record.items.remove(item)
    return ok(record.obj)


ROUTES = [
    Route("/v1/conversations", create_conversation, methods=["POST"]),
    Route("/v1/conversations/{conversation_id}", retrieve_conversation, methods=["GET"]),
    Route("/v1/conversations/{conversation_id}", update_conversation, methods=["POST"]),
    Route("/v1/conversations/{conversation_id}", delete_conversation, methods=["DELETE"]),
    Route("/v1/conversations/{conversation_id}/items", create_items, methods=["POST"]),
    Route("/v1/conversations/{conversation_id}/items", list_items, methods=["GET"]),
    Route("/v1/conversations/{conversation_id}/items/{item_id}", retrieve_item, methods=["GET"]),
    Route("/v1/conversations/{conversation_id}/items/{item_id}", delete_item, methods=["DELETE"]),
]
