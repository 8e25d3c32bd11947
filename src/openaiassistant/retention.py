"""Retention: conversations idle for longer than N days are deleted as new ones are recorded.

The Keep provider's ``retention_days`` runs :meth:`Retention.after_turn` after each turn that
recorded a conversation: at most once per ``interval`` per (registry, tenant, server), it deletes
up to ``batch`` conversations of that tenant idle for longer than the retention, on the server
and in the registry (see :meth:`~openaiassistant.conversations.Conversations.cleanup`). A
failure is logged, never raised: the turn's answer matters more than the housekeeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from openaiassistant.redaction import redact
from openaiassistant.values import parse_number

__all__ = ["Retention", "forget_schedule", "parse_retention_days"]

log = logging.getLogger("openaiassistant.retention")
_LAST: dict[tuple[str, str, str], float] = {}  # (registry, tenant, server) -> when it last ran
_LOCK = threading.Lock()


def parse_retention_days(value: Any) -> float | None:
    """``retention_days`` (a number of days > 0, numeric text accepted: ``30``, ``"30"``,
    ``"0.5"``) or None when not given; at most what a ``timedelta`` holds."""
    if value is None or value == "":
        return None
    return parse_number("retention_days", value, low=0, high=timedelta.max.days, low_excluded=True)


class Retention:
    def __init__(
        self,
        days: float,
        *,
        interval: float = 600.0,
        batch: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle = timedelta(days=days)
        self.interval = interval
        self.batch = batch
        self._clock = clock

    def due(self, key: tuple[str, str, str]) -> bool:
        """Whether a pass is due for this key (and, if so, claims it)."""
        with _LOCK:
            now = self._clock()
            last = _LAST.get(key)
            if last is not None and now - last < self.interval:
                return False
            _LAST[key] = now
            return True

    def after_turn(self, conversations: Any, *, tenant: str | None, registry_url: str) -> Any:
        """One cleanup pass when due; returns its report (None when not due or it failed)."""
        key = (registry_url, tenant or "", conversations.server)
        if not self.due(key):
            return None
        try:
            report = conversations.cleanup(idle=self.idle, tenant=tenant, limit=self.batch)
        except Exception as exc:  # noqa: BLE001 - housekeeping never fails a turn
            log.warning("retention cleanup failed: %s: %s", type(exc).__name__, redact(str(exc))[:300])
            return None
        if report.deleted or report.missing or report.failed:
            log.info(
                "retention: deleted %d conversations idle for more than %s (%d already gone, %d failed)",
                len(report.deleted) + len(report.missing),
                self.idle,
                len(report.missing),
                len(report.failed),
            )
        return report


def forget_schedule() -> None:
    """Forget when passes last ran (tests)."""
    with _LOCK:
        _LAST.clear()
