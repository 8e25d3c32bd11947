"""What a sync of a folder into a vector store has to do, decided from content hashes alone.

Each file this package puts into a store carries two attributes: ``path`` (relative to the
synced folder, ``/``-separated) and ``sha256`` of its bytes. A sync compares the folder with the
store: a new path is uploaded, a changed hash replaced (the new file is added before the old one
is removed, so a search never misses it), a path gone from the folder removed, the rest left
alone. Files in the store without a ``path`` attribute were not put there by a sync and are never
touched. A second sync of an unchanged folder plans nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openaiassistant.errors import ConfigError

__all__ = ["HASH_ATTR", "LocalFile", "PATH_ATTR", "SyncPlan", "attributes", "digest", "local_files", "plan_sync"]

PATH_ATTR, HASH_ATTR = "path", "sha256"
MAX_KEY = 512  # the API's limit for an attribute's value


@dataclass(frozen=True, kw_only=True)
class LocalFile:
    path: Path  # on disk
    key: str  # relative to the synced folder, "/"-separated (the store's ``path`` attribute)
    sha256: str
    size: int


@dataclass(kw_only=True)
class SyncPlan:
    upload: list[LocalFile] = field(default_factory=list)  # new paths
    replace: list[tuple[LocalFile, list[str]]] = field(default_factory=list)  # changed: old store file ids
    remove: list[tuple[str, str]] = field(default_factory=list)  # (key, store file id) gone locally
    unchanged: list[str] = field(default_factory=list)  # keys
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # extra copies of one key, removed

    @property
    def empty(self) -> bool:
        return not (self.upload or self.replace or self.remove or self.duplicates)


def digest(path: Path) -> str:
    """The sha256 of a file's bytes, hex."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def local_files(directory: str | Path, *, pattern: str = "**/*") -> list[LocalFile]:
    """Every regular file under ``directory`` matching ``pattern``; hidden files and folders
    (``.git``, ``.DS_Store``) are skipped."""
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise ConfigError("directory", f"{directory} is not a directory")
    found = []
    for path in sorted(root.glob(pattern)):
        relative = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if len(relative.as_posix()) > MAX_KEY:
            raise ConfigError(
                "directory", f"{relative} is longer than {MAX_KEY} characters (a store attribute's limit)"
            )
        found.append(LocalFile(path=path, key=relative.as_posix(), sha256=digest(path), size=path.stat().st_size))
    return found


def _by_key(store_files: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The store's synced files by path, newest first."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for f in store_files:
        key = (f.get("attributes") or {}).get(PATH_ATTR)
        if isinstance(key, str) and key:
            grouped.setdefault(key, []).append(f)
    for copies in grouped.values():
        copies.sort(key=lambda f: int(f.get("created_at") or 0), reverse=True)
    return grouped


def plan_sync(local: Iterable[LocalFile], store_files: Iterable[dict[str, Any]]) -> SyncPlan:
    """The plan that makes the store hold exactly the folder's files (see the module docstring).

    A store file that failed to index counts as missing: it is replaced."""
    plan = SyncPlan()
    remote = _by_key(store_files)
    for item in local:
        copies = remote.pop(item.key, [])
        good = [
            f
            for f in copies
            if (f.get("attributes") or {}).get(HASH_ATTR) == item.sha256 and f.get("status") != "failed"
        ]
        if good:
            plan.unchanged.append(item.key)
            plan.duplicates.extend((item.key, f["id"]) for f in copies if f is not good[0])
        elif copies:
            plan.replace.append((item, [f["id"] for f in copies]))
        else:
            plan.upload.append(item)
    for key, copies in remote.items():
        plan.remove.extend((key, f["id"]) for f in copies)
    return plan


def attributes(item: LocalFile) -> dict[str, str]:
    return {PATH_ATTR: item.key, HASH_ATTR: item.sha256}
