"""Responses + Conversations, through the SDK's generic request methods.

openai 1.37.1 (Keep's pin) has no typed ``responses`` / ``conversations`` resources, but its
``client.post/get/delete(path, cast_to=object, ...)`` carry auth, base_url and streaming exactly
like openai 3.x; one code path serves both. Objects are plain dicts.

Threads are Conversations. A turn is one response (several when tools are called: each round's
``function_call_output`` items go into the next response on the same conversation; instructions
and tools are re-sent every time, as the API does not carry them over). Responses are started in
background mode (``AssistantSpec.background``) so that they can be polled and cancelled; a
streamed response is a background response with ``stream: true``, so a cut stream is resumed
from its last sequence number.
"""

from __future__ import annotations

import json
from typing import Any

import openai

from openaiassistant.backends import wire
from openaiassistant.backends.base import Completed, Incomplete, NeedsToolOutputs, Pending, RunRef, Step, TurnRequest
from openaiassistant.backends.transport import RAW, call, get_client
from openaiassistant.backends.window import WindowTurn, window_input
from openaiassistant.content import responses_format
from openaiassistant.engine.deadline import Deadline
from openaiassistant.errors import APIError, ConfigError, NotFoundError, ServerUnavailableError
from openaiassistant.params import RunParams
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools.base import ToolCall, ToolOutput

_STREAM_CLS = openai.Stream[object]
_NO_DEADLINE = None
_MAX_RESUMES = 3


