"""ConversationLog: a conversation kept in our own database, item by item, in order.

For servers that keep no conversations of their own (LiteLLM's proxy without its database,
a plain chat-completions server), the conversation lives here and each turn sends it as input.
The Responses backend uses it when a server has no ``/conversations``; the chat-completions
backend keeps every conversation in it. Same database as the thread registry (any SQLAlchemy
URL; SQLite default, PostgreSQL in production), two tables of its own on the registry's
declarative ``Base``.

    log = ConversationLog("sqlite:///threads.db")          # or ConversationLog(engine=registry.engine)
    conv = log.create(metadata={"tenant": "t1"})          # "oaconv_..." (or create(conversation_id=...))
    log.append(conv, [
        LogItem.message(key="turn-1:user", role="user", text="Disk full on db-1"),
    ])
    log.append(conv, [
        LogItem.function_call(key="call_1", call_id="call_1", name="get_disk", arguments='{"host": "db-1"}',
                              run_id="resp_1"),
    ])
    log.append(conv, [LogItem.function_call_output(key="call_1:output", call_id="call_1", output='{"used": 97}')])
    log.append(conv, [LogItem.message(key="resp_2:0", role="assistant", text="db-1 is at 97%", run_id="resp_2")])
    log.items(conv)                 # all four, oldest first, each with its ``seq`` (1, 2, 3, ...)
    log.items(conv, after=2)        # items after seq 2
    log.exists(conv); log.delete(conv)

Rules:

* **Append as it happens**: each item is written when it exists (the user's message before the
  request that carries it, a tool call when the model asked for it, its output when the tool
  ran, the answer when it came), so a turn that fails half way leaves what really happened.
* **Idempotent per item**: ``key`` is unique within a conversation (a response id and output
  index, a call id, a turn id); appending an item whose key is already there does nothing and
  returns the stored item. A retried write never doubles an item.
* **Ordered**: ``seq`` counts from 1 per conversation in the order of appends; concurrent
  appenders (several processes) get distinct, increasing numbers (a unique constraint and a
  retry).
* **Tool calls and outputs** are items of their own (``function_call`` with ``call_id``, ``name``,
  ``arguments``; ``function_call_output`` with ``call_id`` and ``output``), like the Responses
  API's items; messages carry ``role`` and ``text`` (and optional JSON ``content`` parts).
* ``delete`` marks the conversation deleted and drops its items; ``exists`` is False after.

:meth:`LogItem.as_responses_input` gives an item in the Responses API's input shape; the
chat-completions backend maps them onto ``messages`` itself.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from openaiassistant.errors import ConfigError
from openaiassistant.registry import sqlite_tuning
from openaiassistant.registry.models import Base, aware

__all__ = ["ConversationLog", "ConversationRow", "LogItem", "LogItemRow"]

DEFAULT_URL = "sqlite:///openaiassistant-threads.db"
ID_PREFIX = "oaconv_"
KINDS = ("message", "function_call", "function_call_output")
_APPEND_ATTEMPTS = 8


def _now() -> datetime:
    return datetime.now(UTC)


class ConversationRow(Base):
    __tablename__ = "openaiassistant_log_conversations"

    conversation_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    meta: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LogItemRow(Base):
    __tablename__ = "openaiassistant_log_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("openaiassistant_log_conversations.conversation_id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    item_key: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    content: Mapped[Any] = mapped_column(JSON, nullable=True)
    call_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    arguments: Mapped[str | None] = mapped_column(Text, nullable=True)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("conversation_id", "item_key", name="uq_oa_log_item_key"),
        UniqueConstraint("conversation_id", "seq", name="uq_oa_log_item_seq"),
    )


@dataclass(frozen=True, kw_only=True)
class LogItem:
    """One item of a conversation. ``seq`` is set by the log when the item is stored."""

    key: str
    kind: str
    role: str | None = None
    text: str | None = None
    content: Any = None  # optional JSON parts (e.g. an image) beside ``text``
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | None = None
    run_id: str | None = None  # the response/completion that produced it
    seq: int | None = None
    created_at: datetime | None = field(default=None, compare=False)

    @classmethod
    def message(cls, *, key: str, role: str, text: str, content: Any = None, run_id: str | None = None) -> LogItem:
        return cls(key=key, kind="message", role=role, text=text, content=content, run_id=run_id)

    @classmethod
    def function_call(cls, *, key: str, call_id: str, name: str, arguments: str, run_id: str | None = None) -> LogItem:
        return cls(key=key, kind="function_call", call_id=call_id, name=name, arguments=arguments, run_id=run_id)

    @classmethod
    def function_call_output(cls, *, key: str, call_id: str, output: str, run_id: str | None = None) -> LogItem:
        return cls(key=key, kind="function_call_output", call_id=call_id, output=output, run_id=run_id)

    def as_responses_input(self) -> dict[str, Any]:
        """The item as a Responses API input item."""
        if self.kind == "function_call":
            return {"type": "function_call", "call_id": self.call_id, "name": self.name, "arguments": self.arguments}
        if self.kind == "function_call_output":
            return {"type": "function_call_output", "call_id": self.call_id, "output": self.output}
        if self.role == "user" and isinstance(self.content, list):
            return {"type": "message", "role": "user", "content": self.content}
        return {"type": "message", "role": self.role, "content": self.text or ""}

    @classmethod
    def _from_row(cls, row: LogItemRow) -> LogItem:
        return cls(
            key=row.item_key,
            kind=row.kind,
            role=row.role,
            text=row.text,
            content=row.content,
            call_id=row.call_id,
            name=row.name,
            arguments=row.arguments,
            output=row.output,
            run_id=row.run_id,
            seq=row.seq,
            created_at=aware(row.created_at),
        )


class ConversationLog:
    """Conversations kept item by item in an SQL database (see the module docstring)."""

    def __init__(self, url: str = DEFAULT_URL, *, engine: Engine | None = None) -> None:
        if engine is None:
            if not isinstance(url, str) or "://" not in url:
                raise ConfigError("registry_url", f"expected an SQLAlchemy URL such as {DEFAULT_URL!r}")
            engine = create_engine(url, pool_pre_ping=True)
        self.engine = engine
        sqlite_tuning.tune(engine)  # many writers at once (see registry/sqlite_tuning.py)
        tables = [Base.metadata.tables[name] for name in (ConversationRow.__tablename__, LogItemRow.__tablename__)]
        Base.metadata.create_all(engine, tables=tables)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create(self, *, metadata: dict[str, Any] | None = None, conversation_id: str | None = None) -> str:
        """A new, empty conversation; returns its id (``oaconv_...`` unless one is given).
        Creating an id that exists already is a no-op (idempotent)."""
        new_id = conversation_id or ID_PREFIX + secrets.token_hex(16)
        try:
            with self._writing() as session:
                session.add(ConversationRow(conversation_id=new_id, meta=dict(metadata or {}), created_at=_now()))
        except IntegrityError:
            if not conversation_id:
                raise
        return new_id

    def exists(self, conversation_id: str) -> bool:
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            return row is not None and row.deleted_at is None

    def metadata(self, conversation_id: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            return dict(row.meta or {}) if row is not None and row.deleted_at is None else None

    def append(self, conversation_id: str, items: Sequence[LogItem]) -> list[LogItem]:
        """Store ``items`` after the conversation's last one, in order; items whose key is
        stored already are left as they are. Returns the stored items (with their ``seq``)."""
        for item in items:
            if item.kind not in KINDS:
                raise ConfigError("item.kind", f"{item.kind!r} is not one of {', '.join(KINDS)}")
        for _ in range(_APPEND_ATTEMPTS):
            try:
                with self._writing() as session:
                    return self._append(session, conversation_id, items)
            except IntegrityError:
                continue  # another writer took the next seq (or the same key) first: read again
        raise RuntimeError(f"could not append to conversation {conversation_id}: too much concurrent writing")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        """A session whose transaction writes (``BEGIN IMMEDIATE`` on SQLite), committed at the end."""
        with (
            sqlite_tuning.write_transaction(self.engine) as connection,
            Session(bind=connection, expire_on_commit=False) as session,
        ):
            yield session
            session.flush()

    def _append(self, session: Session, conversation_id: str, items: Sequence[LogItem]) -> list[LogItem]:
        # the conversation row locked (PostgreSQL: FOR UPDATE; SQLite: the IMMEDIATE transaction):
        # appenders of one conversation take turns, so positions never collide
        head = session.get(ConversationRow, conversation_id, with_for_update=True)
        if head is None or head.deleted_at is not None:
            raise KeyError(f"conversation {conversation_id} is not in the log")
        keys = [item.key for item in items]
        existing = {
            row.item_key: row
            for row in session.scalars(
                select(LogItemRow).where(LogItemRow.conversation_id == conversation_id, LogItemRow.item_key.in_(keys))
            )
        }
        last = session.scalar(select(func.max(LogItemRow.seq)).where(LogItemRow.conversation_id == conversation_id))
        seq = int(last or 0)
        stored: list[LogItem] = []
        for item in items:
            row = existing.get(item.key)
            if row is None:
                seq += 1
                row = LogItemRow(
                    conversation_id=conversation_id,
                    seq=seq,
                    item_key=item.key,
                    kind=item.kind,
                    role=item.role,
                    text=item.text,
                    content=item.content,
                    call_id=item.call_id,
                    name=item.name,
                    arguments=item.arguments,
                    output=item.output,
                    run_id=item.run_id,
                    created_at=_now(),
                )
                session.add(row)
                existing[item.key] = row
            stored.append(replace(LogItem._from_row(row), created_at=row.created_at))
        session.flush()
        return stored

    def items(self, conversation_id: str, *, after: int | None = None, limit: int | None = None) -> list[LogItem]:
        """The conversation's items, oldest first (``after``: only those with a higher seq)."""
        query = select(LogItemRow).where(LogItemRow.conversation_id == conversation_id)
        if after is not None:
            query = query.where(LogItemRow.seq > after)
        query = query.order_by(LogItemRow.seq)
        if limit is not None:
            query = query.limit(limit)
        with self._sessions() as session:
            return [LogItem._from_row(row) for row in session.scalars(query)]

    def delete(self, conversation_id: str) -> bool:
        """Drop the conversation's items and mark it deleted; False when it was unknown."""
        with self._writing() as session:
            head = session.get(ConversationRow, conversation_id, with_for_update=True)
            if head is None or head.deleted_at is not None:
                return False
            for row in session.scalars(select(LogItemRow).where(LogItemRow.conversation_id == conversation_id)):
                session.delete(row)
            head.deleted_at = _now()
            return True
