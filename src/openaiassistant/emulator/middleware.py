"""One ASGI middleware around every ``/v1`` request: bearer auth, the Assistants beta header, HTTP-level faults
(errors with retry headers, dropped connections, ambiguous failures), the request log and validation of
JSON response bodies against the spec (SSE events are validated where they are produced).

The request body is read here first (and replayed to the handler), so faults can match on it.

An ambiguous fault lets the request land: the handler runs with its answer going nowhere (a JSON
answer to its end; an event stream until its first event, then the handler sees its client
leave, as when a gateway gives up on a stream, so the run goes on on the server), and only
then does the client get its error or its broken connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from openaiassistant.emulator.context import EXCHANGE_PROBLEMS
from openaiassistant.emulator.faults import AMBIGUOUS_KINDS, HTTP_KINDS, Fault

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ConnectionDrop", "EmulatorMiddleware"]


class ConnectionDrop(Exception):
    """Raised mid-response to close the connection (the ``drop_connection`` fault)."""


def _error_body(message: str, *, code: str | None = None, type: str = "invalid_request_error") -> bytes:
    return json.dumps({"error": {"message": message, "type": type, "param": None, "code": code}}).encode()


class _Exchange:
    """One request/response as the middleware watches it: status, JSON body, one log entry."""

    def __init__(self, emulator: Emulator, scope: dict[str, Any]) -> None:
        self.emulator, self.scope = emulator, scope
        self.method, self.path = scope["method"], scope["path"]
        self.started = time.perf_counter()
        self.status = 0
        self.is_json = False
        self.chunks: list[bytes] = []
        self.logged = False
        self.generation = emulator.log_generation
        self.problems: list[str] = []  # where this request or its response breaks the spec

    def log(self) -> None:
        if not self.logged:
            self.logged = True
            self.emulator.log_request(
                {
                    "method": self.method,
                    "path": self.path,
                    "status": self.status,
                    "duration_ms": round((time.perf_counter() - self.started) * 1000, 2),
                    "query": self.scope.get("query_string", b"").decode("latin-1"),
                    # the parsed JSON body, when a handler read one (multipart uploads: None)
                    "body": self.scope.get("emulator.body"),
                    # filled while the exchange runs (a stream's problems come at its end)
                    "violations": self.problems,
                    # the path as asked in Azure's layout (see azure_layout), when it was
                    **({"azure_path": self.scope["azure_path"]} if "azure_path" in self.scope else {}),
                },
                generation=self.generation,
            )

    def watch(self, send: Any) -> Any:
        async def watched_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                headers = dict(message.get("headers") or [])
                self.is_json = headers.get(b"content-type", b"").startswith(b"application/json")
            elif message["type"] == "http.response.body":
                if self.is_json:
                    self.chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    if self.is_json:
                        self.validate()
                    self.log()  # before the last byte leaves, so a client never outruns its log entry
            await send(message)

        return watched_send

    def validate(self) -> None:
        try:
            body = json.loads(b"".join(self.chunks) or b"null")
        except ValueError:
            self.emulator.add_violations([f"{self.method} {self.path}: response body is not JSON"])
            return
        self.emulator.check_body(self.method, self.path, self.status, body)


_BETA_PATHS = ("/v1/assistants", "/v1/threads")


def _beta_problem(scope: dict[str, Any]) -> Response | None:
    """The Assistants API answers only requests that opt in with ``OpenAI-Beta: assistants=v2``
    (the SDK's typed beta resources send it; a generic request must send it itself)."""
    if not scope["path"].startswith(_BETA_PATHS):
        return None
    beta = dict(scope.get("headers") or []).get(b"openai-beta", b"").decode("latin-1")
    if "assistants=v2" in beta.replace(" ", "").split(","):
        return None
    return Response(
        _error_body(
            "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by "
            "setting the header 'OpenAI-Beta: assistants=v2'."
        ),
        status_code=400,
        media_type="application/json",
    )


class EmulatorMiddleware:
    """Auth, HTTP faults, request log and JSON response validation around every ``/v1`` call."""

    def __init__(self, app: Any, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(self.emulator, scope)
        scope["emulator.log"] = exchange.log  # streams log themselves before their last event
        token = EXCHANGE_PROBLEMS.set(exchange.problems)
        try:
            raw, receive = await _read_body(receive)
            scope["emulator.raw_body"] = raw
            problem = self._auth_problem(scope) or _beta_problem(scope)
            fault = None if problem else self._take_fault(exchange.method, exchange.path, raw)
            if fault is not None and fault.kind in AMBIGUOUS_KINDS:
                await _land(self.app, scope, receive)  # the server does the work; the answer is lost
            rejected = problem or (_fault_response(fault) if fault is not None else None)
            if isinstance(rejected, ConnectionDrop):
                await _half_response(send)  # status stays 0: the client never gets a response
                raise rejected
            if rejected is not None:
                await rejected(scope, receive, exchange.watch(send))
                return
            await self.app(scope, receive, exchange.watch(send))
        finally:
            exchange.log()
            EXCHANGE_PROBLEMS.reset(token)

    def _auth_problem(self, scope: dict[str, Any]) -> Response | None:
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not key:
            return Response(
                _error_body(
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
                    "username) if you're accessing the API from your browser and are prompted for a username and "
                    "password. You can obtain an API key from https://platform.openai.com/account/api-keys."
                ),
                status_code=401,
                media_type="application/json",
            )
        required = self.emulator.required_api_key
        if required and key != required:
            shown = key[:3] + "*" * 4 + key[-4:] if len(key) > 8 else "****"
            return Response(
                _error_body(
                    f"Incorrect API key provided: {shown}. You can find your API key at "
                    "https://platform.openai.com/account/api-keys.",
                    code="invalid_api_key",
                ),
                status_code=401,
                media_type="application/json",
            )
        return None

    def _take_fault(self, method: str, path: str, raw: bytes) -> Fault | None:
        return self.emulator.faults.take(HTTP_KINDS | AMBIGUOUS_KINDS, method, path, raw.decode("utf-8", "replace"))


def _fault_response(fault: Fault) -> Response | ConnectionDrop:
    """What the client gets for an HTTP-level (or ambiguous) fault."""
    if fault.kind in ("drop_connection", "ambiguous_drop"):
        return ConnectionDrop(fault.kind)
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["retry-after"] = str(fault.retry_after)
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    if fault.kind == "insufficient_quota":
        message = fault.message or (
            "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
        )
        body = _error_body(message, code="insufficient_quota", type="insufficient_quota")
    else:
        kind = "requests" if fault.status == 429 else "server_error"
        message = fault.message or (
            "Rate limit reached for requests. Please try again later."
            if fault.status == 429
            else "The server had an error while processing your request. Sorry about that!"
        )
        body = _error_body(
            message, code=fault.code or (None if fault.status != 429 else "rate_limit_exceeded"), type=kind
        )
    return Response(body, status_code=fault.status, headers=headers, media_type="application/json")


async def _read_body(receive: Any) -> tuple[bytes, Any]:
    """The whole request body, and a ``receive`` that hands it to the handler again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client left before sending it all
            return b"".join(chunks), _replay([message], receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            raw = b"".join(chunks)
            return raw, _replay([{"type": "http.request", "body": raw, "more_body": False}], receive)


def _replay(messages: list[dict[str, Any]], receive: Any) -> Any:
    pending = list(messages)

    async def replayed() -> dict[str, Any]:
        return pending.pop(0) if pending else await receive()

    return replayed


class _Left(OSError):
    """Raised into a handler's ``send`` to tell it its client left (ASGI >= 2.4 servers do so)."""


async def _land(app: Any, scope: dict[str, Any], receive: Any) -> None:
    """Run the handler as if its client had vanished: a JSON answer is produced and dropped; an
    event stream is read up to its first event, then told its client left."""
    left = False
    replayed = await receive()  # the body, read by the middleware already

    async def body_then_disconnect() -> dict[str, Any]:
        nonlocal replayed
        if replayed is not None:
            message, replayed = replayed, None
            return message
        while not left:  # servers before ASGI 2.4 say a client left through receive
            await asyncio.sleep(0.005)
        return {"type": "http.disconnect"}

    streaming = False

    async def nowhere(message: dict[str, Any]) -> None:
        nonlocal left, streaming
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or [])
            streaming = headers.get(b"content-type", b"").startswith(b"text/event-stream")
        elif message["type"] == "http.response.body" and streaming and message.get("body"):
            left = True
            raise _Left("the client left after the first event (ambiguous fault)")

    log, scope["emulator.log"] = scope["emulator.log"], lambda: None  # the log shows what the client got
    try:
        with contextlib.suppress(Exception):  # the handler saw its client leave: the work goes on
            await app(scope, body_then_disconnect, nowhere)
        for events in scope.pop("emulator.streams", []):  # its stream ends now: the run goes on
            with contextlib.suppress(Exception):
                await events.aclose()
    finally:
        scope["emulator.log"] = log


async def _half_response(send: Any) -> None:
    """Headers promising a body, then a few bytes of it: the connection is then closed."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"id": "', "more_body": True})
