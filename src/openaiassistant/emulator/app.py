"""The emulator's Starlette app: the shared :class:`Emulator` context (state, script, faults,
request log, spec violations) and :func:`build_app`, which mounts the ``/v1`` routes behind
:class:`~openaiassistant.emulator.middleware.EmulatorMiddleware` and the ``/_emulator``
control routes.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from openaiassistant.emulator import (
    assistants_api,
    chat_api,
    clock,
    control,
    conversations_api,
    files_api,
    models_api,
    responses_api,
    runs_api,
    vector_stores_api,
)
from openaiassistant.emulator.faults import MODEL_KINDS, STREAM_KINDS, FaultBook
from openaiassistant.emulator.http import ApiProblem, StreamCut
from openaiassistant.emulator.middleware import ConnectionDrop, EmulatorMiddleware
from openaiassistant.emulator.request_rules import check_unknown_params
from openaiassistant.emulator.script import Script, load_script
from openaiassistant.emulator.state import State
from openaiassistant.emulator.validation import SpecValidator, load_validator

__all__ = ["ConnectionDrop", "Emulator", "build_app", "install_log_filter"]


class Emulator:
    """Everything the handlers share: state, script, faults, request log, spec violations."""

    def __init__(self, *, script: Any = None, validate: bool = True, required_api_key: str | None = None) -> None:
        self._lock = threading.Lock()
        self._initial_script = script
        self.required_api_key = required_api_key
        self.validator: SpecValidator | None = _spec_validator() if validate else None
        self.faults = FaultBook()
        self.state = State()
        self._requests: list[dict[str, Any]] = []
        # bumped by reset/clear_requests: a request that began before is not logged after (a
        # stream the server finishes late must not land in the next test's log)
        self.log_generation = 0
        self._violations: list[str] = []
        self._request_violations: list[str] = []
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
        clock.reset()
        self.load_script(self._initial_script)
        with self._lock:
            self._requests.clear()
            self.log_generation += 1
            self._violations.clear()
            self._request_violations.clear()

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._requests]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self.log_generation += 1

    def violations(self) -> list[str]:
        with self._lock:
            return list(self._violations)

    def request_violations(self) -> list[str]:
        """Request bodies (from clients) that do not fit the spec's request schemas. Recorded,
        not enforced: the emulator answers them like the real API would (often a 400)."""
        with self._lock:
            return list(self._request_violations)

    def log_request(self, entry: dict[str, Any], *, generation: int | None = None) -> None:
        """Log a request, unless the log was cleared since it began (``generation``)."""
        with self._lock:
            if generation is None or generation == self.log_generation:
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

    def check_request(self, method: str, path: str, body: dict[str, Any]) -> None:
        """Record where ``body`` breaks the spec's request schema; refuse (400) top-level
        parameters the operation does not take, as the live API does."""
        if self.validator is None:
            return
        problems = self.validator.check_request(method, path, body)
        if problems:
            with self._lock:
                self._request_violations.extend(problems)
        check_unknown_params(self.validator.allowed_params(method, path), path, body)

    def model_fault(self, method: str, path: str) -> dict[str, Any] | None:
        """An armed run/response-level fault for this request, as a step ``fault`` dict."""
        fault = self.faults.take(MODEL_KINDS, method, path)
        if fault is None:
            return None
        return {"kind": fault.kind, "code": fault.code, "message": fault.message, "reason": fault.reason}

    def stream_cut(self, method: str, path: str) -> Any:
        """The armed stream fault for this request (``stream_cut`` / ``stream_error``), if any."""
        return self.faults.take(STREAM_KINDS, method, path)

    def poll_headers(self, api: str) -> dict[str, str]:
        """``openai-poll-after-ms`` for responses of ``api`` (``assistants`` | ``responses``), if
        the script sends it there."""
        if self.script.poll_after_ms is None or api not in self.script.poll_hint_apis:
            return {}
        return {"openai-poll-after-ms": str(self.script.poll_after_ms)}


# -- the app ---------------------------------------------------------------------------------
def spec_required() -> bool:
    """``OPENAI_EMULATOR_REQUIRE_SPEC``: unset, empty or ``0``/``false``/``no`` means not required."""
    return os.environ.get("OPENAI_EMULATOR_REQUIRE_SPEC", "").strip().lower() not in ("", "0", "false", "no")


def _spec_validator() -> SpecValidator | None:
    """The spec validator; without the spec file (e.g. a plain ``pip install``) warn and go on
    unvalidated, unless ``OPENAI_EMULATOR_REQUIRE_SPEC`` is set (the pytest fixture requires it
    unless it is ``0``)."""
    try:
        return load_validator()
    except FileNotFoundError as exc:
        if spec_required():
            raise
        warnings.warn(
            f"emulator: OpenAI spec not found ({exc.filename}); responses are not validated. "
            "Set OPENAI_OPENAPI_SPEC to its path.",
            RuntimeWarning,
            stacklevel=3,
        )
        return None


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return exc.response()


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    message = (
        f"Invalid URL ({request.method} {request.url.path})"
        if status == 404
        else f"Method {request.method} not allowed."
    )
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}},
        status_code=status,
    )


async def _crash(request: Request, exc: Exception) -> Response:
    if not _is_abort(exc):  # aborts are faults we inject on purpose
        logging.getLogger("openaiassistant.emulator").exception("emulator handler crashed")
        # an emulator bug must fail the test that hit it, not hide behind an SDK retry
        request.app.state.emulator.add_violations(
            [f"{request.method} {request.url.path}: the emulator crashed: {type(exc).__name__}: {exc}"]
        )
    body = {
        "error": {
            "message": f"The emulator had an internal error: {type(exc).__name__}: {exc}",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
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
        *models_api.ROUTES,
        *chat_api.ROUTES,
        *control.ROUTES,
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
    """Is this (or anything it wraps or was caused by) one of our deliberate aborts?"""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (StreamCut, ConnectionDrop)):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend([current.__cause__, current.__context__])
    return False


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietAborts) for f in logger.filters):
        logger.addFilter(_QuietAborts())
