"""What a session needs from a transport (stdio or Streamable HTTP).

A transport moves JSON-RPC messages; it knows nothing about MCP's lifecycle. It hands every
message it receives to ``on_message``; a request whose answer can no longer come (the POST
failed, the process exited) is reported to ``on_request_failed(id, error)``; a transport that
is gone for good calls ``on_closed(error)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .jsonrpc import Message

__all__ = ["Callbacks", "Transport"]


@dataclass(frozen=True, kw_only=True)
class Callbacks:
    on_message: Callable[[Message], None]
    on_request_failed: Callable[[Any, BaseException], None]
    on_closed: Callable[[BaseException], None]


class Transport(Protocol):
    def start(self, callbacks: Callbacks) -> None:
        """Connect (start the process); raises McpConnectionError when that fails."""

    def send(self, message: dict[str, Any]) -> None:
        """Send one message. A request's answer arrives through the callbacks, never here."""

    def negotiated(self, protocol_version: str) -> None:
        """The protocol version the session agreed on (HTTP sends it as a header)."""

    @property
    def alive(self) -> bool: ...

    def describe(self) -> str:
        """How the server is reached, for messages (never a secret: no env values, no headers)."""

    def diagnostics(self) -> str:
        """What the server said about a failure (the end of a process's stderr), or ''."""

    def close(self) -> None: ...
