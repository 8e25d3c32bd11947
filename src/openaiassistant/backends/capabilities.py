"""What a Responses server takes, learned per server for the life of the process, or pinned.

OpenAI serves every mode this package uses; compatible servers do not:

==================  ===========================================================================
``conversations``   ``/v1/conversations`` exists (LiteLLM's proxy has none: 404). Without it the
                    conversation is kept in our own record (the thread registry's
                    :class:`~openaiassistant.registry.ConversationLog`) and sent as input;
                    ``previous_response_id`` is never trusted for history (LiteLLM without its
                    database accepts it and silently drops the earlier turns).
``background``      ``background: true`` (start, poll and cancel on the server). Without it a
                    response runs inside its request: the turn's deadline ends the request (and
                    the stream), but nothing can cancel it on the server.
``stream_background``  ``stream`` and ``background`` in one request (llama-stack 0.7.3 refuses
                    them together: 400 "does not yet support 'stream' and 'background'
                    together"). Without it a streamed turn streams without background.
``truncation``      the ``truncation`` parameter (llama-stack refuses ``auto``); without it the
                    server's default applies.
==================  ===========================================================================

A server's refusal is recognised in its own words (:func:`refused`); the turn then falls back
to the nearest mode the server takes, once, re-sending a request the server refused (it created
nothing, so nothing is doubled), and the book remembers it for that server: every later turn
starts in the fallback mode. Each fallback is logged once per server (WARNING on
``openaiassistant.backends``) and noted to the turn's progress sink.

The chat backend's modes (``json_schema`` and ``json_object`` in ``response_format``,
``stream_usage`` = ``stream_options.include_usage``, ``max_tokens`` = the limit under that name
rather than ``max_completion_tokens``) are learned the same way from a chat server's refusals.

``ConnectionSettings(capabilities="conversations=off,stream_background=off")`` pins modes up
front for a server the user knows (no failed first request); ``name=on`` pins a mode on (never
learned away).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping

from openaiassistant import progress
from openaiassistant.errors import APIError, ConfigError
from openaiassistant.values import parse_bool

__all__ = ["BOOK", "parse", "refused"]

log = logging.getLogger("openaiassistant.backends")

# Responses modes, then chat-completions modes (backend: chat, see backends/chat.py)
RESPONSES_NAMES = ("conversations", "background", "stream_background", "truncation")
CHAT_NAMES = ("json_schema", "json_object", "stream_usage", "max_tokens")
NAMES = RESPONSES_NAMES + CHAT_NAMES
_FALLBACK = {
    "json_schema": "a JSON schema is asked for in the system message (json_object mode) and the answer validated",
    "json_object": "JSON is asked for in the system message and the answer checked (no response_format sent)",
    "stream_usage": "streams are read without stream_options (a streamed turn may report no usage)",
    "max_tokens": "the token limit is sent as max_completion_tokens",
    "conversations": "the conversation is kept in our own record (the thread registry) and sent as input",
    "background": "responses run inside their request (the deadline ends the request; no cancel on the server)",
    "stream_background": "streamed responses are not started in background mode",
    "truncation": "the truncation parameter is not sent (the server's default applies)",
}
_NOT_SUPPORTED = re.compile(
    r"(?i)(not\s+(yet\s+)?support|unsupported|not\s+implemented|unknown\s+parameter|unrecognized|"
    r"extra\s+(inputs|fields)\s+(are\s+)?not\s+permitted|not\s+allowed|not\s+available|invalid\s+parameter)"
)


def parse(text: str | Mapping[str, object] | None) -> dict[str, bool]:
    """``"conversations=off, background=on"`` (or a mapping) as ``{name: bool}``."""
    if text is None or text == "":
        return {}
    pairs: list[tuple[str, object]]
    if isinstance(text, Mapping):
        pairs = [(str(k), v) for k, v in text.items()]
    elif isinstance(text, str):
        pairs = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, sep, value = part.partition("=")
            if not sep:
                raise ConfigError("capabilities", f"expected NAME=on|off, got {part!r}")
            pairs.append((name.strip(), value.strip()))
    else:
        raise ConfigError("capabilities", f"must be text like 'conversations=off', got {text!r}")
    pinned: dict[str, bool] = {}
    for given, setting in pairs:
        key = given.lower().replace("-", "_").replace("+", "_")
        if key not in NAMES:
            raise ConfigError("capabilities", f"{given!r} is not one of {', '.join(NAMES)}")
        pinned[key] = parse_bool(f"capabilities.{key}", setting)
    return pinned


def refused(error: APIError, *, sent: set[str]) -> str | None:
    """Which of the modes in ``sent`` the server refused with ``error``, judged from its words
    (None: the error is about something else). Only 4xx answers, and 5xx answers that say the
    mode is not supported (llama-stack answers an unsupported truncation with a 500), count."""
    status = error.http_status or 0
    message = error.message
    if not (400 <= status < 600) or not _NOT_SUPPORTED.search(message):
        return None
    lowered = message.lower()
    if "stream_background" in sent and "stream" in lowered and "background" in lowered:
        return "stream_background"
    for name in ("background", "truncation"):
        if name in sent and re.search(rf"\b{name}\b", lowered):
            return name
    return None


class CapabilityBook:
    """Learned capabilities per server (a base URL), shared by every turn of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._learned: dict[str, dict[str, bool]] = {}

    def allows(self, server: str, name: str, *, pinned: Mapping[str, bool]) -> bool:
        """Whether to use mode ``name`` on ``server`` (pinned beats learned; unknown: yes)."""
        if name in pinned:
            return pinned[name]
        with self._lock:
            return self._learned.get(server, {}).get(name, True)

    def learn_missing(self, server: str, name: str, *, why: str) -> None:
        """``server`` does not take ``name``: remember it and say so, once per server."""
        with self._lock:
            known = self._learned.setdefault(server, {})
            first = known.get(name, True)
            known[name] = False
        message = f"{server} does not support {name} ({why}); from now on {_FALLBACK[name]}"
        if first:
            log.warning("%s", message)
        progress.note(message)

    def forget(self, server: str | None = None) -> None:
        """Forget what was learned (about one server, or all): tests, or a server upgraded."""
        with self._lock:
            if server is None:
                self._learned.clear()
            else:
                self._learned.pop(server, None)


BOOK = CapabilityBook()
