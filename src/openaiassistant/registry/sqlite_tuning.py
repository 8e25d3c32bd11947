"""SQLite as a database that many threads (and a few processes) write at once.

Keep runs up to 20 workflow threads per process, and the chat backend writes every message of
a turn as it happens. With SQLite's defaults that fails under load: each commit waits for an
fsync (about 17 ms here), a writer that finds the database locked gives up with
``database is locked``, and a transaction that reads before it writes can deadlock with
another writer (SQLite then answers at once, without waiting). So, for a file database:

* ``journal_mode=WAL``: readers never block the writer nor it them (persistent: the database
  file stays in WAL mode; not for network file systems);
* ``synchronous=NORMAL``: in WAL mode a commit no longer waits for an fsync (a power cut may lose
  the last commits; the database stays consistent);
* ``busy_timeout`` 30 s: a writer waits for the lock instead of failing;
* :func:`write_transaction` opens a write with ``BEGIN IMMEDIATE``, so a read-then-write
  transaction takes the write lock first (writers queue; no deadlock).

PostgreSQL (production) needs none of this; :func:`tune` leaves other databases alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

__all__ = ["tune", "write_transaction"]

BUSY_TIMEOUT_MS = 30_000
_TUNED = "_openaiassistant_sqlite_tuned"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def tune(engine: Engine) -> None:
    """Set the pragmas above on every new connection of a SQLite file ``engine`` (once per
    engine; connections already pooled are closed so that none goes without them)."""
    if not is_sqlite(engine) or getattr(engine, _TUNED, False):
        return
    database = engine.url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    setattr(engine, _TUNED, True)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    if not in_memory:  # an in-memory database lives in its one connection: keep it
        engine.dispose(close=False)


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that will write: ``BEGIN IMMEDIATE`` on SQLite; committed
    when the block ends, rolled back when it raises."""
    with engine.connect() as connection:
        if is_sqlite(engine):
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # (SQLAlchemy's own transaction begins with it)
        else:
            connection.begin()  # begun here, so that a session on this connection joins it
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
