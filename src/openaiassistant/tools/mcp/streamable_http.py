"""The Streamable HTTP transport: every message is a POST to the server's one MCP endpoint.

From the spec (basic/transports): a POST carries one JSON-RPC message with
``Accept: application/json, text/event-stream``; a notification or response is answered 202;
a request is answered either with one JSON body or with an SSE stream that carries the
server's requests/notifications and, eventually, the response. The session id the server
gives in ``Mcp-Session-Id`` on the initialize response goes on every later request, with
``MCP-Protocol-Version``. A 404 on a request that carried a session id means the session is
gone: the request was refused, so it can be sent again on a new session. A stream that breaks
after an event id is resumed with GET + ``Last-Event-ID`` (after the server's ``retry``).

Every request runs in its own daemon thread, so a session is not bound to an event loop; the
SSE reading is hand-written (a few lines; no SSE client library is in Keep's pinned
environment).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ...observability.tracing import inject_context
from ...redaction import redact
from .jsonrpc import ErrorResponse, McpConnectionError, McpProtocolError, Response, classify
from .transport import Callbacks

__all__ = ["McpSessionExpired", "StreamableHttpTransport"]

logger = logging.getLogger("openaiassistant.tools.mcp")

_ACCEPT = "application/json, text/event-stream"
_RESUME_ATTEMPTS = 3
_MAX_RETRY_WAIT = 5.0


class McpSessionExpired(McpConnectionError):
    """The server no longer knows our session (HTTP 404): the request was not processed."""


@dataclass
class _Event:
    id: str | None = None
    event: str = "message"
    data: str = ""
    retry: float | None = None


class StreamableHttpTransport:
    """One MCP endpoint URL; one HTTP client; a thread per request."""

    def __init__(self, *, url: str, headers: Mapping[str, str] | None = None, connect_timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self._headers = dict(headers or {})
        # read=None: a tool may take long; the executor's per-call timeout cancels the call.
        self._client = httpx.Client(
            timeout=httpx.Timeout(connect_timeout, read=None), trust_env=False, follow_redirects=False
        )
        self._session_id: str | None = None
        self._protocol_version: str | None = None
        self._callbacks: Callbacks | None = None
        self._open: dict[Any, httpx.Response] = {}
        self._lock = threading.Lock()
        self._alive = False

    def start(self, callbacks: Callbacks) -> None:
        self._callbacks = callbacks
        self._alive = True

    def negotiated(self, protocol_version: str) -> None:
        self._protocol_version = protocol_version

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def session_id(self) -> str | None:
        return self._session_id

    def describe(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{parts.path}"

    def diagnostics(self) -> str:
        return ""

    def send(self, message: dict[str, Any]) -> None:
        if not self._alive:
            raise McpConnectionError("the session was closed")
        if "method" in message and message.get("id") is not None:
            threading.Thread(  # with the caller's context: its span goes out as traceparent
                target=contextvars.copy_context().run,
                args=(self._request, message),
                name="openaiassistant-mcp-http",
                daemon=True,
            ).start()
        else:
            self._post_notification(message)

    def cancel(self, request_id: Any) -> None:
        """Stop reading the answer of ``request_id`` (after a cancellation notification)."""
        with self._lock:
            response = self._open.pop(request_id, None)
        if response is not None:
            response.close()

    def close(self) -> None:
        if not self._alive:
            return
        self._alive = False
        if self._session_id is not None:
            # the spec asks clients to end their session; 405 means the server does not allow it
            with contextlib.suppress(httpx.HTTPError):
                self._client.delete(self.url, headers=self._request_headers())
        with self._lock:
            responses, self._open = list(self._open.values()), {}
        for response in responses:
            response.close()
        self._client.close()

    # -- requests -----------------------------------------------------------------------------

    def _request_headers(self, accept: str = _ACCEPT) -> dict[str, str]:
        headers = {**self._headers, "Accept": accept}
        if self._session_id is not None:
            headers["Mcp-Session-Id"] = self._session_id
        if self._protocol_version is not None:
            headers["MCP-Protocol-Version"] = self._protocol_version
        inject_context(headers)
        return headers

    def _post_notification(self, message: dict[str, Any]) -> None:
        try:
            response = self._client.post(self.url, json=message, headers=self._request_headers())
        except httpx.HTTPError as exc:
            raise McpConnectionError(f"could not reach {self.describe()}: {_http_error(exc)}") from None
        if response.status_code >= 400:
            raise McpConnectionError(_status_text(response, self.describe()))

    def _request(self, message: dict[str, Any]) -> None:
        callbacks = self._callbacks
        assert callbacks is not None
        request_id = message["id"]
        sent_session = self._session_id
        try:
            answered = self._post_request(message, request_id, sent_session)
            if not answered:
                raise McpConnectionError(f"{self.describe()} ended its answer to {message['method']} without one")
        except McpSessionExpired as exc:
            self._alive = False
            callbacks.on_request_failed(request_id, exc)
        except (McpConnectionError, McpProtocolError) as exc:
            callbacks.on_request_failed(request_id, exc)
        except httpx.HTTPError as exc:
            callbacks.on_request_failed(
                request_id, McpConnectionError(f"the connection to {self.describe()} broke: {_http_error(exc)}")
            )
        finally:
            with self._lock:
                self._open.pop(request_id, None)

    def _post_request(self, message: dict[str, Any], request_id: Any, sent_session: str | None) -> bool:
        request = self._client.build_request("POST", self.url, json=message, headers=self._request_headers())
        try:
            response = self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise McpConnectionError(f"could not reach {self.describe()}: {_http_error(exc)}") from None
        with self._lock:
            self._open[request_id] = response
        try:
            if response.status_code >= 400:
                response.read()
                if sent_session is not None and _session_gone(response):
                    raise McpSessionExpired(
                        f"{self.describe()} no longer knows session {sent_session} (HTTP {response.status_code})"
                    )
                if self._deliver_error_body(response, request_id):
                    return True
                raise McpConnectionError(_status_text(response, self.describe()))
            if message.get("method") == "initialize" and (session := response.headers.get("mcp-session-id")):
                self._session_id = session
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type == "text/event-stream":
                return self._read_stream(response, request_id)
            response.read()
            if content_type != "application/json":
                raise McpProtocolError(
                    f"{self.describe()} answered with content type {content_type or 'none'!r} "
                    "(expected application/json or text/event-stream)"
                )
            return self._deliver(response.content, request_id)
        finally:
            response.close()

    def _deliver(self, body: bytes | str, request_id: Any) -> bool:
        callbacks = self._callbacks
        assert callbacks is not None
        try:
            messages = classify(json.loads(body))
        except ValueError:
            raise McpProtocolError(f"{self.describe()} sent a body that is not JSON: {body[:200]!r}") from None
        answered = False
        for item in messages:
            answered = answered or (isinstance(item, Response | ErrorResponse) and item.id == request_id)
            callbacks.on_message(item)
        return answered

    def _deliver_error_body(self, response: httpx.Response, request_id: Any) -> bool:
        """A 4xx/5xx whose body is a JSON-RPC error for our request: the server's own words."""
        try:
            data = response.json()
        except ValueError:
            return False
        if isinstance(data, dict) and data.get("error") is not None and data.get("id") == request_id:
            return self._deliver(response.content, request_id)
        return False

    def _read_stream(self, response: httpx.Response, request_id: Any) -> bool:
        last_id: str | None = None
        retry: float | None = None
        for attempt in range(_RESUME_ATTEMPTS + 1):
            for event in _events(response.iter_lines()):
                last_id = event.id or last_id
                retry = event.retry if event.retry is not None else retry
                if event.event == "message" and event.data.strip() and self._deliver(event.data, request_id):
                    return True
            response.close()
            if last_id is None or not self._alive or attempt == _RESUME_ATTEMPTS:
                return False
            # the stream ended without our answer: resume it where it broke (spec: GET + Last-Event-ID)
            time.sleep(min(retry if retry is not None else 0.5, _MAX_RETRY_WAIT))
            headers = {**self._request_headers("text/event-stream"), "Last-Event-ID": last_id}
            response = self._client.send(self._client.build_request("GET", self.url, headers=headers), stream=True)
            with self._lock:
                self._open[request_id] = response
            if response.status_code >= 400:
                response.read()
                raise McpConnectionError(
                    f"the answer's stream broke and could not be resumed: {_status_text(response, self.describe())}"
                )
        return False


