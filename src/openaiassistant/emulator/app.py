"""The emulator's Starlette app: :func:`build_app` mounts the ``/v1`` routes of every API module
behind :class:`~openaiassistant.emulator.middleware.EmulatorMiddleware` and the ``/_emulator``
control routes, around one shared :class:`~openaiassistant.emulator.context.Emulator`.

``Emulator`` and ``install_log_filter`` are re-exported here for existing importers.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from openaiassistant.emulator import (
    account_limits,
    assistants_api,
    chat_api,
    containers_api,
    control,
    conversations_api,
    embeddings_api,
    files_api,
    inspector,
    models_api,
    responses_api,
    runs_api,
    vector_stores_api,
)
from openaiassistant.emulator.aborts import install_log_filter, is_abort
from openaiassistant.emulator.azure_layout import AzureLayout
from openaiassistant.emulator.context import Emulator
from openaiassistant.emulator.middleware import ConnectionDrop, EmulatorMiddleware
from openaiassistant.emulator.problems import ApiProblem

__all__ = ["ConnectionDrop", "Emulator", "build_app", "install_log_filter"]


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
    if not is_abort(exc):  # aborts are faults we inject on purpose
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


def build_app(emulator: Emulator, *, inspect: bool = False) -> Starlette:
    """The ASGI app serving ``/v1`` (wrapped in :class:`EmulatorMiddleware`) and ``/_emulator``
    (with ``inspect``, also the inspector page ``/_emulator/ui``)."""
    routes = [
        *responses_api.ROUTES,
        *conversations_api.ROUTES,
        *runs_api.ROUTES,  # before threads: /threads/runs is not /threads/{thread_id}
        *assistants_api.ROUTES,
        *files_api.ROUTES,
        *vector_stores_api.ROUTES,
        *containers_api.ROUTES,
        *embeddings_api.ROUTES,
        *containers_api.ROUTES,
        *models_api.ROUTES,
        *chat_api.ROUTES,
        *control.ROUTES,
        *account_limits.ROUTES,
        *(inspector.ROUTES if inspect else []),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiProblem: _problem, 404: _not_found, 405: _not_found, Exception: _crash},
    )
    app.state.emulator = emulator
    # added first, so it runs inside EmulatorMiddleware: its 429s are authenticated and logged
    app.add_middleware(account_limits.AccountLimitsMiddleware, emulator=emulator)
    app.add_middleware(EmulatorMiddleware, emulator=emulator)
    app.add_middleware(AzureLayout)  # outermost: Azure's paths become /v1 paths first
    return app
