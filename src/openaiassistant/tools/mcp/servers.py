"""The MCP sessions of one process: started once, reused by every turn, restarted when dead.

A Keep worker runs many steps, each building its own tool registry; starting a server process
(or an HTTP session) per step would cost a second or more each time. :class:`McpServers`
keeps one session per distinct server entry (same command/env/cwd, or same URL/headers) and
hands it to every registry. A session whose process exited or whose HTTP session the server
dropped is replaced on next use. :func:`default_servers` is the process's shared instance
(made on first use; closed at interpreter exit).
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

from ...errors import ToolError
from .jsonrpc import McpConnectionError, McpProtocolError
from .session import McpSession
from .spec import McpServerSpec
from .stdio import StdioTransport
from .streamable_http import StreamableHttpTransport

__all__ = ["McpServerError", "McpServers", "default_servers"]

logger = logging.getLogger("openaiassistant.tools.mcp")


class McpServerError(ToolError):
    """An MCP server could not be started, initialized or listed (names the server)."""


class McpServers:
    """Sessions keyed by server entry; thread-safe."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[Any, ...], McpSession] = {}
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()
        self.started = 0  # sessions started so far (a restart counts again)

    def session(self, spec: McpServerSpec) -> McpSession:
        """The live session for ``spec``, started (or restarted) now if needed.

        Raises McpServerError naming the server when it cannot start or initialize.
        """
        with self._lock:
            key_lock = self._locks.setdefault(spec.key, threading.Lock())
        with key_lock:
            current = self._sessions.get(spec.key)
            if current is not None and current.alive:
                return current
            if current is not None:
                logger.warning(
                    "MCP server %s (%s) is gone; starting a new session", spec.name, current.transport.describe()
                )
                current.close()
            session = McpSession(name=spec.name, transport=_transport(spec))
            try:
                session.start(timeout=spec.startup_timeout)
            except (McpConnectionError, McpProtocolError, OSError) as exc:
                said = session.transport.diagnostics()
                detail = str(exc) if not said or said in str(exc) else f"{exc}; it said: {said}"
                raise McpServerError(
                    f"MCP server {spec.name!r} ({session.transport.describe()}) could not start: {detail}"
                ) from None
            self._sessions[spec.key] = session
            self.started += 1
            logger.info(
                "MCP server %s (%s) ready: %s, protocol %s",
                spec.name,
                session.transport.describe(),
                session.server_info.get("name", "?"),
                session.protocol_version,
            )
            return session

    def forget(self, spec: McpServerSpec, session: McpSession) -> None:
        """Drop ``session`` (it failed); the next use starts a new one."""
        with self._lock:
            if self._sessions.get(spec.key) is session:
                del self._sessions[spec.key]
        session.close()

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            try:
                session.close()
            except Exception:  # shutting down: nothing left to tell
                logger.debug("closing MCP session %s failed", session.name, exc_info=True)


def _transport(spec: McpServerSpec) -> Any:
    if spec.url is not None:
        return StreamableHttpTransport(url=spec.url, headers=dict(spec.headers))
    return StdioTransport(command=spec.command, env=dict(spec.env), cwd=spec.cwd)


_DEFAULT: McpServers | None = None
_DEFAULT_LOCK = threading.Lock()


def default_servers() -> McpServers:
    """The process's shared sessions (closed at interpreter exit)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = McpServers()
            atexit.register(_DEFAULT.close)
        return _DEFAULT
