"""The Redis store (``coordination_url: redis://HOST:PORT/DB``, ``rediss://`` or ``unix://``).

Each decision is one Lua script, so it is atomic across every worker that shares the server,
and uses the server's clock (``TIME``), so workers' clocks never need to agree. Keys, under
``openaiassistant:``:

    rl:{pool}:req     sorted set: the pool's requests of the last minute (score: when sent)
    rl:{pool}:tok     sorted set: tokens its turns used (member ``id:tokens``)
    rl:{pool}:state   hash: blocked_until, limit_requests, limit_tokens
    slots:{pool}      sorted set: holders of the pool's turn slots (score: lease end)
    lock:{key}        string: the conversation lock's holder, with a lease (PX)

Leases are renewed by the process's heartbeat; a worker that dies stops renewing and its locks
and slots end with their lease (at once, for a dead worker on the same host: see worker.py).
Needs the ``redis`` package (Keep ships it; ``pip install 'openaiassistant[coordination]'``).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from openaiassistant.coordination.base import Admission, Held
from openaiassistant.coordination.headers import ServerLimits
from openaiassistant.coordination.heartbeat import LEASE, heartbeat
from openaiassistant.coordination.window import WINDOW, Limits, backoff_after
from openaiassistant.coordination.worker import is_dead
from openaiassistant.errors import ConfigError

__all__ = ["RedisStore"]

PREFIX = "openaiassistant:"

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "

# KEYS: req, tok, state. ARGV: window, rpm, tpm, ignore_backoff, ticket. Returns the wait (text).
_ADMIT = (
    _NOW
    + """
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local st = redis.call('HMGET', KEYS[3], 'blocked_until', 'limit_requests', 'limit_tokens')
local wait = 0
if ARGV[4] ~= '1' then
  local blocked = tonumber(st[1]) or 0
  if blocked > now then wait = blocked - now end
end
local rpm = tonumber(ARGV[2]) or 0
if rpm <= 0 then rpm = tonumber(st[2]) or 0 end
if rpm > 0 then
  local n = redis.call('ZCARD', KEYS[1])
  if n >= rpm then
    local e = redis.call('ZRANGE', KEYS[1], n - rpm, n - rpm, 'WITHSCORES')
    local w = tonumber(e[2]) + window - now
    if w > wait then wait = w end
  end
end
local tpm = tonumber(ARGV[3]) or 0
if tpm <= 0 then tpm = tonumber(st[3]) or 0 end
if tpm > 0 then
  local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local total = 0
  for i = 1, #entries, 2 do total = total + tonumber(string.match(entries[i], ':(%d+)$')) end
  local i = 1
  while total >= tpm and i <= #entries do
    total = total - tonumber(string.match(entries[i], ':(%d+)$'))
    local w = tonumber(entries[i + 1]) + window - now
    if w > wait then wait = w end
    i = i + 2
  end
end
if wait > 0 then return tostring(wait) end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 2000))
return '0'
"""
)

# KEYS: req, state. ARGV: limit_requests, limit_tokens, hold seconds, ticket to forget.
_OBSERVE = (
    _NOW
    + """
if ARGV[1] ~= '' then redis.call('HSET', KEYS[2], 'limit_requests', ARGV[1]) end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], 'limit_tokens', ARGV[2]) end
local hold = tonumber(ARGV[3])
if hold > 0 then
  local blocked = now + hold
  local current = tonumber(redis.call('HGET', KEYS[2], 'blocked_until')) or 0
  if blocked > current then redis.call('HSET', KEYS[2], 'blocked_until', string.format('%.6f', blocked)) end
end
redis.call('EXPIRE', KEYS[2], 86400)
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[1], ARGV[4]) end
return 1
"""
)

# KEYS: tok. ARGV: member (id:tokens), window.
_SPEND = (
    _NOW
    + "redis.call('ZADD', KEYS[1], now, ARGV[1]) redis.call('PEXPIRE', KEYS[1], math.ceil(ARGV[2] * 2000)) return 1"
)

# KEYS: slots. ARGV: capacity, holder, lease. 1 when taken.
_TAKE_SLOT = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) * 4))
return 1
"""
)

# KEYS: slots. ARGV: holder, lease. 1 while the holder still has its slot.
_RENEW_SLOT = (
    _NOW
    + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 4))
