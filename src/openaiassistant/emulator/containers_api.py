"""``/v1/containers``: code_interpreter containers and their files.

A container holds copies of uploaded files (``file_ids`` at creation, or ``POST
/containers/{id}/files`` with a ``file_id`` or a multipart ``file``) and the files code_interpreter
writes (``source: assistant``). It expires after ``expires_after.minutes`` without use (20 by
default, as on the live API) on the emulator's clock; an expired container answers 404. A
Responses ``code_interpreter`` tool with ``container: {type: auto, file_ids}`` gets a new one
(:func:`container_for`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator.files_api import parse_multipart, sweep_expired
from openaiassistant.emulator.http import ApiProblem, emulator_of, found, new_id, ok, paginate, read_json
from openaiassistant.emulator.state import ContainerRecord

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES", "add_file", "container_for", "new_container"]

DEFAULT_MINUTES = 20


def _sweep(emulator: Emulator) -> None:
    moment = emulator.clock.now()
    for cid, record in list(emulator.state.containers.items()):
        minutes = int((record.obj.get("expires_after") or {}).get("minutes") or DEFAULT_MINUTES)
        if moment >= int(record.obj["last_active_at"]) + minutes * 60:
            del emulator.state.containers[cid]


def new_container(emulator: Emulator, *, name: str, file_ids: list[str], minutes: int | None = None) -> ContainerRecord:
    now = emulator.clock.now()
    obj: dict[str, Any] = {
        "id": new_id("cntr_"),
        "object": "container",
        "name": name,
        "created_at": now,
        "status": "running",
        "last_active_at": now,
        "expires_after": {"anchor": "last_active_at", "minutes": minutes or DEFAULT_MINUTES},
        "memory_limit": "1g",
    }
    record = ContainerRecord(obj=obj)
    emulator.state.containers[obj["id"]] = record
    for file_id in file_ids:
        upload = emulator.state.files.get(file_id)
        if upload is None:
            raise ApiProblem(404, f"No file found with id '{file_id}'.", param="file_ids")
        add_file(emulator, record, name=str(upload.obj["filename"]), content=upload.content, source="user")
    return record


def add_file(emulator: Emulator, record: ContainerRecord, *, name: str, content: bytes, source: str) -> dict[str, Any]:
    cfile: dict[str, Any] = {
        "id": new_id("cfile_"),
        "object": "container.file",
        "created_at": emulator.clock.now(),
        "bytes": len(content),
        "container_id": record.obj["id"],
        "path": f"/mnt/data/{name}",
        "source": source,
    }
    record.files[cfile["id"]] = cfile
    record.content[cfile["id"]] = content
    record.obj["last_active_at"] = emulator.clock.now()
    return cfile


def container_for(emulator: Emulator, tool: dict[str, Any]) -> ContainerRecord:
    """The container a Responses ``code_interpreter`` tool names, or a new one for ``auto``."""
    _sweep(emulator)
    sweep_expired(emulator)
    container = tool.get("container")
    if isinstance(container, str):
        record = emulator.state.containers.get(container)
        if record is None:
            raise ApiProblem(404, f"Container with id '{container}' not found.", param="tools")
        record.obj["last_active_at"] = emulator.clock.now()
        return record
    file_ids = [str(f) for f in (container or {}).get("file_ids") or []]
    return new_container(emulator, name="code_interpreter", file_ids=file_ids)


def _container(request: Request) -> ContainerRecord:
    emulator = emulator_of(request)
    _sweep(emulator)
    container_id = request.path_params["container_id"]
    return found(emulator.state.containers, container_id, f"Container with id '{container_id}' not found.")


async def create_container(request: Request) -> Response:
    emulator = emulator_of(request)
    sweep_expired(emulator)
    body = await read_json(request)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ApiProblem(400, "Missing required parameter: 'name'.", param="name")
    expires = body.get("expires_after") or {}
    if expires and expires.get("anchor") != "last_active_at":
        raise ApiProblem(400, "Invalid 'expires_after.anchor': expected 'last_active_at'.", param="expires_after")
    record = new_container(
        emulator, name=name, file_ids=[str(f) for f in body.get("file_ids") or []], minutes=expires.get("minutes")
    )
    return ok(record.obj)


async def list_containers(request: Request) -> Response:
    emulator = emulator_of(request)
    _sweep(emulator)
    return ok(paginate([r.obj for r in emulator.state.containers.values()], request))


async def retrieve_container(request: Request) -> Response:
    return ok(_container(request).obj)


async def delete_container(request: Request) -> Response:
    record = _container(request)
    del emulator_of(request).state.containers[record.obj["id"]]
    return ok({"id": record.obj["id"], "object": "container.deleted", "deleted": True})


async def create_container_file(request: Request) -> Response:
    emulator = emulator_of(request)
    record = _container(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        _, upload = parse_multipart(content_type, await request.body())
        if upload is None:
            raise ApiProblem(400, "Missing required parameter: 'file'.", param="file")
        return ok(add_file(emulator, record, name=upload[0], content=upload[1], source="user"))
    body = await read_json(request)
    sweep_expired(emulator)
    source = emulator.state.files.get(str(body.get("file_id")))
    if source is None:
        raise ApiProblem(404, f"No file found with id '{body.get('file_id')}'.", param="file_id")
    return ok(add_file(emulator, record, name=str(source.obj["filename"]), content=source.content, source="user"))


def _cfile(request: Request) -> tuple[ContainerRecord, dict[str, Any]]:
    record = _container(request)
    file_id = request.path_params["file_id"]
    return record, found(record.files, file_id, f"File with id '{file_id}' not found in the container.")


async def list_container_files(request: Request) -> Response:
    return ok(paginate(list(_container(request).files.values()), request))


async def retrieve_container_file(request: Request) -> Response:
    return ok(_cfile(request)[1])


async def container_file_content(request: Request) -> Response:
    record, cfile = _cfile(request)
    return Response(record.content[cfile["id"]], media_type="application/octet-stream")


async def delete_container_file(request: Request) -> Response:
    record, cfile = _cfile(request)
    del record.files[cfile["id"]]
    record.content.pop(cfile["id"], None)
    return ok({"id": cfile["id"], "object": "container.file.deleted", "deleted": True})


ROUTES = [
    Route("/v1/containers", create_container, methods=["POST"]),
    Route("/v1/containers", list_containers, methods=["GET"]),
    Route("/v1/containers/{container_id}", retrieve_container, methods=["GET"]),
    Route("/v1/containers/{container_id}", delete_container, methods=["DELETE"]),
    Route("/v1/containers/{container_id}/files", create_container_file, methods=["POST"]),
    Route("/v1/containers/{container_id}/files", list_container_files, methods=["GET"]),
    Route("/v1/containers/{container_id}/files/{file_id}", retrieve_container_file, methods=["GET"]),
    Route("/v1/containers/{container_id}/files/{file_id}", delete_container_file, methods=["DELETE"]),
    Route("/v1/containers/{container_id}/files/{file_id}/content", container_file_content, methods=["GET"]),
]
