"""Assistants v2 through the SDK's typed ``client.beta.threads`` resources (present in 1.37.1 and 3.x).

The assistant lives on the server (``assistant_id``); per-turn overrides (model, instructions,
run controls) go on the run. Function tools are passed per run together with the assistant's
own stored tools (a run's ``tools`` replaces the assistant's for that run, so they are read
once and kept), never written back to the assistant. The answer is read from the messages this
run created (``messages.list(run_id=...)``), so an older message can never be returned.
"""

from __future__ import annotations

from typing import Any

from openaiassistant.backends import assistants_wire as aw
from openaiassistant.backends import wire
from openaiassistant.backends.base import ConversationBusy, RunRef, Step, TurnRequest
from openaiassistant.backends.transport import call, get_client
from openaiassistant.engine.deadline import Deadline
from openaiassistant.errors import ConfigError, NotFoundError, ServerUnavailableError
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools.base import ToolOutput

_TERMINAL_EVENTS = {
    "thread.run.requires_action", "thread.run.completed", "thread.run.incomplete",
    "thread.run.failed", "thread.run.cancelled", "thread.run.expired",
}


class AssistantsBackend:
    """The Assistants v2 API (threads, messages, runs)."""

    name = "assistants"
    run_id_field = "run_id"

    def __init__(self, *, connection: ConnectionSettings, spec: AssistantSpec) -> None:
        self.connection = connection
        self.spec = spec
        self.client = get_client(connection)
        self._stored_tools: list[dict[str, Any]] | None = None

    @property
    def _threads(self) -> Any:
        return self.client.beta.threads

    # -- threads ------------------------------------------------------------------------------
    def open_thread(self, *, thread_id: str | None, metadata: dict[str, str] | None, deadline: Deadline) -> str:
        if thread_id:
            return thread_id
        kwargs: dict[str, Any] = {}
        if metadata:
            kwargs["metadata"] = metadata
        if self.spec.vector_store_ids:
            kwargs["tool_resources"] = {"file_search": {"vector_store_ids": list(self.spec.vector_store_ids)}}
        thread = self._call(lambda t: self._threads.create(timeout=t, **kwargs), deadline, "create thread")
        return str(thread.id)

    def delete_thread(self, thread_id: str) -> bool:
        deleted = self._call(lambda t: self._threads.delete(thread_id, timeout=t), Deadline(timeout=None), "delete thread")
        return bool(deleted.deleted)

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """Every message of the thread, oldest first (the SDK's pager follows pages of 100)."""
        page = self._call(lambda t: self._threads.messages.list(thread_id, order="asc", limit=100, timeout=t),
                          Deadline(timeout=None), "list messages")
        return [aw.history_entry(message) for message in page]

    def validate(self) -> None:
        try:
            self._call(lambda t: self.client.beta.assistants.retrieve(self.spec.assistant_id, timeout=t),
                       Deadline(timeout=None), "retrieve assistant")
        except NotFoundError as exc:
            raise ConfigError("assistant_id", f"{self.spec.assistant_id!r} does not exist on this server ({exc.message})") from None

    # -- a turn -------------------------------------------------------------------------------
    def start(self, thread_id: str, request: TurnRequest, *, deadline: Deadline, first: bool) -> Step:
        if first:  # a retried run answers the message already in the thread
            message = request.user_input.assistants_message()
            self._call(lambda t: self._threads.messages.create(thread_id, timeout=t, **message),
                       deadline, "add message", thread_id=thread_id)
        kwargs = aw.run_kwargs(request.params, self.spec, self._tools(request, deadline))
        try:
            return self._create_run(thread_id, request, kwargs, deadline)
        except ConversationBusy as busy:  # a run started between our message and our run
            busy.input_posted = True
            raise

    def _create_run(self, thread_id: str, request: TurnRequest, kwargs: dict[str, Any], deadline: Deadline) -> Step:
        if not request.stream:
            raw = self._call(lambda t: self._threads.runs.with_raw_response.create(thread_id=thread_id, timeout=t, **kwargs),
                             deadline, "create run", thread_id=thread_id)
            return self._step(thread_id, raw.parse(), deadline, hint=wire.poll_hint(raw.headers))
        stream = self._call(lambda t: self._threads.runs.create(thread_id=thread_id, stream=True, timeout=t, **kwargs),
                            deadline, "create run", thread_id=thread_id)
        return self._consume(thread_id, stream, request, deadline)

    def poll(self, ref: RunRef, request: TurnRequest | None, *, deadline: Deadline) -> Step:
        raw = self._call(lambda t: self._threads.runs.with_raw_response.retrieve(ref.run_id, thread_id=ref.thread_id, timeout=t),
                         deadline, "retrieve run", thread_id=ref.thread_id)
        return self._step(ref.thread_id, raw.parse(), deadline, hint=wire.poll_hint(raw.headers))

    def submit(self, ref: RunRef, request: TurnRequest, outputs: list[ToolOutput], *, deadline: Deadline) -> Step:
        # all outputs of the round in ONE request, as the API requires
        tool_outputs = [{"tool_call_id": o.call_id, "output": o.output} for o in outputs]
        submit = self._threads.runs.submit_tool_outputs
        if not request.stream:
            raw_submit = self._threads.runs.with_raw_response.submit_tool_outputs
            raw = self._call(lambda t: raw_submit(ref.run_id, thread_id=ref.thread_id, tool_outputs=tool_outputs, timeout=t),
                             deadline, "submit tool outputs", thread_id=ref.thread_id, idempotent=False)
            return self._step(ref.thread_id, raw.parse(), deadline, hint=wire.poll_hint(raw.headers))
        stream = self._call(lambda t: submit(ref.run_id, thread_id=ref.thread_id, tool_outputs=tool_outputs, stream=True, timeout=t),
                            deadline, "submit tool outputs", thread_id=ref.thread_id, idempotent=False)
        return self._consume(ref.thread_id, stream, request, deadline, known=ref)

    def cancel(self, ref: RunRef) -> None:
        try:
            self._threads.runs.cancel(ref.run_id, thread_id=ref.thread_id, timeout=10.0)
        except Exception:  # best effort: the turn is already failing for a better reason
            pass

    # -- internals ----------------------------------------------------------------------------
    def _tools(self, request: TurnRequest, deadline: Deadline) -> list[dict[str, Any]] | None:
        """The run's tools: the assistant's stored ones plus this turn's functions (ours win),
        plus ``file_search`` when the spec gives vector stores; None keeps the stored ones."""
        if not request.tools and not self.spec.vector_store_ids:
            return None
        if self._stored_tools is None:
            assistant = self._call(lambda t: self.client.beta.assistants.retrieve(self.spec.assistant_id, timeout=t),
                                   deadline, "retrieve assistant")
            self._stored_tools = [aw.plain(tool) for tool in assistant.tools or []]
        ours = [aw.function_tool(d) for d in request.tools]
        names = {d.name for d in request.tools}
        kept = [t for t in self._stored_tools if not (t.get("type") == "function" and t.get("function", {}).get("name") in names)]
        if self.spec.vector_store_ids and not any(t.get("type") == "file_search" for t in kept):
            kept.append({"type": "file_search"})
        if not request.tools and len(kept) == len(self._stored_tools):
            return None  # nothing to add: the run uses the assistant's own tools
        return kept + ours

    def _consume(self, thread_id: str, stream: Any, request: TurnRequest, deadline: Deadline, known: RunRef | None = None) -> Step:
        """Read run events until the run stops or needs tools; a broken stream means poll."""
        ref = known
        try:
            for event in stream:
                name, data = getattr(event, "event", ""), getattr(event, "data", None)
                if name.startswith("thread.run.") and not name.startswith("thread.run.step") and ref is None:
                    ref = RunRef(thread_id=thread_id, run_id=str(data.id))
                if name == "thread.message.delta" and request.on_text:
                    for text in aw.delta_texts(data):
                        request.on_text(text)
                elif name in _TERMINAL_EVENTS:
                    wire.drain(stream)
                    return self._step(thread_id, data, deadline)
                elif name == "error":
                    raise ServerUnavailableError(f"run stream error: {wire.get(data, 'message')}", thread_id=thread_id)
        except BaseException as exc:
            wire.stream_failure(exc, deadline, what="run stream", ref=ref, known=known is not None, cancel=self.cancel)
        finally:
            stream.close()
        if ref is None:
            raise ServerUnavailableError("the run stream broke before the run was created", thread_id=thread_id)
        return wire.pending_step(ref)

    def _step(self, thread_id: str, run: Any, deadline: Deadline, hint: float | None = None) -> Step:
        ref = RunRef(thread_id=thread_id, run_id=str(run.id))
        outcome = aw.run_outcome(run, hint, lambda: self._run_output(ref, deadline))
        return Step(ref=ref, outcome=outcome, usage=aw.run_usage(run), model=wire.get(run, "model"))

    def _run_output(self, ref: RunRef, deadline: Deadline) -> Any:
        page = self._call(
            lambda t: self._threads.messages.list(ref.thread_id, run_id=ref.run_id, order="asc", limit=100, timeout=t),
            deadline, "list run messages", thread_id=ref.thread_id,
        )
        # filtered again here: a server that ignores run_id must not leak older messages
        return aw.run_output([m for m in page if wire.get(m, "run_id") == ref.run_id and wire.get(m, "role") == "assistant"])

    def _call(self, fn: Any, deadline: Deadline, what: str, *, thread_id: str | None = None, idempotent: bool = True) -> Any:
        return call(fn, settings=self.connection, deadline=deadline, what=what, thread_id=thread_id, idempotent=idempotent)
