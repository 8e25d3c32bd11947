"""Who this worker is, and whether another worker is still alive.

A worker is one process: ``host:pid:nonce`` (the nonce tells a new process from an old one that
had the same pid). Holders of locks and slots are ``worker/turn`` ids, so whoever finds a lock
can tell which worker holds it. A worker on this host whose process is gone is dead at once;
one on another host is dead when its lease runs out (nobody renews it any more).
"""

from __future__ import annotations

import os
import socket
import uuid

__all__ = ["holder_id", "is_dead", "owner_of", "worker_id"]

_HOST = socket.gethostname()
_worker: tuple[int, str] | None = None


def worker_id() -> str:
    """This process's id (a forked child gets its own)."""
    global _worker
    pid = os.getpid()
    if _worker is None or _worker[0] != pid:
        _worker = (pid, f"{_HOST}:{pid}:{uuid.uuid4().hex[:8]}")
    return _worker[1]


def holder_id() -> str:
    """A new holder id for one turn of this worker."""
    return f"{worker_id()}/{uuid.uuid4().hex[:12]}"


def owner_of(holder: str) -> str:
    """The worker part of a holder id."""
    return holder.split("/", 1)[0]


def is_dead(holder_or_worker: str | None) -> bool:
    """True only when the worker certainly is gone: it ran on this host and its process has
    ended (or is another program now: a different nonce means nothing here, so pid reuse makes
    a dead worker look alive, never the other way round)."""
    if not holder_or_worker:
        return False
    host, _, rest = owner_of(holder_or_worker).partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner_of(holder_or_worker) != worker_id()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child its parent has not reaped yet still answers kill(0); it is dead."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return False
