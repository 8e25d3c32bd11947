"""Sync tools run in daemon threads, with a bound on the threads that outlive their call.

A sync tool cannot be interrupted. When its call times out, or the round is cancelled, the
thread runs on, abandoned, and its result is thrown away. In a long-lived process (a Keep
worker) a downstream service that hangs would pile such threads up without end, each holding
a socket. :class:`AbandonedCallLimit` counts them; once ``max_abandoned`` are still running, new
sync calls are refused with an error output for the model instead of a new thread. The count
goes down as abandoned threads finish.

One limit belongs to one :class:`~.registry.Toolbox` by default; registries can share one
(pass the same object) when they are built per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from typing import Any

from ..values import parse_count
from .tool import ToolCallError

__all__ = ["AbandonedCallLimit"]


class _CallState:
    """One sync call's thread: has it finished, was it abandoned (guarded by the limit's lock)."""

    __slots__ = ("finished", "abandoned")

    def __init__(self) -> None:
        self.finished = False
        self.abandoned = False


class AbandonedCallLimit:
    """Counts sync tool threads still running after their call was given up; refuses new
    sync calls while ``max_abandoned`` of them are running."""

    def __init__(self, max_abandoned: int = 32) -> None:
        self.max_abandoned = parse_count("max_abandoned_calls", max_abandoned, low=1, text_ok=False)
        self._abandoned = 0
        self._changed = threading.Condition()

    @property
    def abandoned(self) -> int:
        """Sync calls given up on (timed out or cancelled) whose threads are still running."""
        with self._changed:
            return self._abandoned

    def wait_until_clear(self, timeout: float | None = None) -> bool:
        """Wait until no abandoned thread is running; False if ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._abandoned == 0, timeout=timeout)

    async def run(self, func: Callable[[dict[str, Any]], Any], arguments: dict[str, Any], *, tool_name: str) -> Any:
        """Run ``func(arguments)`` in its own daemon thread and await its result.

        Raises :class:`ToolCallError` without starting a thread when the limit is reached. A
        daemon thread rather than a pool: a call that never returns must not hold a pool slot
        or block interpreter exit.
        """
        with self._changed:
            if self._abandoned >= self.max_abandoned:
                raise ToolCallError(
                    f"tool {tool_name!r} was not started: {self._abandoned} earlier calls of synchronous "
                    f"tools timed out and are still running (limit {self.max_abandoned}); try again later"
                )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        context = contextvars.copy_context()
        state = _CallState()

        def deliver(ok: bool, value: Any) -> None:
            if not future.done():  # it was cancelled if the call timed out or the round stopped
                future.set_result(value) if ok else future.set_exception(value)

        def target() -> None:
            try:
                result: tuple[bool, Any] = (True, context.run(func, arguments))
            except Exception as exc:
                result = (False, exc)
            except BaseException as exc:
                # SystemExit & co. only end this worker thread; for the round they are a failure.
                result = (False, RuntimeError(f"the tool raised {type(exc).__name__}"))
            self._finish(state)
            with contextlib.suppress(RuntimeError):  # the round's loop is gone: the result is no longer wanted
                loop.call_soon_threadsafe(deliver, *result)

        threading.Thread(target=target, name="openaiassistant-tool", daemon=True).start()
        try:
            return await future
        except asyncio.CancelledError:
            self._abandon(state)
            raise

    def _abandon(self, state: _CallState) -> None:
        with self._changed:
            if not state.finished and not state.abandoned:
                state.abandoned = True
                self._abandoned += 1

    def _finish(self, state: _CallState) -> None:
        with self._changed:
            state.finished = True
            if state.abandoned:
                self._abandoned -= 1
                self._changed.notify_all()

    def __repr__(self) -> str:
        return f"AbandonedCallLimit(max_abandoned={self.max_abandoned}, abandoned={self.abandoned})"
