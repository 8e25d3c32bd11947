"""``/v1/files``: multipart upload, list, retrieve, content, delete; files that expire.

An upload may carry ``expires_after`` (form fields ``expires_after[anchor]=created_at`` and
``expires_after[seconds]``, 3600 to 2592000, as the live API takes them): its ``expires_at`` is
set, and once the emulator's clock passes it the file is gone (404, no longer listed, searched
or attached), as on the live API.

The multipart body is parsed with the standard library's ``email`` parser so the emulator does
not need ``python-multipart``.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator.http import ApiProblem, emulator_of, found, new_id, ok, paginate
from openaiassistant.emulator.state import FileRecord

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES", "parse_multipart", "sweep_expired"]

_PURPOSES = {
    "assistants",
    "assistants_output",
    "batch",
    "batch_output",
    "fine-tune",
    "fine-tune-results",
    "vision",
    "user_data",
}


def parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], tuple[str, bytes, str] | None]:
    """Return the plain form fields and the ``file`` part as (filename, bytes, content type)."""
    if not content_type.startswith("multipart/form-data"):
        raise ApiProblem(400, "Expected a multipart/form-data body.")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields: dict[str, str] = {}
    upload = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        decoded = part.get_payload(decode=True)  # bytes for a leaf part, None for a nested one
        payload = decoded if isinstance(decoded, bytes) else b""
        if filename is not None and name == "file":
            upload = (filename, payload, part.get_content_type())
        elif name:
            fields[str(name)] = payload.decode("utf-8", "replace")
    return fields, upload


async def create_file(request: Request) -> Response:
    emulator = emulator_of(request)
    fields, upload = parse_multipart(request.headers.get("content-type", ""), await request.body())
    if upload is None:
        raise ApiProblem(400, "Missing required parameter: 'file'.", param="file")
    purpose = fields.get("purpose")
    if not purpose:
        raise ApiProblem(400, "Missing required parameter: 'purpose'.", param="purpose")
    if purpose not in _PURPOSES:
        raise ApiProblem(400, f"Invalid value for 'purpose': {purpose!r}.", param="purpose")
    filename, content, content_type = upload
    expires_at = _expires_at(fields, emulator.clock.now())
    obj: dict[str, Any] = {
        "id": new_id("file-"),
        "object": "file",
        "bytes": len(content),
        "created_at": emulator.clock.now(),
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    }
    if expires_at is not None:
        obj["expires_at"] = expires_at
    emulator.state.files[obj["id"]] = FileRecord(obj=obj, content=content, content_type=content_type)
    return ok(obj)


def _expires_at(fields: dict[str, str], created_at: int) -> int | None:
    anchor, seconds = fields.get("expires_after[anchor]"), fields.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise ApiProblem(
            400, f"Invalid value for 'expires_after.anchor': {anchor!r}; expected 'created_at'.", param="expires_after"
        )
    try:
        value = int(seconds or "")
    except ValueError:
        raise ApiProblem(400, "Invalid 'expires_after.seconds': expected an integer.", param="expires_after") from None
    if not 3600 <= value <= 2592000:
        raise ApiProblem(
            400,
            "Invalid 'expires_after.seconds': must be between 3600 (1 hour) and 2592000 (30 days).",
            param="expires_after",
        )
    return created_at + value


def sweep_expired(emulator: Emulator) -> None:
    """Forget the files whose ``expires_at`` has passed (the live API deletes them)."""
    moment = emulator.clock.now()
    files = emulator.state.files
    for file_id in [
        k for k, r in files.items() if r.obj.get("expires_at") is not None and r.obj["expires_at"] <= moment
    ]:
        del files[file_id]


def _file(request: Request) -> FileRecord:
    file_id = request.path_params["file_id"]
    sweep_expired(emulator_of(request))
    return found(emulator_of(request).state.files, file_id, f"No such File object: {file_id}")


async def list_files(request: Request) -> Response:
    sweep_expired(emulator_of(request))
    records = [r.obj for r in emulator_of(request).state.files.values()]
    purpose = request.query_params.get("purpose")
    if purpose:
        records = [r for r in records if r["purpose"] == purpose]
    page = paginate(records, request, default_order="desc")
    return ok(page)


async def retrieve_file(request: Request) -> Response:
    return ok(_file(request).obj)


async def file_content(request: Request) -> Response:
    record = _file(request)
    return Response(record.content, media_type=record.content_type or "application/octet-stream")


async def delete_file(request: Request) -> Response:
    record = _file(request)
    emulator_of(request).state.files.pop(record.obj["id"], None)
    return ok({"id": record.obj["id"], "object": "file", "deleted": True})


ROUTES = [
    Route("/v1/files", create_file, methods=["POST"]),
    Route("/v1/files", list_files, methods=["GET"]),
    Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
    Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
    Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
]
