"""The emulator's Starlette app: the shared :class:`Emulator` context, one ASGI middleware
(bearer auth, HTTP-level faults, request log, response validation) and the routes.

Control endpoints live under ``/_emulator/`` (no auth, not logged): ``health``, ``script``,
``faults``, ``requests``, ``reset``, ``violations``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openaiassistant.emulator import (
    assistants_api, conversations_api, files_api, responses_api, runs_api, vector_stores_api,
)
from openaiassistant.emulator.faults import HTTP_KINDS, MODEL_KINDS, STREAM_KINDS, FaultBook, FaultError
from openaiassistant.emulator.http import ApiProblem, StreamCut
from openaiassistant.emulator.script import Script, ScriptError, load_script
from openaiassistant.emulator.state import State
from openaiassistant.emulator.validation import SpecValidator, load_validator


class ConnectionDrop(Exception):
    """Raised mid-response to close the connection (the ``drop_connection`` fault)."""


class Emulator:
    """Everything the handlers share: state, script, faults, request log, spec violations."""

    def __init__(self, *, script: Any = None, validate: bool = True, required_api_key: str | None = None) -> None:
        self._lock = threading.Lock()
        self._initial_script = script
        self.required_api_key = required_api_key
        self.validator: SpecValidator | None = load_validator() if validate else None
        self.faults = FaultBook()
        self.state = State()
        self._requests: list[dict[str, Any]] = []
        self._violations: list[str] = []
        self.script: Script = load_script(None)
        self.load_script(script)

    # -- control ---------------------------------------------------------------------------
    def load_script(self, script: Any) -> None:
        """Replace the script; its ``faults:`` replace the armed faults."""
        parsed = load_script(script)
        self.faults.clear()
        for spec in parsed.faults:
            self.faults.add(spec)
        self.script = parsed

    def reset(self) -> None:
        """Back to the state the server started in: empty world, initial script, no log."""
        self.state = State()
        self.load_script(self._initial_script)
        with self._lock:
            self._requests.clear()
            self._violations.clear()

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._requests]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def violations(self) -> list[str]:
        with self._lock:
            return list(self._violations)

    def log_request(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(entry)

    def add_violations(self, problems: list[str]) -> None:
        if problems:
            logging.getLogger("openaiassistant.emulator").warning("spec violations: %s", problems)
            with self._lock:
                self._violations.extend(problems)

    # -- used by handlers ------------------------------------------------------------------
    def check_event(self, api: str, name: str, data: Any) -> None:
        if self.validator is not None:
            self.add_violations(self.validator.check_event(api, name, data))

    def check_body(self, method: str, path: str, status: int, body: Any) -> None:
        if self.validator is not None:
            self.add_violations(self.validator.check_response(method, path, status, body))

    def model_fault(self, method: str, path: str) -> dict[str, Any] | None:
        """An armed run/response-level fault for this request, as a step ``fault`` dict."""
        fault = self.faults.take(MODEL_KINDS, method, path)
        if fault is None:
            return None
        return {"kind": fault.kind, "code": fault.code, "message": fault.message, "reason": fault.reason}

    def stream_cut(self, method: str, path: str) -> int | None:
        fault = self.faults.take(STREAM_KINDS, method, path)
        return None if fault is None else fault.after_events

    @property
    def poll_after_ms(self) -> int:
        return self.script.poll_after_ms


def _error_body(message: str, *, code: str | None = None, type: str = "invalid_request_error") -> bytes:
    return json.dumps({"error": {"message": message, "type": type, "param": None, "code": code}}).encode()


class EmulatorMiddleware:
    """Auth, HTTP faults, request log and JSON response validation around every ``/v1`` call."""

    def __init__(self, app: Any, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        started = time.perf_counter()
        seen: dict[str, Any] = {"status": 0, "json": False, "chunks": [], "logged": False}

        def log() -> None:
            if not seen["logged"]:
                seen["logged"] = True
                self.emulator.log_request({
                    "method": method,
                    "path": path,
                    "status": seen["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                })

        async def watched_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = dict(message.get("headers") or [])
                seen["json"] = headers.get(b"content-type", b"").startswith(b"application/json")
            elif message["type"] == "http.response.body":
                if seen["json"]:
                    seen["chunks"].append(message.get("body", b""))
                if not message.get("more_body"):
                    if seen["json"]:
                        self._validate(method, path, seen)
                    log()  # before the last byte leaves, so a client never outruns its log entry
            await send(message)

        try:
            rejected = self._auth_problem(scope) or self._http_fault(method, path)
            if isinstance(rejected, ConnectionDrop):
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
                await send({"type": "http.response.body", "body": b'{"id": "', "more_body": True})
                seen["status"] = 0  # the client never gets a complete response
                raise rejected
            if rejected is not None:
                await rejected(scope, receive, watched_send)
                return
            await self.app(scope, receive, watched_send)
        finally:
            log()

    def _validate(self, method: str, path: str, seen: dict[str, Any]) -> None:
        try:
            body = json.loads(b"".join(seen["chunks"]) or b"null")
        except ValueError:
            self.emulator.add_violations([f"{method} {path}: response body is not JSON"])
            return
        self.emulator.check_body(method, path, seen["status"], body)

    def _auth_problem(self, scope: dict[str, Any]) -> Response | None:
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not key:
            return Response(_error_body(
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
                "username) if you're accessing the API from your browser and are prompted for a username and password. "
                "You can obtain an API key from https://platform.openai.com/account/api-keys."
            ), status_code=401, media_type="application/json")
        required = self.emulator.required_api_key
        if required and key != required:
            shown = key[:3] + "*" * 4 + key[-4:] if len(key) > 8 else "****"
            return Response(_error_body(
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.", code="invalid_api_key",
            ), status_code=401, media_type="application/json")
        return None

    def _http_fault(self, method: str, path: str) -> Response | ConnectionDrop | None:
        fault = self.emulator.faults.take(HTTP_KINDS, method, path)
        if fault is None:
            return None
        if fault.kind == "drop_connection":
            return ConnectionDrop(f"{method} {path}")
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
                "Rate limit reached for requests. Please try again later." if fault.status == 429
                else "The server had an error while processing your request. Sorry about that!"
            )
            body = _error_body(message, code=fault.code or (None if fault.status != 429 else "rate_limit_exceeded"), type=kind)
        return Response(body, status_code=fault.status, headers=headers, media_type="application/json")


# -- control endpoints -----------------------------------------------------------------------
def _emu(request: Request) -> Emulator:
    return request.app.state.emulator


async def _health(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _script(request: Request) -> Response:
    raw = await request.body()
    try:
        source: Any = json.loads(raw) if request.headers.get("content-type", "").startswith("application/json") else raw.decode()
        _emu(request).load_script(source or None)
    except (ScriptError, FaultError, ValueError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"ok": True, "rules": [rule.name for rule in _emu(request).script.rules]})


async def _faults(request: Request) -> Response:
    emulator = _emu(request)
    if request.method == "DELETE":
        emulator.faults.clear()
    elif request.method == "POST":
        body = json.loads(await request.body() or b"{}")
        try:
            for spec in body if isinstance(body, list) else [body]:
                emulator.faults.add(spec)
        except (FaultError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"faults": emulator.faults.describe()})


async def _requests(request: Request) -> Response:
    if request.method == "DELETE":
        _emu(request).clear_requests()
    return JSONResponse({"requests": _emu(request).requests()})


async def _reset(request: Request) -> Response:
    _emu(request).reset()
    return JSONResponse({"ok": True})


async def _violations(request: Request) -> Response:
    return JSONResponse({"violations": _emu(request).violations()})


CONTROL_ROUTES = [
    Route("/_emulator/health", _health, methods=["GET"]),
    Route("/_emulator/script", _script, methods=["POST", "PUT"]),
    Route("/_emulator/faults", _faults, methods=["GET", "POST", "DELETE"]),
    Route("/_emulator/requests", _requests, methods=["GET", "DELETE"]),
    Route("/_emulator/reset", _reset, methods=["POST"]),
    Route("/_emulator/violations", _violations, methods=["GET"]),
]


# -- the app ---------------------------------------------------------------------------------
async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return exc.response()


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    message = f"Invalid URL ({request.method} {request.url.path})" if status == 404 else f"Method {request.method} not allowed."
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}},
                        status_code=status)


async def _crash(request: Request, exc: Exception) -> Response:
    if not _is_abort(exc):  # aborts are faults we inject on purpose
        logging.getLogger("openaiassistant.emulator").exception("emulator handler crashed")
    body = {"error": {"message": f"The emulator had an internal error: {type(exc).__name__}: {exc}",
                      "type": "server_error", "param": None, "code": None}}
    return JSONResponse(body, status_code=500)


def build_app(emulator: Emulator) -> Starlette:
    """The ASGI app serving ``/v1`` (wrapped in :class:`EmulatorMiddleware`) and ``/_emulator``."""
    routes = [
        *responses_api.ROUTES,
        *conversations_api.ROUTES,
        *runs_api.ROUTES,  # before threads: /threads/runs is not /threads/{thread_id}
        *assistants_api.ROUTES,
        *files_api.ROUTES,
        *vector_stores_api.ROUTES,
        *CONTROL_ROUTES,
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiProblem: _problem, 404: _not_found, 405: _not_found, Exception: _crash},
    )
    app.state.emulator = emulator
    app.add_middleware(EmulatorMiddleware, emulator=emulator)
    return app


class _QuietAborts(logging.Filter):
    """Hide uvicorn's traceback for connections we abort on purpose (faults)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not _is_abort(exc)


def _is_abort(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    if isinstance(exc, (StreamCut, ConnectionDrop)):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_is_abort(inner) for inner in exc.exceptions)
    return _is_abort(exc.__cause__ or exc.__context__) if (exc.__cause__ or exc.__context__) is not exc else False


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietAborts) for f in logger.filters):
        logger.addFilter(_QuietAborts())
