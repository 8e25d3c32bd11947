"""One driver for work that advances over time, polled or streamed.

A run (Assistants) or a background response (Responses) is a plain generator that mutates the
stored objects and yields what happens next, as typed actions (:mod:`actions`): ``Sleep``
(the next step is due that much later), ``Emit`` (something a stream would send) and ``Stuck``
(nothing more happens until the work is cancelled).

Polled clients see the work advance lazily: every read calls :meth:`Timeline.catch_up`, which
runs all steps whose due time has passed on the emulator's clock. A streaming client drives the
same generator with real sleeps through :meth:`Timeline.events`. So polling and streaming share
one code path and the same timing.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, assert_never

from openaiassistant.emulator.actions import Action, Emit, Lifecycle, Sleep, Stuck
from openaiassistant.emulator.clock import Clock

__all__ = ["Timeline", "snapshot"]


def snapshot(obj: Any) -> Any:
    """A deep copy for event payloads, so later mutation does not change sent events."""
    return copy.deepcopy(obj)


class Timeline:
    """Drives one generator of actions either by catch-up on ``clock`` or by streaming."""

    def __init__(self, steps: Lifecycle[Any], *, clock: Clock, sink: list[tuple[str, Any]] | None = None) -> None:
        self._steps = steps
        self._clock = clock
        self._sink = sink  # every event is also appended here (both modes), to replay streams
        self._due = clock.monotonic()
        self.done = False
        self.stuck = False
        self.streaming = False

    def catch_up(self) -> None:
        """Run every step that is due by now (no-op while a stream drives this timeline)."""
        if self.streaming:
            return
        while not self.done and not self.stuck and self._clock.monotonic() >= self._due:
            action = self._next()
            match action:
                case None:
                    return
                case Sleep(seconds=seconds):
                    self._due += seconds  # on the schedule, not from the time of this read
                case Stuck():
                    self.stuck = True
                case Emit():
                    pass  # recorded by _next; nobody streams it live
                case _:
                    assert_never(action)

    async def events(
        self, *, poll_s: float = 0.02, should_stop: Callable[[], Awaitable[bool]] | None = None
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """Yield ``(name, data)`` as the generator produces them, sleeping in real time.

        When stuck, wait until :meth:`cancel` or until ``should_stop()`` says the client left.
        """
        self.streaming = True
        # The steps keep to their schedule: each sleep ends at the time the schedule says (the
        # last step's due time plus its length), not its length after the event loop woke us, so
        # a stream of many short sleeps does not fall behind by the loop's overshoot on each one.
        # Steps already due (a stream that begins late) follow at once. A client that leaves
        # mid-sleep leaves the next step due at its scheduled time.
        due = self._due
        try:
            while not self.done:
                wait = due - self._clock.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                action = self._next()
                match action:
                    case None:
                        return
                    case Sleep(seconds=seconds):
                        due += max(seconds, 0.0)
                    case Emit(name=name, data=data):
                        yield name, data
                    case Stuck():
                        self.stuck = True
                        while not self.done:  # until cancel() closes us
                            if should_stop is not None and await should_stop():
                                return
                            await asyncio.sleep(poll_s)
                    case _:
                        assert_never(action)
        finally:
            self.streaming = False
            self._due = due

    def cancel(self) -> None:
        """Stop the work: the generator is closed, nothing more happens."""
        self.done = True
        self._steps.close()

    def _next(self) -> Action | None:
        try:
            action = next(self._steps)
        except StopIteration:
            self.done = True
            return None
        if isinstance(action, Emit) and self._sink is not None:
            self._sink.append((action.name, action.data))
        return action
