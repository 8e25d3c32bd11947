"""Run one round of tool calls: parse, validate, execute in parallel, collect in call order.

How a round runs (:func:`run_round`):

1. The round gets its own event loop in a fresh worker thread, so it behaves the same whether
   the caller is a plain thread (Keep calls synchronously) or a thread that already runs an
   event loop.
2. Each call becomes one task. A task never raises: it parses the JSON arguments, validates them
   against the tool's schema, waits for a slot under the concurrency cap, then runs the tool
   under the per-call timeout. Every failure (invalid JSON, schema violation, unknown tool, the
   tool raised, the tool timed out) becomes an ``{"error": ...}`` output.
   Async tools run on the loop; sync tools each run in their own daemon thread, so a stuck sync
   tool can be abandoned after its timeout without blocking the round or interpreter exit.
   Abandoned threads are bounded (:mod:`.threads`): past the registry's limit, sync calls get
   an error output instead of a new thread.
3. The round waits for all tasks, the turn's deadline, or a cancellation (``cancel_event`` set,
   or the calling thread interrupted), whichever comes first. On deadline or cancellation the
   unfinished tasks are cancelled and drained (awaited until they have stopped) before
   :class:`~openaiassistant.errors.TurnTimeoutError` / :class:`~openaiassistant.errors.TurnCancelledError`
   is raised: no task outlives the round. (A sync tool's thread cannot be interrupted; it
   finishes in the background and its result is discarded.)
4. Outputs are redacted value by value, serialized to JSON, capped in size and returned in
   call order (redaction never touches the serialized text, so outputs stay valid JSON).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

from .. import json_limits
from ..errors import TurnCancelledError, TurnTimeoutError
from ..observability.tracing import tool_outcome, tool_span
from ..redaction import redact
from .base import ToolCall, ToolOutput
from .outputs import cap_output, error_json, redacted_json
from .threads import AbandonedCallLimit
from .tool import Executable, ToolCallError

__all__ = ["RoundLimits", "run_round"]

logger = logging.getLogger("openaiassistant.tools")

_MAX_ERROR_DETAIL = 500


@dataclass(frozen=True, kw_only=True)
class RoundLimits:
    """The executor's limits (validated by the registry)."""

    max_concurrency: int
    call_timeout: float
    max_output_chars: int


@dataclass(frozen=True, kw_only=True)
class _Prepared:
    """A call whose arguments parsed and validated, ready to run."""

    tool: Executable
    arguments: dict[str, Any]


class _Interrupted(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def run_round(
    tools: Mapping[str, Executable],
    validators: Mapping[str, Any],
    calls: Sequence[ToolCall],
    *,
    limits: RoundLimits,
    sync_calls: AbandonedCallLimit,
    deadline: float | None = None,
    cancel_event: threading.Event | None = None,
) -> list[ToolOutput]:
    """Execute ``calls`` and return exactly one output per call, in call order.

    Sync tools run in threads under ``sync_calls``, which bounds the threads left running by
    calls that timed out or were cancelled.

    Raises TurnTimeoutError if ``deadline`` (a ``time.monotonic()`` value) passes first, and
    TurnCancelledError if ``cancel_event`` is set first; unfinished calls are cancelled and
    drained before either is raised.
    """
    if not calls:
        return []
    if deadline is not None and time.monotonic() >= deadline:
        raise TurnTimeoutError("the turn's deadline passed before its tool calls could run")
    if cancel_event is not None and cancel_event.is_set():
        raise TurnCancelledError("the turn was cancelled before its tool calls could run")
    runner = _RoundRunner(tools, validators, list(calls), limits, sync_calls, deadline, cancel_event)
    # the caller's context (its current span) goes with the round: tool spans are its children
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(runner.run,), name="openaiassistant-tool-round", daemon=True)
    try:
        # start() is inside the try: an interrupt can arrive while it is still returning.
        thread.start()
        runner.finished.wait()
    except BaseException:
        # The calling thread was interrupted (KeyboardInterrupt, ...): cancel and drain first.
        runner.interrupt("the calling thread was interrupted")
        if thread.ident is not None:  # it started: wait until every call has stopped
            thread.join()
        raise
    thread.join()
    return runner.result()


