"""Responses + Conversations, through the SDK's generic request methods.

openai 1.37.1 (Keep's pin) has no typed ``responses`` / ``conversations`` resources, but its
``client.post/get/delete(path, cast_to=object, ...)`` carry auth, base_url and streaming exactly
like openai 3.x; one code path serves both. Objects are plain dicts.

Threads are Conversations. A turn is one response (several when tools are called: each round's
``function_call_output`` items go into the next response on the same conversation; instructions
and tools are re-sent every time, as the API does not carry them over). Responses are started in
background mode (``AssistantSpec.background``) so that they can be polled and cancelled; a
streamed response is a background response with ``stream: true``, so a cut stream is resumed
from its last sequence number. A turn without a conversation makes one with its first request.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import openai

from openaiassistant.backends import base, capabilities, hosted_wire, spare, streams
from openaiassistant.backends import responses_landing as landing
from openaiassistant.backends import responses_wire as rw
from openaiassistant.backends.answers import guarded, parse_raw, require_object
from openaiassistant.backends.base import RunRef, Started, Step, TurnRequest
from openaiassistant.backends.capabilities import BOOK
from openaiassistant.backends.local_conversation import LocalConversation, is_local
from openaiassistant.backends.local_conversation import history as local_history
from openaiassistant.backends.responses_files import ConversationFiles, delete_store
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
from openaiassistant.backends.window import WindowTurn, window_input
from openaiassistant.content import responses_format
from openaiassistant.deadline import Deadline, backoff
from openaiassistant.errors import APIError, ConfigError, NotFoundError, ServerUnavailableError, TurnTimeoutError
from openaiassistant.params import RunParams
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools.base import ToolCall, ToolOutput

__all__ = ["ResponsesBackend", "ResponsesSession"]

_STREAM_CLS = openai.Stream[object]
_NO_DEADLINE = None
_MAX_RESUMES = 3
_TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed", "response.cancelled")
_MAX_ITEMS_PER_REQUEST = 20  # the API takes at most 20 items per items.create
_CLOSED = json.dumps({"error": "the turn ended before this call was answered"})
_memory_warned: list[bool] = []  # the in-memory conversation log was announced


class ResponsesBackend:
    """The Responses + Conversations API (the default backend)."""

    name = "responses"

    def __init__(
        self,
        *,
        connection: ConnectionSettings,
        spec: AssistantSpec,
        conversation_log: Any = None,
        log_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.connection = connection
        self.spec = spec
        self.client = get_client(connection)
        self.call = Caller(connection)
        # where conversations live when the server keeps none (a ConversationLog), or what makes
        # it when first needed (most servers keep their conversations: no database is opened)
        self.conversation_log = conversation_log
        self._log_factory = log_factory
        self._log_lock = threading.Lock()
        self.server = server_url(connection)
        self.pinned = capabilities.parse(connection.capabilities)

    def begin(self, request: TurnRequest, *, deadline: Deadline) -> ResponsesSession:
        return ResponsesSession(backend=self, request=request, deadline=deadline)

    # -- conversations ------------------------------------------------------------------------
    def new_local(self, metadata: dict[str, str] | None) -> str:
        """A conversation kept in our own log (the server has no /conversations)."""
        log = self.log()
        if str(log.engine.url) == "sqlite://" and not _memory_warned:
            _memory_warned.append(True)
            logging.getLogger("openaiassistant.backends").warning(
                "conversations of %s are kept in this process's memory only (lost on restart); "
                "give a thread registry (registry_url, --registry) to keep them",
                self.server,
            )
        return str(log.create(metadata=metadata))

    def log(self) -> Any:
        if self.conversation_log is None and self._log_factory is not None:
            with self._log_lock:
                if self.conversation_log is None:
                    self.conversation_log = self._log_factory()
        if self.conversation_log is None:
            raise ConfigError(
                "registry_url", "this server keeps no conversations and no conversation log was given to keep them"
            )
        return self.conversation_log

    @functools.cached_property
    def spare_key(self) -> tuple[Any, ...]:
        return spare.key_of("responses", self.connection, self.server)

    def make_spare(self) -> str:
        """An empty conversation for a later turn (backends/spare.py)."""
        created = self.call(
            lambda t: self.client.post("/conversations", body={}, cast_to=object, options={"timeout": t}),
            Deadline(timeout=self.connection.request_timeout),
            "create conversation",
        )
        return str(require_object(created, "create conversation")["id"])

    def discard_spare(self, conversation_id: str) -> None:
        self.client.delete(f"/conversations/{conversation_id}", cast_to=object, options={"timeout": 5.0})

    def allows(self, name: str) -> bool:
        return BOOK.allows(self.server, name, pinned=self.pinned)

    def delete_thread(self, thread_id: str) -> bool:
        if is_local(thread_id):
            return bool(self.log().delete(thread_id))
        delete_store(self, thread_id, Deadline(timeout=_NO_DEADLINE))  # its own vector store first
        deleted = self.call(
            lambda t: self.client.delete(f"/conversations/{thread_id}", cast_to=object, options={"timeout": t}),
            Deadline(timeout=_NO_DEADLINE),
            "delete conversation",
            thread_id=None,
        )
        return bool(deleted.get("deleted", True))

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """Every message of the conversation, oldest first (pages of 100 followed to the end)."""
        if is_local(thread_id):
            return local_history(self.log(), thread_id)
        messages: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            query: dict[str, Any] = {"order": "asc", "limit": 100}
            if after:
                query["after"] = after
            page = self.call(
                functools.partial(self._items_page, thread_id, query),
                Deadline(timeout=_NO_DEADLINE),
                "list conversation items",
            )
            data = page.get("data") or []
            messages.extend(rw.responses_message(item) for item in data if item.get("type") == "message")
            if not page.get("has_more") or not data:
                return messages
            after = page.get("last_id") or data[-1].get("id")

    def _items_page(self, thread_id: str, query: dict[str, Any], timeout: float) -> Any:
        return self.client.get(
            f"/conversations/{thread_id}/items", cast_to=object, options={"params": query, "timeout": timeout}
        )

    def validate(self) -> None:
        model = self.spec.model or self.connection.azure_deployment
        try:
            self.call(
                lambda t: self.client.get(f"/models/{model}", cast_to=object, options={"timeout": t}),
                Deadline(timeout=_NO_DEADLINE),
                "retrieve model",
            )
        except NotFoundError as exc:
            raise ConfigError("model", f"{model!r} is not available on this server ({exc.message})") from None

    # -- shared by the sessions ---------------------------------------------------------------
    def retrieve(self, ref: RunRef, deadline: Deadline) -> tuple[dict[str, Any], float | None]:
        """A response object and the server's poll hint."""
        path = f"/responses/{ref.run_id}"
        raw = self.call(
            lambda t: self.client.get(path, cast_to=object, options={"headers": RAW, "timeout": t}),
            deadline,
            "retrieve response",
            thread_id=ref.thread_id,
        )
        return with_hint(raw, "retrieve response")

    def cancel_response(self, ref: RunRef) -> None:
        path = f"/responses/{ref.run_id}/cancel"
        best_effort(lambda: self.client.post(path, cast_to=object, options={"timeout": 10.0}))

    def other_response(self, ref: RunRef, deadline: Deadline) -> OtherRunOnServer:
        """Someone else's response holding the conversation: waited for, or cancelled."""
        return OtherRunOnServer(
            run_id=ref.run_id,
            look=lambda: rw.responses_outcome(*self.retrieve(ref, deadline)),
            cancel=lambda: self.cancel_response(ref),
        )


