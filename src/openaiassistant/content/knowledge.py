"""Knowledge: vector stores of runbooks, managed programmatically.

``KnowledgeBase`` uploads files, creates vector stores, attaches files and waits until they are
indexed, so that a turn can search them (``vector_store_ids`` → a ``file_search`` tool on
Responses; the thread's ``tool_resources.file_search`` on Assistants v2). Vector stores are top
level in current SDKs (``client.vector_stores``) and under ``client.beta`` in openai 1.37.1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openaiassistant.errors import AssistantError, ConfigError, TurnTimeoutError

_DONE = {"completed", "failed", "cancelled"}


def vector_stores_resource(client: Any) -> Any:
    resource = getattr(client, "vector_stores", None) or getattr(client.beta, "vector_stores", None)
    if resource is None:  # pragma: no cover - every supported SDK has one of the two
        raise AssistantError("this openai SDK has no vector store API")
    return resource


class KnowledgeBase:
    """Vector-store management over an ``openai.OpenAI`` client."""

    def __init__(self, client: Any, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._stores = vector_stores_resource(client)
        self._sleep = sleep

    def upload(self, path: str | Path) -> str:
        """Upload a local file for the assistant (purpose ``assistants``); returns the file id."""
        file_path = Path(path)
        if not file_path.is_file():
            raise ConfigError("file", f"{file_path} is not a readable file")
        with file_path.open("rb") as handle:
            return self._client.files.create(file=(file_path.name, handle), purpose="assistants").id

    def create_store(
        self, name: str, *, file_ids: list[str] | None = None, metadata: dict[str, str] | None = None
    ) -> str:
        body: dict[str, Any] = {"name": name}
        if file_ids:
            body["file_ids"] = list(file_ids)
        if metadata:
            body["metadata"] = metadata
        return self._stores.create(**body).id

    def add_files(self, store_id: str, file_ids: list[str], *, timeout: float = 300.0) -> dict[str, str]:
        """Attach files and wait until each is indexed; returns ``{file_id: status}``."""
        for file_id in file_ids:
            self._stores.files.create(vector_store_id=store_id, file_id=file_id)
        return self.wait_indexed(store_id, file_ids, timeout=timeout)

    def wait_indexed(self, store_id: str, file_ids: list[str], *, timeout: float = 300.0) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        delay = 0.1
        while True:
            statuses = {
                fid: self._stores.files.retrieve(vector_store_id=store_id, file_id=fid).status for fid in file_ids
            }
            if all(status in _DONE for status in statuses.values()):
                return statuses
            if time.monotonic() >= deadline:
                raise TurnTimeoutError(f"vector store {store_id} still indexing after {timeout:.0f}s: {statuses}")
            self._sleep(delay)
            delay = min(delay * 2, 2.0)

    def list_files(self, store_id: str) -> list[str]:
        return [f.id for f in self._stores.files.list(vector_store_id=store_id, limit=100)]

    def delete_store(self, store_id: str) -> bool:
        return bool(self._stores.delete(store_id).deleted)
