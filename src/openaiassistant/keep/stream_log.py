"""``stream: true``: the answer goes into the workflow's log as it arrives.

Keep's workflow log is whatever its providers log from the workflow's thread (a root-logger
filter stamps records with the thread's workflow ids). Deltas are often a word or less, and a
log line per delta would drown the log, so text is gathered and written a line at a time (or
every ``max_chars`` when the model writes one very long line).
"""

from __future__ import annotations

import logging
import threading

__all__ = ["StreamLogger"]

_WORKFLOW_THREAD_ATTRS = (
    "workflow_id",
    "workflow_execution_id",
    "tenant_id",
    "provider_type",
    "workflow_debug",
    "step_id",
)


class StreamLogger:
    """A callable for ``Assistant.run_turn(on_text=...)`` that writes complete lines to a logger."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter, *, prefix: str, max_chars: int = 240) -> None:
        self._logger = logger
        self._prefix = prefix
        self._max_chars = max_chars
        self._buffer = ""
        self._lock = threading.Lock()
        # If the engine calls back from a worker thread, its records must still carry the
        # workflow's ids, which Keep reads from the current thread.
        self._origin = threading.current_thread()
        self.lines: list[str] = []

    def __call__(self, delta: str) -> None:
        with self._lock:
            self._buffer += delta
            while "\n" in self._buffer or len(self._buffer) >= self._max_chars:
                if "\n" in self._buffer:
                    line, self._buffer = self._buffer.split("\n", 1)
                else:
                    line, self._buffer = self._buffer[: self._max_chars], self._buffer[self._max_chars :]
                self._emit(line)

    def flush(self) -> None:
        """Write what is left (the last line has no newline)."""
        with self._lock:
            if self._buffer:
                self._emit(self._buffer)
                self._buffer = ""

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        self.lines.append(line)
        current = threading.current_thread()
        if current is not self._origin:
            for attr in _WORKFLOW_THREAD_ATTRS:
                if hasattr(self._origin, attr) and not hasattr(current, attr):
                    setattr(current, attr, getattr(self._origin, attr))
        self._logger.info("%s%s", self._prefix, line)
