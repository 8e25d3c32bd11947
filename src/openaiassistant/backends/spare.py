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
* a spare left when the process exits is deleted (best effort, ``atexit``; one still being made
  is waited for, a few seconds at most); so is one whose key is pushed out of the table, also
  when it is made after that.

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
_EXIT_WAIT = 5.0  # seconds the exit waits for a spare still being made, to delete it too


class _Spare:
    """The spare of one key: at most one ready, at most one being made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: tuple[str, Callable[[str], None]] | None = None
        self._making: threading.Thread | None = None
        self._closed = False  # pushed out or exiting: a spare made from now on is deleted at once
        self._started = 0  # new conversations turns of this key have started so far

    def take(self, *, make: Callable[[], str], discard: Callable[[str], None]) -> str | None:
        """The ready spare (None: the turn makes its own); the next is started from the second
        turn on."""
        with self._lock:
            ready, self._ready = self._ready, None
            self._started += 1
            maker = None
            if self._started >= 2 and self._making is None and not self._closed:
                maker = self._making = threading.Thread(
                    target=self._make, args=(make, discard), name="openaiassistant-spare", daemon=True
                )
        if maker is not None:
            maker.start()
        return ready[0] if ready is not None else None

    def _make(self, make: Callable[[], str], discard: Callable[[str], None]) -> None:
        try:
            made: str | None = make()
        except Exception as exc:  # the next turn makes its own
            log.debug("a spare conversation could not be made: %s", exc)
            made = None
        with self._lock:
            self._making = None
            if made is not None and not self._closed:
                self._ready, made = (made, discard), None
        if made is not None:  # nobody will take it any more
            _delete(made, discard)

    def close(self, *, wait: float = 0.0) -> None:
        """Delete the ready spare, and one still being made once it is (``wait``: seconds to
        wait for that here, as the exit does)."""
        with self._lock:
            self._closed = True
            maker = self._making
        if maker is not None and wait > 0:
            maker.join(wait)
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is not None:
            _delete(*ready)


def _delete(made: str, discard: Callable[[str], None]) -> None:
    try:
        discard(made)
    except Exception as exc:  # at exit, or pushed out: nothing more to do
        log.debug("the spare conversation %s could not be deleted: %s", made, exc)


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
        evicted.close()
    return spare.take(make=make, discard=discard)


@atexit.register
def _discard_all() -> None:
    with _GUARD:
        spares = list(_SPARES.values())
        _SPARES.clear()
    for spare in spares:
        spare.close(wait=_EXIT_WAIT)
