"""Which server each recorded conversation lives on (a table beside the registry's own).

A registry shared by providers that reach different servers (OpenAI, Azure, a local server)
must not have one provider's cleanup delete, or forget, another's conversations: the server is
recorded with the conversation, and cleanup leaves those of other servers alone. Conversations
recorded before this table existed have no entry (``None``: unknown).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from openaiassistant.registry.models import Base

__all__ = ["ThreadServerRow", "record_server", "server_of", "servers_of"]


class ThreadServerRow(Base):
    __tablename__ = "openaiassistant_thread_servers"

    thread_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    server: Mapped[str] = mapped_column(String(512))


_READY: weakref.WeakSet[Any] = weakref.WeakSet()  # engines whose table is known to exist


def _engine(registry: Any) -> Any:
    engine = registry.engine
    if engine not in _READY:
        ThreadServerRow.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
        _READY.add(engine)
    return engine


def record_server(registry: Any, thread_id: str, server: str) -> None:
    """Note (or correct) the server of a conversation."""
    for _ in range(2):  # another writer may insert the same row between our read and insert
        try:
            with Session(_engine(registry)) as session, session.begin():
                row = session.get(ThreadServerRow, thread_id)
                if row is None:
                    session.add(ThreadServerRow(thread_id=thread_id, server=server))
                elif row.server != server:
                    row.server = server
            return
        except IntegrityError:
            continue


def servers_of(registry: Any, thread_ids: Iterable[str]) -> dict[str, str]:
    """``{thread_id: server}`` for those of the ids that have one recorded."""
    ids = list(thread_ids)
    if not ids:
        return {}
    with Session(_engine(registry)) as session:
        rows = session.scalars(select(ThreadServerRow).where(ThreadServerRow.thread_id.in_(ids)))
        return {row.thread_id: row.server for row in rows}


def server_of(registry: Any, thread_id: str) -> str | None:
    return servers_of(registry, [thread_id]).get(thread_id)
