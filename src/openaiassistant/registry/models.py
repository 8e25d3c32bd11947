"""SQLAlchemy table for the thread registry (one row per conversation/thread id)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "ThreadRow", "aware"]


class Base(DeclarativeBase):
    pass


def aware(value: datetime | None) -> datetime | None:
    """A timestamp a table hands back, in UTC: SQLite returns naive datetimes even for
    timezone=True columns, and we only ever store UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class ThreadRow(Base):
    __tablename__ = "openaiassistant_threads"

    thread_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    backend: Mapped[str] = mapped_column(String(32))
    tenant: Mapped[str | None] = mapped_column(String(128), nullable=True)
    workflow: Mapped[str | None] = mapped_column(String(256), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # "metadata" is reserved on declarative classes, hence the attribute name.
    meta: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        Index("ix_oa_threads_tenant_last_used", "tenant", "last_used_at"),
        Index("ix_oa_threads_fingerprint", "tenant", "fingerprint"),
    )
