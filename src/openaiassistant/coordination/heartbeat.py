"""One daemon thread per process that renews this worker's leases while it lives.

Leases (a Redis lock or turn slot, a run recorded in the registry) last :data:`LEASE` seconds
unless renewed; the heartbeat renews each every :data:`INTERVAL`. When the process dies the
renewals stop and the leases run out by themselves: that is how a dead worker's locks are
released on other hosts (on its own host a dead worker is seen at once, see ``worker.py``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from openaiassistant.redaction import redact

__all__ = ["INTERVAL", "LEASE", "Heartbeat", "heartbeat"]

LEASE = 15.0
INTERVAL = LEASE / 3
log = logging.getLogger("openaiassistant.coordination")

Renew = Callable[[], bool]  # False: the lease is lost (someone broke it): stop renewing


class Heartbeat:
    def __init__(self, *, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._guard = threading.Lock()
        self._renewals: dict[int, tuple[str, Renew]] = {}
        self._next = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def add(self, what: str, renew: Renew) -> int:
        """Renew ``renew`` until :meth:`remove`; ``what`` names it in warnings."""
        with self._guard:
            if self._pid != os.getpid():  # forked: the parent's thread and leases are not ours
                self._renewals.clear()
                self._thread, self._pid = None, os.getpid()
            self._next += 1
            self._renewals[self._next] = (what, renew)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="openaiassistant-heartbeat", daemon=True)
                self._thread.start()
            return self._next

    def remove(self, token: int) -> None:
        with self._guard:
            self._renewals.pop(token, None)

    def beat(self) -> None:
        """Renew everything once (the thread does this every ``interval``)."""
        with self._guard:
            items = list(self._renewals.items())
        for token, (what, renew) in items:
            try:
                kept = renew()
            except Exception as exc:  # noqa: BLE001 - a store hiccup; try again next beat
                log.warning("could not renew the lease of %s: %s", what, redact(f"{type(exc).__name__}: {exc}")[:200])
                continue
            if not kept:
                log.warning("the lease of %s was lost (broken by another worker or expired)", what)
                self.remove(token)

    def _run(self) -> None:
        while not self._wake.wait(self.interval):
            self.beat()


heartbeat = Heartbeat()
