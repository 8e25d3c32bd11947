"""Checks on one SSE stream as a whole (each event's shape is checked by the spec validator).

* Responses: ``sequence_number`` strictly increases; exactly one terminal event
  (``response.completed | response.failed | response.incomplete | error``) and nothing after it.
* Assistants: exactly one ``done`` event, and it is the last.

A stream cut on purpose (the ``stream_cut`` fault) or left by its client ends early; only
streams that ran to their end must have their terminal event. Problems are strings, like spec
violations, and count as violations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["StreamChecker"]

RESPONSES_TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete", "error"})
ASSISTANTS_TERMINAL = frozenset({"done"})


@dataclass
class StreamChecker:
    """Feed every event with :meth:`see`, then call :meth:`end` when the stream ran out."""

    api: str  # "responses" | "assistants"
    where: str
    problems: list[str] = field(default_factory=list)
    _last_sequence: int | None = None
    _terminal: str | None = None
    _count: int = 0

    @property
    def terminals(self) -> frozenset[str]:
        return RESPONSES_TERMINAL if self.api == "responses" else ASSISTANTS_TERMINAL

    def see(self, name: str, data: Any) -> list[str]:
        """Check one event in stream order; returns the problems it adds."""
        found: list[str] = []
        self._count += 1
        if self._terminal is not None:
            found.append(f"{self.where}: event #{self._count} {name!r} after the terminal event {self._terminal!r}")
        if name in self.terminals:
            self._terminal = self._terminal or name
        if self.api == "responses":
            found += self._sequence(name, data)
        self.problems += found
        return found

    def _sequence(self, name: str, data: Any) -> list[str]:
        number = data.get("sequence_number") if isinstance(data, dict) else None
        if not isinstance(number, int) or isinstance(number, bool):
            return [f"{self.where}: event #{self._count} {name!r} has no integer sequence_number"]
        previous, self._last_sequence = self._last_sequence, number
        if previous is not None and number <= previous:
            return [
                f"{self.where}: event #{self._count} {name!r} has sequence_number {number}, "
                f"not above the previous {previous}"
            ]
        return []

    def end(self, *, terminal_expected: bool = True) -> list[str]:
        """The stream ran to its end: it must have had its terminal event (unless the caller
        says none is due, e.g. a background response cancelled while streamed)."""
        found = []
        if self._terminal is None and terminal_expected:
            wanted = " | ".join(sorted(self.terminals))
            found.append(
                f"{self.where}: the stream ended after {self._count} events without a terminal event ({wanted})"
            )
        self.problems += found
        return found