class _RoundRunner:
    """Owns the event loop of one round; everything here runs in the round's worker thread."""

    def __init__(
        self,
        tools: Mapping[str, Executable],
        validators: Mapping[str, Any],
        calls: list[ToolCall],
        limits: RoundLimits,
        sync_calls: AbandonedCallLimit,
        deadline: float | None,
        cancel_event: threading.Event | None,
    ) -> None:
        self._tools = tools
        self._validators = validators
        self._calls = calls
        self._limits = limits
        self._sync_calls = sync_calls
        self._deadline = deadline
        self._cancel_event = cancel_event
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._lock = threading.Lock()
        self._interrupted = False
        self._outputs: list[ToolOutput] | None = None
        self._failure: BaseException | None = None
        self._outcomes: dict[str, str] = {}  # call id -> timeout | rejected (for its span)
        self.finished = threading.Event()

    def run(self) -> None:
        try:
            self._outputs = asyncio.run(self._main())
        except BaseException as exc:  # handed to the calling thread by result()
            self._failure = exc
        finally:
            self.finished.set()

    def result(self) -> list[ToolOutput]:
        if isinstance(self._failure, _Interrupted):
            if self._failure.reason == "deadline":
                raise TurnTimeoutError("the turn's deadline passed while tools were running; the round was cancelled")
            raise TurnCancelledError(f"the turn was cancelled while tools were running ({self._failure.reason})")
        if self._failure is not None:
            raise self._failure
        assert self._outputs is not None
        return self._outputs

    def interrupt(self, reason: str) -> None:
        """Ask the round to stop (thread-safe)."""
        with self._lock:
            self._interrupted = True  # seen by _main if its loop is not running yet
            if self._loop is not None and self._stop is not None and not self._loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing left to stop
                    self._loop.call_soon_threadsafe(self._stop.set)

    async def _main(self) -> list[ToolOutput]:
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            if self._interrupted:
                self._stop.set()
        semaphore = asyncio.Semaphore(self._limits.max_concurrency)
        tasks = [asyncio.create_task(self._one(call, semaphore)) for call in self._calls]
        everything: asyncio.Future[Any] = asyncio.gather(*tasks)
        stop_wait = asyncio.create_task(self._stop.wait())
        watcher = asyncio.create_task(self._watch_cancel_event()) if self._cancel_event else None
        timeout = None if self._deadline is None else max(self._deadline - time.monotonic(), 0.0)
        try:
            await asyncio.wait({everything, stop_wait}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for helper in (stop_wait, watcher):
                if helper is not None:
                    helper.cancel()
        if everything.done():
            return everything.result()
        reason = "deadline" if not self._stop.is_set() else self._stop_reason()
        # Cancel and drain: wait until every task has really stopped before reporting.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if everything.done() and not everything.cancelled():
            everything.exception()  # retrieve the children's CancelledError so asyncio does not log it
        names = sorted({c.name for c, t in zip(self._calls, tasks, strict=True) if t.cancelled()})
        logger.warning("tool round stopped (%s); cancelled calls: %s", reason, ", ".join(names) or "none")
        raise _Interrupted(reason)

    def _stop_reason(self) -> str:
        if self._cancel_event is not None and self._cancel_event.is_set():
            return "cancel requested"
        return "the calling thread was interrupted"

    async def _watch_cancel_event(self) -> None:
        # threading.Event has no awaitable form; a short poll keeps this simple and cheap.
        assert self._cancel_event is not None and self._stop is not None
        while not self._cancel_event.is_set():
            await asyncio.sleep(0.02)
        self._stop.set()

    async def _one(self, call: ToolCall, semaphore: asyncio.Semaphore) -> ToolOutput:
        """Exactly one output for ``call``, whatever happens (only cancellation escapes)."""
        definition = getattr(self._tools.get(call.name), "definition", None)
        with tool_span(
            name=call.name, call_id=call.call_id, description=getattr(definition, "description", None),
            arguments=call.arguments,
        ) as span:  # fmt: skip
            try:
                output = await self._run_call(call, semaphore)
            except Exception as exc:  # a bug in validation/serialization must not cost the others
                logger.exception("internal error while running tool call %s (%s)", call.call_id, call.name)
                output = self._failed(call, f"internal error while running tool {call.name!r}: {type(exc).__name__}")
                self._outcomes[call.call_id] = "error"
            outcome = self._outcomes.get(call.call_id, "ok" if output.error is None else "error")
            tool_outcome(span, outcome=outcome, error=output.error, output=output.output)
            return output

    async def _run_call(self, call: ToolCall, semaphore: asyncio.Semaphore) -> ToolOutput:
        prepared = self._prepare(call)
        if isinstance(prepared, ToolOutput):
            return prepared
        async with semaphore:
            start = time.monotonic()
            output, error = await self._invoke(call, prepared)
            duration_ms = (time.monotonic() - start) * 1000.0
        capped = cap_output(output, max_chars=self._limits.max_output_chars)  # already redacted
        logger.debug(
            "tool %s (%s) finished in %.1f ms%s",
            call.name,
            call.call_id,
            duration_ms,
            f" with error: {error}" if error else "",
        )
        return ToolOutput(call_id=call.call_id, name=call.name, output=capped, error=error, duration_ms=duration_ms)

    def _prepare(self, call: ToolCall) -> _Prepared | ToolOutput:
        tool = self._tools.get(call.name)
        if tool is None:
            available = ", ".join(sorted(self._tools)) or "(none)"
            return self._failed(call, f"unknown tool {call.name!r}; available tools: {available}")
        if not isinstance(call.arguments, str):
            return self._failed(call, f"arguments must be JSON text, got {type(call.arguments).__name__}")
        try:
            # bounded: 50 000 nested brackets from a model must not end the turn in RecursionError
            arguments = json_limits.loads(call.arguments) if call.arguments.strip() else {}
        except json_limits.JSONLimitError as exc:
            return self._failed(call, f"arguments are not valid JSON: {exc}")
        if not isinstance(arguments, dict):
            return self._failed(call, f"arguments must be a JSON object, got {type(arguments).__name__}")
        validator = self._validators.get(call.name)
        if validator is not None:
            problems = sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
            if problems:
                return self._failed(call, "arguments do not match the tool's schema: " + _describe(problems))
        return _Prepared(tool=tool, arguments=arguments)

    async def _invoke(self, call: ToolCall, prepared: _Prepared) -> tuple[str, str | None]:
        timeout = getattr(prepared.tool, "timeout", None) or self._limits.call_timeout
        try:
            async with asyncio.timeout(timeout):
                value = await _call_tool(prepared.tool, prepared.arguments, self._sync_calls, call.name)
            return redacted_json(value), None
        except TimeoutError:
            message = f"tool {call.name!r} timed out after {timeout:g} s"
            self._outcomes[call.call_id] = "timeout"
            logger.warning("%s (call %s)", message, call.call_id)
            return error_json(message), message
        except ToolCallError as exc:
            message = redact(exc.message)
            logger.info("tool %s (call %s) reported an error: %s", call.name, call.call_id, message)
            return error_json(message, exc.data), message
        except Exception as exc:  # a tool failure is data for the model, never a crash
            message = redact(f"tool {call.name!r} failed: {type(exc).__name__}: {exc}")
            logger.warning("%s (call %s)", message, call.call_id)
            logger.debug("traceback of call %s:\n%s", call.call_id, redact(traceback.format_exc()))
            return error_json(message), message

    def _failed(self, call: ToolCall, message: str) -> ToolOutput:
        self._outcomes[call.call_id] = "rejected"
        message = redact(message)
        logger.info("tool call %s (%s) rejected: %s", call.call_id, call.name, message)
        output = cap_output(error_json(message), max_chars=self._limits.max_output_chars)
        return ToolOutput(call_id=call.call_id, name=call.name, output=output, error=message, duration_ms=0.0)


async def _call_tool(tool: Executable, arguments: dict[str, Any], sync_calls: AbandonedCallLimit, name: str) -> Any:
    invoke = tool.invoke
    if inspect.iscoroutinefunction(invoke) or inspect.iscoroutinefunction(type(invoke).__call__):
        return await invoke(arguments)
    value = await sync_calls.run(invoke, arguments, tool_name=name)
    if inspect.isawaitable(value):
        value = await value
    return value


def _describe(problems: list[jsonschema.ValidationError]) -> str:
    parts = []
    for problem in problems[:5]:
        where = "/".join(str(p) for p in problem.absolute_path) or "(root)"
        parts.append(f"at {where}: {problem.message}")
    text = "; ".join(parts)
    if len(problems) > 5:
        text += f"; and {len(problems) - 5} more"
    return text[:_MAX_ERROR_DETAIL]
