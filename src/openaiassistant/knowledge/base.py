"""KnowledgeBase: vector stores of runbooks, created, filled, synced and deleted from Python.

    kb = KnowledgeBase.connect(ConnectionSettings(api_key=..., base_url=...))
    store = kb.create("runbooks")
    report = kb.sync(store.id, "runbooks/")      # uploads new files, replaces changed, removes gone
    kb.sync(store.id, "runbooks/").uploaded      # 0: nothing changed, nothing sent

Every file goes up once (a lost upload is looked for before it is sent again), is added to the
store with its ``path`` and ``sha256`` as attributes (see :mod:`openaiassistant.knowledge.sync`),
in batches, and is waited for until indexed; a file the store failed to index is an
:class:`~openaiassistant.errors.IndexingError` naming it with the server's reason. ``progress``
(anything with ``begin/advance/end``) hears about uploads and indexing as they go.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from openaiassistant.content.sources import check_attachment, local_file
from openaiassistant.errors import (
    APIError,
    AssistantError,
    ConfigError,
    IndexingError,
    NotFoundError,
    TurnTimeoutError,
)
from openaiassistant.knowledge import sync as plans
from openaiassistant.knowledge.api import FilesAPI, VectorStoresAPI, expires_after_seconds
from openaiassistant.settings import ConnectionSettings

__all__ = ["KnowledgeBase", "Progress", "StoreFile", "SyncReport", "VectorStore"]

BATCH = 500  # files per file_batches request (the API takes up to 2000)
FILE_EXPIRY = (3600, 30 * 86400)  # the Files API's bounds for expires_after.seconds


class Progress(Protocol):
    """Told about long phases: ``upload`` (bytes), ``index`` (files), ``remove`` (files)."""

    def begin(self, phase: str, total: int) -> None: ...

    def advance(self, phase: str, amount: int = 1, *, name: str | None = None) -> None: ...

    def end(self, phase: str) -> None: ...


class _Silent:
    def begin(self, phase: str, total: int) -> None:
        pass

    def advance(self, phase: str, amount: int = 1, *, name: str | None = None) -> None:
        pass

    def end(self, phase: str) -> None:
        pass


@dataclass(frozen=True, kw_only=True)
class VectorStore:
    id: str
    name: str
    status: str | None = None
    file_counts: dict[str, int] = field(default_factory=dict)
    usage_bytes: int = 0
    created_at: int | None = None
    expires_at: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_api(cls, obj: dict[str, Any]) -> VectorStore:
        return cls(
            id=str(obj["id"]),
            name=str(obj.get("name") or ""),
            status=obj.get("status"),
            file_counts=dict(obj.get("file_counts") or {}),
            usage_bytes=int(obj.get("usage_bytes") or 0),
            created_at=obj.get("created_at"),
            expires_at=obj.get("expires_at"),
            metadata=dict(obj.get("metadata") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True, kw_only=True)
class StoreFile:
    file_id: str
    name: str | None
    status: str | None
    bytes: int = 0
    sha256: str | None = None
    last_error: str | None = None

    @classmethod
    def from_api(cls, obj: dict[str, Any], name: str | None = None) -> StoreFile:
        attributes = obj.get("attributes") or {}
        error = obj.get("last_error") or {}
        return cls(
            file_id=str(obj["id"]),
            name=attributes.get(plans.PATH_ATTR) or name,
            status=obj.get("status"),
            bytes=int(obj.get("usage_bytes") or 0),
            sha256=attributes.get(plans.HASH_ATTR),
            last_error=error.get("message") if isinstance(error, dict) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(kw_only=True)
class SyncReport:
    """What a sync or an upload did; ``files`` are the store's synced files afterwards."""

    vector_store_id: str
    uploaded: int = 0
    replaced: int = 0
    removed: int = 0
    unchanged: int = 0
    files: list[StoreFile] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vector_store_id": self.vector_store_id,
            "uploaded": self.uploaded,
            "replaced": self.replaced,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "failed": dict(self.failed),
            "files": [f.to_dict() for f in self.files],
        }


