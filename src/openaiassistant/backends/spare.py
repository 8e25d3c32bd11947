"""A conversation (or thread) made ahead of the turn that will need it.

A turn that starts a new conversation waits for ``POST /conversations`` (Assistants:
``POST /threads``) before it can send its message: one more round trip before the model starts
(on OpenAI's API some 100-300 ms). A process that starts many of them, like a Keep worker with a
conversation per alert, gets the next one made while the current turn runs:

* from the second new conversation a process starts with one key on one server, each turn that
  starts one also has the next made in the background; the turn after it takes that spare and
  sends its message at once. A process that starts one conversation (a CLI call) never makes a
  spare, so it leaves nothing behind;
* only a turn without thread metadata takes a spare (metadata is set when a conversation is
  made), and only a spare made with the same creation fields (``key``);
* at most one spare per key, and one being made; a spare that could not be made is nothing
  (the next turn makes its own, as without spares);
* a spare left when the process exits is deleted (best effort, ``atexit``).

A spare is empty and nobody else knows its id, so a turn on it is a turn on a new conversation
(the landing checks of a new conversation hold: nothing was in it before our message).

``AssistantSpec.spare_threads=True`` switches it on (off by default: a spare is a request made
in the background, which a process counting its requests, or a server whose request log is read
in order, would not expect).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openaiassistant.settings import ConnectionSettings

__all__ = ["key_of", "take_spare"]

log = logging.getLogger("openaiassistant.backends")

_MAX_KEYS = 64  # keys remembered per process (each holds at most one spare)


class _Spare:
    """The spare of one key: at most one ready, at most one being made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: tuple[str, Callable[[str], None]] | None = None
        self._making = False
        self._started = 0  # new conversations turns of this key have started so far

    def take(self, *, make: Callable[[], str], discard: Callable[[str], None]) -> str | None:
        """The ready spare (None: the turn makes its own); the next is started from the second
        turn on."""
        with self._lock:
            ready, self._ready = self._ready, None
            self._started += 1
            start = self._started >= 2 and not self._making
            self._making = self._making or start
        if start:
            threading.Thread(target=self._make, args=(make, discard), name="openaiassistant-spare", daemon=True).start()
        return ready[0] if ready is not None else None

    def _make(self, make: Callable[[], str], discard: Callable[[str], None]) -> None:
        try:
            made: str | None = make()
        except Exception as exc:  # the next turn makes its own
            log.debug("a spare conversation could not be made: %s", exc)
            made = None
        with self._lock:
            self._making = False
            if made is not None:
                self._ready = (made, discard)

    def discard(self) -> None:
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is not None:
            try:
                ready[1](ready[0])
            except Exception as exc:  # at exit: nothing more to do
                log.debug("the spare conversation %s could not be deleted: %s", ready[0], exc)


def key_of(backend: str, connection: ConnectionSettings, server: str, *fields: Hashable) -> tuple[Hashable, ...]:
    """What a spare must match to serve a turn: backend, server, API key (hashed: a
    conversation belongs to the key's project), organization, project and creation fields."""
    digest = hashlib.sha256((connection.resolved_api_key() or "").encode()).hexdigest()[:20]
    return (backend, server, digest, connection.organization, connection.project, *fields)


_SPARES: dict[Hashable, _Spare] = {}
_GUARD = threading.Lock()


def take_spare(key: Hashable, *, make: Callable[[], str], discard: Callable[[str], None]) -> str | None:
    """A spare made ahead for ``key`` (backend, server, API key and creation fields), or None;
    ``make`` makes the next one (in the background), ``discard`` deletes one left at exit."""
    evicted = None
    with _GUARD:
        spare = _SPARES.get(key)
        if spare is None:
            if len(_SPARES) >= _MAX_KEYS:
                evicted = _SPARES.pop(next(iter(_SPARES)))
            spare = _SPARES[key] = _Spare()
    if evicted is not None:
        evicted.discard()
    return spare.take(make=make, discard=discard)


@atexit.register
def _discard_all() -> None:
    with _GUARD:
        spares = list(_SPARES.values())
    for spare in spares:
        spare.discard()
