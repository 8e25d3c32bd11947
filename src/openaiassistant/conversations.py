"""A conversation's life after its turns: shown, deleted, cleaned up when idle.

Neither API can list conversations, so the thread registry says which exist; the server says
what they hold. :class:`Conversations` works on both: ``show`` reads the conversation's
metadata and messages through the API (and its registry row), ``delete`` deletes it on the
server and marks it deleted in the registry, ``cleanup`` does that for every conversation idle
for longer than an age. A conversation the server no longer has (404) counts as deleted; one
recorded for another server is left alone (the registry notes each conversation's server).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from openaiassistant.backends.local_conversation import is_local
from openaiassistant.backends.transport import call, get_client, server_url
from openaiassistant.errors import AssistantError, ConfigError, NotFoundError
from openaiassistant.registry.servers import servers_of
from openaiassistant.settings import BACKENDS, AssistantSpec, ConnectionSettings

__all__ = ["CleanupReport", "Conversations", "server_name"]

log = logging.getLogger("openaiassistant.conversations")
_BETA = {"OpenAI-Beta": "assistants=v2"}


def server_name(connection: ConnectionSettings) -> str:
    """The server a conversation lives on, as the registry records it."""
    return server_url(connection)


@dataclass(kw_only=True)
class CleanupReport:
    """What a cleanup found and did (ids in each list)."""

    idle: list[str] = field(default_factory=list)  # candidates (all of them with dry_run)
    deleted: list[str] = field(default_factory=list)  # deleted on the server and in the registry
    missing: list[str] = field(default_factory=list)  # already gone from the server: forgotten
    elsewhere: list[str] = field(default_factory=list)  # recorded for another server: left alone
    failed: dict[str, str] = field(default_factory=dict)  # the server's reason: kept for next time

    def to_dict(self) -> dict[str, Any]:
        return {
            "idle": len(self.idle),
            "deleted": list(self.deleted),
            "missing": list(self.missing),
            "elsewhere": list(self.elsewhere),
            "failed": dict(self.failed),
        }


class Conversations:
    """Conversations on one server, with an optional thread registry."""

    def __init__(
        self, *, connection: ConnectionSettings, registry: Any = None, default_backend: str = "responses"
    ) -> None:
        if default_backend not in BACKENDS:
            raise ConfigError("backend", f"{default_backend!r} is not one of {', '.join(BACKENDS)}")
        connection.validate()
        self.connection = connection
        self.registry = registry
        self.default_backend = default_backend
        self.server = server_name(connection)
        self._backends: dict[str, Any] = {}

    def _backend(self, name: str) -> Any:
        if name == "chat":
            return self._chat_backend()
        if name not in self._backends:
            from openaiassistant.backends.assistants import AssistantsBackend
            from openaiassistant.backends.responses import ResponsesBackend

            cls = ResponsesBackend if name == "responses" else AssistantsBackend
            # reading and deleting a thread needs no assistant: the id only satisfies the spec
            spec = AssistantSpec(backend=name, assistant_id="asst_unused" if name == "assistants" else None)
            self._backends[name] = cls(connection=self.connection, spec=spec)
        return self._backends[name]

    def _chat_backend(self) -> Any:
        """A chat conversation is ours, in the registry's ConversationLog: shown and deleted
        there (the chat server keeps nothing and is not asked)."""
        if "chat" not in self._backends:
            from openaiassistant.assistant import conversation_log
            from openaiassistant.backends.chat import ChatBackend

            keeps = self.registry is not None and getattr(self.registry, "engine", None) is not None
            log = conversation_log(self.registry) if keeps else None
            # the model only satisfies the spec: nothing is sent to the server
            spec = AssistantSpec(backend="chat", model="unused")
            self._backends["chat"] = ChatBackend(connection=self.connection, spec=spec, conversation_log=log)
        return self._backends["chat"]

    def backend_of(self, thread_id: str, backend: str | None = None) -> str:
        """The API a conversation lives on: as given, else as recorded, else the default."""
        if backend:
            return backend
        row = self.registry.get(thread_id) if self.registry is not None else None
        if row is not None:
            return str(row.backend)
        from openaiassistant.backends.chat_record import is_chat_thread

        if is_chat_thread(thread_id):
            return "chat"
        return "assistants" if thread_id.startswith("thread_") else self.default_backend

    def show(self, thread_id: str, *, backend: str | None = None) -> dict[str, Any]:
        """The conversation as the server has it (id, created_at, metadata, messages) and as the
        registry recorded it (``registry``: tenant, workflow, fingerprint, turns, ...)."""
        name = self.backend_of(thread_id, backend)
        path = f"/conversations/{thread_id}" if name == "responses" else f"/threads/{thread_id}"
        headers = {} if name == "responses" else _BETA
        client = get_client(self.connection)
        obj: dict[str, Any] = {}
        if name == "chat":  # ours: the metadata is in the record, the server has nothing
            obj = {"metadata": self._chat_backend().log.metadata(thread_id) or {}}
        elif not is_local(thread_id):  # a conversation our own log keeps has no server object
            obj = _request(
                self.connection,
                lambda t: client.get(path, cast_to=object, options={"headers": headers, "timeout": t}),
                f"retrieve {'conversation' if name == 'responses' else 'thread'}",
                thread_id,
            )
        row = self.registry.get(thread_id) if self.registry is not None else None
        return {
            "thread_id": thread_id,
            "backend": name,
            "created_at": obj.get("created_at"),
            "metadata": dict(obj.get("metadata") or {}),
            "messages": self._backend(name).history(thread_id),
            "registry": row.to_dict() if row is not None else None,
        }

    def delete(self, thread_id: str, *, backend: str | None = None) -> bool:
        """Delete on the server and mark deleted in the registry. False when the server did not
        have it (it is forgotten all the same); raises on any other failure (kept)."""
        name = self.backend_of(thread_id, backend)
        try:
            deleted = self._backend(name).delete_thread(thread_id)
            # a chat conversation is ours: False when the record no longer had it
            found = bool(deleted) if name == "chat" else True
        except NotFoundError:
            found = False
        if self.registry is not None:
            self.registry.forget(thread_id)
        return found

    def cleanup(
        self, *, idle: timedelta, tenant: str | None = None, dry_run: bool = False, limit: int | None = None
    ) -> CleanupReport:
        """Delete every recorded conversation of this server idle for longer than ``idle``."""
        if self.registry is None:
            raise ConfigError("registry", "cleaning up needs the thread registry (it knows which conversations exist)")
        stale = self.registry.stale(older_than=idle, tenant=tenant)
        recorded = servers_of(self.registry, [t.thread_id for t in stale])
        report = CleanupReport()
        for info in stale:
            where = recorded.get(info.thread_id)
            if where is not None and where != self.server:
                report.elsewhere.append(info.thread_id)
                continue
            if limit is not None and len(report.idle) >= limit:
                break
            report.idle.append(info.thread_id)
            if dry_run:
                continue
            try:
                found = self.delete(info.thread_id, backend=info.backend)
            except AssistantError as exc:
                report.failed[info.thread_id] = exc.message
                continue
            (report.deleted if found else report.missing).append(info.thread_id)
        return report


def _request(connection: ConnectionSettings, fn: Any, what: str, thread_id: str) -> Any:
    from openaiassistant.deadline import Deadline

    try:
        return call(fn, settings=connection, deadline=Deadline(timeout=None), what=what)
    except AssistantError as exc:
        raise exc.with_context(thread_id=thread_id) from None
