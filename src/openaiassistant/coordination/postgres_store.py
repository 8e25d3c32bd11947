"""The PostgreSQL store (``coordination_url: postgresql://...`` or ``postgresql+psycopg://...``).

Rate decisions are short transactions serialized per pool by ``pg_advisory_xact_lock`` on the
server's clock (``clock_timestamp()``), over two tables this store creates:

    openaiassistant_rate_pools   pool, blocked_until, limit_requests, limit_tokens
    openaiassistant_rate_log     pool, at, ticket (a request) or tokens (a turn's usage)

Conversation locks and turn slots are session-level advisory locks, each on a connection of
its own held for the turn: PostgreSQL releases them the moment a worker's connection ends, so a
worker that dies frees them at once, with no lease to wait for. Any SQLAlchemy PostgreSQL
driver works (psycopg 3 or psycopg2; a bare ``postgresql://`` uses whichever is installed).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from openaiassistant.coordination.base import Admission, Held
from openaiassistant.coordination.headers import ServerLimits
from openaiassistant.coordination.window import WINDOW, Limits, PoolState, backoff_after, wait_before
from openaiassistant.errors import ConfigError

__all__ = ["PostgresStore", "sqlalchemy_url"]

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS openaiassistant_rate_pools (
        pool VARCHAR(200) PRIMARY KEY,
        blocked_until DOUBLE PRECISION NOT NULL DEFAULT 0,
        limit_requests INTEGER,
        limit_tokens INTEGER)""",
    """CREATE TABLE IF NOT EXISTS openaiassistant_rate_log (
        pool VARCHAR(200) NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        ticket VARCHAR(64),
        tokens INTEGER)""",
    "CREATE INDEX IF NOT EXISTS ix_oa_rate_log_pool_at ON openaiassistant_rate_log (pool, at)",
]
_NOW = "SELECT extract(epoch FROM clock_timestamp())::double precision"


def sqlalchemy_url(url: str) -> str:
    """``postgres://`` and a bare ``postgresql://`` made explicit for whichever driver is here."""
    scheme, sep, rest = url.partition("://")
    if scheme in ("postgres", "postgresql"):
        import importlib.util

        driver = "psycopg2" if importlib.util.find_spec("psycopg2") else "psycopg"
        return f"postgresql+{driver}{sep}{rest}"
    return url


def _key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for these parts."""
    digest = hashlib.sha256("\0".join(("openaiassistant", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _AdvisoryLock:
    """A session-level advisory lock on a connection of its own."""

    def __init__(self, connection: Any, key: int) -> None:
        self._connection: Any = connection
        self._key = key

    def release(self) -> None:
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        from sqlalchemy import text

        try:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
        except Exception:  # noqa: BLE001 - a broken connection: closing it ends the session's locks
            connection.invalidate()
        finally:
            connection.close()


class PostgresStore:
    name = "postgresql"

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, text

        try:
            self.engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=5, max_overflow=-1)
        except Exception as exc:  # a bad URL or a missing driver: both are the setting's fault
            raise ConfigError(
                "coordination_url", f"not a usable PostgreSQL URL ({type(exc).__name__}: {exc})"
            ) from None
        self._text = text
        self._ready = False

    def _schema(self) -> None:
        if self._ready:
            return
        with self.engine.begin() as connection:
            connection.execute(self._text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key("schema")})
            for statement in _SCHEMA:
                connection.execute(self._text(statement))
        self._ready = True

    # -- rate limits ---------------------------------------------------------------------------
    def admit(self, pool: str, limits: Limits, *, ignore_backoff: bool = False) -> Admission:
        self._schema()
        text = self._text
        with self.engine.begin() as db:
            db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key("pool", pool)})
            now = float(db.execute(text(_NOW)).scalar_one())
            db.execute(
                text("DELETE FROM openaiassistant_rate_log WHERE pool = :p AND at <= :cut"),
                {"p": pool, "cut": now - WINDOW},
            )
            log = db.execute(
                text("SELECT at, ticket, tokens FROM openaiassistant_rate_log WHERE pool = :p ORDER BY at"), {"p": pool}
            ).all()
            row = db.execute(
                text(
                    "SELECT blocked_until, limit_requests, limit_tokens FROM openaiassistant_rate_pools WHERE pool = :p"
                ),
                {"p": pool},
            ).first()
            state = PoolState(blocked_until=row[0], limit_requests=row[1], limit_tokens=row[2]) if row else PoolState()
            wait = wait_before(
                now=now,
                state=state,
                limits=limits,
                requests=[at for at, ticket, _ in log if ticket is not None],
                tokens=[(at, tokens) for at, _, tokens in log if tokens is not None],
                ignore_backoff=ignore_backoff,
            )
            if wait > 0:
                return Admission(wait)
            ticket = uuid.uuid4().hex
            db.execute(
                text("INSERT INTO openaiassistant_rate_log (pool, at, ticket) VALUES (:p, :at, :t)"),
                {"p": pool, "at": now, "t": ticket},
            )
            return Admission(0.0, ticket)

    def observe(self, pool: str, seen: ServerLimits, *, refused: bool, ticket: str | None, alone: bool = False) -> None:
        self._schema()
        hold = backoff_after(seen, refused=refused, alone=alone)
        with self.engine.begin() as db:
            db.execute(
                self._text(
                    "INSERT INTO openaiassistant_rate_pools AS p (pool, blocked_until, limit_requests, limit_tokens) "
                    f"VALUES (:p, CASE WHEN :hold > 0 THEN ({_NOW}) + :hold ELSE 0 END, :lr, :lt) "
                    "ON CONFLICT (pool) DO UPDATE SET "
                    "blocked_until = GREATEST(p.blocked_until, EXCLUDED.blocked_until), "
                    "limit_requests = COALESCE(EXCLUDED.limit_requests, p.limit_requests), "
                    "limit_tokens = COALESCE(EXCLUDED.limit_tokens, p.limit_tokens)"
                ),
                {"p": pool, "hold": hold, "lr": seen.limit_requests, "lt": seen.limit_tokens},
            )
            if refused and ticket:
                db.execute(
                    self._text("DELETE FROM openaiassistant_rate_log WHERE pool = :p AND ticket = :t"),
                    {"p": pool, "t": ticket},
                )

    def spend(self, pool: str, tokens: int) -> None:
        self._schema()
        with self.engine.begin() as db:
            db.execute(
                self._text(f"INSERT INTO openaiassistant_rate_log (pool, at, tokens) VALUES (:p, ({_NOW}), :n)"),
                {"p": pool, "n": int(tokens)},
            )

    # -- locks and slots: session advisory locks ------------------------------------------------
    def _try_advisory(self, key: int) -> Held | None:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = connection.execute(self._text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            return None
        return _AdvisoryLock(connection, key)

    def try_slot(self, pool: str, capacity: int, holder: str) -> Held | None:
        for slot in range(capacity):
            held = self._try_advisory(_key("slot", pool, str(slot)))
            if held is not None:
                return held
        return None

    def try_lock(self, key: str, holder: str) -> Held | None:
        return self._try_advisory(_key("lock", key))

    def lock_holder(self, key: str) -> str | None:
        return None  # PostgreSQL ends a dead worker's locks itself: nothing to break

    def break_lock(self, key: str, holder: str) -> bool:
        return False
