"""The public facade: one assistant, any number of turns.

    assistant = Assistant(connection=ConnectionSettings(...), spec=AssistantSpec(...), tools=registry)
    result = assistant.run_turn("Disk full on db-1", params={"temperature": "0.2"}, timeout=60)

Everything given to ``run_turn`` is validated before the first request; then the engine
(:mod:`openaiassistant.engine.turn`) runs the turn to its end. The API is synchronous and keeps
no event loop of its own, so it works from any thread, with or without a running loop;
``arun_turn`` runs it in a worker thread for async callers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import importlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Unpack

from openaiassistant import progress
from openaiassistant.approvals import continue_after_approval, record_pending, store_for
from openaiassistant.backends.base import Backend, TurnRequest
from openaiassistant.backends.transport import get_client
from openaiassistant.content.footnotes import check_mode
from openaiassistant.content.inputs import UserInput
from openaiassistant.content.parsing import build_input
from openaiassistant.content.uploads import parse_upload_policy
from openaiassistant.coordination import conversation_locks, gate_for, turn_slot_for
from openaiassistant.deadline import Clock, Deadline, Sleep
from openaiassistant.engine.locks import LOCKS
from openaiassistant.engine.polling import RunTimes, shared_run_times
from openaiassistant.engine.turn import Turn, TurnSetup
from openaiassistant.errors import APIError, AssistantError, ConfigError
from openaiassistant.observability.cost import require_price
from openaiassistant.observability.prices import builtin_table
from openaiassistant.observability.rounds import TraceTarget, finish_turn, turn_span
from openaiassistant.observability.tracing import provider_name
from openaiassistant.params import parse_params, validate_metadata, with_json_hint
from openaiassistant.redaction import redact
from openaiassistant.result import TurnResult
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools.approval import ApprovalGate, ApprovalRequired, parse_decisions
from openaiassistant.tools.base import Toolset
from openaiassistant.turn_files import TurnFiles
from openaiassistant.turn_options import ACTIVE_RUN_POLICIES, TurnOptions, with_defaults
from openaiassistant.values import clean_text, parse_seconds

__all__ = ["Assistant", "conversation_log"]

logger = logging.getLogger(__name__)

# Metadata keys the thread registry files a conversation under (see registry/).
REGISTRY_KEYS = {
    "tenant": ("tenant", "tenant_id"),
    "workflow": ("workflow", "workflow_id"),
    "fingerprint": ("alert_fingerprint", "fingerprint"),
}

# each backend's module is imported when an assistant first uses it (a process runs one or two)
_BACKENDS: dict[str, tuple[str, str]] = {
    "responses": ("openaiassistant.backends.responses", "ResponsesBackend"),
    "assistants": ("openaiassistant.backends.assistants", "AssistantsBackend"),
    "chat": ("openaiassistant.backends.chat", "ChatBackend"),
}


def backend_class(name: str) -> Callable[..., Backend]:
    """The class of the backend called ``name`` (a key of ``_BACKENDS``)."""
    module, attribute = _BACKENDS[name]
    return getattr(importlib.import_module(module), attribute)


class Assistant:
    """An assistant on one server: Responses + Conversations (default), Assistants v2, or any
    chat-completions server (``backend="chat"``: the conversation is kept in ``registry``'s
    database, so a registry is required there).

    ``tools`` is any :class:`~openaiassistant.tools.base.Toolset` (e.g.
    ``openaiassistant.tools.Toolbox``); its definitions are sent with every run/response.
    ``sleep`` and ``clock`` are injectable so that tests never wait on wall clocks.
    ``registry`` (a :class:`~openaiassistant.registry.ThreadRegistry`) records every
    conversation a turn used, filed under the turn's metadata keys ``tenant``, ``workflow`` and
    ``alert_fingerprint`` (neither API can list conversations; the registry can).
    ``backend`` replaces the API the spec names with any :class:`~openaiassistant.backends.base.Backend`,
    e.g. :class:`openaiassistant.testing.ScriptedBackend` to test code built on turns offline.
    """

    def __init__(
        self,
        *,
        connection: ConnectionSettings,
        spec: AssistantSpec,
        tools: Toolset | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        registry: Any = None,
        backend: Backend | None = None,
    ) -> None:
        connection.validate()
        spec.validate(connection)
        parse_params(spec.params, backend=spec.backend)  # the assistant's defaults fail early too
        if tools is not None and not isinstance(tools, Toolset):
            raise ConfigError("tools", "must provide definitions() and execute_round() (see tools.base.Toolset)")
        self.connection = connection
        self.spec = spec
        self.tools = tools
        self._sleep = sleep
        self._clock = clock
        self.registry = registry
        if backend is None:
            extra: dict[str, Any] = {}
            if spec.backend == "responses":  # used only where the server keeps no conversations
                extra["log_factory"] = functools.partial(conversation_log, registry)
            elif spec.backend == "chat":  # the conversation is ours: a registry's database is required
                keeps = getattr(registry, "engine", None) is not None
                extra["conversation_log"] = conversation_log(registry) if keeps else None
            backend = backend_class(spec.backend)(connection=connection, spec=spec, **extra)
        self._backend = backend
        # learned run durations, shared by assistants on the same clock (an injected clock's
        # times mean nothing to another's)
        server = connection.base_url or connection.azure_endpoint or ""
        key = (server, spec.backend, spec.assistant_id, spec.model)
        self._run_times = shared_run_times(key) if clock is time.monotonic else RunTimes()
        self._prices = builtin_table().with_overrides(spec.prices)
        self._trace = TraceTarget(
            provider=provider_name(azure=connection.is_azure),
            server_url=connection.base_url or connection.azure_endpoint,
            backend=self._backend.name,
            agent_id=spec.assistant_id,
        )

    @property
    def backend(self) -> str:
        """The name of the API this assistant talks to (``responses``, ``assistants``, ...)."""
        return self._backend.name

    def run_turn(self, prompt: str | UserInput, **options: Unpack[TurnOptions]) -> TurnResult:
        """Run one turn and return what it produced.

        ``options`` are the :class:`~openaiassistant.turn_options.TurnOptions` keywords
        (thread_id, params, metadata, stream, on_text, timeout, on_active_run, include_history,
        on_tool_call, images, attachments, registry_tags, approvals, citations, upload_policy,
        files_dir; each explained there). Local and inline images and attachments are uploaded
        before the turn; files code_interpreter wrote are in ``result.files`` (see :meth:`download`).
        A call of a tool marked ``requires_approval`` does not run: the turn ends with
        ``status="requires_approval"`` and ``pending_approvals``. ``on_progress`` receives a
        line whenever the turn waits for more than a couple of seconds or falls back to a mode
        the server takes (see :mod:`openaiassistant.progress`).
        Raises an :class:`~openaiassistant.errors.AssistantError` subclass on failure;
        invalid arguments raise ConfigError before anything is sent.
        The turn is one ``invoke_agent`` span (see :mod:`openaiassistant.observability`);
        ``result.usage`` and ``result.cost_usd`` say what it used and cost.
        """
        opts = with_defaults(options)
        params = opts.get("params")
        asked = params.get("model") if isinstance(params, Mapping) else None
        model = str(asked) if asked else self.spec.model or self.connection.azure_deployment
        with turn_span(
            self._trace, model=model, thread_id=opts.get("thread_id"), tags=opts.get("registry_tags")
        ) as span:
            result = self._run(prompt, opts)
            finish_turn(span, result)
            return result

    def _run(self, prompt: str | UserInput, opts: TurnOptions) -> TurnResult:
        decisions = parse_decisions(opts.get("approvals"))
        if decisions and isinstance(prompt, str) and not prompt.strip():
            prompt = "Continue."
        mode = check_mode(opts.get("citations"))
        files = TurnFiles(get_client(self.connection), policy=parse_upload_policy(opts.get("upload_policy")))
        request, deadline = self._prepare(prompt, opts)
        gate = ApprovalGate(self.tools) if self.tools is not None and ApprovalGate.needed(self.tools) else None
        answered = _Answered()
        if decisions:  # answer the pending calls (all checks above passed); approved ones run now
            outcome, answered.decided, answered.records = continue_after_approval(
                store_for(self.registry),
                gate,
                thread_id=opts.get("thread_id"),
                decisions=decisions,
                deadline=deadline.monotonic_at(),
            )
            text = outcome if not isinstance(prompt, str) else f"{outcome}\n\n{prompt}"
            request = replace(request, user_input=replace(request.user_input, text=text))
        backend = self._recorded_backend(opts.get("thread_id"), deadline)
        setup = TurnSetup(
            backend=backend,
            locks=conversation_locks(self.connection, local=LOCKS),
            server=self.connection.base_url or self.connection.azure_endpoint or "https://api.openai.com/v1",
            request=request,
            toolset=gate or self.tools,
            deadline=deadline,
            on_active_run=opts.get("on_active_run", "wait"),
            on_tool_call=opts.get("on_tool_call"),
            include_history=bool(opts.get("include_history")),
            default_model=self.spec.model or self.connection.azure_deployment,
            run_times=self._run_times,
            prices=self._prices,
            trace=self._trace,
        )
        tags = {**(opts.get("metadata") or {}), **{k: v for k, v in (opts.get("registry_tags") or {}).items() if v}}
        turn = Turn(setup)
        try:
            uploads = getattr(self._backend, "uploads_files", True)  # not on chat: images go inline
            if request.user_input.pending and uploads:  # local and inline files go up first (all were checked)
                turn = Turn(replace(setup, request=replace(request, user_input=files.upload(request.user_input))))
            slot = turn_slot_for(self.connection, deadline, clock=self._clock)  # max_concurrent_turns
            with progress.reporting(opts.get("on_progress")), slot:
                result = turn.run()
                result = files.finish(result, mode=mode)  # names resolved while the files exist
        except ApprovalRequired as stop:  # not a failure: the turn waits for a person
            _finish(backend, "requires_approval")
            return self._waiting_for_approval(turn, stop, tags, answered)
        except BaseException as exc:
            _finish(backend, exc)
            if isinstance(exc, AssistantError):
                self._remember(exc.thread_id, tags)  # a failed turn's conversation is still ours
                _hint_backend(exc, opts.get("thread_id"), self.backend)
            raise
        finally:
            files.after_turn()
        _finish(backend, result.status)
        gate_for(self.connection, clock=self._clock).spend(result.usage.total_tokens)  # the pool's tokens/min
        self._remember(result.thread_id, tags)
        if decisions:
            result.approvals = answered.decided
            result.tool_calls = answered.records + result.tool_calls
        return result

    def download(self, file: Any, directory: str | Path) -> Path:
        """Save a file the turn produced (an entry of ``result.files``) into ``directory``."""
        return TurnFiles(get_client(self.connection), policy=parse_upload_policy("keep")).download(file, directory)

    def _waiting_for_approval(
        self, turn: Turn, stop: ApprovalRequired, tags: Mapping[str, Any], answered: _Answered
    ) -> TurnResult:
        """The result of a turn that stopped for approval: its round is stored for a person."""
        stop.thread_id = turn.thread_id
        stop.run_id = turn.active.run_id if turn.active else None
        pending, ran = record_pending(store_for(self.registry), stop)
        self._remember(stop.thread_id, tags)
        assert stop.thread_id is not None and turn.active is not None
        return TurnResult(
            text="",
            response="",
            status="requires_approval",
            thread_id=stop.thread_id,
            backend=self.backend,
            model=self.spec.model,
            tool_calls=answered.records + ran,
            pending_approvals=pending,
            approvals=answered.decided,
            run_id=turn.active.result_run_id,
            response_id=turn.active.result_response_id,
            usage=turn.usage,  # the rounds before the stop were used, and cost
            cost_usd=turn.cost.usd,
        )

    def _recorded_backend(self, thread_id: str | None, deadline: Deadline) -> Any:
        """With a registry: the turn's runs are recorded (run_records.py), and what a dead worker
        left on this conversation is ended or adopted first (recovery.py)."""
        engine = getattr(self.registry, "engine", None)
        if engine is None:
            return self._backend
        from openaiassistant.recovery import recover, server_of
        from openaiassistant.registry.runs import RunLog
        from openaiassistant.run_records import RecordingBackend

        try:
            runs = RunLog.for_engine(engine)
            if thread_id:
                left = deadline.remaining()
                recover(
                    connection=self.connection,
                    registry=self.registry,
                    thread_id=thread_id,
                    backend=self.backend,
                    timeout=60.0 if left is None else max(min(left, 60.0), 1.0),
                )
        except Exception as exc:  # noqa: BLE001 - the answer matters more than its bookkeeping
            logger.error("run log not usable: %s: %s", type(exc).__name__, redact(str(exc))[:300])
            return self._backend
        return RecordingBackend(self._backend, runs=runs, server=server_of(self.connection))

    def _remember(self, thread_id: str | None, metadata: Mapping[str, Any] | None) -> None:
        if self.registry is None or not thread_id:
            return
        meta = dict(metadata or {})
        tags = {field: next((str(meta[k]) for k in keys if meta.get(k)), None) for field, keys in REGISTRY_KEYS.items()}
        try:
            self.registry.record(thread_id=thread_id, backend=self.backend, metadata=meta, **tags)
            if hasattr(self.registry, "engine"):  # a ThreadRegistry: note the server too (see registry/servers.py)
                from openaiassistant.conversations import server_name
                from openaiassistant.registry.servers import record_server

                record_server(self.registry, thread_id, server_name(self.connection))
        except Exception as exc:  # noqa: BLE001 - the answer matters more than its bookkeeping
            logger.error(
                "thread registry could not record %s: %s: %s", thread_id, type(exc).__name__, redact(str(exc))[:300]
            )

    async def arun_turn(self, prompt: str | UserInput, **options: Unpack[TurnOptions]) -> TurnResult:
        """``run_turn`` for async callers (runs in a worker thread)."""
        return await asyncio.to_thread(self.run_turn, prompt, **options)

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """The conversation's messages, oldest first: ``{id, role, text}`` (+ ``run_id`` on Assistants)."""
        return self._backend.history(_thread_id(thread_id))

    def delete_thread(self, thread_id: str) -> bool:
        """Delete the conversation/thread on the server; True when the server confirms."""
        deleted = self._backend.delete_thread(_thread_id(thread_id))
        if deleted and self.registry is not None:
            self.registry.forget(thread_id)
        return deleted

    def validate(self) -> None:
        """Network check: the key works and the assistant (assistants) or model (responses) exists."""
        self._backend.validate()

    # -- argument checks (before any request) -------------------------------------------------
    def _prepare(self, prompt: Any, opts: TurnOptions) -> tuple[TurnRequest, Deadline]:
        user_input = (
            prompt
            if isinstance(prompt, UserInput)
            else build_input(
                prompt,
                images=opts.get("images"),
                attachments=opts.get("attachments"),
                base_dir=Path(str(opts["files_dir"])) if opts.get("files_dir") else None,
            )
        )
        if isinstance(user_input.text, str):  # a lone surrogate would fail the request unencodable
            user_input = dataclasses.replace(user_input, text=clean_text(user_input.text))
        run_params = with_json_hint(
            parse_params(opts.get("params"), defaults=self.spec.params, backend=self.spec.backend),
            user_input.text,
            self.spec.instructions,
        )
        model = run_params.model or self.spec.model or self.connection.azure_deployment
        require_price(self._prices, model, max_cost_usd=run_params.max_cost_usd)
        metadata = opts.get("metadata")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ConfigError("metadata", "must be a mapping of up to 16 string keys to string values")
        on_active_run = opts.get("on_active_run")
        if on_active_run not in ACTIVE_RUN_POLICIES:
            raise ConfigError(
                "on_active_run", f"must be one of {', '.join(ACTIVE_RUN_POLICIES)}, got {on_active_run!r}"
            )
        thread_id = opts.get("thread_id")
        if thread_id is not None:
            _thread_id(thread_id)
        timeout = opts.get("timeout")
        seconds = None if timeout is None else parse_seconds("timeout", timeout)  # None: no deadline
        on_text = opts.get("on_text")
        if on_text is not None and not callable(on_text):
            raise ConfigError("on_text", "must be callable")
        # ``stream`` is whether the caller gets the text as it comes; how the run is followed
        # (event stream or polling) is the connection's ``transport``
        request = TurnRequest(
            user_input=user_input,
            params=run_params,
            tools=self.tools.definitions() if self.tools is not None else [],
            thread_id=thread_id,
            thread_metadata=validate_metadata(metadata) if metadata else None,
            on_text=on_text if opts.get("stream") else None,
        )
        return request, Deadline(timeout=seconds, clock=self._clock, sleep=self._sleep)


