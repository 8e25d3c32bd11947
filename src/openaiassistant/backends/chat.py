"""Chat Completions: stateful assistant turns on any OpenAI-compatible model server.

``POST /v1/chat/completions`` is all most self-hosted servers speak (Ollama, vLLM, llama.cpp's
server, LM Studio, LiteLLM, TGI) and hosted ones such as Groq or DeepSeek: no conversations,
no runs, no server-side tool loop. Here the conversation is ours: kept in the thread registry's
database (:mod:`openaiassistant.backends.chat_record`, over the
:class:`~openaiassistant.registry.conversation_log.ConversationLog`), every message, tool call
and tool output appended as it happens, and every request sends the history the server needs.

A turn, as the session sees it:

    start()    open (or make: ``oachat_...``) the conversation, log the user's message once,
               send the conversation; the completion ends -> its text and calls are logged
    submit()   log the round's outputs, send the conversation again
    poll()     only after a stream broke before the completion ended: send it again (nothing
               of a broken completion was logged, so nothing is doubled)
    retry()    after a Retryable outcome (an ``error`` line in the stream): send it again
    cancel()   calls the turn leaves unanswered get an error output in the log

A request is followed by its event stream (``transport: sse``, text deltas to ``on_text``,
tool-call arguments assembled from their deltas, usage from the last chunk) or sent plain
(``transport: poll``). The turn's deadline bounds every request; when it passes, the stream is
closed, which ends the server's work. Servers that refuse a mode (``response_format``, its
``json_schema`` kind, ``stream_options``, ``max_tokens``) are answered by the nearest mode they
take, once, and remembered per server (:mod:`openaiassistant.backends.capabilities`); without a
JSON mode the instruction goes into the system message and the answer is checked.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import openai

from openaiassistant.backends import capabilities, chat_wire
from openaiassistant.backends.base import Completed, Pending, Retryable, RunRef, Started, Step, TurnRequest
from openaiassistant.backends.capabilities import BOOK
from openaiassistant.backends.chat_record import ChatRecord, Window, is_chat_thread, registry_errors
from openaiassistant.backends.chat_wire import ChunkReader, Completion
from openaiassistant.backends.streams import deadline_hit, drain, until_deadline
from openaiassistant.backends.transport import call, get_client, is_transport_error, server_url
from openaiassistant.deadline import Deadline, backoff
from openaiassistant.errors import (
    APIError,
    ConfigError,
    NotFoundError,
    OutputValidationError,
    ServerUnavailableError,
    TurnTimeoutError,
)
from openaiassistant.params import ResponseFormat
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools.base import ToolOutput

__all__ = ["ChatBackend", "ChatSession"]

_STREAM_CLS = openai.Stream[object]
_NO_DEADLINE = None
# a stream error whose code says the server (not the request) failed: a new completion may work
RETRYABLE_STREAM_CODES = frozenset({"rate_limit_exceeded", "server_error", "overloaded", None})
_FALLBACKS = 4  # at most this many refused modes re-sent per request


class ChatBackend:
    """Chat Completions with the conversation kept in the thread registry (``backend: chat``)."""

    name = "chat"
    uploads_files = False  # a chat server has no Files API: local images go inline (chat_record.py)

    def __init__(self, *, connection: ConnectionSettings, spec: AssistantSpec, conversation_log: Any = None) -> None:
        if conversation_log is None:
            raise ConfigError(
                "registry_url",
                "the chat backend keeps its conversations in the thread registry's database: give one "
                "(registry_url in Keep, --registry on the command line, registry= in Python)",
            )
        self.connection = connection
        self.spec = spec
        self.log = conversation_log
        self.client = get_client(connection)
        self.server = server_url(connection)
        self.pinned = capabilities.parse(connection.capabilities)

    def begin(self, request: TurnRequest, *, deadline: Deadline) -> ChatSession:
        return ChatSession(backend=self, request=request, deadline=deadline)

    # -- conversations (ours) -----------------------------------------------------------------
    @registry_errors
    def delete_thread(self, thread_id: str) -> bool:
        return bool(self.log.delete(thread_id))

    @registry_errors
    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """The conversation's messages, oldest first: ``{id, role, text}`` (tool traffic left out)."""
        ChatRecord.open(self.log, thread_id)
        return [
            {"id": f"{thread_id}:{item.seq}", "role": item.role, "text": item.text or ""}
            for item in self.log.items(thread_id)
            if item.kind == "message"
        ]

    def validate(self) -> None:
        """The key works and the server serves the model (``GET /models``)."""
        model = self.spec.model
        listed = self.call(
            lambda t: self.client.get("/models", cast_to=object, options={"timeout": t}),
            Deadline(timeout=_NO_DEADLINE),
            "list models",
        )
        ids = [str(m.get("id")) for m in (listed or {}).get("data") or [] if isinstance(m, dict)]
        if ids and model not in ids:
            shown = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
            raise ConfigError("model", f"{model!r} is not served by {self.server} (it serves: {shown})")

    # -- shared by the sessions ---------------------------------------------------------------
    def allows(self, name: str) -> bool:
        return BOOK.allows(self.server, name, pinned=self.pinned)

    def call(self, fn: Any, deadline: Deadline, what: str) -> Any:
        # a completion keeps nothing on the server: sending it again doubles nothing there, and
        # our record only takes what came back. No thread id: no server lock can hold our
        # conversation (the engine attaches the conversation to any error)
        return call(fn, settings=self.connection, deadline=deadline, what=what, idempotent=True)


