"""A Responses conversation's own files: its vector store (file_search) and code_interpreter files.

Responses has no message attachments. A file a turn attaches for ``file_search`` goes into the
conversation's own vector store, made on first use (named after the conversation, expiring after
7 days unused) and named in the conversation's metadata (``openaiassistant_vector_store``), so
every later turn of the conversation searches it too, in this process or another; the turn waits
until the files are indexed (within its deadline). A file attached for ``code_interpreter`` goes
into the turn's container (``code_interpreter`` tool, ``container: {type: auto, file_ids}``).
The store is deleted with the conversation (see :mod:`openaiassistant.conversations`).

What a conversation holds is remembered per process (a bounded map), so a continued
conversation costs one read of its metadata the first time this process sees it, and nothing
after that; a conversation this process made is known from the start.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from typing import Any

from openaiassistant.content.inputs import UserInput
from openaiassistant.deadline import Deadline
from openaiassistant.errors import AssistantError, IndexingError, NotFoundError, TurnTimeoutError

__all__ = ["STORE_KEY", "ConversationFiles", "delete_store", "forget"]

STORE_KEY = "openaiassistant_vector_store"
_BETA = {"OpenAI-Beta": "assistants=v2"}
_REMEMBERED = 4096
_known: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()  # (server, conversation) -> metadata
_lock = threading.Lock()


def _remember(key: tuple[str, str], metadata: dict[str, str]) -> None:
    with _lock:
        _known[key] = dict(metadata)
        _known.move_to_end(key)
        while len(_known) > _REMEMBERED:
            _known.popitem(last=False)


def forget(server: str, thread_id: str) -> None:
    """A deleted conversation is no longer remembered."""
    with _lock:
        _known.pop((server, thread_id), None)


def delete_store(backend: Any, thread_id: str, deadline: Deadline) -> None:
    """Delete the conversation's own vector store, if it has one (before the conversation goes)."""
    files = ConversationFiles(backend=backend, server=backend.server, deadline=deadline)
    try:
        store = files._metadata(thread_id).get(STORE_KEY)
    except AssistantError:  # the conversation is gone already: its delete says so
        return
    if store:
        with contextlib.suppress(NotFoundError):  # gone already (expired): nothing to delete
            backend.call(
                lambda t: backend.client.delete(
                    f"/vector_stores/{store}", cast_to=object, options={"headers": _BETA, "timeout": t}
                ),
                deadline,
                "delete the conversation's vector store",
                thread_id=thread_id,
            )
    forget(files._server, thread_id)


