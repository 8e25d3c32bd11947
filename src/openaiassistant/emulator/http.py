"""Small HTTP helpers shared by the endpoint modules: ids, body checks, pagination, SSE.

:class:`~openaiassistant.emulator.problems.ApiProblem` is re-exported here for the handlers."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from openaiassistant.emulator.problems import ApiProblem
from openaiassistant.emulator.stream_check import StreamChecker

__all__ = [
    "ApiProblem",
    "StreamCut",
    "check_metadata",
    "check_number",
    "emulator_of",
    "empty",
    "found",
    "new_id",
    "not_found",
    "ok",
    "paginate",
    "raw_body",
    "read_json",
    "require",
    "sse_response",
]

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator


_FINAL_EVENTS = {"done", "response.completed", "response.failed", "response.incomplete"}


class StreamCut(Exception):
    """Raised inside an SSE body to abort the connection (the ``stream_cut`` fault)."""


def new_id(prefix: str) -> str:
    """An id shaped like OpenAI's (``resp_…``, ``thread_…``, ``file-…``)."""
    return f"{prefix}{secrets.token_hex(12)}"


def emulator_of(request: Request) -> Emulator:
    return request.app.state.emulator


def raw_body(request: Request) -> str:
    """The request's body as text, as the middleware read it (faults match on it)."""
    raw = request.scope.get("emulator.raw_body") or b""
    return raw.decode("utf-8", errors="replace")


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON body as a dict (checked against the spec's request schema, see
    ``Emulator.request_violations``); an empty body is ``{}``; anything else is a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiProblem(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
            "using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
        ) from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "The request body must be a JSON object.")
    request.scope["emulator.body"] = body  # the request log shows it (see middleware)
    # recorded against the spec's request schema, then refused where the live API refuses
    # (unknown top-level parameters)
    emulator_of(request).check_request(request.method, request.url.path, body)
    return body


