"""One MCP session: the lifecycle from the spec (basic/lifecycle) over any transport.

    start the transport (process, or HTTP client)
    initialize {protocolVersion, capabilities: {}, clientInfo}  -> server's version + capabilities
        the server's version must be one we speak (else: disconnect, a clear error)
    notifications/initialized
    tools/list (following nextCursor to the end)                 -> cached until list_changed
    tools/call {name, arguments}                                 -> result (content, isError, ...)
    a call given up on: notifications/cancelled {requestId, reason}
    close: the transport's own shutdown (stdin closed / HTTP DELETE)

Requests from the server are answered: ``ping`` with ``{}``, anything else (sampling, roots,
elicitation: capabilities we do not declare) with "method not found". Notifications are logged;
``notifications/tools/list_changed`` drops the cached tool list.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from ... import __version__ as _package_version
from ...redaction import redact
from .jsonrpc import (
    METHOD_NOT_FOUND,
    ErrorResponse,
    McpConnectionError,
    McpProtocolError,
    Message,
    Notification,
    PendingRequests,
    Request,
    Response,
    error_message,
    notification,
    request,
    result_message,
)
from .transport import Callbacks, Transport

__all__ = ["McpSession", "PROTOCOL_VERSIONS"]

logger = logging.getLogger("openaiassistant.tools.mcp")

# The protocol revisions this client speaks, newest first (the first is what we ask for).
PROTOCOL_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")
_MAX_TOOL_PAGES = 100


class McpSession:
    """An initialized session with one server; thread-safe; not bound to any event loop."""

    def __init__(self, *, name: str, transport: Transport) -> None:
        self.name = name
        self.transport = transport
        self._pending = PendingRequests()
        self._tools: list[dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self.protocol_version: str | None = None
        self.server_info: dict[str, Any] = {}
        self.capabilities: dict[str, Any] = {}
        self.instructions: str | None = None
        self._closed: BaseException | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, *, timeout: float) -> None:
        """Start the transport and initialize; raises McpConnectionError / McpProtocolError."""
        deadline = time.monotonic() + timeout
        self.transport.start(
            Callbacks(on_message=self._on_message, on_request_failed=self._on_failed, on_closed=self._on_closed)
        )
        try:
            result = self.request(
                "initialize",
                {
                    "protocolVersion": PROTOCOL_VERSIONS[0],
                    "capabilities": {},
                    "clientInfo": {"name": "openaiassistant", "version": _package_version},
                },
            ).result(timeout=max(deadline - time.monotonic(), 0.01))
        except FutureTimeout:
            self.close()
            raise McpConnectionError(f"it did not answer initialize within {timeout:g} s") from None
        except BaseException:
            self.close()
            raise
        version = result.get("protocolVersion") if isinstance(result, dict) else None
        if version not in PROTOCOL_VERSIONS:
            self.close()
            raise McpProtocolError(
                f"it speaks MCP protocol version {version!r}; this client speaks {', '.join(PROTOCOL_VERSIONS)}"
            )
        self.protocol_version = version
        self.server_info = dict(result.get("serverInfo") or {})
        self.capabilities = dict(result.get("capabilities") or {})
        self.instructions = result.get("instructions")
        self.transport.negotiated(version)
        self.transport.send(notification("notifications/initialized"))

    @property
    def alive(self) -> bool:
        return self._closed is None and self.transport.alive

    def close(self) -> None:
        if self._closed is None:
            self._closed = McpConnectionError("the session was closed")
        self._pending.fail_all(self._closed)
        self.transport.close()

    # -- requests -----------------------------------------------------------------------------

    def request(self, method: str, params: dict[str, Any] | None = None) -> Future[Any]:
        """Send a request; the future completes with its result (or raises the server's error)."""
        request_id, future = self._pending.open()
        future.request_id = request_id  # type: ignore[attr-defined]
        if future.done():  # the session is closed
            return future
        try:
            self.transport.send(request(request_id, method, params))
        except BaseException as exc:
            self._pending.forget(request_id)
            if not future.done():
                future.set_exception(exc)
        return future

    def cancel(self, future: Future[Any], reason: str) -> None:
        """Tell the server we gave up on a request (spec: notifications/cancelled)."""
        request_id = getattr(future, "request_id", None)
        if request_id is None or future.done():
            return
        self._pending.forget(request_id)
        with contextlib.suppress(McpConnectionError, OSError):
            self.transport.send(notification("notifications/cancelled", {"requestId": request_id, "reason": reason}))
        stop = getattr(self.transport, "cancel", None)
        if callable(stop):
            stop(request_id)

    def list_tools(self, *, timeout: float) -> list[dict[str, Any]]:
        """Every tool the server offers, following ``nextCursor`` (cached until it changes)."""
        with self._lock:
            if self._tools is not None:
                return list(self._tools)
        deadline = time.monotonic() + timeout
        tools: list[dict[str, Any]] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _page in range(_MAX_TOOL_PAGES):
            future = self.request("tools/list", {"cursor": cursor} if cursor else None)
            try:
                page = future.result(timeout=max(deadline - time.monotonic(), 0.01))
            except FutureTimeout:
                self.cancel(future, "timed out")
                raise McpConnectionError(f"tools/list did not answer within {timeout:g} s") from None
            if not isinstance(page, dict) or not isinstance(page.get("tools"), list):
                raise McpProtocolError(f"tools/list answered without a tools list: {str(page)[:200]}")
            tools.extend(t for t in page["tools"] if isinstance(t, dict))
            cursor = page.get("nextCursor")
            if not cursor or cursor in seen:
                break
            seen.add(cursor)
        with self._lock:
            self._tools = tools
        return list(tools)

    # -- what the transport hands us ------------------------------------------------------------

    def _on_message(self, message: Message) -> None:
        match message:
            case Response() | ErrorResponse():
                if not self._pending.deliver(message):
                    logger.debug("MCP server %s answered request %r nobody waits for", self.name, message.id)
            case Request(id=request_id, method="ping"):
                self._reply(result_message(request_id, {}))
            case Request(id=request_id, method=method):
                self._reply(error_message(request_id, METHOD_NOT_FOUND, f"this client does not offer {method}"))
            case Notification(method="notifications/tools/list_changed"):
                with self._lock:
                    self._tools = None
            case Notification(method="notifications/message", params=params):
                logger.info("MCP server %s: %s", self.name, redact(str((params or {}).get("data", params))[:500]))
            case Notification(method=method):
                logger.debug("MCP server %s sent %s", self.name, method)

    def _reply(self, message: dict[str, Any]) -> None:
        try:
            self.transport.send(message)
        except McpConnectionError as exc:
            logger.debug("could not answer MCP server %s: %s", self.name, exc)

    def _on_failed(self, request_id: Any, error: BaseException) -> None:
        self._pending.fail(request_id, error)
        if isinstance(error, McpConnectionError) and not self.transport.alive:
            self._on_closed(error)

    def _on_closed(self, error: BaseException) -> None:
        if self._closed is None:
            self._closed = error
        self._pending.fail_all(error)
