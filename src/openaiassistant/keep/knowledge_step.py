"""A step's ``knowledge_sync``: runbooks into a vector store from a Keep workflow.

    knowledge_sync:
      vector_store: runbooks          # an id, or a name (created when no store has it)
      directory: runbooks/            # sync: add new files, replace changed ones, remove deleted
      files: [postmortems/db-1.md]    # or: add (or replace) these files
      expire_after: 30d               # optional: uploaded files expire (1h to 30d)

Paths are on the Keep server and resolve inside the provider's ``files_dir`` (nothing outside
it can be read). The step's results carry ``vector_store_id``, the counts (``uploaded``,
``replaced``, ``removed``, ``unchanged``), ``files`` and ``files_json`` (each file's
``file_id``, ``name``, ``status``: usable as a later step's ``attachments``) for later steps.
Nothing here imports Keep.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openaiassistant.content.sources import local_file
from openaiassistant.errors import ConfigError
from openaiassistant.values import parse_duration, parse_mapping

__all__ = ["KnowledgeSync", "parse_knowledge_sync", "run_knowledge_sync"]

_KEYS = ("vector_store", "directory", "files", "expire_after", "create")


@dataclass(frozen=True, kw_only=True)
class KnowledgeSync:
    vector_store: str
    directory: Path | None = None
    files: tuple[Path, ...] = ()
    expire_after: float | None = None
    create: bool = True


def _inside(where: str, raw: Any, files_dir: Path | None) -> Path:
    if files_dir is None:
        raise ConfigError(where, "local files need the provider's files_dir (the folder steps may read from)")
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(where, f"expected a path inside files_dir, got {raw!r}")
    root = files_dir.expanduser().resolve()
    path = (root / raw.strip()).resolve()
    if not path.is_relative_to(root):
        raise ConfigError(where, f"{raw} is outside files_dir {root}")
    return path


def _sources(value: dict[str, Any], files_dir: Path | None) -> tuple[Path | None, tuple[Path, ...]]:
    """The folder to sync, or the files to add: inside files_dir, and there."""
    directory = value.get("directory")
    files = value.get("files") or []
    if isinstance(files, str):
        files = [files]
    if bool(directory) == bool(files):
        raise ConfigError("knowledge_sync", "give directory (to sync a folder) or files (to add files), one of them")
    if directory:
        folder = _inside("knowledge_sync.directory", directory, files_dir)
        if not folder.is_dir():
            raise ConfigError("knowledge_sync.directory", f"{directory} is not a directory")
        return folder, ()
    paths = tuple(_inside(f"knowledge_sync.files[{i}]", f, files_dir) for i, f in enumerate(files))
    for i, path in enumerate(paths):
        local_file(f"knowledge_sync.files[{i}]", path)
    return None, paths


def parse_knowledge_sync(value: Any, *, files_dir: Path | None) -> KnowledgeSync | None:
    """The step's ``knowledge_sync`` (a mapping, or its JSON text), checked; None when not given."""
    value = parse_mapping(
        "knowledge_sync", value, expected="must be a mapping with vector_store and directory or files"
    )
    if value is None:
        return None
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise ConfigError(f"knowledge_sync.{unknown[0]}", f"unknown key; allowed: {', '.join(_KEYS)}")
    store = value.get("vector_store")
    if not isinstance(store, str) or not store.strip():
        raise ConfigError("knowledge_sync.vector_store", "required: a vector store id or name")
    folder, paths = _sources(value, files_dir)
    expire = value.get("expire_after")
    seconds = (
        parse_duration("knowledge_sync.expire_after", expire, minimum=3600, maximum=30 * 86400, unit_required=True)
        if expire not in (None, "")
        else None
    )
    create = value.get("create", True)
    return KnowledgeSync(
        vector_store=store.strip(),
        directory=folder,
        files=paths,
        expire_after=seconds,
        create=create not in (False, "false", "no", "0"),
    )


class _LogProgress:
    """Progress into the workflow log: one line per phase and a line per file uploaded."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter[Any], prefix: str) -> None:
        self._log, self._prefix = logger, prefix
        self._done: dict[str, int] = {}
        self._total: dict[str, int] = {}

    def begin(self, phase: str, total: int) -> None:
        self._done[phase], self._total[phase] = 0, total

    def advance(self, phase: str, amount: int = 1, *, name: str | None = None) -> None:
        self._done[phase] = self._done.get(phase, 0) + amount
        if phase == "upload" and name:
            self._log.info("%suploaded %s (%d/%d bytes)", self._prefix, name, self._done[phase], self._total[phase])

    def end(self, phase: str) -> None:
        self._log.info("%s%s done (%d)", self._prefix, phase, self._total.get(phase, 0))


def run_knowledge_sync(
    sync: KnowledgeSync, *, connection: Any, logger: logging.Logger | logging.LoggerAdapter[Any], prefix: str = ""
) -> dict[str, Any]:
    """Carry the sync out; returns the step's results (see the module docstring)."""
    from openaiassistant.knowledge import KnowledgeBase

    kb = KnowledgeBase.connect(connection)
    store = kb.resolve(sync.vector_store, create=sync.create)
    progress = _LogProgress(logger, prefix)
    if sync.directory is not None:
        report = kb.sync(store.id, sync.directory, expire_after=sync.expire_after, progress=progress)
    else:
        report = kb.upload(store.id, sync.files, expire_after=sync.expire_after, progress=progress)
    data = report.to_dict()
    if sync.files:  # an upload reports the files it was given, not the whole store
        names = {p.name for p in sync.files}
        data["files"] = [f for f in data["files"] if f.get("name") in names]
    logger.info(
        "%sknowledge %s (%s): %d uploaded, %d replaced, %d removed, %d unchanged",
        prefix,
        store.id,
        store.name,
        report.uploaded,
        report.replaced,
        report.removed,
        report.unchanged,
    )
    data["vector_store_name"] = store.name
    data["files_json"] = json.dumps(data["files"], ensure_ascii=False)
    return data