def require(body: dict[str, Any], name: str) -> Any:
    if body.get(name) in (None, ""):
        raise ApiProblem(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    return body[name]


def check_number(
    body: dict[str, Any], name: str, *, minimum: float, maximum: float | None = None, integer: bool = False
) -> None:
    """Reject an out-of-range numeric parameter with the real API's 400 wording."""
    value = body.get(name)
    if value is None:
        return
    kind = "integer" if integer else "number"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise ApiProblem(
            400,
            f"Invalid type for '{name}': expected an {kind}, but got a {type(value).__name__} instead.",
            param=name,
            code="invalid_type",
        )
    if value < minimum:
        raise ApiProblem(
            400,
            f"Invalid '{name}': {kind} below minimum value. Expected a value >= {minimum}, but got {value} instead.",
            param=name,
            code="integer_below_min_value" if integer else "decimal_below_min_value",
        )
    if maximum is not None and value > maximum:
        raise ApiProblem(
            400,
            f"Invalid '{name}': {kind} above maximum value. Expected a value <= {maximum}, but got {value} instead.",
            param=name,
            code="integer_above_max_value" if integer else "decimal_above_max_value",
        )


def check_metadata(body: dict[str, Any]) -> dict[str, str]:
    """``metadata``: at most 16 string pairs, keys <= 64 and values <= 512 characters."""
    metadata = body.get("metadata")
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ApiProblem(400, "Invalid type for 'metadata': expected an object.", param="metadata", code="invalid_type")
    if len(metadata) > 16:
        raise ApiProblem(
            400,
            f"Invalid 'metadata': too many properties. Expected an object with at most 16 "
            f"properties, but got an object with {len(metadata)} properties instead.",
            param="metadata",
            code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(str(key)) > 64:
            raise ApiProblem(
                400,
                f"Invalid 'metadata': key '{str(key)[:70]}' is longer than 64 characters.",
                param="metadata",
                code="invalid_value",
            )
        if not isinstance(value, str):
            raise ApiProblem(
                400,
                f"Invalid type for 'metadata.{key}': expected a string.",
                param=f"metadata.{key}",
                code="invalid_type",
            )
        if len(value) > 512:
            raise ApiProblem(
                400,
                f"Invalid 'metadata.{key}': string too long. Expected a string with maximum "
                f"length 512, but got a string with length {len(value)} instead.",
                param=f"metadata.{key}",
                code="string_above_max_length",
            )
    return dict(metadata)


def not_found(message: str) -> ApiProblem:
    return ApiProblem(404, message)


_T = TypeVar("_T")


def found(records: Mapping[str, _T], key: str, message: str) -> _T:
    """``records[key]``, or a 404 with ``message`` (each API words its own, as the live one does)."""
    record = records.get(key)
    if record is None:
        raise not_found(message)
    return record


def ok(obj: Any, *, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(obj, headers=headers)


def paginate(items: list[dict[str, Any]], request: Request, *, default_order: str = "desc") -> dict[str, Any]:
    """OpenAI cursor pagination (``limit``, ``order``, ``after``, ``before``) over id'd objects."""
    params = request.query_params
    try:
        limit = int(params.get("limit", 20))
    except ValueError:
        raise ApiProblem(400, "Invalid 'limit': expected an integer.", param="limit") from None
    if not 1 <= limit <= 100:
        raise ApiProblem(400, "Invalid 'limit': integer below minimum value (1) or above maximum (100).", param="limit")
    order = params.get("order", default_order)
    if order not in ("asc", "desc"):
        raise ApiProblem(400, "Invalid value for 'order': expected 'asc' or 'desc'.", param="order")
    ordered = list(items) if order == "asc" else list(reversed(items))
    ids = [item["id"] for item in ordered]
    after, before = params.get("after"), params.get("before")
    if after:
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    if before:
        cut = [item["id"] for item in ordered]
        ordered = ordered[: cut.index(before)] if before in cut else ordered
        ordered = ordered[-limit:]  # the page right before the cursor
    page = ordered[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(ordered) > len(page),
    }


def sse_response(
    request: Request,
    events: AsyncGenerator[tuple[str, Any], None],
    *,
    api: str,
    cut_after: Any = None,
    headers: dict[str, str] | None = None,
    terminal_due: Callable[[], bool] | None = None,
) -> StreamingResponse:
    """Stream ``(event, data)`` pairs as SSE, validating each against the spec's event schemas
    and the whole stream with a :class:`~openaiassistant.emulator.stream_check.StreamChecker`.

    ``api`` is ``responses`` (data carries ``type`` and ``sequence_number``) or ``assistants``
    (ends with ``event: done`` / ``data: [DONE]``). ``cut_after`` aborts the connection after
    that many events (``cut_after`` is the ``stream_cut`` fault; a ``stream_error`` fault sends an
    ``error`` event there instead and ends the stream). ``terminal_due`` says, once the events ran out,
    whether a terminal event was due (default: always).
    """
    emulator = emulator_of(request)
    checker = StreamChecker(api=api, where=f"SSE {request.method} {request.url.path}")

    # a middleware that makes a handler's client vanish (an ambiguous fault) closes these itself,
    # so the run goes on at once instead of whenever the garbage collector finds the stream
    request.scope.setdefault("emulator.streams", []).append(events)

    async def body() -> AsyncIterator[bytes]:
        sent, sequence = 0, -1
        # aclosing: when the stream is cut or the client leaves, the event source (and the
        # timeline it drives) is closed now, not whenever the garbage collector gets to it
        async with contextlib.aclosing(events) as source:
            async for name, data in source:
                if cut_after is not None and sent >= cut_after.after_events:
                    if cut_after.kind == "stream_cut":
                        raise StreamCut(f"stream cut after {sent} events")
                    name, data = _error_event(api, cut_after, sequence + 1)
                    emulator.check_event(api, name, data)
                    yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                    return  # the server gives up on this stream (no terminal event follows)
                if isinstance(data, dict) and isinstance(data.get("sequence_number"), int):
                    sequence = data["sequence_number"]
                emulator.check_event(api, name, data)
                emulator.add_violations(checker.see(name, data))
                if name in _FINAL_EVENTS and "emulator.log" in request.scope:
                    # log before the last event leaves: a client that stops reading at it must
                    # already find its request in the log
                    request.scope["emulator.log"]()
                payload = data if isinstance(data, str) else json.dumps(data)
                yield f"event: {name}\ndata: {payload}\n\n".encode()
                sent += 1
        emulator.add_violations(checker.end(terminal_expected=terminal_due() if terminal_due else True))

    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


def _error_event(api: str, fault: Any, sequence: int) -> tuple[str, dict[str, Any]]:
    """The ``error`` event of a ``stream_error`` fault, in each API's shape."""
    message = fault.message or "The server had an error while processing your request."
    code = fault.code or "server_error"
    if api == "responses":
        return "error", {"type": "error", "code": code, "message": message, "param": None, "sequence_number": sequence}
    return "error", {"code": code, "message": message, "param": None, "type": "server_error"}


def empty(status: int = 204) -> Response:
    return Response(status_code=status)