@dataclass(kw_only=True)
class _Answered:
    """What a turn that answered approvals did before it ran: the decisions, the calls that ran."""

    decided: list[dict[str, Any]] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)


_ID_SHAPES = {
    "assistants": (("thread_",), "n Assistants thread"),
    "responses": (("conv_", "oaconv_"), " Responses conversation"),
    "chat": (("oachat_",), " chat conversation"),
}


def _finish(backend: Any, end: str | BaseException) -> None:
    """Close the turn's run record (recorded backends only)."""
    if isinstance(end, BaseException):
        if hasattr(backend, "finish_error"):
            backend.finish_error(end)
    elif hasattr(backend, "finish"):
        backend.finish(end)


def _hint_backend(exc: AssistantError, thread_id: str | None, backend: str) -> None:
    """An id of another backend's shape (``thread_...`` on Responses, ``conv_...`` on
    Assistants, ``oachat_...`` on either) that was refused: say which backend it belongs to."""
    if not thread_id or not isinstance(exc, (APIError, ConfigError)):
        return
    for other, (prefixes, what) in _ID_SHAPES.items():
        if other != backend and thread_id.startswith(prefixes):
            exc.message += (
                f"; {thread_id} looks like a{what} id: it belongs to the {other} backend (set backend: {other})"
            )
            exc.args = (exc.message,)
            return


_LOGS: dict[int, Any] = {}
_LOGS_LOCK = threading.Lock()


def conversation_log(registry: Any) -> Any:
    """Where conversations live for servers that keep none: the thread registry's database
    (one log per registry), else one in-memory log for the process (lost on restart; a warning
    says so the first time it is used)."""
    from openaiassistant.registry.conversation_log import ConversationLog

    engine = getattr(registry, "engine", None)
    with _LOGS_LOCK:
        key = id(engine)
        if key not in _LOGS:
            if engine is None:
                from sqlalchemy import create_engine
                from sqlalchemy.pool import StaticPool

                engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
            _LOGS[key] = ConversationLog(engine=engine)
        return _LOGS[key]


def _thread_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise ConfigError("thread_id", f"must be a conversation/thread id string, got {value!r}")
    return value.strip()
