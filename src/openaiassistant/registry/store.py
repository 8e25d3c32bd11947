"""ThreadRegistry: record, find and retire the conversation/thread ids we created."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import create_engine, func, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from openaiassistant.errors import ConfigError, redact
from openaiassistant.registry.models import Base, ThreadRow, aware

__all__ = ["ThreadInfo", "ThreadRegistry"]

DEFAULT_URL = "sqlite:///openaiassistant-threads.db"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class ThreadInfo:
    thread_id: str
    backend: str
    tenant: str | None
    workflow: str | None
    fingerprint: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    turns: int = 0
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    deleted_at: datetime | None = None

    @classmethod
    def from_row(cls, row: ThreadRow) -> ThreadInfo:
        return cls(
            thread_id=row.thread_id,
            backend=row.backend,
            tenant=row.tenant,
            workflow=row.workflow,
            fingerprint=row.fingerprint,
            metadata=dict(row.meta or {}),
            turns=row.turns,
            created_at=aware(row.created_at),
            last_used_at=aware(row.last_used_at),
            deleted_at=aware(row.deleted_at),
        )

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for key in ("created_at", "last_used_at", "deleted_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


class ThreadRegistry:
    """A record of conversation ids, queryable by tenant, workflow and alert fingerprint.

    ``record()`` is called after every turn (it upserts: the first call creates the row, later
    calls bump ``turns`` and ``last_used_at``). ``latest()`` answers "which conversation holds this
    incident?", ``find()`` lists a tenant's conversations, ``stale()`` returns ids idle for longer
    than a given age so the caller can delete them on the server and ``forget()`` them here.
    """

    def __init__(self, url: str = DEFAULT_URL, *, engine: Engine | None = None) -> None:
        if engine is None:
            if not isinstance(url, str) or "://" not in url:
                raise ConfigError("registry_url", f"expected an SQLAlchemy URL such as {DEFAULT_URL!r}")
            try:
                engine = create_engine(url, pool_pre_ping=True)
            except Exception as exc:  # an unknown dialect, a driver not installed, a malformed URL
                raise ConfigError(
                    "registry_url", redact(f"not a usable SQLAlchemy URL: {type(exc).__name__}: {exc}")
                ) from None
        self.engine = engine
        Base.metadata.create_all(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def record(
        self,
        *,
        thread_id: str,
        backend: str,
        tenant: str | None = None,
        workflow: str | None = None,
        fingerprint: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ThreadInfo:
        if not thread_id:
            raise ConfigError("thread_id", "must be a non-empty string")
        for _ in range(3):
            try:
                return self._upsert(thread_id, backend, tenant, workflow, fingerprint, metadata)
            except IntegrityError:
                continue  # another writer created the row between our UPDATE and INSERT
        raise AssertionError("unreachable: the row exists after a failed insert")

    def _upsert(self, thread_id, backend, tenant, workflow, fingerprint, metadata) -> ThreadInfo:
        now = _now()
        with self._sessions.begin() as session:
            # One atomic UPDATE counts the turn: a read-modify-write would lose turns under
            # concurrency (SQLite ignores SELECT ... FOR UPDATE). Later turns may learn what the
            # first did not (e.g. a fingerprint) but never erase it.
            bumped = _rows_changed(
                session.execute(
                    update(ThreadRow)
                    .where(ThreadRow.thread_id == thread_id)
                    .values(
                        turns=ThreadRow.turns + 1,
                        last_used_at=now,
                        deleted_at=None,
                        tenant=func.coalesce(ThreadRow.tenant, tenant),
                        workflow=func.coalesce(ThreadRow.workflow, workflow),
                        fingerprint=func.coalesce(ThreadRow.fingerprint, fingerprint),
                    )
                )
            )
            if not bumped:
                session.add(
                    ThreadRow(
                        thread_id=thread_id,
                        backend=backend,
                        tenant=tenant,
                        workflow=workflow,
                        fingerprint=fingerprint,
                        meta=dict(metadata or {}),
                        turns=1,
                        created_at=now,
                        last_used_at=now,
                    )
                )
                session.flush()
            row = session.get(ThreadRow, thread_id, populate_existing=True)
            assert row is not None  # updated or inserted just now, in this transaction
            if bumped and metadata:
                row.meta = {**(row.meta or {}), **metadata}
            return ThreadInfo.from_row(row)

    def get(self, thread_id: str) -> ThreadInfo | None:
        with self._sessions() as session:
            row = session.get(ThreadRow, thread_id)
            return ThreadInfo.from_row(row) if row else None

    def find(
        self,
        *,
        tenant: str | None = None,
        workflow: str | None = None,
        fingerprint: str | None = None,
        backend: str | None = None,
        include_deleted: bool = False,
        limit: int = 100,
    ) -> list[ThreadInfo]:
        """Conversations matching every given filter, most recently used first."""
        query = select(ThreadRow)
        for column, value in (
            (ThreadRow.tenant, tenant),
            (ThreadRow.workflow, workflow),
            (ThreadRow.fingerprint, fingerprint),
            (ThreadRow.backend, backend),
        ):
            if value is not None:
                query = query.where(column == value)
        if not include_deleted:
            query = query.where(ThreadRow.deleted_at.is_(None))
        query = query.order_by(ThreadRow.last_used_at.desc(), ThreadRow.thread_id).limit(limit)
        with self._sessions() as session:
            return [ThreadInfo.from_row(row) for row in session.scalars(query)]

    def latest(self, *, fingerprint: str, tenant: str | None = None) -> ThreadInfo | None:
        """The live conversation most recently used for this alert fingerprint, if any."""
        found = self.find(fingerprint=fingerprint, tenant=tenant, limit=1)
        return found[0] if found else None

    def stale(self, *, older_than: timedelta, tenant: str | None = None) -> list[ThreadInfo]:
        """Live conversations whose last turn is older than ``older_than``."""
        cutoff = _now() - older_than
        query = select(ThreadRow).where(ThreadRow.deleted_at.is_(None), ThreadRow.last_used_at < cutoff)
        if tenant is not None:
            query = query.where(ThreadRow.tenant == tenant)
        with self._sessions() as session:
            return [ThreadInfo.from_row(row) for row in session.scalars(query.order_by(ThreadRow.last_used_at))]

    def forget(self, thread_id: str) -> bool:
        """Mark a conversation deleted (kept for audit). Returns False when it was unknown."""
        with self._sessions.begin() as session:
            row = session.get(ThreadRow, thread_id)
            if row is None:
                return False
            row.deleted_at = _now()
            return True


def _rows_changed(result: Any) -> int:
    """The row count of an UPDATE's result (a CursorResult, which the typing calls a Result)."""
    return int(cast(CursorResult[Any], result).rowcount)