return 1
"""
)

# KEYS: lock. ARGV: holder, lease ms. 1 while the holder still holds it.
_RENEW_LOCK = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
)
_FREE_LOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class _Lease:
    """A held lock or slot: renewed by the heartbeat until released."""

    def __init__(self, *, what: str, renew: Any, free: Any) -> None:
        self._free = free
        self._token: int | None = heartbeat.add(what, renew)

    def release(self) -> None:
        if self._token is not None:
            heartbeat.remove(self._token)
            self._token = None
            self._free()


class RedisStore:
    name = "redis"

    def __init__(self, url: str, *, lease: float = LEASE) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigError(
                "coordination_url",
                "a redis:// URL needs the redis package (pip install 'openaiassistant[coordination]')",
            ) from None
        try:
            self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
        except ValueError as exc:
            raise ConfigError("coordination_url", f"not a usable Redis URL: {exc}") from None
        self.lease = lease
        self._scripts = {
            name: self.client.register_script(source)
            for name, source in (
                ("admit", _ADMIT),
                ("observe", _OBSERVE),
                ("spend", _SPEND),
                ("take_slot", _TAKE_SLOT),
                ("renew_slot", _RENEW_SLOT),
                ("renew_lock", _RENEW_LOCK),
                ("free_lock", _FREE_LOCK),
            )
        }

    def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        return self._scripts[script](keys=keys, args=args)

    @staticmethod
    def _keys(pool: str) -> tuple[str, str, str]:
        base = f"{PREFIX}rl:{pool}"
        return f"{base}:req", f"{base}:tok", f"{base}:state"

    # -- rate limits ---------------------------------------------------------------------------
    def admit(self, pool: str, limits: Limits, *, ignore_backoff: bool = False) -> Admission:
        ticket = uuid.uuid4().hex
        wait = float(
            self._run(
                "admit",
                list(self._keys(pool)),
                [WINDOW, limits.rpm or 0, limits.tpm or 0, "1" if ignore_backoff else "0", ticket],
            )
        )
        return Admission(wait) if wait > 0 else Admission(0.0, ticket)

    def observe(self, pool: str, seen: ServerLimits, *, refused: bool, ticket: str | None, alone: bool = False) -> None:
        req, _, state = self._keys(pool)
        hold = backoff_after(seen, refused=refused, alone=alone)
        args = [seen.limit_requests or "", seen.limit_tokens or "", f"{hold:.6f}", ticket if refused and ticket else ""]
        self._run("observe", [req, state], args)

    def spend(self, pool: str, tokens: int) -> None:
        self._run("spend", [self._keys(pool)[1]], [f"{uuid.uuid4().hex}:{int(tokens)}", WINDOW])

    # -- turn slots ----------------------------------------------------------------------------
    def try_slot(self, pool: str, capacity: int, holder: str) -> Held | None:
        key = f"{PREFIX}slots:{pool}"
        if not self._run("take_slot", [key], [capacity, holder, self.lease]):
            # a slot of a worker that died on this host is free now, not when its lease ends
            dead = [str(h) for h in self.client.zrange(key, 0, -1) if is_dead(str(h))]
            if not dead:
                return None
            self.client.zrem(key, *dead)
            if not self._run("take_slot", [key], [capacity, holder, self.lease]):
                return None
        return _Lease(
            what=f"turn slot of pool {pool}",
            renew=lambda: bool(self._run("renew_slot", [key], [holder, self.lease])),
            free=lambda: self.client.zrem(key, holder),
        )

    # -- conversation locks --------------------------------------------------------------------
    def try_lock(self, key: str, holder: str) -> Held | None:
        name, lease_ms = f"{PREFIX}lock:{key}", math.ceil(self.lease * 1000)
        if not self.client.set(name, holder, nx=True, px=lease_ms):
            return None
        return _Lease(
            what=f"lock of conversation {key}",
            renew=lambda: bool(self._run("renew_lock", [name], [holder, lease_ms])),
            free=lambda: self._run("free_lock", [name], [holder]),
        )

    def lock_holder(self, key: str) -> str | None:
        value = self.client.get(f"{PREFIX}lock:{key}")
        return str(value) if value else None

    def break_lock(self, key: str, holder: str) -> bool:
        return bool(self._run("free_lock", [f"{PREFIX}lock:{key}"], [holder]))