class ConversationFiles:
    """The file tools of one Responses turn on one conversation."""

    def __init__(self, *, backend: Any, server: str, deadline: Deadline) -> None:
        self._backend = backend
        self._client = backend.client
        self._server = server
        self._deadline = deadline

    def created(self, thread_id: str, metadata: dict[str, str] | None) -> None:
        """A conversation this turn made: nothing in it yet."""
        _remember((self._server, thread_id), metadata or {})

    def tools(
        self, thread_id: str, user_input: UserInput, *, remember: bool = True
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The ``file_search`` store and ``code_interpreter`` container this turn offers (this
        turn's file_search attachments are added to the conversation's store first), and the
        files to give the model directly as ``input_file`` parts: those the store cannot index
        by their type (``unsupported_file``), as a file id attached with no name to check.
        Without ``remember`` (a conversation kept in our own log: no metadata on the server) the
        store serves this turn only."""
        metadata = self._metadata(thread_id) if remember else {}
        store = metadata.get(STORE_KEY)
        searched = user_input.attachment_ids("file_search")
        direct: list[str] = []
        if searched:
            if store is None:
                store = self._new_store(thread_id, metadata, remember=remember)
            direct = self._add(store, searched, thread_id)
        tools: list[dict[str, Any]] = []
        if store is not None:
            tools.append({"type": "file_search", "vector_store_ids": [store]})
        code = user_input.attachment_ids("code_interpreter")
        if code:
            tools.append({"type": "code_interpreter", "container": {"type": "auto", "file_ids": code}})
        return tools, direct

    # -- internals ----------------------------------------------------------------------------
    def _call(self, fn: Any, what: str, thread_id: str) -> Any:
        return self._backend.call(fn, self._deadline, what, thread_id=thread_id)

    def _metadata(self, thread_id: str) -> dict[str, str]:
        key = (self._server, thread_id)
        with _lock:
            known = _known.get(key)
        if known is not None:
            return dict(known)
        obj = self._call(
            lambda t: self._client.get(f"/conversations/{thread_id}", cast_to=object, options={"timeout": t}),
            "retrieve conversation",
            thread_id,
        )
        metadata = {str(k): str(v) for k, v in (obj.get("metadata") or {}).items()}
        _remember(key, metadata)
        return metadata

    def _new_store(self, thread_id: str, metadata: dict[str, str], *, remember: bool) -> str:
        body = {
            "name": f"conversation {thread_id}",
            "metadata": {"conversation": thread_id},
            "expires_after": {"anchor": "last_active_at", "days": 7},
        }
        store = self._call(
            lambda t: self._client.post(
                "/vector_stores", body=body, cast_to=object, options={"headers": _BETA, "timeout": t}
            ),
            "create the conversation's vector store",
            thread_id,
        )
        store_id = str(store["id"])
        updated = {**metadata, STORE_KEY: store_id}
        if remember and len(updated) <= 16:  # the API's limit; without room the store serves this turn only
            self._call(
                lambda t: self._client.post(
                    f"/conversations/{thread_id}", body={"metadata": updated}, cast_to=object, options={"timeout": t}
                ),
                "name the vector store in the conversation's metadata",
                thread_id,
            )
            _remember((self._server, thread_id), updated)
        return store_id

    def _add(self, store_id: str, file_ids: list[str], thread_id: str) -> list[str]:
        """Add files to the store and wait until they are indexed (within the turn's deadline);
        returns those it refused by type (taken out of the store again)."""
        for file_id in file_ids:
            self._call(
                lambda t, f=file_id: self._client.post(
                    f"/vector_stores/{store_id}/files",
                    body={"file_id": f},
                    cast_to=object,
                    options={"headers": _BETA, "timeout": t},
                ),
                f"add file {file_id} to the conversation's vector store",
                thread_id,
            )
        delay = 0.1
        while True:
            states = {
                f: self._call(
                    lambda t, f=f: self._client.get(
                        f"/vector_stores/{store_id}/files/{f}", cast_to=object, options={"headers": _BETA, "timeout": t}
                    ),
                    f"retrieve file {f} of the conversation's vector store",
                    thread_id,
                )
                for f in file_ids
            }
            unsupported = [
                f
                for f, s in states.items()
                if s.get("status") == "failed" and (s.get("last_error") or {}).get("code") == "unsupported_file"
            ]
            failed = {
                f: (s.get("last_error") or {}).get("message") or "failed"
                for f, s in states.items()
                if s.get("status") == "failed" and f not in unsupported
            }
            if failed:
                raise IndexingError(
                    "the conversation's vector store could not index "
                    + "; ".join(f"{f}: {why}" for f, why in failed.items()),
                    failures=failed,
                )
            if all(s.get("status") == "completed" or f in unsupported for f, s in states.items()):
                for f in unsupported:
                    self._call(
                        lambda t, f=f: self._client.delete(
                            f"/vector_stores/{store_id}/files/{f}",
                            cast_to=object,
                            options={"headers": _BETA, "timeout": t},
                        ),
                        f"take file {f} out of the conversation's vector store",
                        thread_id,
                    )
                return unsupported
            if not self._deadline.wait(delay):
                raise TurnTimeoutError(f"the attached files were still being indexed in vector store {store_id}")
            delay = min(delay * 2, 1.0)
