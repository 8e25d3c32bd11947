"""Progress notes while a turn waits: "waiting for the server (503, retry 2 of 5 in 1.6 s)".

A turn that waits more than a couple of seconds (retries after 429/5xx or a dropped
connection, a conversation busy with another run, a capability fallback) says so, so a person
watching a terminal or a workflow log knows it is not hung. The sink is per turn, held in a
context variable: the CLI prints to stderr, the Keep provider writes to the workflow's log;
concurrent turns (Keep runs up to 20 workflow threads) each report to their own sink.

    with reporting(print):
        assistant.run_turn(...)        # notes go to print
    note("...")                        # anywhere below: to the current turn's sink, if any

``Assistant.run_turn(on_progress=...)`` sets it for a turn. Notes are also logged at INFO on the
``openaiassistant.progress`` logger. Messages pass through :func:`~openaiassistant.errors.redact`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator

from openaiassistant.redaction import redact

__all__ = ["NOTABLE_SECONDS", "note", "reporting"]

ProgressSink = Callable[[str], None]
log = logging.getLogger("openaiassistant.progress")
_SINK: contextvars.ContextVar[ProgressSink | None] = contextvars.ContextVar("openaiassistant_progress", default=None)
# waits shorter than this are not worth a note
NOTABLE_SECONDS = 2.0


@contextlib.contextmanager
def reporting(sink: ProgressSink | None) -> Iterator[None]:
    """Send the notes made inside this block (in this thread or context) to ``sink``."""
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)


def note(message: str) -> None:
    """Report one progress note to the current turn's sink (never raises)."""
    text = redact(message)
    log.info("%s", text)
    sink = _SINK.get()
    if sink is None:
        return
    try:
        sink(text)
    except Exception:  # noqa: BLE001 - a broken sink must not break the turn
        log.debug("progress sink failed", exc_info=True)