class KnowledgeBase:
    """Vector-store management over an ``openai.OpenAI`` client (any SDK from 1.37.1 to 3.x)."""

    def __init__(
        self,
        client: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        retries: int = 2,
    ) -> None:
        self._stores = VectorStoresAPI(client)
        self._files = FilesAPI(client, retries=retries, sleep=sleep)
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def connect(cls, connection: ConnectionSettings, **kwargs: Any) -> KnowledgeBase:
        """A knowledge base on the server these settings reach (OpenAI, Azure, compatible)."""
        import openai

        connection.validate()
        common: dict[str, Any] = {
            "api_key": connection.resolved_api_key(),
            "organization": connection.organization,
            "project": connection.project,
            "max_retries": connection.max_retries,
            "timeout": connection.request_timeout,
        }
        if connection.is_azure:
            client: Any = openai.AzureOpenAI(
                azure_endpoint=str(connection.azure_endpoint), api_version=connection.api_version, **common
            )
        else:
            client = openai.OpenAI(base_url=connection.base_url, **common)
        return cls(client, **kwargs)

    # -- stores --------------------------------------------------------------------------------
    def create(
        self, name: str, *, metadata: dict[str, str] | None = None, expire_after_days: int | None = None
    ) -> VectorStore:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("name", "a vector store needs a name")
        body: dict[str, Any] = {"name": name.strip()}
        if metadata:
            body["metadata"] = dict(metadata)
        if expire_after_days:
            body["expires_after"] = {"anchor": "last_active_at", "days": int(expire_after_days)}
        return VectorStore.from_api(self._stores.create(body))

    def stores(self) -> list[VectorStore]:
        """Every vector store on the server, newest first."""
        return [VectorStore.from_api(obj) for obj in self._stores.all()]

    def get(self, ref: str) -> VectorStore:
        """A store by id, or by its exact name when exactly one store has it."""
        if ref.startswith("vs_"):
            try:
                return VectorStore.from_api(self._stores.retrieve(ref))
            except NotFoundError:
                pass
            except APIError as exc:  # llama-stack answers an unknown id with 400 "... not found"
                if exc.http_status != 400 or "not found" not in exc.message.lower():
                    raise
        named = [s for s in self.stores() if s.name == ref]
        if not named:
            raise NotFoundError(f"no vector store has the id or name {ref!r}", http_status=404)
        if len(named) > 1:
            ids = ", ".join(s.id for s in named)
            raise ConfigError("vector_store", f"{len(named)} vector stores are named {ref!r} ({ids}); give an id")
        return named[0]

    def resolve(self, ref: str, *, create: bool = False) -> VectorStore:
        """``get``, or (with ``create``) a new store of that name when none has it."""
        try:
            return self.get(ref)
        except NotFoundError:
            if not create or ref.startswith("vs_"):
                raise
            return self.create(ref)

    def delete(self, store_id: str, *, delete_files: bool = True) -> bool:
        """Delete the store (and, with ``delete_files``, the files a sync or upload put there)."""
        ours = [f.file_id for f in self.files(store_id, names=False) if f.sha256] if delete_files else []
        deleted = self._stores.delete(store_id)
        for file_id in ours:
            self._files.delete(file_id)
        return deleted

    # -- files ---------------------------------------------------------------------------------
    def files(self, store_id: str, *, names: bool = True) -> list[StoreFile]:
        """The store's files (every page), named by their synced path or the file's name."""
        out = []
        for obj in self._stores.files(store_id):
            synced = (obj.get("attributes") or {}).get(plans.PATH_ATTR)
            out.append(StoreFile.from_api(obj, None if synced or not names else self._files.name(obj["id"])))
        return out

    def upload(
        self,
        store_id: str,
        paths: Iterable[str | Path],
        *,
        expire_after: float | None = None,
        progress: Progress | None = None,
        timeout: float = 600.0,
    ) -> SyncReport:
        """Add files (a changed file replaces its earlier version; an unchanged one is skipped)."""
        local = []
        for i, raw in enumerate(paths):
            source = local_file(f"paths[{i}]", raw)
            assert source.path is not None
            local.append(
                plans.LocalFile(
                    path=source.path,
                    key=source.name,
                    sha256=plans.digest(source.path),
                    size=source.size,
                )
            )
        if not local:
            raise ConfigError("paths", "give at least one file")
        plan = plans.plan_sync(local, self._stores.files(store_id))
        plan.remove = []  # an upload only adds
        return self._apply(store_id, plan, expire_after=expire_after, progress=progress or _Silent(), timeout=timeout)

    def sync(
        self,
        store_id: str,
        directory: str | Path,
        *,
        expire_after: float | None = None,
        progress: Progress | None = None,
        timeout: float = 600.0,
        pattern: str = "**/*",
    ) -> SyncReport:
        """Make the store hold exactly the folder's files (see :mod:`openaiassistant.knowledge.sync`)."""
        local = plans.local_files(directory, pattern=pattern)
        plan = plans.plan_sync(local, self._stores.files(store_id))
        return self._apply(store_id, plan, expire_after=expire_after, progress=progress or _Silent(), timeout=timeout)

    # -- a plan, carried out -------------------------------------------------------------------
    def _apply(
        self, store_id: str, plan: plans.SyncPlan, *, expire_after: float | None, progress: Progress, timeout: float
    ) -> SyncReport:
        sending = plan.upload + [item for item, _ in plan.replace]
        for item in sending:  # every file is checked before the first one is sent
            check_attachment(item.key, local_file(item.key, item.path), ("file_search",))
        expiry = self._expiry(expire_after)
        report = SyncReport(vector_store_id=store_id, unchanged=len(plan.unchanged))
        uploaded = self._upload_all(sending, expiry, progress, report)
        added = self._attach_all(store_id, uploaded, progress, timeout, report)
        done = {item.key for item in added}
        report.uploaded = sum(1 for item in plan.upload if item.key in done)
        report.replaced = sum(1 for item, _ in plan.replace if item.key in done)
        stale = [fid for item, old in plan.replace if item.key in done for fid in old]
        stale += [fid for _, fid in plan.remove + plan.duplicates]
        self._remove_all(store_id, stale, progress)
        report.removed = len(plan.remove)
        report.files = [f for f in self.files(store_id, names=False) if f.sha256]
        if report.failed:
            names = "; ".join(f"{key}: {why}" for key, why in report.failed.items())
            error = IndexingError(
                f"{len(report.failed)} of {len(sending)} files could not be added to vector store {store_id}: {names}",
                failures=report.failed,
            )
            error.report = report  # type: ignore[attr-defined]  # what did get done, for the caller's summary
            raise error
        return report

    def _expiry(self, expire_after: float | None) -> dict[str, Any] | None:
        if expire_after is None:
            return None
        low, high = FILE_EXPIRY
        if not low <= expire_after <= high:
            raise ConfigError("expire_after", f"files can expire from 1h to 30d after upload, got {expire_after:g}s")
        return expires_after_seconds(int(expire_after))

    def _upload_all(
        self, items: Sequence[plans.LocalFile], expiry: dict[str, Any] | None, progress: Progress, report: SyncReport
    ) -> list[tuple[plans.LocalFile, str]]:
        if not items:
            return []
        progress.begin("upload", sum(item.size for item in items))
        uploaded = []
        for item in items:
            source = local_file(item.key, item.path)
            try:
                obj = self._files.upload(
                    name=source.upload_name(("file_search",)),
                    data=source.read(),
                    mime=source.mime,
                    purpose="assistants",
                    expires_after=expiry,
                )
                uploaded.append((item, str(obj["id"])))
            except AssistantError as exc:
                report.failed[item.key] = exc.message
            progress.advance("upload", item.size, name=item.key)
        progress.end("upload")
        return uploaded

    def _attach_all(
        self,
        store_id: str,
        uploaded: Sequence[tuple[plans.LocalFile, str]],
        progress: Progress,
        timeout: float,
        report: SyncReport,
    ) -> list[plans.LocalFile]:
        """Add the uploaded files to the store (in batches) and wait until each is indexed."""
        if not uploaded:
            return []
        entries: list[dict[str, Any]] = [
            {"file_id": fid, "attributes": plans.attributes(item)} for item, fid in uploaded
        ]
        batched = True
        for start in range(0, len(entries), BATCH):
            chunk = entries[start : start + BATCH]
            if batched:
                try:
                    self._stores.attach_batch(store_id, chunk)
                    continue
                except AssistantError as exc:  # a server without per-file batches: one at a time
                    if getattr(exc, "http_status", None) not in (400, 404, 405, 422):
                        raise
                    batched = False
            for entry in chunk:
                self._stores.attach(store_id, entry["file_id"], entry["attributes"])
        statuses = self._wait_indexed(store_id, {fid: item for item, fid in uploaded}, progress, timeout)
        added = []
        for item, fid in uploaded:
            status, why = statuses[fid]
            if status == "completed":
                added.append(item)
            else:
                report.failed[item.key] = why or f"indexing ended {status}"
        return added

    def _wait_indexed(
        self, store_id: str, ours: dict[str, plans.LocalFile], progress: Progress, timeout: float
    ) -> dict[str, tuple[str, str | None]]:
        """``{file_id: (status, last error)}`` once none of ours is in progress."""
        progress.begin("index", len(ours))
        deadline, delay, finished = self._clock() + timeout, 0.1, 0
        while True:
            listed = {f["id"]: f for f in self._stores.files(store_id) if f["id"] in ours}
            statuses = {
                fid: (
                    str((listed.get(fid) or {}).get("status") or "missing"),
                    ((listed.get(fid) or {}).get("last_error") or {}).get("message"),
                )
                for fid in ours
            }
            done = sum(1 for status, _ in statuses.values() if status != "in_progress")
            if done > finished:
                progress.advance("index", done - finished)
                finished = done
            if done == len(ours):
                progress.end("index")
                return statuses
            if self._clock() >= deadline:
                waiting = ", ".join(ours[fid].key for fid, (s, _) in statuses.items() if s == "in_progress")
                raise TurnTimeoutError(f"vector store {store_id} still indexing after {timeout:.0f}s: {waiting}")
            self._sleep(delay)
            delay = min(delay * 2, 2.0)

    def _remove_all(self, store_id: str, file_ids: Sequence[str], progress: Progress) -> None:
        if not file_ids:
            return
        progress.begin("remove", len(file_ids))
        for file_id in file_ids:
            self._stores.detach(store_id, file_id)
            self._files.delete(file_id)
            progress.advance("remove", 1, name=file_id)
        progress.end("remove")

    def remove(self, store_id: str, file_ids: Iterable[str], *, delete_files: bool = True) -> int:
        """Take files out of the store (and delete them); returns how many were in it."""
        count = 0
        for file_id in file_ids:
            count += int(self._stores.detach(store_id, file_id))
            if delete_files:
                self._files.delete(file_id)
        return count
