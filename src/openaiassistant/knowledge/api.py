"""The Files and Vector Stores APIs as plain dicts, through the SDK's generic request methods.

openai 1.37.1 (Keep's pin) has vector stores under ``client.beta`` and its typed models lack
newer fields (a store file's ``attributes``); openai 3.x has them at the top level. The generic
``client.get/post/delete(path, cast_to=object)`` is the same in both, so one code path serves
both. Lists are followed page by page (``has_more`` / ``last_id``) to the end. SDK errors come
out as the package's errors, in the server's own words.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import openai

from openaiassistant.backends.transport import from_sdk_error, is_transport_error, map_status_error
from openaiassistant.errors import AssistantError, ServerUnavailableError

__all__ = ["FilesAPI", "VectorStoresAPI", "expires_after_seconds", "mapped"]

T = TypeVar("T")
# what the Assistants-era resources send; servers serving vector stores under Assistants need it
_BETA = {"OpenAI-Beta": "assistants=v2"}
PAGE = 100
_LANDED_WINDOW = 120  # seconds: how recent a file must be to be taken for our lost upload


def mapped(what: str, fn: Callable[[], T]) -> T:
    """``fn()`` with SDK errors as the package's (the server's message, the operation named)."""
    try:
        return fn()
    except openai.APIStatusError as exc:
        error = map_status_error(exc, what=what, thread_id=None)
        raise error from None
    except AssistantError:
        raise
    except Exception as exc:
        if is_transport_error(exc):
            raise ServerUnavailableError(f"{what}: could not reach the server ({type(exc).__name__})") from None
        mapped_error = from_sdk_error(exc, what=what, thread_id=None)
        if mapped_error is exc:
            raise
        raise mapped_error from None


def expires_after_seconds(seconds: int | None) -> dict[str, Any] | None:
    """The Files API's ``expires_after`` for a lifetime in seconds (None: kept)."""
    return None if seconds is None else {"anchor": "created_at", "seconds": int(seconds)}


