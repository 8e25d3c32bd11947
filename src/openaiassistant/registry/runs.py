"""The run log: every run/response a turn starts, recorded before it starts and marked when it
ends, so that a worker that dies mid-turn leaves a record another can act on.

    log = RunLog(registry.engine)
    record = log.begin(thread_id=..., backend=..., server=...)   # before the first request
    log.started(record, thread_id=..., run_id=...)               # the server named the run
    log.ended(record, status="completed")                        # however the turn ended

A record that never ended belongs to its worker while that worker lives: the process's
heartbeat renews its lease (``lease_until``). It is *orphaned* when its worker is certainly
dead (it ran on this host and its process is gone) or its lease ran out (another host, no
renewals for :data:`~openaiassistant.coordination.heartbeat.LEASE` seconds). Recovery
(``openaiassistant threads recover``, or the next turn on the conversation) adopts an
orphan's answer or cancels its run, and marks the record with what it did.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, inspect, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from openaiassistant.coordination.heartbeat import LEASE, heartbeat
from openaiassistant.coordination.worker import is_dead, worker_id
from openaiassistant.registry.models import Base, aware

__all__ = ["ENDED", "RunInfo", "RunLog", "RunRow"]

# how a record ends: the turn's own end states, and what recovery did with an orphan
ENDED = (
    "completed",
    "incomplete",
    "failed",
    "cancelled",
    "expired",
    "timeout",
    "error",
    "adopted",  # recovery found its answer on the server
    "recovered-cancelled",  # recovery cancelled it (or closed its open tool calls)
    "recovered-ended",  # it had ended on the server by itself, without an answer
    "lost",  # the server never named it: nothing to look at
    "requires_approval",  # the turn left its run waiting for a person's approval, on purpose
)


class RunRow(Base):
    __tablename__ = "openaiassistant_runs"

    record_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    backend: Mapped[str] = mapped_column(String(32))
    server: Mapped[str] = mapped_column(String(512))
    owner: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32))  # starting | active | one of ENDED
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        Index("ix_oa_runs_open", "ended_at", "thread_id"),
        Index("ix_oa_runs_owner", "owner", "ended_at"),
    )


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    record_id: str
    thread_id: str | None
    run_id: str | None
    backend: str
    server: str
    owner: str
    status: str
    detail: str | None
    started_at: datetime | None
    lease_until: datetime | None
    ended_at: datetime | None

    @classmethod
    def from_row(cls, row: RunRow) -> RunInfo:
        return cls(
            record_id=row.record_id,
            thread_id=row.thread_id,
            run_id=row.run_id,
            backend=row.backend,
            server=row.server,
            owner=row.owner,
            status=row.status,
            detail=row.detail,
            started_at=aware(row.started_at),
            lease_until=aware(row.lease_until),
            ended_at=aware(row.ended_at),
        )

    @property
    def orphaned(self) -> bool:
        """Not ended, and its worker is gone (dead on this host, or its lease ran out)."""
        if self.ended_at is not None:
            return False
        return is_dead(self.owner) or (self.lease_until is not None and self.lease_until < _now())

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for key in ("started_at", "lease_until", "ended_at"):
            out[key] = out[key].isoformat() if out[key] else None
        out["orphaned"] = self.orphaned
        return out


_logs: dict[Engine, RunLog] = {}
_logs_guard = threading.Lock()


class RunLog:
    """The run records in the thread registry's database (the same engine, a table of its own)."""

    @classmethod
    def for_engine(cls, engine: Engine) -> RunLog:
        """The run log on ``engine``, made once per process (its table is created then)."""
        with _logs_guard:
            if engine not in _logs:
                _logs[engine] = cls(engine)
            return _logs[engine]

    def __init__(self, engine: Engine, *, lease: float = LEASE) -> None:
        self.engine = engine
        self.lease = lease
        try:
            RunRow.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
        except OperationalError:  # another worker created it between the check and the create
            if not inspect(engine).has_table(RunRow.__tablename__):
                raise
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._renewal: int | None = None
        self._open = 0  # records of this process not ended yet: nothing to renew without them
        self._open_guard = threading.Lock()

    # -- a turn's records -------------------------------------------------------------------
    def begin(self, *, thread_id: str | None, backend: str, server: str) -> str:
        """Record a run about to start (before its request is sent); returns the record id."""
        record_id, now = uuid.uuid4().hex, _now()
        with self._sessions.begin() as session:
            session.add(
                RunRow(
                    record_id=record_id,
                    thread_id=thread_id,
                    backend=backend,
                    server=server,
                    owner=worker_id(),
                    status="starting",
                    started_at=now,
                    lease_until=now + timedelta(seconds=self.lease),
                )
            )
        self._opened(+1)
        return record_id

    def started(self, record_id: str, *, thread_id: str, run_id: str) -> None:
        """The server named the run (again, for a new run of the same turn)."""
        self._set(record_id, thread_id=thread_id, run_id=run_id, status="active")

    def ended(self, record_id: str, *, status: str, detail: str | None = None) -> None:
        if status not in ENDED:
            raise ValueError(f"unknown end state {status!r}")
        self._set(record_id, status=status, detail=_short(detail), ended_at=_now())
        self._opened(-1)

    def _set(self, record_id: str, **values: Any) -> None:
        with self._sessions.begin() as session:
            session.execute(update(RunRow).where(RunRow.record_id == record_id).values(**values))

    def _opened(self, change: int) -> None:
        with self._open_guard:
            self._open = max(0, self._open + change)
            if self._renewal is None:
                self._renewal = heartbeat.add("the run records of this worker", self.renew)

    def renew(self) -> bool:
        """Extend the lease of this worker's open records (the heartbeat calls it)."""
        if not self._open:
            return True
        with self._sessions.begin() as session:
            session.execute(
                update(RunRow)
                .where(RunRow.owner == worker_id(), RunRow.ended_at.is_(None))
                .values(lease_until=_now() + timedelta(seconds=self.lease))
            )
        return True

    # -- finding records ------------------------------------------------------------------------
    def get(self, record_id: str) -> RunInfo | None:
        with self._sessions() as session:
            row = session.get(RunRow, record_id)
            return RunInfo.from_row(row) if row else None

    def open_runs(self, *, thread_id: str | None = None, thread_ids: list[str] | None = None) -> list[RunInfo]:
        """Records not ended yet, oldest first (optionally of one or some conversations)."""
        query = select(RunRow).where(RunRow.ended_at.is_(None))
        if thread_id is not None:
            query = query.where(RunRow.thread_id == thread_id)
        if thread_ids is not None:
            query = query.where(or_(RunRow.thread_id.in_(thread_ids), RunRow.thread_id.is_(None)))
        with self._sessions() as session:
            return [RunInfo.from_row(row) for row in session.scalars(query.order_by(RunRow.started_at))]

    def orphans(self, *, thread_id: str | None = None) -> list[RunInfo]:
        """Open records whose worker is gone."""
        return [run for run in self.open_runs(thread_id=thread_id) if run.orphaned]

    def claim(self, record_id: str, *, owner: str) -> bool:
        """Take an orphan over for recovery (one recoverer wins: the update is conditional)."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(RunRow)
                .where(RunRow.record_id == record_id, RunRow.ended_at.is_(None), RunRow.owner == owner)
                .values(owner=worker_id(), lease_until=_now() + timedelta(seconds=self.lease))
            )
            taken = getattr(result, "rowcount", 0)
        if taken:
            self._opened(+1)  # ours now, until recovery ends it
        return bool(taken)


def _short(text: str | None, limit: int = 2000) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 3] + "..."
