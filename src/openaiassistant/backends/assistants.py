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

A turn on a thread starts with one request: the user's message rides on the run
(``additional_messages``). A new thread is made first, empty (``POST /threads``: a request that
breaks where it may have landed then leaves at worst an empty thread, never a second one holding
the message), or taken ready-made from a process's spare (backends/spare.py).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import openai

from openaiassistant.backends import assistants_wire as aw
from openaiassistant.backends import spare, streams
from openaiassistant.backends.answers import guarded, parse_raw
from openaiassistant.backends.assistants_wire import get
from openaiassistant.backends.base import (
    NeedsToolOutputs,
    Outcome,
    Pending,
    RunRef,
    Started,
    Step,
    TurnOutput,
    TurnRequest,
)
from openaiassistant.backends.session import OtherRunOnServer, SessionBase, busy
from openaiassistant.backends.signals import ConversationBusy, MaybeLanded, StreamBrokeEarly, surfaced
from openaiassistant.backends.transport import (
    RAW,
    Caller,
    best_effort,
    get_client,
    poll_hint,
    server_url,
    wait_before_resend,
    with_hint,
)
from openaiassistant.content import assistants_format
from openaiassistant.deadline import Deadline
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

__all__ = ["AssistantsBackend", "AssistantsSession"]


_SEEN_THREADS = 4096  # threads whose newest run is remembered
_CLOCK_SLACK = 60  # seconds: our clock against the server's, when telling our run from older ones
log = logging.getLogger("openaiassistant.backends")


def _event(event: Any) -> tuple[str, Any]:
    """(name, data) of a streamed event. The SDK's generic stream wraps ``thread.*`` events as
    ``{"event", "data"}``; newer SDKs hand an ``error`` event over bare (its name dropped)."""
    if isinstance(event, dict) and set(event) == {"event", "data"}:
        return str(event["event"] or ""), event["data"]
    return "error", event


def _waits_for(run: Any, call_ids: list[str]) -> bool:
    """Whether ``run`` still waits for the outputs of these calls (they did not land)."""
    if get(run, "status") != "requires_action":
        return False
    action = get(run, "required_action")
    calls = get(get(action, "submit_tool_outputs"), "tool_calls") or []
    return {str(get(c, "id")) for c in calls} == set(call_ids)