class FilesAPI:
    """Uploads that never land twice, deletes, names and contents of files."""

    def __init__(self, client: Any, *, retries: int = 2, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._once = client.with_options(max_retries=0)  # an upload is retried here, never blindly
        self._retries = retries
        self._sleep = sleep
        self._names: dict[str, str | None] = {}

    def upload(
        self, *, name: str, data: bytes, mime: str, purpose: str, expires_after: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Upload one file; returns the file object. A request that may have landed (a dropped
        connection, a 5xx) is looked for among the newest files before it is sent again."""
        extra = {"expires_after": expires_after} if expires_after else None
        for attempt in range(self._retries + 1):
            sent = time.time()
            try:
                created = _plain(self._once.files.create(file=(name, data, mime), purpose=purpose, extra_body=extra))
                self._names[str(created["id"])] = name
                return created
            except openai.APIStatusError as exc:
                if exc.status_code < 500 and exc.status_code not in (408, 409, 429):
                    raise map_status_error(exc, what=f"upload {name}", thread_id=None) from None
                if attempt == self._retries:
                    raise map_status_error(exc, what=f"upload {name}", thread_id=None) from None
            except Exception as exc:
                if not is_transport_error(exc):
                    raise
                if attempt == self._retries:
                    raise ServerUnavailableError(f"upload {name}: could not reach the server") from None
            landed = self._landed(name=name, size=len(data), purpose=purpose, since=sent)
            if landed is not None:
                self._names[str(landed["id"])] = name
                return landed
            self._sleep(min(0.5 * 2**attempt, 8.0))
        raise AssertionError("unreachable")

    def _landed(self, *, name: str, size: int, purpose: str, since: float) -> dict[str, Any] | None:
        page = mapped(
            "list files",
            lambda: self._client.get(
                "/files", cast_to=object, options={"params": {"purpose": purpose, "limit": 20, "order": "desc"}}
            ),
        )
        for obj in page.get("data") or []:
            if (
                obj.get("filename") == name
                and obj.get("bytes") == size
                and int(obj.get("created_at") or 0) >= since - _LANDED_WINDOW
            ):
                return dict(obj)
        return None

    def delete(self, file_id: str) -> bool:
        """Delete a file; False when the server no longer has it."""
        try:
            return bool(
                mapped(
                    f"delete file {file_id}",
                    lambda: self._client.delete(f"/files/{file_id}", cast_to=object),
                ).get("deleted", True)
            )
        except AssistantError as exc:
            if getattr(exc, "http_status", None) == 404:
                return False
            raise

    def name(self, file_id: str) -> str | None:
        """A file's name (remembered per file id); None when the server does not know it."""
        if file_id not in self._names:
            try:
                obj = mapped(f"retrieve file {file_id}", lambda: self._client.get(f"/files/{file_id}", cast_to=object))
                self._names[file_id] = obj.get("filename")
            except AssistantError:
                self._names[file_id] = None
        return self._names[file_id]

    def content(self, file_id: str, *, container_id: str | None = None) -> bytes:
        """A file's bytes (a container's file when ``container_id`` is given)."""
        path = f"/containers/{container_id}/files/{file_id}/content" if container_id else f"/files/{file_id}/content"
        response = mapped(
            f"download {file_id}",
            lambda: self._client.get(path, cast_to=openai._legacy_response.HttpxBinaryResponseContent),
        )
        return bytes(response.content)


class VectorStoresAPI:
    """Vector stores and their files, every list followed to its end."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _get(self, what: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        options: dict[str, Any] = {"headers": _BETA}
        if params:
            options["params"] = params
        return mapped(what, lambda: self._client.get(path, cast_to=object, options=options))

    def _post(self, what: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return mapped(what, lambda: self._client.post(path, body=body, cast_to=object, options={"headers": _BETA}))

    def _delete(self, what: str, path: str) -> dict[str, Any]:
        return mapped(what, lambda: self._client.delete(path, cast_to=object, options={"headers": _BETA}))

    def pages(self, what: str, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a list, page after page."""
        query = {"limit": PAGE, **(params or {})}
        while True:
            page = self._get(what, path, query)
            data = list(page.get("data") or [])
            yield from data
            if not page.get("has_more") or not data:
                return
            query = {**query, "after": page.get("last_id") or data[-1].get("id")}

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._post("create vector store", "/vector_stores", body)

    def retrieve(self, store_id: str) -> dict[str, Any]:
        return self._get(f"retrieve vector store {store_id}", f"/vector_stores/{store_id}")

    def all(self) -> list[dict[str, Any]]:
        return list(self.pages("list vector stores", "/vector_stores", {"order": "desc"}))

    def delete(self, store_id: str) -> bool:
        return bool(self._delete(f"delete vector store {store_id}", f"/vector_stores/{store_id}").get("deleted", True))

    def files(self, store_id: str, *, status: str | None = None) -> list[dict[str, Any]]:
        params = {"order": "asc", **({"filter": status} if status else {})}
        return list(self.pages(f"list files of vector store {store_id}", f"/vector_stores/{store_id}/files", params))

    def attach(self, store_id: str, file_id: str, attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"file_id": file_id}
        if attributes:
            body["attributes"] = attributes
        return self._post(f"add file {file_id} to vector store {store_id}", f"/vector_stores/{store_id}/files", body)

    def attach_batch(self, store_id: str, files: list[dict[str, Any]]) -> dict[str, Any]:
        """One request for many files (``{file_id, attributes}`` each)."""
        return self._post(
            f"add {len(files)} files to vector store {store_id}",
            f"/vector_stores/{store_id}/file_batches",
            {"files": files},
        )

    def detach(self, store_id: str, file_id: str) -> bool:
        try:
            path = f"/vector_stores/{store_id}/files/{file_id}"
            return bool(self._delete(f"remove file {file_id} from vector store {store_id}", path).get("deleted", True))
        except AssistantError as exc:
            if getattr(exc, "http_status", None) == 404:
                return False
            raise


def _plain(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj.model_dump())