class ChatSession:
    """One turn on one logged conversation, and what lives as long as it does."""

    def __init__(self, *, backend: ChatBackend, request: TurnRequest, deadline: Deadline) -> None:
        self._backend = backend
        self._request = request
        self._deadline = deadline
        self._sse = backend.connection.transport == "sse"
        self._record: ChatRecord | None = None
        self._resends = 0  # completions sent again after their stream broke
        self._sent_text = ""  # what on_text got of the current completion (a re-sent one continues it)
        self._diverged = False  # the re-sent completion says something else: on_text gets no more of it

    @property
    def thread_id(self) -> str | None:
        return self._record.conversation_id if self._record is not None else self._request.thread_id

    # -- the seam -----------------------------------------------------------------------------
    def start(self) -> Started:
        record = self._open()
        record.record_user(self._request.user_input)
        return self._complete()

    def retry(self) -> Started:
        return self._complete()

    def poll(self) -> Step:
        self._resends += 1
        if self._resends > self._backend.connection.max_retries:
            raise ServerUnavailableError(
                f"the completion's stream broke {self._resends} times before it ended",
                thread_id=self.thread_id,
            )
        return self._complete()

    def submit(self, outputs: list[ToolOutput]) -> Step:
        self._current().record_outputs(outputs)
        self._resends = 0
        return self._complete()

    def cancel(self) -> None:
        if self._record is None:
            return
        with contextlib.suppress(Exception):  # best effort: the turn is already failing for a better reason
            self._record.close_calls()

    # -- internals ----------------------------------------------------------------------------
    def _open(self) -> ChatRecord:
        log, thread_id = self._backend.log, self._request.thread_id
        if thread_id is None:
            self._record = ChatRecord.create(log, metadata=self._request.thread_metadata)
        else:
            try:
                self._record = ChatRecord.open(log, thread_id)
            except NotFoundError:
                if is_chat_thread(thread_id):
                    raise  # ours, but not in this registry: the message names registry_url
                # not an id this backend makes: the registry is not the thing to check (the
                # engine adds which backend an id of a known shape belongs to)
                raise NotFoundError(
                    f"conversation {thread_id} is not a chat conversation (the chat backend's ids start "
                    "with oachat_): check backend",
                    thread_id=thread_id,
                ) from None
        return self._record

    def _current(self) -> ChatRecord:
        if self._record is None:
            raise RuntimeError("no completion has been started in this session")
        return self._record

    def _complete(self) -> Step:
        """Send the conversation; log what the completion said when it has ended."""
        record = self._current()
        completion = self._send(record)
        if completion is None:  # the stream broke before the end: send it again after a pause
            ref = RunRef(
                thread_id=record.conversation_id, run_id=f"{record.turn_key}:{record.rounds + 1}", kind="response"
            )
            return Step(ref=ref, outcome=Pending(poll_after=backoff(self._resends)))
        if isinstance(completion, Retryable):
            ref = RunRef(
                thread_id=record.conversation_id, run_id=f"{record.turn_key}:{record.rounds + 1}", kind="response"
            )
            return Step(ref=ref, outcome=completion)
        self._sent_text, self._diverged, self._resends = "", False, 0
        outcome = completion.outcome()
        record.record_completion(completion)  # what the model said, also when it does not fit
        self._check_json(completion, outcome)
        ref = RunRef(thread_id=record.conversation_id, run_id=completion.id, kind="response")
        return Step(ref=ref, outcome=outcome, usage=completion.usage, model=completion.model)

    def _send(self, record: ChatRecord) -> Completion | Retryable | None:
        """One completion, falling back once for each mode the server refuses."""
        for _ in range(_FALLBACKS + 1):
            body, sent = self._body(record)
            try:
                return self._streamed(body) if self._sse else self._plain(body)
            except APIError as exc:
                mode = _refused(exc, sent)
                if mode is None or mode in self._backend.pinned:
                    raise
                BOOK.learn_missing(self._backend.server, mode, why=_why(exc))
        raise ServerUnavailableError("create chat completion: the server refused every fallback mode")

    def _plain(self, body: dict[str, Any]) -> Completion:
        raw = self._backend.call(
            lambda t: self._backend.client.post("/chat/completions", body=body, cast_to=object, options={"timeout": t}),
            self._deadline,
            "create chat completion",
        )
        return chat_wire.completion_from_body(raw if isinstance(raw, dict) else {})

    def _streamed(self, body: dict[str, Any]) -> Completion | Retryable | None:
        stream = self._backend.call(
            lambda t: self._backend.client.post(
                "/chat/completions",
                body=body,
                cast_to=object,
                options={"timeout": t},
                stream=True,
                stream_cls=_STREAM_CLS,
            ),
            self._deadline,
            "create chat completion",
        )
        reader = ChunkReader()
        try:
            for chunk in until_deadline(stream, self._deadline):
                self._emit(reader, reader.feed(chunk))
            drain(stream)
        except openai.APIError as exc:  # the SDK raises an ``{"error": ...}`` line as an APIError
            if isinstance(exc, (openai.APIStatusError, openai.APIConnectionError)) or is_transport_error(exc):
                return self._broken(exc, reader)
            return _stream_error(exc.body if isinstance(exc.body, dict) else {"message": exc.message})
        except Exception as exc:
            return self._broken(exc, reader)
        finally:
            stream.close()  # also what ends the server's work when the deadline passed
        if reader.error is not None:  # an error object the SDK passed on as a chunk (vLLM's shape)
            return _stream_error(reader.error)
        if not reader.finished:
            return None  # the stream ended before the completion named its finish reason: broken
        return reader.completion()

    def _broken(self, exc: BaseException, reader: ChunkReader) -> Completion | None:
        """A stream that broke: the deadline, a real error, or (None) send it again."""
        if isinstance(exc, TurnTimeoutError) or deadline_hit(exc, self._deadline):
            raise TurnTimeoutError("chat completion stream: the turn's deadline passed") from None
        if not is_transport_error(exc):
            raise exc
        if reader.finished:  # everything but the [DONE] (and maybe the usage chunk) arrived
            return reader.completion()
        return None

    def _emit(self, reader: ChunkReader, delta: str) -> None:
        """Text deltas to ``on_text``; a completion sent again after a broken stream only adds
        what goes beyond what was shown (and nothing once it says something else)."""
        on_text = self._request.on_text
        if on_text is None or not delta or self._diverged:
            return
        text = reader.text
        if len(text) <= len(self._sent_text):
            if not self._sent_text.startswith(text):
                self._diverged = True
            return
        if not text.startswith(self._sent_text):
            self._diverged = True
            return
        piece, self._sent_text = text[len(self._sent_text) :], text
        on_text(piece)

    def _check_json(self, completion: Completion, outcome: Any) -> None:
        """A JSON answer that is not JSON is an error here: a server's JSON mode (or, without
        one, the instruction) did not hold. A schema is checked by the engine."""
        fmt = self._request.params.response_format
        if fmt is None or fmt.kind != "json_object" or not isinstance(outcome, Completed) or not completion.text:
            return
        if _json_value(completion.text) is None:
            how = "its JSON mode" if self._backend.allows("json_object") else "the instruction (no JSON mode here)"
            raise OutputValidationError(
                f"the answer holds no JSON object although json_object was requested through {how}",
                raw_text=completion.text,
                thread_id=self.thread_id,
                run_id=completion.id,
            )

    def _body(self, record: ChatRecord) -> tuple[dict[str, Any], set[str]]:
        """The request body, and the modes it uses that a server might refuse."""
        params, spec, request = self._request.params, self._backend.spec, self._request
        backend = self._backend
        sent: set[str] = set()
        fmt = params.response_format
        wire_fmt, instruction = self._format(fmt)
        system = params.instructions if params.instructions is not None else spec.instructions
        for extra in (params.additional_instructions, instruction):
            if extra:
                system = f"{system}\n\n{extra}" if system else extra
        body: dict[str, Any] = {
            "model": params.model or spec.model,
            "messages": record.messages(system=system, window=_window(params)),
        }
        if request.tools:
            body["tools"] = [chat_wire.chat_tool(d) for d in request.tools]
        max_field = "max_tokens" if backend.allows("max_tokens") else "max_completion_tokens"
        body.update(chat_wire.chat_controls(params, has_tools=bool(request.tools), max_tokens_field=max_field))
        if max_field in body and max_field == "max_tokens":
            sent.add("max_tokens")
        if wire_fmt is not None:
            body["response_format"] = wire_fmt
            sent.add(wire_fmt["type"])
        if self._sse:
            body["stream"] = True
            if backend.allows("stream_usage"):
                body["stream_options"] = {"include_usage": True}
                sent.add("stream_usage")
        return body, sent

    def _format(self, fmt: ResponseFormat | None) -> tuple[dict[str, Any] | None, str | None]:
        """``response_format`` as this server takes it, and what the system message must say
        where it takes less (a schema without ``json_schema``; JSON without any JSON mode)."""
        if fmt is None or fmt.kind == "text":
            return None, None
        allows = self._backend.allows
        if fmt.kind == "json_schema" and allows("json_schema"):
            return chat_wire.chat_response_format(fmt), None
        wire = {"type": "json_object"} if allows("json_object") else None
        if fmt.kind == "json_schema" or wire is None:
            return wire, chat_wire.json_instruction(fmt)
        return wire, None


