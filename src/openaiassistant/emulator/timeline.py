"""One driver for work that advances over time, polled or streamed.

A run (Assistants) or a background response (Responses) is a plain generator that mutates the
stored objects and yields what happens next:

* ``("sleep", seconds)``: the next step is due that much later;
* ``("event", name, data)``: something a stream would send (``data`` is a snapshot);
* ``("stuck",)``: nothing more happens until the work is cancelled.

Polled clients see the work advance lazily: every read calls :meth:`Timeline.catch_up`, which
runs all steps whose due time has passed. A streaming client drives the same generator with
real sleeps through :meth:`Timeline.events`. So polling and streaming share one code path and
the same timing.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from openaiassistant.emulator import clock

Action = tuple[Any, ...]


def snapshot(obj: Any) -> Any:
    """A deep copy for event payloads, so later mutation does not change sent events."""
    return copy.deepcopy(obj)


class Timeline:
    """Drives one generator of actions either by wall-clock catch-up or by streaming."""

    def __init__(self, steps: Iterator[Action], *, sink: list[tuple[str, Any]] | None = None) -> None:
        self._steps = steps
        self._sink = sink  # every event is also appended here (both modes), to replay streams
        self._due = clock.monotonic()
        self.done = False
        self.stuck = False
        self.streaming = False

    def catch_up(self) -> None:
        """Run every step that is due by now (no-op while a stream drives this timeline)."""
        if self.streaming:
            return
        while not self.done and not self.stuck and clock.monotonic() >= self._due:
            action = self._next()
            if action is None:
                return
            if action[0] == "sleep":
                self._due += float(action[1])  # on the schedule, not from the time of this read
            elif action[0] == "stuck":
                self.stuck = True

    async def events(
        self, *, poll_s: float = 0.02, should_stop: Callable[[], Awaitable[bool]] | None = None
    ) -> AsyncIterator[tuple[str, Any]]:
        """Yield ``(name, data)`` as the generator produces them, sleeping in real time.

        When stuck, wait until :meth:`cancel` or until ``should_stop()`` says the client left.
        """
        self.streaming = True
        try:
            while not self.done:
                action = self._next()
                if action is None:
                    return
                if action[0] == "sleep":
                    if action[1] > 0:
                        await asyncio.sleep(float(action[1]))
                elif action[0] == "event":
                    yield action[1], action[2]
                elif action[0] == "stuck":
                    self.stuck = True
                    while not self.done:  # until cancel() closes us
                        if should_stop is not None and await should_stop():
                            return
                        await asyncio.sleep(poll_s)
        finally:
            self.streaming = False
            self._due = clock.monotonic()

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
        if action[0] == "event" and self._sink is not None:
            self._sink.append((action[1], action[2]))
        return action
