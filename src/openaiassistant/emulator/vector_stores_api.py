"""``/v1/vector_stores``: stores and their files, with indexing that takes time.

A file attached to a store is ``in_progress`` until the script's ``indexing_ms`` has passed
(checked on every read, like runs), then ``completed``; the store's ``file_counts`` and
``status`` follow. The scripted model can cite indexed files (a rule's ``file_search``).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator.files_api import sweep_expired
from openaiassistant.emulator.http import (
    ApiProblem,
    check_metadata,
    emulator_of,
    found,
    new_id,
    ok,
    paginate,
    read_json,
    require,
)
from openaiassistant.emulator.state import VectorStoreRecord

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES", "indexed_files"]

# the extensions file_search indexes (OpenAI's supported-files list)
SEARCHABLE = frozenset(
    ".c .cpp .cs .css .doc .docx .go .html .java .js .json .md .pdf .php .pptx .py .rb .sh .tex .ts .txt".split()  # noqa: SIM905
)


def refresh(emulator: Emulator, record: VectorStoreRecord) -> None:
    """Finish indexing that is due on the emulator's clock, drop files that expired, recount."""
    sweep_expired(emulator)
    for file_id in [f for f in record.files if f not in emulator.state.files]:
        del record.files[file_id]
    moment = emulator.clock.monotonic()
    for file_id, vs_file in record.files.items():
        if vs_file["status"] == "in_progress" and moment >= record.ready_at.get(file_id, 0):
            vs_file.update(_indexed(emulator, emulator.state.files[file_id].obj["filename"]))
    for batch_id, batch in record.batches.items():
        batch["file_counts"] = _counts([record.files[f] for f in record.batch_files[batch_id] if f in record.files])
        if batch["status"] == "in_progress" and not batch["file_counts"]["in_progress"]:
            batch["status"] = "completed"
    _recount(record)