def _stream_error(error: dict[str, Any]) -> Retryable:
    """An error the server sent in the stream: ``Retryable`` when its code says the server (not
    the request) failed, so a new completion is tried; else the error, in the server's words."""
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = f"the server ended the completion's stream with an error: {error.get('message') or code}"
    if code in RETRYABLE_STREAM_CODES:
        return Retryable(code=code or "server_error", message=message)
    raise APIError(message, code=code)


def _window(params: Any) -> Window | None:
    truncation = params.truncation_strategy
    if truncation is not None and truncation.kind == "disabled":
        return None
    last = truncation.last_messages if truncation is not None and truncation.kind == "last_messages" else None
    if last is None and params.max_prompt_tokens is None:
        return None
    return Window(last_messages=last, max_prompt_tokens=params.max_prompt_tokens)


_MODE_WORDS = {
    # a refusal naming response_format while a json_schema went (DeepSeek: "This response_format
    # type is unavailable now") is about json_schema: only one format goes per request
    "json_schema": ("json_schema", "response_format"),
    "json_object": ("json_object", "response_format"),
    "stream_usage": ("stream_options", "include_usage"),
    "max_tokens": ("max_tokens",),
}
_REFUSAL = re.compile(
    r"(?i)(not\s+(yet\s+)?support|unsupported|not\s+implemented|unknown|unrecognized|extra\s+(inputs|fields)|"
    r"not\s+(permitted|allowed|available)|unavailable|invalid|must\s+be|instead)"
)


