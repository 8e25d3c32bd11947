"""Clients for the emulator tests: the real openai SDK over real HTTP.

``api`` wraps Responses/Conversations calls: typed resources where the installed SDK has them
(openai 3.x), the SDK's generic ``client.post/get/delete`` where it does not (openai 1.37.1).
Both return plain dicts, so tests read the wire shape either way.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)


@contextmanager
def a_broken_stream() -> Iterator[None]:
    """The block must end in a broken connection: the SDK surfaces a cut chunked body as a
    transport error, whose class depends on the HTTP library (httpx, or httpx2 in openai 3.x)."""
    from openaiassistant.backends.transport import is_transport_error

    try:
        yield
    except Exception as exc:
        assert is_transport_error(exc), f"expected a broken connection, got {type(exc).__name__}: {exc}"
    else:
        raise AssertionError("the stream did not break")


@pytest.fixture
def client(emulator: Any) -> openai.OpenAI:
    """A client that never retries, so every fault is seen as it is sent."""
    return openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)


def attached_thread(client: openai.OpenAI, *, tool: str, file_id: str, content: str) -> tuple[Any, Any]:
    """An assistant with the hosted ``tool`` (``file_search``, ``code_interpreter``), and a thread
    whose one user message says ``content`` and attaches ``file_id`` for that tool."""
    assistant = client.beta.assistants.create(model="m", tools=[{"type": tool}])
    attachment = {"file_id": file_id, "tools": [{"type": tool}]}
    thread = client.beta.threads.create(messages=[{"role": "user", "content": content, "attachments": [attachment]}])
    return assistant, thread


def searching_thread(client: openai.OpenAI, *, vector_store_id: str, content: str) -> tuple[Any, Any]:
    """An assistant whose file_search searches ``vector_store_id``, and a thread whose one user
    message says ``content``."""
    assistant = client.beta.assistants.create(
        model="m",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [vector_store_id]}},
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": content}])
    return assistant, thread


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_unset=True)
    if hasattr(value, "dict"):
        return value.dict(exclude_unset=True)
    return value


class Api:
    """Responses + Conversations through whichever SDK surface is installed."""

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client
        self.typed = hasattr(client, "responses") and hasattr(client, "conversations")

    def create_response(self, **body: Any) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.responses.create(**body))
        return self.client.post("/responses", cast_to=object, body=body)

    def stream_response(self, **body: Any) -> list[dict[str, Any]]:
        """All events of a streamed create, as ``{"type": ..., ...}`` dicts."""
        if self.typed:
            return [_plain(event) for event in self.client.responses.create(stream=True, **body)]
        stream = self.client.post(
            "/responses", cast_to=object, body={**body, "stream": True}, stream=True, stream_cls=openai.Stream[object]
        )
        # openai 1.37.1 wraps named SSE events as {"event": name, "data": payload}
        return [event["data"] if "event" in event else event for event in stream]

    def retrieve_response(self, response_id: str) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.responses.retrieve(response_id))
        return self.client.get(f"/responses/{response_id}", cast_to=object)

    def cancel_response(self, response_id: str) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.responses.cancel(response_id))
        return self.client.post(f"/responses/{response_id}/cancel", cast_to=object)

    def delete_response(self, response_id: str) -> None:
        if self.typed:
            self.client.responses.delete(response_id)
        else:
            self.client.delete(f"/responses/{response_id}", cast_to=object)

    def input_items(self, response_id: str) -> list[dict[str, Any]]:
        if self.typed:
            return [_plain(item) for item in self.client.responses.input_items.list(response_id)]
        return self.client.get(f"/responses/{response_id}/input_items", cast_to=object)["data"]

    def create_conversation(self, **body: Any) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.conversations.create(**body))
        return self.client.post("/conversations", cast_to=object, body=body)

    def retrieve_conversation(self, conversation_id: str) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.conversations.retrieve(conversation_id))
        return self.client.get(f"/conversations/{conversation_id}", cast_to=object)

    def update_conversation(self, conversation_id: str, **body: Any) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.conversations.update(conversation_id, **body))
        return self.client.post(f"/conversations/{conversation_id}", cast_to=object, body=body)

    def delete_conversation(self, conversation_id: str) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.conversations.delete(conversation_id))
        return self.client.delete(f"/conversations/{conversation_id}", cast_to=object)

    def create_items(self, conversation_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.conversations.items.create(conversation_id, items=items))
        return self.client.post(f"/conversations/{conversation_id}/items", cast_to=object, body={"items": items})

    def list_items(self, conversation_id: str, **query: Any) -> list[dict[str, Any]]:
        if self.typed:
            page = self.client.conversations.items.list(conversation_id, **query)
            return [_plain(item) for item in page.data]
        return self.client.get(f"/conversations/{conversation_id}/items", cast_to=object, options={"params": query})[
            "data"
        ]

    def retrieve_item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.conversations.items.retrieve(item_id, conversation_id=conversation_id))
        return self.client.get(f"/conversations/{conversation_id}/items/{item_id}", cast_to=object)

    def delete_item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        if self.typed:
            return _plain(self.client.conversations.items.delete(item_id, conversation_id=conversation_id))
        return self.client.delete(f"/conversations/{conversation_id}/items/{item_id}", cast_to=object)


@pytest.fixture
def api(client: openai.OpenAI) -> Api:
    return Api(client)