def _indexed(emulator: Emulator, filename: str) -> dict[str, Any]:
    """How indexing ends: file_search indexes the extensions it knows (the live API fails the
    rest, e.g. ``.log``, as unsupported), and the script's ``indexing_fails`` regex fails others."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in SEARCHABLE:
        return {
            "status": "failed",
            "last_error": {
                "code": "unsupported_file",
                "message": f"Files with extensions [{suffix or 'none'}] are not supported for retrieval.",
            },
        }
    pattern = emulator.script.indexing_fails
    if pattern is not None and re.search(pattern, filename):
        return {
            "status": "failed",
            "last_error": {"code": "invalid_file", "message": f"The file {filename} could not be parsed."},
        }
    return {"status": "completed"}


def _counts(files: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0}
    for vs_file in files:
        counts[vs_file["status"]] += 1
    return {**counts, "total": len(files)}


def _recount(record: VectorStoreRecord) -> None:
    counts = _counts(list(record.files.values()))
    record.obj["file_counts"] = counts
    record.obj["status"] = "in_progress" if counts["in_progress"] else "completed"
    record.obj["usage_bytes"] = sum(f["usage_bytes"] for f in record.files.values() if f["status"] == "completed")


def store_of(request: Request) -> VectorStoreRecord:
    emulator = emulator_of(request)
    store_id = request.path_params["vector_store_id"]
    record = found(emulator.state.vector_stores, store_id, f"No vector store found with id '{store_id}'.")
    refresh(emulator, record)
    return record


def _attach(request: Request, record: VectorStoreRecord, file_id: str, attributes: Any = None) -> dict[str, Any]:
    emulator = emulator_of(request)
    upload = emulator.state.files.get(file_id)
    if upload is None:
        raise ApiProblem(404, f"No file found with id '{file_id}'.", param="file_id")
    vs_file = {
        "id": file_id,
        "object": "vector_store.file",
        "usage_bytes": len(upload.content),
        "created_at": emulator.clock.now(),
        "vector_store_id": record.obj["id"],
        "status": "in_progress",
        "last_error": None,
        "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}},
        "attributes": attributes or {},
    }
    record.files[file_id] = vs_file
    record.ready_at[file_id] = emulator.clock.monotonic() + emulator.script.indexing_ms / 1000.0
    return vs_file


async def create_store(request: Request) -> Response:
    emulator = emulator_of(request)
    state = emulator.state
    body = await read_json(request)
    created = emulator.clock.now()
    obj: dict[str, Any] = {
        "id": new_id("vs_"),
        "object": "vector_store",
        "created_at": created,
        "name": str(body.get("name") or ""),
        "usage_bytes": 0,
        "file_counts": {},
        "status": "completed",
        "last_active_at": created,
        "expires_at": None,
        "metadata": check_metadata(body),
    }
    if body.get("expires_after"):
        obj["expires_after"] = body["expires_after"]
    record = VectorStoreRecord(obj=obj)
    state.vector_stores[obj["id"]] = record
    for file_id in body.get("file_ids") or []:
        _attach(request, record, str(file_id))
    _recount(record)  # not refresh: right after creation, files are still being indexed
    return ok(obj)


async def list_stores(request: Request) -> Response:
    emulator = emulator_of(request)
    state = emulator.state
    for record in state.vector_stores.values():
        refresh(emulator, record)
    return ok(paginate([r.obj for r in state.vector_stores.values()], request))


async def retrieve_store(request: Request) -> Response:
    return ok(store_of(request).obj)


async def update_store(request: Request) -> Response:
    record = store_of(request)
    body = await read_json(request)
    check_metadata(body)
    for name in ("name", "metadata", "expires_after"):
        if name in body:
            record.obj[name] = body[name]
    return ok(record.obj)


async def delete_store(request: Request) -> Response:
    record = store_of(request)
    emulator_of(request).state.vector_stores.pop(record.obj["id"], None)
    return ok({"id": record.obj["id"], "object": "vector_store.deleted", "deleted": True})


async def create_store_file(request: Request) -> Response:
    record = store_of(request)
    body = await read_json(request)
    vs_file = _attach(request, record, str(require(body, "file_id")), body.get("attributes"))
    _recount(record)
    return ok(vs_file)


async def list_store_files(request: Request) -> Response:
    record = store_of(request)
    files = list(record.files.values())
    wanted = request.query_params.get("filter")
    if wanted:
        files = [f for f in files if f["status"] == wanted]
    return ok(paginate(files, request))


def _store_file(request: Request) -> tuple[VectorStoreRecord, dict[str, Any]]:
    record = store_of(request)
    file_id = request.path_params["file_id"]
    return record, found(
        record.files, file_id, f"No file found with id '{file_id}' in vector store '{record.obj['id']}'."
    )


async def retrieve_store_file(request: Request) -> Response:
    return ok(_store_file(request)[1])


async def delete_store_file(request: Request) -> Response:
    record, vs_file = _store_file(request)
    del record.files[vs_file["id"]]
    record.ready_at.pop(vs_file["id"], None)
    return ok({"id": vs_file["id"], "object": "vector_store.file.deleted", "deleted": True})


async def create_batch(request: Request) -> Response:
    """Many files in one request: ``file_ids`` (+ shared ``attributes``) or ``files`` (each
    ``{file_id, attributes}``), mutually exclusive, at most 2000."""
    record = store_of(request)
    body = await read_json(request)
    if ("file_ids" in body) == ("files" in body):
        raise ApiProblem(400, "Provide exactly one of 'file_ids' or 'files'.", param="files")
    entries = (
        [{"file_id": f, "attributes": body.get("attributes")} for f in body["file_ids"]]
        if "file_ids" in body
        else list(body["files"])
    )
    if not 1 <= len(entries) <= 2000:
        raise ApiProblem(400, "A batch holds 1 to 2000 files.", param="files")
    missing = [str(e.get("file_id")) for e in entries if str(e.get("file_id")) not in emulator_of(request).state.files]
    if missing:
        raise ApiProblem(404, f"No file found with id '{missing[0]}'.", param="file_id")
    ids = [str(_attach(request, record, str(e["file_id"]), e.get("attributes"))["id"]) for e in entries]
    batch = {
        "id": new_id("vsfb_"),
        "object": "vector_store.files_batch",
        "created_at": emulator_of(request).clock.now(),
        "vector_store_id": record.obj["id"],
        "status": "in_progress",
        "file_counts": _counts([record.files[f] for f in ids]),
    }
    record.batches[batch["id"]], record.batch_files[batch["id"]] = batch, ids
    _recount(record)
    return ok(batch)


def _batch(request: Request) -> tuple[VectorStoreRecord, dict[str, Any]]:
    record = store_of(request)
    batch_id = request.path_params["batch_id"]
    return record, found(record.batches, batch_id, f"No file batch found with id '{batch_id}'.")


async def retrieve_batch(request: Request) -> Response:
    return ok(_batch(request)[1])


async def cancel_batch(request: Request) -> Response:
    record, batch = _batch(request)
    for file_id in record.batch_files[batch["id"]]:
        vs_file = record.files.get(file_id)
        if vs_file is not None and vs_file["status"] == "in_progress":
            vs_file["status"] = "cancelled"
    refresh(emulator_of(request), record)
    batch["status"] = "cancelled"
    return ok(batch)


async def list_batch_files(request: Request) -> Response:
    record, batch = _batch(request)
    files = [record.files[f] for f in record.batch_files[batch["id"]] if f in record.files]
    wanted = request.query_params.get("filter")
    if wanted:
        files = [f for f in files if f["status"] == wanted]
    return ok(paginate(files, request))


def indexed_files(emulator: Emulator, store_ids: list[str]) -> list[tuple[str, str, bytes]]:
    """``(file_id, filename, content)`` of every indexed file in the given stores."""
    state = emulator.state
    found = []
    for store_id in store_ids:
        record = state.vector_stores.get(store_id)
        if record is None:
            continue
        refresh(emulator, record)
        for file_id, vs_file in record.files.items():
            upload = state.files.get(file_id)
            if vs_file["status"] == "completed" and upload is not None:
                found.append((file_id, str(upload.obj["filename"]), upload.content))
    return found


ROUTES = [
    Route("/v1/vector_stores", create_store, methods=["POST"]),
    Route("/v1/vector_stores", list_stores, methods=["GET"]),
    Route("/v1/vector_stores/{vector_store_id}", retrieve_store, methods=["GET"]),
    Route("/v1/vector_stores/{vector_store_id}", update_store, methods=["POST"]),
    Route("/v1/vector_stores/{vector_store_id}", delete_store, methods=["DELETE"]),
    Route("/v1/vector_stores/{vector_store_id}/files", create_store_file, methods=["POST"]),
    Route("/v1/vector_stores/{vector_store_id}/files", list_store_files, methods=["GET"]),
    Route("/v1/vector_stores/{vector_store_id}/files/{file_id}", retrieve_store_file, methods=["GET"]),
    Route("/v1/vector_stores/{vector_store_id}/files/{file_id}", delete_store_file, methods=["DELETE"]),
    Route("/v1/vector_stores/{vector_store_id}/file_batches", create_batch, methods=["POST"]),
    Route("/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}", retrieve_batch, methods=["GET"]),
    Route("/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
    Route("/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/files", list_batch_files, methods=["GET"]),
]
