"""Crash recovery: what a dead worker left running, ended or adopted.

    recovered = recover(connection=settings, registry=registry)           # every orphan
    recovered = recover(connection=settings, registry=registry, thread_id="conv_...")

An orphan is a run record (``registry/runs.py``) whose worker died before the turn ended. For
each orphan on this connection's server, recovery claims the record (one recoverer wins), looks
at the run on the server and:

    still working (queued, in progress, waiting for tool outputs)  cancel it      recovered-cancelled
    finished, with function calls nobody answered (Responses)      close them     recovered-cancelled
    finished with an answer                                         adopt it       adopted (the answer)
    chat: calls the conversation (our own record) left unanswered   close them     recovered-cancelled
    ended without one (failed, cancelled, expired)                  note it        recovered-ended
    never named by the server (died before it was created)          nothing to do  lost

then frees the conversation's lock if the dead worker still held it, so the next turn on the
conversation starts at once. ``openaiassistant threads recover`` runs it; every turn with a
registry runs it for its own conversation before it starts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from openaiassistant.backends.transport import call, get_client
from openaiassistant.coordination import store_for
from openaiassistant.coordination.locks import conversation_key
from openaiassistant.coordination.worker import owner_of
from openaiassistant.deadline import Deadline
from openaiassistant.errors import AssistantError, NotFoundError
from openaiassistant.redaction import redact
from openaiassistant.registry.runs import RunInfo, RunLog
from openaiassistant.settings import ConnectionSettings

__all__ = ["Recovered", "recover", "server_of"]

log = logging.getLogger("openaiassistant.recovery")
_BETA = {"OpenAI-Beta": "assistants=v2"}
_ACTIVE_RESPONSE = ("queued", "in_progress")
_ACTIVE_RUN = ("queued", "in_progress", "requires_action", "cancelling")
_CLOSED_CALL = json.dumps({"error": "the worker running this turn died before this call was answered"})


@dataclass(frozen=True, kw_only=True)
class Recovered:
    record_id: str
    thread_id: str | None
    run_id: str | None
    backend: str
    owner: str
    action: str  # adopted | recovered-cancelled | recovered-ended | lost | failed
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def server_of(connection: ConnectionSettings) -> str:
    """How run records name the server (the turn's ``server``)."""
    return connection.base_url or connection.azure_endpoint or "https://api.openai.com/v1"


def recover(
    *,
    connection: ConnectionSettings,
    registry: Any,
    thread_id: str | None = None,
    backend: str | None = None,
    timeout: float = 60.0,
) -> list[Recovered]:
    """End or adopt every orphaned run of this server (of one conversation, of one backend)."""
    runs = RunLog.for_engine(registry.engine)
    server, done = server_of(connection), []
    for orphan in runs.orphans(thread_id=thread_id):
        if orphan.server != server or (backend and orphan.backend != backend):
            continue
        if not runs.claim(orphan.record_id, owner=orphan.owner):
            continue  # another recoverer has it
        try:
            action, detail = _settle(connection, orphan, Deadline(timeout=timeout), registry=registry)
        except AssistantError as exc:  # the record stays claimed by us; its lease lets it be retried
            log.warning("could not recover run %s of conversation %s: %s", orphan.run_id, orphan.thread_id, exc)
            done.append(_recovered(orphan, "failed", redact(str(exc))))
            continue
        runs.ended(orphan.record_id, status=action, detail=detail)
        _free_lock(connection, orphan)
        done.append(_recovered(orphan, action, detail))
        log.info("recovered %s of conversation %s: %s (%s)", orphan.run_id, orphan.thread_id, action, detail[:200])
    return done


def _recovered(orphan: RunInfo, action: str, detail: str) -> Recovered:
    return Recovered(
        record_id=orphan.record_id,
        thread_id=orphan.thread_id,
        run_id=orphan.run_id,
        backend=orphan.backend,
        owner=orphan.owner,
        action=action,
        detail=detail,
    )


def _settle(connection: ConnectionSettings, orphan: RunInfo, deadline: Deadline, *, registry: Any) -> tuple[str, str]:
    if orphan.backend == "chat" and orphan.thread_id:
        return _settle_chat(registry, orphan.thread_id)
    if not orphan.run_id or not orphan.thread_id:
        return "lost", "the worker died before the server named its run; nothing to end or adopt"
    settle = _settle_response if orphan.backend == "responses" else _settle_run
    try:
        return settle(connection, orphan.thread_id, orphan.run_id, deadline)
    except NotFoundError:
        return "recovered-ended", f"{orphan.run_id} is no longer on the server"


def _settle_chat(registry: Any, thread_id: str) -> tuple[str, str]:
    """A chat turn keeps nothing on the server (its completion ended with its connection): only
    the calls its round left unanswered in our own record are closed."""
    from openaiassistant.assistant import conversation_log
    from openaiassistant.backends.chat_record import close_unanswered

    closed = close_unanswered(conversation_log(registry), thread_id, output=_CLOSED_CALL)
    if closed:
        return "recovered-cancelled", f"closed {len(closed)} unanswered tool call(s) on conversation {thread_id}"
    return (
        "recovered-ended",
        f"nothing was left open on conversation {thread_id} (a chat completion ends with its worker)",
    )


def _settle_response(
    connection: ConnectionSettings, thread_id: str, run_id: str, deadline: Deadline
) -> tuple[str, str]:
    client = get_client(connection)

    def request(method: str, path: str, **options: Any) -> Any:
        send = getattr(client, method)
        return call(
            lambda t: send(path, cast_to=object, options={"timeout": t}, **options),
            settings=connection,
            deadline=deadline,
            what=f"recover response {run_id}",
        )

    response = request("get", f"/responses/{run_id}")
    status = response.get("status")
    if status in _ACTIVE_RESPONSE:
        request("post", f"/responses/{run_id}/cancel")
        return "recovered-cancelled", f"cancelled response {run_id} ({status}) on conversation {thread_id}"
    output = response.get("output") or []
    calls = [item for item in output if item.get("type") == "function_call" and item.get("call_id")]
    if status == "completed" and calls:
        items = [{"type": "function_call_output", "call_id": c["call_id"], "output": _CLOSED_CALL} for c in calls]
        try:
            request("post", f"/conversations/{thread_id}/items", body={"items": items})
        except AssistantError as exc:  # answered meanwhile (the worker's last request landed): fine
            log.info("closing the tool calls of %s: %s", run_id, exc)
        names = ", ".join(str(c.get("name")) for c in calls)
        return "recovered-cancelled", f"closed {len(calls)} unanswered tool call(s) of {run_id} ({names})"
    if status in ("completed", "incomplete"):
        texts = [
            part.get("text", "")
            for item in output
            if item.get("type") == "message"
            for part in item.get("content") or []
            if part.get("type") == "output_text"
        ]
        return "adopted", "\n\n".join(t for t in texts if t) or f"({status}, no text)"
    return "recovered-ended", f"response {run_id} had ended {status} on the server"


def _settle_run(connection: ConnectionSettings, thread_id: str, run_id: str, deadline: Deadline) -> tuple[str, str]:
    client = get_client(connection)

    def request(method: str, path: str, **options: Any) -> Any:
        send = getattr(client, method)
        return call(
            lambda t: send(path, cast_to=object, options={"timeout": t, "headers": _BETA, **options}),
            settings=connection,
            deadline=deadline,
            what=f"recover run {run_id}",
            thread_id=None,
        )

    run = request("get", f"/threads/{thread_id}/runs/{run_id}")
    status = run.get("status")
    if status in _ACTIVE_RUN:
        if status != "cancelling":
            request("post", f"/threads/{thread_id}/runs/{run_id}/cancel")
        return "recovered-cancelled", f"cancelled run {run_id} ({status}) on thread {thread_id}"
    if status in ("completed", "incomplete"):
        page = request("get", f"/threads/{thread_id}/messages", params={"run_id": run_id, "order": "asc"})
        texts = [
            part.get("text", {}).get("value", "")
            for message in page.get("data") or []
            if message.get("role") == "assistant"
            for part in message.get("content") or []
            if part.get("type") == "text"
        ]
        return "adopted", "\n\n".join(t for t in texts if t) or f"({status}, no text)"
    return "recovered-ended", f"run {run_id} had ended {status} on the server"


def _free_lock(connection: ConnectionSettings, orphan: RunInfo) -> None:
    """Break the dead worker's conversation lock, if it still holds it (Redis: until its lease
    ends; PostgreSQL has already ended it with the worker's session)."""
    if connection.coordination_url is None or not orphan.thread_id:
        return
    try:
        store = store_for(connection.coordination_url)
        key = conversation_key(orphan.server, orphan.thread_id)
        holder = store.lock_holder(key)
        if holder and owner_of(holder) == orphan.owner:
            store.break_lock(key, holder)
    except Exception as exc:  # noqa: BLE001 - the lease ends it anyway
        log.warning("could not free the lock of conversation %s: %s", orphan.thread_id, redact(str(exc))[:200])
