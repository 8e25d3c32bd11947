"""Pending approvals: tool calls that wait for a person, kept in the thread registry's database.

One row per call of a round that stopped for approval: the calls that need a person
(``kind='approval'``, status ``pending`` until answered) and the calls of the same round that
ran freely (``kind='ran'``, with their outputs, reported when the turn continues). Rows
survive a process restart (they are in the registry's SQLite or PostgreSQL database).

Answering is atomic: ``UPDATE ... WHERE status = 'pending'`` claims a call, so two
continuations racing for the same call cannot both run it; an unknown call or one already
answered is a ConfigError naming it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, create_engine, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from openaiassistant.errors import ConfigError
from openaiassistant.registry.models import Base

__all__ = ["ApprovalStore", "PendingCall"]


class ApprovalRow(Base):
    __tablename__ = "openaiassistant_approvals"

    call_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(128))
    round_id: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # approval | ran
    tool: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | denied | executed
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_oa_approvals_thread", "thread_id", "status"),)


@dataclass(frozen=True, kw_only=True)
class PendingCall:
    call_id: str
    tool: str
    arguments: str
    thread_id: str
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        try:
            arguments: Any = json.loads(self.arguments) if self.arguments.strip() else {}
        except ValueError:
            arguments = self.arguments
        return {"call_id": self.call_id, "tool": self.tool, "arguments": arguments}


@dataclass(frozen=True, kw_only=True)
class StoredCall:
    """A call of a stopped round, as stored (for the continuation's report)."""

    call_id: str
    tool: str
    arguments: str
    kind: str
    status: str
    note: str | None
    output: str | None


class ApprovalStore:
    """Pending approvals on one database (the thread registry's, or an in-memory one)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        Base.metadata.create_all(engine, tables=[ApprovalRow.__table__])  # type: ignore[list-item]
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def in_memory(cls) -> ApprovalStore:
        """A store for this process only (pending approvals do not survive a restart)."""
        return cls(create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}))

    def save_round(
        self,
        *,
        thread_id: str,
        run_id: str | None,
        pending: list[tuple[str, str, str]],
        ran: list[tuple[str, str, str, str]],
    ) -> str:
        """Store a stopped round: ``pending`` (call_id, tool, arguments) and ``ran`` (+ output)."""
        round_id = uuid.uuid4().hex
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            for call_id, tool, arguments in pending:
                session.add(
                    ApprovalRow(
                        call_id=call_id, thread_id=thread_id, round_id=round_id, run_id=run_id, kind="approval",
                        tool=tool, arguments=arguments, status="pending", created_at=now,
                    )
                )  # fmt: skip
            for call_id, tool, arguments, output in ran:
                session.add(
                    ApprovalRow(
                        call_id=call_id, thread_id=thread_id, round_id=round_id, run_id=run_id, kind="ran",
                        tool=tool, arguments=arguments, status="executed", output=output, created_at=now,
                    )
                )  # fmt: skip
        return round_id

    def pending(self, thread_id: str) -> list[PendingCall]:
        """The calls of ``thread_id`` still waiting for a person, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(ApprovalRow)
                .where(ApprovalRow.thread_id == thread_id, ApprovalRow.status == "pending")
                .order_by(ApprovalRow.created_at, ApprovalRow.call_id)
            ).all()
            return [
                PendingCall(
                    call_id=r.call_id, tool=r.tool, arguments=r.arguments, thread_id=r.thread_id, run_id=r.run_id
                )
                for r in rows
            ]

    def claim(self, *, thread_id: str, decisions: list[tuple[str, bool, str | None]]) -> list[StoredCall]:
        """Answer pending calls in one transaction: all of them, or none (ConfigError naming
        the first unknown or already answered call; nothing is changed then)."""
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            answered = []
            for call_id, approve, note in decisions:
                claimed = session.execute(  # type: ignore[attr-defined]
                    update(ApprovalRow)
                    .where(
                        ApprovalRow.call_id == call_id,
                        ApprovalRow.thread_id == thread_id,
                        ApprovalRow.kind == "approval",
                        ApprovalRow.status == "pending",
                    )
                    .values(status="approved" if approve else "denied", note=note, decided_at=now)
                ).rowcount
                row = session.get(ApprovalRow, call_id, populate_existing=True)
                if not claimed:  # raising rolls the whole transaction back
                    if row is None or row.thread_id != thread_id or row.kind != "approval":
                        raise ConfigError(
                            "approvals", f"no tool call {call_id!r} waits for approval on thread {thread_id}"
                        )
                    raise ConfigError(
                        "approvals", f"tool call {call_id!r} ({row.tool}) was already answered: {row.status}"
                    )
                assert row is not None
                answered.append(_stored(row))
            return answered

    def finish(self, call_id: str, output: str) -> None:
        """Record an approved call's output (it ran)."""
        with self._sessions.begin() as session:
            session.execute(
                update(ApprovalRow).where(ApprovalRow.call_id == call_id).values(status="executed", output=output)
            )

    def round_of(self, call_id: str) -> list[StoredCall]:
        """Every call of the round ``call_id`` belongs to."""
        with self._sessions() as session:
            row = session.get(ApprovalRow, call_id)
            if row is None:
                return []
            rows = session.scalars(
                select(ApprovalRow).where(ApprovalRow.round_id == row.round_id).order_by(ApprovalRow.call_id)
            ).all()
            return [_stored(r) for r in rows]


def _stored(row: ApprovalRow) -> StoredCall:
    return StoredCall(
        call_id=row.call_id,
        tool=row.tool,
        arguments=row.arguments,
        kind=row.kind,
        status=row.status,
        note=row.note,
        output=row.output,
    )
