"""Faults abort connections on purpose (:class:`StreamCut`, :class:`ConnectionDrop`): recognise
them, and keep uvicorn from logging their tracebacks."""

from __future__ import annotations

import logging

from openaiassistant.emulator.http import StreamCut
from openaiassistant.emulator.middleware import ConnectionDrop

__all__ = ["install_log_filter", "is_abort"]


class _QuietAborts(logging.Filter):
    """Hide uvicorn's traceback for connections we abort on purpose (faults)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not is_abort(exc)


def is_abort(exc: BaseException | None) -> bool:
    """Is this (or anything it wraps or was caused by) one of our deliberate aborts?"""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (StreamCut, ConnectionDrop)):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend([current.__cause__, current.__context__])
    return False


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietAborts) for f in logger.filters):
        logger.addFilter(_QuietAborts())