# the server takes the mode but not this schema (OpenAI's strict mode: "Invalid schema for
# response_format 'x': In context=(), ..."): the user's schema is wrong, nothing to fall back from
_SCHEMA_PROBLEM = re.compile(r"(?i)(invalid\s+schema|in\s+context=|invalid_json_schema|invalid_function_parameters)")


def _refused(error: APIError, sent: set[str]) -> str | None:
    """Which mode in ``sent`` the server refused with ``error``, judged from its words (None:
    the error is about something else). Only a 4xx (or a 5xx that says so) naming the field,
    and never one that finds fault with the schema itself."""
    status = error.http_status or 0
    if not 400 <= status < 600 or not _REFUSAL.search(error.message):
        return None
    if error.code in ("invalid_json_schema", "invalid_function_parameters") or _SCHEMA_PROBLEM.search(error.message):
        return None
    lowered = error.message.lower()
    for mode in ("json_schema", "json_object", "stream_usage", "max_tokens"):
        if mode in sent and any(word in lowered for word in _MODE_WORDS[mode]):
            return mode
    return None


def _why(error: APIError) -> str:
    return f"HTTP {error.http_status}: {error.message.split(': ', 1)[-1][:200]}"


def _json_value(text: str) -> Any:
    """The JSON object or array a JSON answer holds: the whole text, or the first one inside
    prose or a code fence (as the engine reads it); None when there is none."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, (dict, list)):
        return value
    decoder = json.JSONDecoder()
    for index, char in enumerate(text):
        if char in "{[":
            try:
                found, _ = decoder.raw_decode(text, index)
            except ValueError:
                continue
            return found
    return None
