"""Control endpoints under ``/_emulator/`` (no auth, not in the request log): ``health``,
``script``, ``faults``, ``requests``, ``reset``, ``violations``, ``advance`` (the clock). The same operations as the
:class:`~openaiassistant.emulator.server.EmulatorServer` handle methods, for out-of-process use."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openaiassistant.emulator.faults import FaultError
from openaiassistant.emulator.script import ScriptError

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES"]


def _emu(request: Request) -> Emulator:
    return request.app.state.emulator


async def _health(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _script(request: Request) -> Response:
    raw = await request.body()
    try:
        source: Any = (
            json.loads(raw) if request.headers.get("content-type", "").startswith("application/json") else raw.decode()
        )
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
    emulator = _emu(request)
    return JSONResponse({"violations": emulator.violations(), "request_violations": emulator.request_violations()})


async def _advance(request: Request) -> Response:
    try:
        seconds = float(json.loads(await request.body() or b"{}").get("seconds", 0))
        _emu(request).clock.advance(seconds)
    except (ValueError, TypeError, AttributeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"ok": True, "advanced_s": seconds})


ROUTES = [
    Route("/_emulator/health", _health, methods=["GET"]),
    Route("/_emulator/script", _script, methods=["POST", "PUT"]),
    Route("/_emulator/faults", _faults, methods=["GET", "POST", "DELETE"]),
    Route("/_emulator/requests", _requests, methods=["GET", "DELETE"]),
    Route("/_emulator/reset", _reset, methods=["POST"]),
    Route("/_emulator/violations", _violations, methods=["GET"]),
    Route("/_emulator/advance", _advance, methods=["POST"]),
]