def _events(lines: Iterator[str]) -> Iterator[_Event]:
    """Server-sent events from a line iterator (the WHATWG format: fields, blank line ends one)."""
    event = _Event()
    data: list[str] = []
    for line in lines:
        if line == "":
            if data or event.id is not None or event.retry is not None:
                event.data = "\n".join(data)
                yield event
            event, data = _Event(), []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event.event = value or "message"
        elif name == "id":
            event.id = value
        elif name == "retry" and value.isdigit():
            event.retry = int(value) / 1000.0
    if data:
        event.data = "\n".join(data)
        yield event


def _session_gone(response: httpx.Response) -> bool:
    """404 is the spec's answer for an unknown session; some servers (the reference
    'everything' server among them) answer 400 naming the session instead."""
    if response.status_code == 404:
        return True
    return response.status_code == 400 and "session" in response.text.lower()


def _status_text(response: httpx.Response, where: str) -> str:
    text = response.text.strip()
    try:
        data = response.json()
        if isinstance(data, dict):
            error = data.get("error")
            text = str(error.get("message") if isinstance(error, dict) else error or data.get("detail") or text)
    except ValueError:
        pass
    return redact(f"{where} answered HTTP {response.status_code} {response.reason_phrase}: {text[:300]}".rstrip(": "))


def _http_error(exc: httpx.HTTPError) -> str:
    return redact(f"{type(exc).__name__}: {exc}".rstrip(": "))
