"""Assistants v2 through the SDK's typed ``client.beta.threads`` resources (present in 1.37.1 and 3.x).

The assistant lives on the server (``assistant_id``); per-turn overrides (model, instructions,
run controls) go on the run. Function tools are passed per run together with the assistant's
own stored tools (a run's ``tools`` replaces the assistant's for that run, so they are read
once and kept), never written back to the assistant. The answer is read from the messages this
run created, so an older message can never be returned: from the stream's
``thread.message.completed`` events when the run was streamed from start to end, else
``messages.list(run_id=...)``, paged through our own retries (the SDK's auto-pager fetches pages
outside them, and openai 1.37.1 always asks for one more page).

The requests that start or continue a run (and whose answer is an event stream) go through the
SDK's generic ``client.post`` with plain dicts: openai 1.37.1 builds a pydantic validator for
every typed stream event (~0.85 ms each, ~50 ms of CPU for a 50-token answer); everything else
uses the typed resources.

A turn starts with one request: the user's message rides on the run (``additional_messages``)
and a new thread is created with its first run (``POST /threads/runs``), so a new conversation
streams its answer in a single request.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

import openai

from openaiassistant.backends import assistants_wire as aw
from openaiassistant.backends import wire
from openaiassistant.backends.base import NeedsToolOutputs, Pending, RunRef, Step, TurnOutput, TurnRequest
from openaiassistant.backends.transport import RAW, MaybeLanded, call, get_client
from openaiassistant.content import assistants_format
from openaiassistant.engine.deadline import Deadline
from openaiassistant.errors import AssistantError, ConfigError, NotFoundError, ServerUnavailableError
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools.base import ToolOutput

_TERMINAL_EVENTS = {
    "thread.run.requires_action",
    "thread.run.completed",
    "thread.run.incomplete",
    "thread.run.failed",
    "thread.run.cancelled",
    "thread.run.expired",
}
_MESSAGE_DONE_EVENTS = {"thread.message.completed", "thread.message.incomplete"}
_BETA = {"OpenAI-Beta": "assistants=v2"}  # what the typed beta resources send
_STREAM_CLS = openai.Stream[object]


_ACTIVE = {"queued", "in_progress", "requires_action", "cancelling"}
_SEEN_THREADS = 4096  # threads whose newest run is remembered
_CLOCK_SLACK = 60  # seconds: our clock against the server's, when telling our run from older ones
log = logging.getLogger("openaiassistant.backends")


def _event(event: Any) -> tuple[str, Any]:
    """(name, data) of a streamed event. The SDK's generic stream wraps ``thread.*`` events as
    ``{"event", "data"}``; newer SDKs hand an ``error`` event over bare (its name dropped)."""
    if isinstance(event, dict) and set(event) == {"event", "data"}:
        return str(event["event"] or ""), event["data"]
    return "error", event


class AssistantsBackend:
    """The Assistants v2 API (threads, messages, runs)."""

    name = "assistants"
    run_id_field = "run_id"

    def __init__(self, *, connection: ConnectionSettings, spec: AssistantSpec) -> None:
        self.connection = connection
        self.spec = spec
        self.client = get_client(connection)
        self._stored_tools: list[dict[str, Any]] | None = None
        # run id -> its finished messages, while the run has been streamed without a break
        self._streamed: dict[str, list[Any]] = {}
        # thread id -> the newest run seen there (so a broken request never adopts an older run)
        self._seen_runs: OrderedDict[str, str] = OrderedDict()

    @property
    def _threads(self) -> Any:
        return self.client.beta.threads

    # -- threads ------------------------------------------------------------------------------
    def open_thread(self, *, thread_id: str | None, metadata: dict[str, str] | None, deadline: Deadline) -> str:
        """``""`` for a new thread: it is created by the turn's first request (see ``start``)."""
        return thread_id or ""

    def delete_thread(self, thread_id: str) -> bool:
        deleted = self._call(
            lambda t: self._threads.delete(thread_id, timeout=t), Deadline(timeout=None), "delete thread"
        )
        return bool(deleted.deleted)

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """Every message of the thread, oldest first."""
        return [aw.history_entry(m) for m in self._messages(thread_id, Deadline(timeout=None), "list messages")]

    def validate(self) -> None:
        try:
            self._call(
                lambda t: self.client.beta.assistants.retrieve(self.spec.assistant_id, timeout=t),
                Deadline(timeout=None),
                "retrieve assistant",
            )
        except NotFoundError as exc:
            raise ConfigError(
                "assistant_id", f"{self.spec.assistant_id!r} does not exist on this server ({exc.message})"
            ) from None

    # -- a turn -------------------------------------------------------------------------------
    def start(self, thread_id: str, request: TurnRequest, *, deadline: Deadline, first: bool) -> Step:
        """Start the turn's run, carrying the user's message when ``first`` (a run retried after
        a rate-limit failure answers the message already in the thread)."""
        body = aw.run_body(request.params, self.spec, self._tools(request, deadline))
        message = assistants_format.message(request.user_input) if first else None
        if not thread_id and aw.fits_thread_and_run(body):
            body["thread"] = {**self._thread_fields(request.thread_metadata), "messages": [message] if message else []}
            try:  # a retry before the stream named a thread can at worst leave an unused one behind
                return self._run_request(
                    "/threads/runs", body, request, deadline, "create thread and run", thread_id="", idempotent=True
                )
            except wire.StreamBrokeEarly as broke:  # the thread was made, and with it our run
                adopted = self._adopt(str(broke.thread_id), since=None, deadline=deadline)
                if adopted is None:
                    raise ServerUnavailableError(
                        f"{broke.message}; no run was found on the new thread", thread_id=broke.thread_id
                    ) from None
                return adopted
        if not thread_id:  # run options that createAndRun lacks: make the thread first
            thread_id = self._create_thread(request.thread_metadata, deadline)
        if message is not None:
            body["additional_messages"] = [message]
        try:
            return self._start_on(thread_id, body, request, deadline)
        except AssistantError as exc:
            raise exc.with_context(thread_id=thread_id)

    def _start_on(self, thread_id: str, body: dict[str, Any], request: TurnRequest, deadline: Deadline) -> Step:
        """A run on an existing thread, never started twice: after a broken connection the thread
        tells whether the request landed (then its newest run is ours) or is to be sent again."""
        path = f"/threads/{thread_id}/runs"
        sent = time.time()
        try:
            return self._run_request(path, body, request, deadline, "create run", thread_id=thread_id, idempotent=False)
        except (MaybeLanded, wire.StreamBrokeEarly) as broke:
            adopted = self._adopt(thread_id, since=sent, deadline=deadline)
            if adopted is not None:
                return adopted
            log.info("run request on %s did not land (%s); sending it again", thread_id, type(broke).__name__)
        return self._run_request(path, body, request, deadline, "create run", thread_id=thread_id, idempotent=False)

    def _adopt(self, thread_id: str, *, since: float | None, deadline: Deadline) -> Step | None:
        """The thread's newest run when it is the one our broken request started: on a thread
        that request made, any run; else one that is not the last run we saw there and was
        created no earlier than a minute before we sent (``since``: epoch seconds)."""
        page = self._call(
            lambda t: self._threads.runs.list(thread_id, order="desc", limit=1, timeout=t),
            deadline,
            "list runs",
            thread_id=thread_id,
        )
        runs = list(page.data or [])
        if not runs:
            return None
        run = runs[0]
        if since is not None and (
            self._seen_runs.get(thread_id) == wire.get(run, "id")
            or int(wire.get(run, "created_at") or 0) < since - _CLOCK_SLACK
        ):
            return None
        return self._step(thread_id, run, deadline)

    def poll(self, ref: RunRef, request: TurnRequest | None, *, deadline: Deadline) -> Step:
        raw = self._call(
            lambda t: self._threads.runs.retrieve(ref.run_id, thread_id=ref.thread_id, timeout=t, extra_headers=RAW),
            deadline,
            "retrieve run",
            thread_id=ref.thread_id,
        )
        # someone else's run (request None) is only waited for: its answer is not read
        return self._step(
            ref.thread_id, raw.parse(), deadline, hint=wire.poll_hint(raw.headers), read=request is not None
        )

    def submit(self, ref: RunRef, request: TurnRequest, outputs: list[ToolOutput], *, deadline: Deadline) -> Step:
        # all outputs of the round in ONE request, as the API requires
        body = {"tool_outputs": [{"tool_call_id": o.call_id, "output": o.output} for o in outputs]}
        return self._run_request(
            f"/threads/{ref.thread_id}/runs/{ref.run_id}/submit_tool_outputs",
            body,
            request,
            deadline,
            "submit tool outputs",
            thread_id=ref.thread_id,
            idempotent=False,
            known=ref,
        )

    def cancel(self, ref: RunRef) -> None:
        self._streamed.pop(ref.run_id, None)
        try:
            self._threads.runs.cancel(ref.run_id, thread_id=ref.thread_id, timeout=10.0)
        except Exception:  # best effort: the turn is already failing for a better reason
            pass

    # -- internals ----------------------------------------------------------------------------
    def _create_thread(self, metadata: dict[str, str] | None, deadline: Deadline) -> str:
        thread = self._call(
            lambda t: self._threads.create(timeout=t, **self._thread_fields(metadata)), deadline, "create thread"
        )
        return str(thread.id)

    def _thread_fields(self, metadata: dict[str, str] | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"metadata": metadata} if metadata else {}
        if self.spec.vector_store_ids:
            fields["tool_resources"] = {"file_search": {"vector_store_ids": list(self.spec.vector_store_ids)}}
        return fields

    def _run_request(
        self,
        path: str,
        body: dict[str, Any],
        request: TurnRequest,
        deadline: Deadline,
        what: str,
        *,
        thread_id: str,
        idempotent: bool,
        known: RunRef | None = None,
    ) -> Step:
        """POST a request that starts or continues a run, then read its event stream, or its run
        object for polling (with the poll-hint header)."""

        def post(timeout: float, *, stream: bool) -> Any:
            headers = _BETA if stream else {**_BETA, **RAW}
            payload = {**body, "stream": True} if stream else body
            return self.client.post(
                path,
                body=payload,
                cast_to=object,
                stream=stream,
                stream_cls=_STREAM_CLS if stream else None,
                options={"headers": headers, "timeout": timeout},
            )

        if request.stream:

            def streamed() -> Step:
                stream = self._call(
                    lambda t: post(t, stream=True), deadline, what, thread_id=thread_id or None, idempotent=idempotent
                )
                return self._consume(thread_id, stream, request, deadline, known=known)

            return wire.start_streamed(
                streamed,
                deadline=deadline,
                retries=self.connection.max_retries,
                idempotent=idempotent,
                recover=known is None,
            )
        raw = self._call(
            lambda t: post(t, stream=False), deadline, what, thread_id=thread_id or None, idempotent=idempotent
        )
        run = raw.parse()
        return self._step(str(wire.get(run, "thread_id")), run, deadline, hint=wire.poll_hint(raw.headers))

    def _tools(self, request: TurnRequest, deadline: Deadline) -> list[dict[str, Any]] | None:
        """The run's tools: the assistant's stored ones plus this turn's functions (ours win),
        plus ``file_search`` when the spec gives vector stores; None keeps the stored ones."""
        if not request.tools and not self.spec.vector_store_ids:
            return None
        if self._stored_tools is None:
            assistant = self._call(
                lambda t: self.client.beta.assistants.retrieve(self.spec.assistant_id, timeout=t),
                deadline,
                "retrieve assistant",
            )
            self._stored_tools = [aw.plain(tool) for tool in assistant.tools or []]
        ours = [aw.function_tool(d) for d in request.tools]
        names = {d.name for d in request.tools}
        kept = [
            t
            for t in self._stored_tools
            if not (t.get("type") == "function" and t.get("function", {}).get("name") in names)
        ]
        if self.spec.vector_store_ids and not any(t.get("type") == "file_search" for t in kept):
            kept.append({"type": "file_search"})
        if not request.tools and len(kept) == len(self._stored_tools):
            return None  # nothing to add: the run uses the assistant's own tools
        return kept + ours

    def _consume(
        self, thread_id: str, stream: Any, request: TurnRequest, deadline: Deadline, known: RunRef | None = None
    ) -> Step:
        """Read run events until the run stops or needs tools; a broken stream means poll."""
        ref, made = known, None
        try:
            for event in wire.until_deadline(stream, deadline):
                name, data = _event(event)
                if name == "thread.created":
                    made = str(wire.get(data, "id"))
                if ref is None and name.startswith("thread.run.") and not name.startswith("thread.run.step"):
                    ref = RunRef(thread_id=str(wire.get(data, "thread_id")), run_id=str(wire.get(data, "id")))
                    self._streamed[ref.run_id] = []
                if name == "thread.message.delta" and request.on_text:
                    for text in aw.delta_texts(data):
                        request.on_text(text)
                elif name in _MESSAGE_DONE_EVENTS and ref is not None and ref.run_id in self._streamed:
                    self._streamed[ref.run_id].append(data)
                elif name in _TERMINAL_EVENTS:
                    wire.drain(stream)
                    return self._step(str(wire.get(data, "thread_id")), data, deadline)
                elif name == "error":
                    raise ServerUnavailableError(
                        f"run stream error: {wire.get(data, 'message')}", thread_id=thread_id or made
                    )
        except BaseException as exc:
            if ref is not None:
                self._streamed.pop(ref.run_id, None)
            try:
                wire.stream_failure(
                    exc, deadline, what="run stream", ref=ref, known=known is not None, cancel=self.cancel
                )
            except AssistantError as err:
                raise err.with_context(thread_id=thread_id or made)
        finally:
            stream.close()
        if ref is None:
            raise wire.StreamBrokeEarly(
                "the run stream broke before the run was named",
                thread_id=thread_id or made,
                made_thread=made is not None,
            )
        self._streamed.pop(ref.run_id, None)  # messages may now be missed: read them from the thread
        return wire.pending_step(ref)

    def _step(self, thread_id: str, run: Any, deadline: Deadline, hint: float | None = None, read: bool = True) -> Step:
        ref = RunRef(thread_id=thread_id, run_id=str(wire.get(run, "id")))
        self._seen(ref)
        outcome = aw.run_outcome(run, hint, lambda: self._run_output(ref, deadline) if read else TurnOutput())
        if not isinstance(outcome, (Pending, NeedsToolOutputs)):
            self._streamed.pop(ref.run_id, None)
        return Step(ref=ref, outcome=outcome, usage=aw.run_usage(run), model=wire.get(run, "model"))

    def _seen(self, ref: RunRef) -> None:
        self._seen_runs[ref.thread_id] = ref.run_id
        self._seen_runs.move_to_end(ref.thread_id)
        if len(self._seen_runs) > _SEEN_THREADS:
            self._seen_runs.popitem(last=False)

    def _run_output(self, ref: RunRef, deadline: Deadline) -> Any:
        messages = self._streamed.get(ref.run_id)
        if messages is None:
            messages = self._messages(ref.thread_id, deadline, "list run messages", run_id=ref.run_id)
        # filtered again here: a server that ignores run_id must not leak older messages
        return aw.run_output(
            [m for m in messages if wire.get(m, "run_id") == ref.run_id and wire.get(m, "role") == "assistant"]
        )

    def _messages(self, thread_id: str, deadline: Deadline, what: str, **query: Any) -> list[Any]:
        """A thread's messages, oldest first, every page through our retries."""
        messages: list[Any] = []
        while True:
            page = self._call(
                lambda t: self._threads.messages.list(thread_id, order="asc", limit=100, timeout=t, **query),
                deadline,
                what,
                thread_id=thread_id,
            )
            data = list(page.data or [])
            messages.extend(data)
            more = getattr(page, "has_more", None)  # a server that omits it: a full page may have more
            if not data or not (more if more is not None else len(data) >= 100):
                return messages
            query["after"] = str(data[-1].id)

    def _call(
        self, fn: Any, deadline: Deadline, what: str, *, thread_id: str | None = None, idempotent: bool = True
    ) -> Any:
        return call(
            fn, settings=self.connection, deadline=deadline, what=what, thread_id=thread_id, idempotent=idempotent
        )
