"""JSON-RPC 2.0 framing for MCP: the messages we send, the ones we receive, and pending requests.

Hand-written on purpose: the official ``mcp`` SDK needs pydantic >= 2.12 and httpx2, which
cannot be installed beside Keep's pins (pydantic 1.10, httpx 0.26), and the protocol layer we
need (requests, responses, notifications, a table of waiting requests) is small.

Incoming messages are classified into four kinds (:func:`classify`); a response is matched to
its request by id in :class:`PendingRequests`, whose futures are thread-safe
(``concurrent.futures.Future``), so a session is never bound to one event loop.
"""

from __future__ import annotations

import itertools
import json
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ErrorResponse",
    "METHOD_NOT_FOUND",
    "McpConnectionError",
    "McpProtocolError",
    "Message",
    "Notification",
    "PendingRequests",
    "Request",
    "Response",
    "classify",
    "decode_line",
    "encode",
    "error_message",
    "notification",
    "request",
    "result_message",
]

# JSON-RPC error codes used here (the spec's standard ones).
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602


class McpProtocolError(Exception):
    """The server answered a request with a JSON-RPC error, or broke the protocol."""

    def __init__(self, message: str, *, code: int | None = None, data: Any = None) -> None:
        self.code = code
        self.data = data
        super().__init__(message)


class McpConnectionError(Exception):
    """The transport failed: the process exited, the connection broke, the session is gone."""


@dataclass(frozen=True, kw_only=True)
class Response:
    id: Any
    result: Any


@dataclass(frozen=True, kw_only=True)
class ErrorResponse:
    id: Any
    code: int | None
    message: str
    data: Any = None


@dataclass(frozen=True, kw_only=True)
class Request:
    id: Any
    method: str
    params: Any = None


@dataclass(frozen=True, kw_only=True)
class Notification:
    method: str
    params: Any = None


Message = Response | ErrorResponse | Request | Notification


def request(id_: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def result_message(id_: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "result": result}


def error_message(id_: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "error": {"code": code, "message": message}}


def encode(message: dict[str, Any]) -> bytes:
    """One message as one line: JSON never holds a raw newline (they are escaped in strings)."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def classify(data: Any) -> list[Message]:
    """The messages in one decoded JSON value (a batch is a list). Unknown shapes raise."""
    items = data if isinstance(data, list) else [data]
    out: list[Message] = []
    for item in items:
        if not isinstance(item, dict):
            raise McpProtocolError(f"not a JSON-RPC message: {str(item)[:200]}")
        if "method" in item:
            if "id" in item and item["id"] is not None:
                out.append(Request(id=item["id"], method=str(item["method"]), params=item.get("params")))
            else:
                out.append(Notification(method=str(item["method"]), params=item.get("params")))
        elif "error" in item:
            error = item["error"] if isinstance(item["error"], dict) else {"message": str(item["error"])}
            code = error.get("code")
            out.append(
                ErrorResponse(
                    id=item.get("id"),
                    code=code if isinstance(code, int) else None,
                    message=str(error.get("message") or "error without a message"),
                    data=error.get("data"),
                )
            )
        elif "result" in item:
            out.append(Response(id=item.get("id"), result=item["result"]))
        else:
            raise McpProtocolError(f"not a JSON-RPC message: {json.dumps(item)[:200]}")
    return out


def decode_line(line: bytes | str) -> list[Message]:
    """Parse one line of a stdio stream (raises McpProtocolError for anything but JSON-RPC)."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        raise McpProtocolError(f"not JSON ({exc}): {text[:200]!r}") from None
    return classify(data)


class PendingRequests:
    """Request ids and the futures waiting for their responses (thread-safe)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._waiting: dict[Any, Future[Any]] = {}
        self._lock = threading.Lock()
        self._closed: BaseException | None = None

    def open(self) -> tuple[int, Future[Any]]:
        """A fresh id and the future its response will complete."""
        future: Future[Any] = Future()
        with self._lock:
            if self._closed is not None:
                future.set_exception(self._closed)
                return next(self._ids), future
            id_ = next(self._ids)
            self._waiting[id_] = future
        return id_, future

    def forget(self, id_: Any) -> None:
        with self._lock:
            self._waiting.pop(id_, None)

    def deliver(self, message: Response | ErrorResponse) -> bool:
        """Complete the request ``message`` answers; False when nobody waits for it."""
        with self._lock:
            future = self._waiting.pop(message.id, None)
        if future is None or future.done():
            return False
        if isinstance(message, Response):
            future.set_result(message.result)
        else:
            future.set_exception(McpProtocolError(message.message, code=message.code, data=message.data))
        return True

    def fail(self, id_: Any, error: BaseException) -> None:
        """The request ``id_`` will get no answer (its POST failed, ...)."""
        with self._lock:
            future = self._waiting.pop(id_, None)
        if future is not None and not future.done():
            future.set_exception(error)

    def fail_all(self, error: BaseException) -> None:
        """The transport is gone: every waiting request fails with ``error``; new ones too."""
        with self._lock:
            self._closed = error
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(error)