class AssistantsBackend:
    """The Assistants v2 API (threads, messages, runs)."""

    name = "assistants"

    def __init__(self, *, connection: ConnectionSettings, spec: AssistantSpec) -> None:
        self.connection = connection
        self.spec = spec
        if not spec.assistant_id:
            raise ConfigError("assistant_id", "required on the assistants backend")
        self.assistant_id: str = spec.assistant_id
        self.client = get_client(connection)
        self.call = Caller(connection)
        self.server = server_url(connection)
        self._stored_tools: list[dict[str, Any]] | None = None
        # thread id -> the newest run seen there (so a broken request never adopts an older run)
        self._seen_runs: OrderedDict[str, str] = OrderedDict()

    @property
    def threads(self) -> Any:
        return self.client.beta.threads

    def begin(self, request: TurnRequest, *, deadline: Deadline) -> AssistantsSession:
        return AssistantsSession(backend=self, request=request, deadline=deadline)

    # -- threads ------------------------------------------------------------------------------
    def make_thread(self, fields: dict[str, Any]) -> str:
        """An empty thread for a later turn (backends/spare.py)."""
        thread = self.call(
            lambda t: self.threads.create(timeout=t, **fields),
            Deadline(timeout=self.connection.request_timeout),
            "create thread",
        )
        return str(thread.id)

    def discard_thread(self, thread_id: str) -> None:
        self.threads.delete(thread_id, timeout=5.0)

    def delete_thread(self, thread_id: str) -> bool:
        deleted = self.call(
            lambda t: self.threads.delete(thread_id, timeout=t), Deadline(timeout=None), "delete thread"
        )
        return bool(deleted.deleted)

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """Every message of the thread, oldest first."""
        return [aw.history_entry(m) for m in self.messages(thread_id, Deadline(timeout=None), "list messages")]

    def validate(self) -> None:
        try:
            self.call(
                lambda t: self.client.beta.assistants.retrieve(self.assistant_id, timeout=t),
                Deadline(timeout=None),
                "retrieve assistant",
            )
        except NotFoundError as exc:
            raise ConfigError(
                "assistant_id", f"{self.spec.assistant_id!r} does not exist on this server ({exc.message})"
            ) from None

    # -- shared by the sessions ---------------------------------------------------------------
    def retrieve(self, ref: RunRef, deadline: Deadline) -> tuple[Any, float | None]:
        """A run object and the server's poll hint."""
        runs = self.threads.runs
        return with_hint(
            self.call(
                lambda t: runs.retrieve(ref.run_id, thread_id=ref.thread_id, timeout=t, extra_headers=RAW),
                deadline,
                "retrieve run",
                thread_id=ref.thread_id,
            )
        )

    def cancel_run(self, ref: RunRef) -> None:
        best_effort(lambda: self.threads.runs.cancel(ref.run_id, thread_id=ref.thread_id, timeout=10.0))

    def seen(self, ref: RunRef) -> None:
        """Remember ``ref`` as the newest run of its thread."""
        self._seen_runs[ref.thread_id] = ref.run_id
        self._seen_runs.move_to_end(ref.thread_id)
        if len(self._seen_runs) > _SEEN_THREADS:
            self._seen_runs.popitem(last=False)

    def newest_seen(self, thread_id: str) -> str | None:
        return self._seen_runs.get(thread_id)

    def run_tools(self, request: TurnRequest, deadline: Deadline) -> list[dict[str, Any]] | None:
        """The run's tools: the assistant's stored ones plus this turn's functions (ours win),
        plus ``file_search`` when the spec gives vector stores; None keeps the stored ones."""
        if not request.tools and not self.spec.vector_store_ids and not self.spec.hosted_tools:
            return None
        if self._stored_tools is None:
            assistant = self.call(
                lambda t: self.client.beta.assistants.retrieve(self.assistant_id, timeout=t),
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
        if self.spec.hosted_tools and not any(t.get("type") == "code_interpreter" for t in kept):
            kept.append({"type": "code_interpreter"})  # the only hosted tool Assistants has (settings check)
        if not request.tools and len(kept) == len(self._stored_tools):
            return None  # nothing to add: the run uses the assistant's own tools
        return kept + ours

    def messages(self, thread_id: str, deadline: Deadline, what: str, **query: Any) -> list[Any]:
        """A thread's messages, oldest first, every page through our retries."""
        messages: list[Any] = []
        while True:
            page = self.call(
                lambda t: self.threads.messages.list(thread_id, order="asc", limit=100, timeout=t, **query),
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

    def other_run(self, ref: RunRef, deadline: Deadline) -> OtherRunOnServer:
        """Someone else's run holding the thread: waited for (its answer is not read), or cancelled."""

        def look() -> Outcome:
            run, hint = self.retrieve(ref, deadline)
            self.seen(ref)  # so that a broken request of ours never adopts it
            return aw.run_outcome(run, hint, TurnOutput)

        return OtherRunOnServer(run_id=ref.run_id, look=look, cancel=lambda: self.cancel_run(ref))


@dataclass
class _Streamed:
    """The finished messages of a run streamed without a break so far (read from the stream, so
    they need not be listed)."""

    run_id: str
    messages: list[Any] = field(default_factory=list)


@dataclass
class _Reading:
    """What a run stream has said so far."""

    thread_id: str | None  # the thread the request named (None: the request makes one)
    ref: RunRef | None  # the run, once named (given when the stream continues a known run)
    made: str | None = None  # the thread the stream says it created

    @property
    def thread(self) -> str | None:
        return self.thread_id or self.made


class AssistantsSession(SessionBase):
    """One turn's runs on one thread, and what lives as long as they do."""

    def __init__(self, *, backend: AssistantsBackend, request: TurnRequest, deadline: Deadline) -> None:
        super().__init__(thread_id=request.thread_id)
        self._backend = backend
        self._threads = backend.threads
        self._request = request
        self._deadline = deadline
        self._sse = backend.connection.transport == "sse"
        self._streamed: _Streamed | None = None

    # -- the seam -----------------------------------------------------------------------------
    @surfaced
    @guarded("start a run")
    def start(self) -> Started:
        """The turn's run, carrying the user's message."""
        return self._open(assistants_format.message(self._request.user_input))

    @surfaced
    @guarded("start a run")
    def retry(self) -> Started:
        """A new run after a retryable failure: it answers the message already in the thread."""
        return self._open(None)

    @surfaced
    @guarded("follow the run")
    def poll(self) -> Step:
        ref = self._current()
        run, hint = self._backend.retrieve(ref, self._deadline)
        return self._track(self._step(ref.thread_id, run, hint=hint))

    @surfaced
    @guarded("submit tool outputs")
    def submit(self, outputs: list[ToolOutput]) -> Step:
        """All outputs of the round in ONE request, as the API requires, landed once: after a
        break where it may have landed, the run tells (still waiting for these calls: send them
        again; else it moved on: follow it)."""
        ref = self._current()
        body = {"tool_outputs": [{"tool_call_id": o.call_id, "output": o.output} for o in outputs]}
        attempt = 0
        while True:
            try:
                return self._track(
                    self._run_request(
                        f"/threads/{ref.thread_id}/runs/{ref.run_id}/submit_tool_outputs",
                        body,
                        "submit tool outputs",
                        thread_id=ref.thread_id,
                        idempotent=False,
                        known=ref,
                    )
                )
            except (MaybeLanded, StreamBrokeEarly) as broke:
                self._streamed = None  # what the run says next was not streamed: read it from the thread
                run, hint = self._backend.retrieve(ref, self._deadline)
                if not _waits_for(run, [o.call_id for o in outputs]):
                    return self._track(self._step(ref.thread_id, run, hint=hint))  # it landed
                if attempt >= self._backend.connection.max_retries:
                    raise ServerUnavailableError(
                        f"{broke.message} (retries used up; the run shows it did not land)",
                        thread_id=ref.thread_id,
                        run_id=ref.run_id,
                        http_status=getattr(broke, "http_status", None),
                    ) from None
                wait_before_resend(broke, attempt, self._deadline, what="submit tool outputs")
                attempt += 1

    # -- starting -----------------------------------------------------------------------------
    def _open(self, message: dict[str, Any] | None) -> Started:
        try:
            return self._track(self._start(message))
        except ConversationBusy as refused:
            return busy(refused, lambda ref: self._backend.other_run(ref, self._deadline), kind="run")

    def _start(self, message: dict[str, Any] | None) -> Step:
        """Our run, carrying ``message`` when given. A new thread is made first, empty (so a
        request that breaks where it may have landed leaves at worst an empty thread, never a
        second one holding the message: threads cannot be listed to find it)."""
        request = self._request
        body = aw.run_body(request.params, self._backend.spec, self._backend.run_tools(request, self._deadline))
        made = False
        if self._thread_id is None:
            self._thread_id, made = self._create_thread(), True
        if message is not None:
            body["additional_messages"] = [message]
        try:
            return self._start_on(self._thread_id, body, made=made)
        except AssistantError as exc:
            exc.with_context(thread_id=self._thread_id)
            raise

    def _start_on(self, thread_id: str, body: dict[str, Any], *, made: bool) -> Step:
        """A run on a thread, never started twice: after a request broke where it may have
        landed (dropped connection, 5xx, a stream cut before it named the run), the thread tells
        whether it did (then its newest run is ours, adopted) or it is sent again, with backoff.
        A busy thread after such a break is our own run, when the thread says so."""
        path = f"/threads/{thread_id}/runs"
        since = None if made else time.time()
        attempt, uncertain = 0, False
        while True:
            try:
                return self._run_request(path, body, "create run", thread_id=thread_id, idempotent=False)
            except ConversationBusy:
                adopted = self._adopt(thread_id, since=since) if uncertain else None
                if adopted is None:
                    raise
                return adopted
            except (MaybeLanded, StreamBrokeEarly) as broke:
                uncertain = True
                adopted = self._adopt(thread_id, since=since)
                if adopted is not None:
                    return adopted
                if attempt >= self._backend.connection.max_retries:
                    raise ServerUnavailableError(
                        f"{broke.message} (retries used up; the thread shows it did not land)",
                        thread_id=thread_id,
                        http_status=getattr(broke, "http_status", None),
                    ) from None
                log.info("run request on %s did not land (%s); sending it again", thread_id, type(broke).__name__)
                wait_before_resend(broke, attempt, self._deadline, what="create run")
                attempt += 1

    def _adopt(self, thread_id: str, *, since: float | None) -> Step | None:
        """The thread's newest run when it is the one our broken request started: on a thread
        that request made, any run; else one that is not the last run we saw there and was
        created no earlier than a minute before we sent (``since``: epoch seconds)."""
        page = self._backend.call(
            lambda t: self._threads.runs.list(thread_id, order="desc", limit=1, timeout=t),
            self._deadline,
            "list runs",
            thread_id=thread_id,
        )
        runs = list(page.data or [])
        if not runs:
            return None
        run = runs[0]
        if since is not None and (
            self._backend.newest_seen(thread_id) == get(run, "id")
            or int(get(run, "created_at") or 0) < since - _CLOCK_SLACK
        ):
            return None
        return self._step(thread_id, run)

    def _create_thread(self) -> str:
        fields = self._thread_fields()
        if "metadata" not in fields and self._backend.spec.spare_threads:  # one made ahead (backends/spare.py)
            backend = self._backend
            key = spare.key_of("assistants", backend.connection, backend.server, repr(fields))
            made = spare.take_spare(key, make=lambda: backend.make_thread(fields), discard=backend.discard_thread)
            if made is not None:
                return made
        thread = self._backend.call(
            lambda t: self._threads.create(timeout=t, **fields), self._deadline, "create thread"
        )
        return str(thread.id)

    def _thread_fields(self) -> dict[str, Any]:
        metadata = self._request.thread_metadata
        fields: dict[str, Any] = {"metadata": metadata} if metadata else {}
        if self._backend.spec.vector_store_ids:
            fields["tool_resources"] = {"file_search": {"vector_store_ids": list(self._backend.spec.vector_store_ids)}}
        return fields

    # -- following a run ----------------------------------------------------------------------
    def _cancel(self, ref: RunRef) -> None:
        if self._streamed is not None and self._streamed.run_id == ref.run_id:
            self._streamed = None
        self._backend.cancel_run(ref)

    def _run_request(
        self,
        path: str,
        body: dict[str, Any],
        what: str,
        *,
        thread_id: str | None,
        idempotent: bool,
        known: RunRef | None = None,
    ) -> Step:
        """POST a request that starts or continues a run, then read its event stream, or its run
        object for polling (with the poll-hint header)."""
        client = self._backend.client

        def post(timeout: float, *, stream: bool) -> Any:
            headers = _BETA if stream else {**_BETA, **RAW}
            payload = {**body, "stream": True} if stream else body
            return client.post(
                path,
                body=payload,
                cast_to=object,
                stream=stream,
                stream_cls=_STREAM_CLS if stream else None,
                options={"headers": headers, "timeout": timeout},
            )

        if self._sse:

            def streamed() -> Step:
                stream = self._backend.call(
                    lambda t: post(t, stream=True), self._deadline, what, thread_id=thread_id, idempotent=idempotent
                )
                return self._consume(thread_id, stream, known=known)

            return streams.start_streamed(
                streamed,
                deadline=self._deadline,
                retries=self._backend.connection.max_retries,
                idempotent=idempotent,
                recover=not idempotent,  # a request that may have landed: the caller looks first
            )
        raw = self._backend.call(
            lambda t: post(t, stream=False), self._deadline, what, thread_id=thread_id, idempotent=idempotent
        )
        run = parse_raw(raw, what, thread_id=thread_id)
        return self._step(str(get(run, "thread_id")), run, hint=poll_hint(raw.headers))

    def _consume(self, thread_id: str | None, stream: Any, known: RunRef | None = None) -> Step:
        """Read run events until the run stops or needs tools; a broken stream means poll."""
        reading = _Reading(thread_id=thread_id, ref=known)
        try:
            for event in streams.until_deadline(stream, self._deadline):
                finished = self._read_event(reading, *_event(event))
                if finished is not None:
                    streams.drain(stream)
                    return self._step(str(get(finished, "thread_id")), finished)
        except BaseException as exc:
            self._stream_failed(exc, reading, known=known is not None)
        finally:
            stream.close()
        return self._stream_broke(reading)

    def _read_event(self, reading: _Reading, name: str, data: Any) -> Any:
        """Take one event in; the run's data when the event ends what the stream has to say."""
        if name == "thread.created":
            reading.made = str(get(data, "id"))
        if reading.ref is None and name.startswith("thread.run.") and not name.startswith("thread.run.step"):
            reading.ref = RunRef(thread_id=str(get(data, "thread_id")), run_id=str(get(data, "id")), kind="run")
            self._streamed = _Streamed(run_id=reading.ref.run_id)
        if name == "thread.message.delta" and self._request.on_text:
            for text in aw.delta_texts(data):
                self._request.on_text(text)
        elif name in _MESSAGE_DONE_EVENTS and reading.ref is not None:
            self._keep_message(reading.ref, data)
        elif name in _TERMINAL_EVENTS:
            return data
        elif name == "error":
            raise ServerUnavailableError(f"run stream error: {get(data, 'message')}", thread_id=reading.thread)
        return None

    def _stream_failed(self, exc: BaseException, reading: _Reading, *, known: bool) -> None:
        """Returns only when the stream merely broke (see ``streams.stream_failure``)."""
        if reading.ref is not None and self._streaming(reading.ref):
            self._streamed = None
        try:
            streams.stream_failure(
                exc, self._deadline, what="run stream", ref=reading.ref, known=known, cancel=self._cancel
            )
        except AssistantError as err:
            err.with_context(thread_id=reading.thread)
            raise

    def _stream_broke(self, reading: _Reading) -> Step:
        """What a stream that broke before the run stopped leaves: poll the run (or, when it
        never named the run, a signal for the caller)."""
        if reading.ref is None:
            raise StreamBrokeEarly(
                "the run stream broke before the run was named",
                thread_id=reading.thread,
                made_thread=reading.made is not None,
            )
        if self._streaming(reading.ref):
            self._streamed = None  # messages may now be missed: read them from the thread
        return streams.pending_step(reading.ref)

    def _keep_message(self, ref: RunRef, message: Any) -> None:
        if self._streamed is not None and self._streamed.run_id == ref.run_id:
            self._streamed.messages.append(message)

    def _streaming(self, ref: RunRef) -> bool:
        return self._streamed is not None and self._streamed.run_id == ref.run_id

    def _step(self, thread_id: str, run: Any, hint: float | None = None) -> Step:
        ref = RunRef(thread_id=thread_id, run_id=str(get(run, "id")), kind="run")
        self._backend.seen(ref)
        outcome = aw.run_outcome(run, hint, lambda: self._run_output(ref))
        if not isinstance(outcome, (Pending, NeedsToolOutputs)) and self._streaming(ref):
            self._streamed = None
        return Step(ref=ref, outcome=outcome, usage=aw.run_usage(run), model=get(run, "model"))

    def _run_output(self, ref: RunRef) -> TurnOutput:
        if self._streamed is not None and self._streamed.run_id == ref.run_id:
            messages = self._streamed.messages
        else:
            messages = self._backend.messages(ref.thread_id, self._deadline, "list run messages", run_id=ref.run_id)
        # filtered again here: a server that ignores run_id must not leak older messages
        return aw.run_output([m for m in messages if get(m, "run_id") == ref.run_id and get(m, "role") == "assistant"])