class ResponsesBackend:
    """The Responses + Conversations API (the default backend)."""

    name = "responses"
    run_id_field = "response_id"

    def __init__(self, *, connection: ConnectionSettings, spec: AssistantSpec) -> None:
        self.connection = connection
        self.spec = spec
        self.client = get_client(connection)
        self._last_seq: dict[str, int] = {}  # response id -> last streamed sequence number
        self._open_calls: dict[str, list[ToolCall]] = {}  # response id -> calls awaiting outputs
        self._windows: dict[str, WindowTurn] = {}  # thread id -> its running last_messages turn
        self._resumes: dict[str, int] = {}  # response id -> stream resumptions so far

    # -- conversations ------------------------------------------------------------------------
    def open_thread(self, *, thread_id: str | None, metadata: dict[str, str] | None, deadline: Deadline) -> str:
        if thread_id:
            return thread_id
        body: dict[str, Any] = {"metadata": metadata} if metadata else {}
        created = self._call(
            lambda t: self.client.post("/conversations", body=body, cast_to=object, options={"timeout": t}),
            deadline,
            "create conversation",
        )
        return str(created["id"])

    def delete_thread(self, thread_id: str) -> bool:
        deleted = self._call(
            lambda t: self.client.delete(f"/conversations/{thread_id}", cast_to=object, options={"timeout": t}),
            Deadline(timeout=_NO_DEADLINE),
            "delete conversation",
            thread_id=None,
        )
        return bool(deleted.get("deleted", True))

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """Every message of the conversation, oldest first (pages of 100 followed to the end)."""
        messages: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            query: dict[str, Any] = {"order": "asc", "limit": 100}
            if after:
                query["after"] = after
            page = self._call(
                lambda t: self.client.get(
                    f"/conversations/{thread_id}/items", cast_to=object, options={"params": query, "timeout": t}
                ),
                Deadline(timeout=_NO_DEADLINE),
                "list conversation items",
            )
            data = page.get("data") or []
            messages.extend(wire.responses_message(item) for item in data if item.get("type") == "message")
            if not page.get("has_more") or not data:
                return messages
            after = page.get("last_id") or data[-1].get("id")

    def validate(self) -> None:
        model = self.spec.model or self.connection.azure_deployment
        try:
            self._call(
                lambda t: self.client.get(f"/models/{model}", cast_to=object, options={"timeout": t}),
                Deadline(timeout=_NO_DEADLINE),
                "retrieve model",
            )
        except NotFoundError as exc:
            raise ConfigError("model", f"{model!r} is not available on this server ({exc.message})") from None

    # -- a turn -------------------------------------------------------------------------------
    def start(self, thread_id: str, request: TurnRequest, *, deadline: Deadline, first: bool) -> Step:
        items = [responses_format.message_item(request.user_input)]
        truncation = request.params.truncation_strategy
        if truncation is None or truncation.kind != "last_messages":
            self._windows.pop(thread_id, None)
            if not first and self._input_kept(thread_id, items[0], deadline):
                items = []  # the failed response left our message in the conversation: answer it
            return self._create(thread_id, request, items, deadline)
        window = self._windows[thread_id] = WindowTurn(thread_id=thread_id)
        window.record_input(items)
        recent = self._recent_items(thread_id, deadline)
        return self._create(thread_id, request, window_input(recent, truncation.last_messages or 1, items), deadline)

    def submit(self, ref: RunRef, request: TurnRequest, outputs: list[ToolOutput], *, deadline: Deadline) -> Step:
        self._open_calls.pop(ref.run_id, None)
        items = [{"type": "function_call_output", "call_id": o.call_id, "output": o.output} for o in outputs]
        window = self._windows.get(ref.thread_id)
        if window is not None:
            window.record_input(items)
        return self._create(ref.thread_id, request, items, deadline, idempotent=False, previous=ref.run_id)

    def poll(self, ref: RunRef, request: TurnRequest | None, *, deadline: Deadline) -> Step:
        if request is not None and request.stream and self.spec.background and ref.run_id in self._last_seq:
            self._resumes[ref.run_id] = self._resumes.get(ref.run_id, 0) + 1
            if self._resumes[ref.run_id] > _MAX_RESUMES:  # a stream that keeps breaking: just poll
                self._last_seq.pop(ref.run_id, None)
            else:
                resumed = self._resume(ref, request, deadline)
                if resumed is not None:
                    return resumed
        raw = self._call(
            lambda t: self.client.get(
                f"/responses/{ref.run_id}", cast_to=object, options={"headers": RAW, "timeout": t}
            ),
            deadline,
            "retrieve response",
            thread_id=ref.thread_id,
        )
        return self._step(ref.thread_id, raw.parse(), hint=wire.poll_hint(raw.headers))

    def cancel(self, ref: RunRef) -> None:
        """Cancel a working response; for one that ended asking for tools, close its calls.

        A finished response that asked for function calls cannot be cancelled, but its
        ``function_call`` items sit in the conversation without outputs, and the next response
        on it would be refused. Error outputs are appended as items (no model call), so the
        conversation stays usable.
        """
        calls = self._open_calls.pop(ref.run_id, None)
        try:
            if calls:
                items = [
                    {
                        "type": "function_call_output",
                        "call_id": c.call_id,
                        "output": json.dumps({"error": "the turn ended before this call was answered"}),
                    }
                    for c in calls
                ]
                self.client.post(
                    f"/conversations/{ref.thread_id}/items",
                    body={"items": items},
                    cast_to=object,
                    options={"timeout": 10.0},
                )
            else:
                self.client.post(f"/responses/{ref.run_id}/cancel", cast_to=object, options={"timeout": 10.0})
        except Exception:  # best effort: the turn is already failing for a better reason
            pass

    # -- internals ----------------------------------------------------------------------------
    def _input_kept(self, thread_id: str, message: dict[str, Any], deadline: Deadline) -> bool:
        """Whether the conversation already ends with this user message (a retried turn)."""
        newest = self._recent_items(thread_id, deadline, limit=1)
        if not newest or newest[0].get("type") != "message" or newest[0].get("role") != "user":
            return False

        def texts(item: dict[str, Any]) -> list[Any]:
            return [
                (p.get("type"), p.get("text"), p.get("file_id"), p.get("image_url")) for p in item.get("content") or []
            ]

        return texts(newest[0]) == texts(message)

    def _recent_items(self, thread_id: str, deadline: Deadline, *, limit: int = 100) -> list[dict[str, Any]]:
        """The conversation's newest items (newest first), for a last_messages window."""
        query = {"order": "desc", "limit": limit}
        page = self._call(
            lambda t: self.client.get(
                f"/conversations/{thread_id}/items", cast_to=object, options={"params": query, "timeout": t}
            ),
            deadline,
            "list conversation items",
            thread_id=thread_id,
        )
        return list(page.get("data") or [])

    def _create(
        self,
        thread_id: str,
        request: TurnRequest,
        items: list[dict[str, Any]],
        deadline: Deadline,
        *,
        idempotent: bool = True,
        previous: str | None = None,
    ) -> Step:
        body = self._body(thread_id, request, items, previous=previous)
        if not request.stream:
            raw = self._call(
                lambda t: self.client.post(
                    "/responses", body=body, cast_to=object, options={"headers": RAW, "timeout": t}
                ),
                deadline,
                "create response",
                thread_id=thread_id,
                idempotent=idempotent,
            )
            return self._step(thread_id, raw.parse(), hint=wire.poll_hint(raw.headers))

        def streamed() -> Step:
            stream = self._call(
                lambda t: self.client.post(
                    "/responses", body=body, cast_to=object, options={"timeout": t}, stream=True, stream_cls=_STREAM_CLS
                ),
                deadline,
                "create response",
                thread_id=thread_id,
                idempotent=idempotent,
            )
            return self._consume(thread_id, stream, request, deadline)

        return wire.start_streamed(
            streamed, deadline=deadline, retries=self.connection.max_retries, idempotent=idempotent
        )

    def _resume(self, ref: RunRef, request: TurnRequest, deadline: Deadline) -> Step | None:
        """Pick a cut stream up where it broke (background responses only)."""
        query = {"stream": "true", "starting_after": self._last_seq[ref.run_id]}
        try:
            stream = self._call(
                lambda t: self.client.get(
                    f"/responses/{ref.run_id}",
                    cast_to=object,
                    options={"params": query, "timeout": t},
                    stream=True,
                    stream_cls=_STREAM_CLS,
                ),
                deadline,
                "resume response stream",
                thread_id=ref.thread_id,
            )
        except (ServerUnavailableError, APIError):  # cannot be resumed here: poll instead
            return None
        return self._consume(ref.thread_id, stream, request, deadline, known=ref)

    def _consume(
        self, thread_id: str, stream: Any, request: TurnRequest, deadline: Deadline, known: RunRef | None = None
    ) -> Step:
        """Read events until the response ends; a broken stream becomes Pending (poll/resume)."""
        ref = known
        try:
            for raw_event in wire.until_deadline(stream, deadline):
                event = wire.unwrap_event(raw_event)
                kind = event.get("type", "")
                response = event.get("response")
                if isinstance(response, dict) and response.get("id") and ref is None:
                    ref = RunRef(thread_id=thread_id, run_id=str(response["id"]))
                if ref is not None and isinstance(event.get("sequence_number"), int):
                    self._last_seq[ref.run_id] = event["sequence_number"]
                if kind == "response.output_text.delta" and request.on_text:
                    request.on_text(str(event.get("delta", "")))
                elif kind in ("response.completed", "response.incomplete", "response.failed", "response.cancelled"):
                    wire.drain(stream)
                    return self._step(thread_id, response)
                elif kind == "error":
                    raise ServerUnavailableError(
                        f"response stream error: {event.get('message') or event.get('code')}", thread_id=thread_id
                    )
        except BaseException as exc:
            wire.stream_failure(
                exc, deadline, what="response stream", ref=ref, known=known is not None, cancel=self.cancel
            )
        finally:
            stream.close()
        if ref is None:
            raise wire.StreamBrokeEarly(
                "the response stream broke before the response was created", thread_id=thread_id
            )
        return wire.pending_step(ref)

    def _step(self, thread_id: str, obj: dict[str, Any], hint: float | None = None) -> Step:
        ref = RunRef(thread_id=thread_id, run_id=str(obj["id"]))
        outcome = wire.responses_outcome(obj, hint)
        if not isinstance(outcome, Pending):
            self._last_seq.pop(ref.run_id, None)
            self._resumes.pop(ref.run_id, None)
        window = self._windows.get(thread_id)
        if window is not None and not isinstance(outcome, Pending):
            self._end_of_round(window, obj, outcome)
        elif isinstance(outcome, NeedsToolOutputs):
            # its function_call items wait in the conversation for outputs (see cancel)
            self._open_calls[ref.run_id] = outcome.calls
        return Step(ref=ref, outcome=outcome, usage=wire.responses_usage(obj), model=obj.get("model"))

    def _end_of_round(self, window: WindowTurn, obj: dict[str, Any], outcome: Any) -> None:
        """A windowed turn's response ended: keep its items; on the answer, write them all."""
        if isinstance(outcome, (NeedsToolOutputs, Completed, Incomplete)):
            window.record_output(obj)
        if isinstance(outcome, (Completed, Incomplete)):
            del self._windows[window.thread_id]
            window.flush(
                lambda path, body: self._call(
                    lambda t: self.client.post(path, body=body, cast_to=object, options={"timeout": t}),
                    Deadline(timeout=self.connection.request_timeout),
                    "append items to the conversation",
                    thread_id=window.thread_id,
                )
            )

    def _body(
        self, thread_id: str, request: TurnRequest, items: list[dict[str, Any]], *, previous: str | None
    ) -> dict[str, Any]:
        params: RunParams = request.params
        body: dict[str, Any] = {
            "model": params.model or self.spec.model or self.connection.azure_deployment,
            "store": True,
        }
        if items:  # optional on the API: a retried turn may have nothing new to add
            body["input"] = items
        if thread_id not in self._windows:
            body["conversation"] = thread_id
        elif previous:  # a windowed turn's tool rounds chain beside the conversation
            body["previous_response_id"] = previous
        if self.spec.background:
            body["background"] = True
        if request.stream:
            body["stream"] = True
        instructions = params.instructions if params.instructions is not None else self.spec.instructions
        if params.additional_instructions:  # no such field here: appended, as Assistants does
            instructions = (
                f"{instructions}\n\n{params.additional_instructions}"
                if instructions
                else params.additional_instructions
            )
        if instructions:
            body["instructions"] = instructions
        tools = [wire.responses_tool(d) for d in request.tools]
        if self.spec.vector_store_ids:
            tools.append({"type": "file_search", "vector_store_ids": list(self.spec.vector_store_ids)})
        if tools:
            body["tools"] = tools
        body.update(wire.responses_controls(params))
        return body

    def _call(
        self, fn: Any, deadline: Deadline, what: str, *, thread_id: str | None = None, idempotent: bool = True
    ) -> Any:
        return call(
            fn, settings=self.connection, deadline=deadline, what=what, thread_id=thread_id, idempotent=idempotent
        )