class ResponsesSession(SessionBase):
    """One turn's responses on one conversation, and what lives as long as they do."""

    def __init__(self, *, backend: ResponsesBackend, request: TurnRequest, deadline: Deadline) -> None:
        super().__init__(thread_id=request.thread_id)
        self._backend = backend
        self._client = backend.client
        self._spec = backend.spec
        self._request = request
        self._deadline = deadline
        self._sse = backend.connection.transport == "sse"
        self._last_seq: int | None = None  # the last streamed sequence number of our response
        self._resumes = 0  # stream resumptions of our response so far
        # every call of this turn, until the turn ends: those the server has no output for are
        # closed with error outputs when the turn is abandoned (see cancel)
        self._calls: dict[str, ToolCall] = {}
        self._window: WindowTurn | None = None  # a last_messages turn running beside the conversation
        self._local: LocalConversation | None = None  # the conversation, when our log keeps it
        self._files = ConversationFiles(backend=backend, server=backend.server, deadline=deadline)
        self._file_tools: list[dict[str, Any]] | None = None  # the conversation's file_search / code_interpreter
        self._direct_files: list[str] = []  # files file_search cannot index: given as input_file parts
        self._sent: list[dict[str, Any]] | None = None  # the input of our newest response
        self._uncertain = False  # a request carrying ``_sent`` broke: it may have landed
        self._before: str | None = None  # newest item before our first request (None: empty)
        self._before_known = request.thread_id is None  # a conversation we make starts empty

    # -- the seam -----------------------------------------------------------------------------
    @surfaced
    @guarded("start a response")
    def start(self) -> Started:
        if self._sent is None:
            self._sent = [self._message()]
        return self._open()

    @surfaced
    @guarded("start a response")
    def retry(self) -> Started:
        """A new response after a retryable failure, for the same input: what of it the failed
        response left in the conversation is answered, not sent again (the user's message, or
        the outputs of a tool round)."""
        self._uncertain = True  # the failed response may have kept its input: look first
        return self._open()

    @surfaced
    @guarded("follow the response")
    def poll(self) -> Step:
        ref = self._current()
        if self._background() and self._last_seq is not None:
            self._resumes += 1
            if self._resumes > _MAX_RESUMES:  # a stream that keeps breaking: just poll
                self._last_seq = None
            else:
                resumed = self._resume(ref)
                if resumed is not None:
                    return self._track(resumed)
        obj, hint = self._backend.retrieve(ref, self._deadline)
        return self._track(self._step(obj, hint=hint))

    @surfaced
    @guarded("submit tool outputs")
    def submit(self, outputs: list[ToolOutput]) -> Step:
        ref = self._current()
        if self._local is not None:
            self._local.record_outputs([(o.call_id, o.output) for o in outputs])
            return self._track(self._create(self._local.input(), idempotent=False))
        items = [{"type": "function_call_output", "call_id": o.call_id, "output": o.output} for o in outputs]
        if self._window is not None:
            self._window.record_input(items)
            return self._track(self._create(items, idempotent=False, previous=ref.run_id))
        self._sent, self._uncertain = items, False
        attempt = 0
        while True:  # a busy conversation here is our own response that landed: wait for it
            started = self._deliver()
            if isinstance(started, Step):
                return self._track(started)
            self._wait(backoff(attempt, base=0.2, ceiling=2.0))
            attempt += 1

    def cancel(self) -> None:
        """Cancel our working response; close every call of this turn the server has no output
        for (a response that asked for tools cannot be cancelled, and its calls would make the
        conversation refuse the next response)."""
        super().cancel()
        self._close_calls()

    # -- internals ----------------------------------------------------------------------------
    def _open(self) -> Started:
        """The turn's first response (or a new one after a retryable failure)."""
        message = self._message()
        try:
            thread_id = self._conversation()
            truncation = self._request.params.truncation_strategy
            if self._local is not None:  # the whole conversation goes as input; the message is logged once
                self._local.record_user(message)
                last = truncation.last_messages or 1 if truncation and truncation.kind == "last_messages" else None
                return self._track(self._create(self._local.input(last_messages=last)))
            if truncation is None or truncation.kind != "last_messages":
                self._window = None
                return self._deliver()
            self._window = WindowTurn(thread_id=thread_id)
            self._window.record_input([message])
            recent = self._recent_items()
            return self._track(self._create(window_input(recent, truncation.last_messages or 1, [message])))
        except ConversationBusy as refused:
            return self._busy(refused)

    def _message(self) -> dict[str, Any]:
        """The user's message; its files go to the conversation's store and the turn's container
        first (once per turn), and those the store cannot index into the message itself."""
        if self._file_tools is None:
            thread_id = self._conversation()
            kept = self._local is None  # a conversation in our log has no metadata on the server
            self._file_tools, self._direct_files = self._files.tools(thread_id, self._request.user_input, remember=kept)
        message = responses_format.message_item(self._request.user_input, file_parts=False)
        message["content"].extend({"type": "input_file", "file_id": f} for f in self._direct_files)
        return message

    def _busy(self, refused: ConversationBusy) -> base.Busy:
        return busy(refused, lambda ref: self._backend.other_response(ref, self._deadline), kind="response")

    # -- input that lands once ------------------------------------------------------------------
    def _deliver(self) -> Started:
        """A response for ``_sent`` (the user's message or a round's outputs), landed once.

        A request that broke where it may have landed is not sent again blindly: the
        conversation tells whether it landed (see responses_landing); what it started is
        adopted, and only input the server does not have is sent. A busy conversation after
        such a break may be our own response still working: ``Busy`` (the engine waits, then
        this looks again).
        """
        assert self._sent is not None
        if not self._before_known and not self._uncertain:
            known = landing.NEWEST.take(self._backend.server, self._conversation())
            self._before = known if known is not None else self._newest_item_id()
            self._before_known = True
        attempt = 0
        while True:
            try:
                if self._uncertain:
                    adopted = self._adopt()
                    if adopted is not None:
                        return self._track(adopted)
                step = self._create(self._sent, idempotent=False)
                self._uncertain = False
                return self._track(step)
            except ConversationBusy as refused:
                return self._busy(refused)
            except (MaybeLanded, StreamBrokeEarly) as broke:
                self._uncertain = True
                if attempt >= self._backend.connection.max_retries:
                    raise ServerUnavailableError(
                        f"{broke.message} (retries used up; the conversation shows it did not land)",
                        thread_id=self._thread_id,
                        http_status=getattr(broke, "http_status", None),
                    ) from None
                wait_before_resend(broke, attempt, self._deadline, what="create response")
                attempt += 1

    def _adopt(self) -> Step | None:
        """What our broken request left in the conversation, as a step; None: it did not land."""
        assert self._sent is not None
        items = self._recent_items(limit=100)
        found = landing.find_landing(items, key=landing.input_key(self._sent), before=self._before)
        if not found.landed:
            return None
        self._sent = []  # the server has it: never send it again
        if not found.answered:  # its response failed (or ended without output): answer it
            return None
        self._uncertain = False
        return self._step({"id": "", "status": "completed", "output": found.after})

    def _newest_item_id(self) -> str | None:
        newest = self._recent_items(limit=1)
        return str(newest[0].get("id")) if newest else None

    def _wait(self, seconds: float) -> None:
        if not self._deadline.wait(seconds):
            raise TurnTimeoutError("the turn's deadline passed while its conversation was busy")

    def _close_calls(self) -> None:
        """Error outputs for every call of this turn the conversation holds without an output,
        in requests of at most 20 items. Best effort: the turn is already failing."""
        if not self._calls or self._thread_id is None or self._window is not None:
            return
        local = self._local
        if local is not None:
            best_effort(lambda: local.close_calls(list(self._calls)))
            return
        best_effort(self._close_open_calls)

    def _close_open_calls(self) -> None:
        items = self._recent_items(limit=100)
        missing = landing.unanswered_calls(items, list(self._calls))
        outputs = [{"type": "function_call_output", "call_id": c, "output": _CLOSED} for c in missing]
        path = f"/conversations/{self._thread_id}/items"
        for start in range(0, len(outputs), _MAX_ITEMS_PER_REQUEST):
            batch = outputs[start : start + _MAX_ITEMS_PER_REQUEST]
            self._client.post(path, body={"items": batch}, cast_to=object, options={"timeout": 10.0})

    def _conversation(self) -> str:
        """The turn's conversation, made now when the turn has none (in our own log where the
        server has no Conversations API)."""
        if self._thread_id is None:
            self._thread_id = self._new_conversation()
            self._files.created(self._thread_id, self._request.thread_metadata)
        if self._local is None and is_local(self._thread_id):
            self._local = LocalConversation(log=self._backend.log(), conversation_id=self._thread_id)
        return self._thread_id

    def _new_conversation(self) -> str:
        metadata = self._request.thread_metadata
        if not self._backend.allows("conversations"):
            return self._backend.new_local(metadata)
        backend = self._backend
        if not metadata and self._spec.spare_threads:
            made = spare.take_spare(backend.spare_key, make=backend.make_spare, discard=backend.discard_spare)
            if made is not None:
                return made
        body: dict[str, Any] = {"metadata": metadata} if metadata else {}
        try:
            created = self._backend.call(
                lambda t: self._client.post("/conversations", body=body, cast_to=object, options={"timeout": t}),
                self._deadline,
                "create conversation",
            )
        except NotFoundError as exc:  # no Conversations API here: keep the conversation ourselves
            if "conversations" in self._backend.pinned:
                raise
            why = exc.message.split(": ", 1)[-1]
            BOOK.learn_missing(self._backend.server, "conversations", why=f"POST /conversations answered {why}")
            return self._backend.new_local(metadata)
        return str(require_object(created, "create conversation")["id"])

    def _cancel(self, ref: RunRef) -> None:
        """Cancel a working response; one that finished asking for tools meanwhile has its calls
        remembered, so that cancel() closes them."""
        if not ref.run_id:
            return
        self._backend.cancel_response(ref)
        try:
            obj, _ = self._backend.retrieve(ref, Deadline(timeout=10.0))
        except Exception:  # best effort
            return
        outcome = rw.responses_outcome(obj)
        if isinstance(outcome, base.NeedsToolOutputs):
            self._calls.update({c.call_id: c for c in outcome.calls})

    def _recent_items(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The conversation's newest items (newest first), for a last_messages window."""
        thread_id = self._conversation()
        query = {"order": "desc", "limit": limit}
        page = self._backend.call(
            lambda t: self._client.get(
                f"/conversations/{thread_id}/items", cast_to=object, options={"params": query, "timeout": t}
            ),
            self._deadline,
            "list conversation items",
            thread_id=thread_id,
        )
        return list(page.get("data") or [])

    def _create(self, items: list[dict[str, Any]], *, idempotent: bool = True, previous: str | None = None) -> Step:
        body = self._body(items, previous=previous)
        try:
            return self._send(body, idempotent=idempotent)
        except APIError as exc:
            refused = capabilities.refused(exc, sent=self._modes(body))
            if refused is None or refused in self._backend.pinned:
                raise
            # the server refused a mode and created nothing: learn it, send again without it
            BOOK.learn_missing(self._backend.server, refused, why=exc.message)
        return self._create(items, idempotent=idempotent, previous=previous)

    @staticmethod
    def _modes(body: dict[str, Any]) -> set[str]:
        """The optional modes a request body uses (see capabilities)."""
        modes: set[str] = {name for name in ("background", "truncation") if name in body}
        if body.get("background") and body.get("stream"):
            modes.add("stream_background")
        return modes

    def _background(self) -> bool:
        """Background mode for this turn's requests, where the server takes it (with a stream, too)."""
        if not (self._spec.background and self._backend.allows("background")):
            return False
        return not (self._sse and not self._backend.allows("stream_background"))

    def _send(self, body: dict[str, Any], *, idempotent: bool) -> Step:
        thread_id = self._conversation()
        if not self._sse:
            raw = self._backend.call(
                lambda t: self._client.post(
                    "/responses", body=body, cast_to=object, options={"headers": RAW, "timeout": t}
                ),
                self._deadline,
                "create response",
                thread_id=thread_id,
                idempotent=idempotent,
            )
            return self._step(parse_raw(raw, "create response", thread_id=thread_id), hint=poll_hint(raw.headers))

        def streamed() -> Step:
            stream = self._backend.call(
                lambda t: self._client.post(
                    "/responses", body=body, cast_to=object, options={"timeout": t}, stream=True, stream_cls=_STREAM_CLS
                ),
                self._deadline,
                "create response",
                thread_id=thread_id,
                idempotent=idempotent,
            )
            return self._consume(stream)

        return streams.start_streamed(
            streamed,
            deadline=self._deadline,
            retries=self._backend.connection.max_retries,
            idempotent=idempotent,
            recover=not idempotent,  # a request that may have landed: the caller looks first (_deliver)
        )

    def _resume(self, ref: RunRef) -> Step | None:
        """Pick a cut stream up where it broke (background responses only)."""
        query = {"stream": "true", "starting_after": self._last_seq}
        try:
            stream = self._backend.call(
                lambda t: self._client.get(
                    f"/responses/{ref.run_id}",
                    cast_to=object,
                    options={"params": query, "timeout": t},
                    stream=True,
                    stream_cls=_STREAM_CLS,
                ),
                self._deadline,
                "resume response stream",
                thread_id=ref.thread_id,
            )
        except (ServerUnavailableError, APIError):  # cannot be resumed here: poll instead
            return None
        return self._consume(stream, known=ref)

    def _consume(self, stream: Any, known: RunRef | None = None) -> Step:
        """Read events until the response ends; a broken stream becomes Pending (poll/resume)."""
        ref = known
        try:
            for raw_event in streams.until_deadline(stream, self._deadline):
                event = rw.unwrap_event(raw_event)
                kind = event.get("type", "")
                response: Any = event.get("response")
                if isinstance(response, dict) and response.get("id") and ref is None:
                    ref = RunRef(thread_id=self._conversation(), run_id=str(response["id"]), kind="response")
                    self._last_seq, self._resumes = None, 0
                if ref is not None and isinstance(event.get("sequence_number"), int):
                    self._last_seq = event["sequence_number"]
                if kind == "response.output_text.delta" and self._request.on_text:
                    self._request.on_text(str(event.get("delta", "")))
                elif kind in _TERMINAL_EVENTS:
                    streams.drain(stream)
                    return self._step(response)
                elif kind == "error":
                    raise ServerUnavailableError(
                        f"response stream error: {event.get('message') or event.get('code')}",
                        thread_id=self._thread_id,
                    )
        except BaseException as exc:
            streams.stream_failure(
                exc, self._deadline, what="response stream", ref=ref, known=known is not None, cancel=self._cancel
            )
        finally:
            stream.close()
        if ref is None:
            raise StreamBrokeEarly(
                "the response stream broke before the response was created", thread_id=self._thread_id
            )
        return streams.pending_step(ref)

    def _step(self, obj: dict[str, Any], hint: float | None = None) -> Step:
        if obj.get("id") != "":  # "" is a response adopted from the conversation (id unknown)
            require_object(obj, "response", thread_id=self._thread_id)
        ref = RunRef(thread_id=self._conversation(), run_id=str(obj["id"]), kind="response")
        outcome = rw.responses_outcome(obj, hint)
        if not isinstance(outcome, base.Pending):
            self._last_seq, self._resumes = None, 0
        if self._local is not None and isinstance(outcome, (base.NeedsToolOutputs, base.Completed, base.Incomplete)):
            self._local.record_response(obj)
        elif self._window is None and isinstance(outcome, (base.Completed, base.Incomplete)):
            output = obj.get("output") or []
            last = output[-1].get("id") if output and isinstance(output[-1], dict) else None
            if isinstance(last, str) and last:  # the conversation's newest item now (see _deliver)
                landing.NEWEST.remember(self._backend.server, ref.thread_id, last)
        if self._window is not None and not isinstance(outcome, base.Pending):
            self._end_of_round(self._window, obj, outcome)
        elif isinstance(outcome, base.NeedsToolOutputs):
            # its function_call items wait in the conversation for outputs (see cancel)
            self._calls.update({c.call_id: c for c in outcome.calls})
        return Step(ref=ref, outcome=outcome, usage=rw.responses_usage(obj), model=obj.get("model"))

    def _end_of_round(self, window: WindowTurn, obj: dict[str, Any], outcome: base.Outcome) -> None:
        """A windowed turn's response ended: keep its items; on the answer, write them all."""
        if isinstance(outcome, (base.NeedsToolOutputs, base.Completed, base.Incomplete)):
            window.record_output(obj)
        if isinstance(outcome, (base.Completed, base.Incomplete)):
            self._window = None
            window.flush(
                lambda path, body: self._backend.call(
                    lambda t: self._client.post(path, body=body, cast_to=object, options={"timeout": t}),
                    Deadline(timeout=self._backend.connection.request_timeout),
                    "append items to the conversation",
                    thread_id=window.thread_id,
                )
            )

    def _joining(self, previous: str | None) -> dict[str, Any]:
        """How a response joins its conversation: by ``conversation``; a windowed turn's tool
        rounds chain beside it (``previous_response_id``); with our own log the conversation is
        the input (``previous_response_id`` cannot be trusted for history there)."""
        if self._local is not None:
            return {}
        if self._window is None:
            return {"conversation": self._thread_id}
        return {"previous_response_id": previous} if previous else {}

    def _body(self, items: list[dict[str, Any]], *, previous: str | None) -> dict[str, Any]:
        params: RunParams = self._request.params
        spec = self._spec
        body: dict[str, Any] = {
            "model": params.model or spec.model or self._backend.connection.azure_deployment,
            "store": True,
        }
        if items:  # optional on the API: a retried turn may have nothing new to add
            body["input"] = items
        body.update(self._joining(previous))
        if self._background():
            body["background"] = True
        if self._sse:
            body["stream"] = True
        instructions = _instructions(params, spec)
        if instructions:
            body["instructions"] = instructions
        tools = [rw.responses_tool(d) for d in self._request.tools]
        own = self._file_tools or []
        stores = [
            *spec.vector_store_ids,
            *(s for t in own if t["type"] == "file_search" for s in t["vector_store_ids"]),
        ]
        if stores:  # the assistant's knowledge and the conversation's own files, in one file_search
            tools.append({"type": "file_search", "vector_store_ids": list(dict.fromkeys(stores))})
        tools.extend(t for t in own if t["type"] != "file_search")  # the turn's code_interpreter files
        tools = hosted_wire.with_hosted(tools, spec.hosted_tools)
        if tools:
            body["tools"] = tools
        body.update(rw.responses_controls(params))
        if "truncation" in body and not self._backend.allows("truncation"):
            del body["truncation"]
        return body


def _instructions(params: RunParams, spec: AssistantSpec) -> str | None:
    """The turn's instructions (else the spec's), with ``additional_instructions`` appended: the
    Responses API has no such field, Assistants appends them the same way."""
    instructions = params.instructions if params.instructions is not None else spec.instructions
    if not params.additional_instructions:
        return instructions
    return f"{instructions}\n\n{params.additional_instructions}" if instructions else params.additional_instructions
