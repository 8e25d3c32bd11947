"""Account-level rate limits: requests and tokens per minute, as the live API enforces them.

Off unless configured (``EmulatorServer(limits={"rpm": 60, "tpm": 40000})``, ``set_limits``,
``POST /_emulator/limits``, ``openaiassistant emulator --rpm 60 --tpm 40000``). Every ``/v1``
request then counts against a sliding minute of the emulator's own clock (``advance_time``
moves it); a model call (``POST /responses``, ``/threads/runs``, ``/threads/{id}/runs``,
``/chat/completions``) also counts its tokens: the words of its request's texts, the emulator's
token measure. A request over a limit is answered as the live API does::

    HTTP 429  x-ratelimit-limit-requests: 60  x-ratelimit-remaining-requests: 0  x-ratelimit-reset-requests: 12.6s ...
    {"error": {"message": "Rate limit reached for gpt-4o-mini in organization org-emulator on requests per
     min (RPM): Limit 60, Used 60, Requested 1. Please try again in 12.6s. Visit
     https://platform.openai.com/account/rate-limits to learn more.", "type": "requests",
     "param": null, "code": "rate_limit_exceeded"}}

and is not counted. Every answered request carries the ``x-ratelimit-*`` headers of the limits
that are set (``reset`` is when the whole window is free again). ``retry_after: true`` also
sends ``retry-after`` / ``retry-after-ms`` on a 429 (the live API often does not: clients must
read the message).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openaiassistant.emulator.script import count_tokens

if TYPE_CHECKING:
    from openaiassistant.emulator.clock import Clock

__all__ = ["ROUTES", "AccountLimits", "AccountLimitsMiddleware", "LimitsConfig", "go_duration"]

WINDOW = 60.0
ORGANIZATION = "org-emulator"
_MODEL_CALLS = re.compile(r"^/v1/(responses|chat/completions|threads/runs|threads/[^/]+/runs)$")


@dataclass(frozen=True, kw_only=True)
class LimitsConfig:
    rpm: int | None = None
    tpm: int | None = None
    retry_after: bool = False

    @classmethod
    def parse(cls, spec: Any) -> LimitsConfig:
        if spec is None:
            return cls()
        if isinstance(spec, LimitsConfig):
            return spec
        if not isinstance(spec, dict) or set(spec) - {"rpm", "tpm", "retry_after"}:
            raise ValueError("limits take rpm, tpm (positive integers or null) and retry_after (true/false)")
        for name in ("rpm", "tpm"):
            value = spec.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"limits.{name} must be a positive integer or null, got {value!r}")
        return cls(rpm=spec.get("rpm"), tpm=spec.get("tpm"), retry_after=bool(spec.get("retry_after", False)))

    @property
    def active(self) -> bool:
        return bool(self.rpm or self.tpm)

    def describe(self) -> dict[str, Any]:
        return {"rpm": self.rpm, "tpm": self.tpm, "retry_after": self.retry_after}


@dataclass(frozen=True, kw_only=True)
class Decision:
    admitted: bool
    headers: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    kind: str = "requests"  # which limit refused it: requests | tokens
    wait: float = 0.0


def go_duration(seconds: float) -> str:
    """Seconds as the live API writes them: ``17ms``, ``12.6s``, ``6m0s``."""
    if seconds < 1:
        return f"{max(1, math.ceil(seconds * 1000))}ms"
    if seconds < 60:
        return f"{math.ceil(seconds * 10) / 10:g}s"
    minutes, rest = divmod(math.ceil(seconds), 60)
    return f"{minutes}m{rest}s"


class AccountLimits:
    """The account's sliding-minute counters on the emulator's clock (thread-safe)."""

    def __init__(self, *, clock: Clock, initial: Any = None) -> None:
        self.clock = clock
        self._initial = LimitsConfig.parse(initial)
        self.config = self._initial
        self._guard = threading.Lock()
        self._requests: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()
        self.admitted = 0
        self.refused = 0

    def configure(self, spec: Any) -> LimitsConfig:
        """Set the limits (usage so far is kept); returns them."""
        config = LimitsConfig.parse(spec)
        with self._guard:
            self.config = config
        return config

    def reset(self) -> None:
        """Back to the limits the emulator started with, and no usage."""
        with self._guard:
            self.config = self._initial
            self._requests.clear()
            self._tokens.clear()
            self.admitted = self.refused = 0

    def describe(self) -> dict[str, Any]:
        with self._guard:
            return {**self.config.describe(), "admitted": self.admitted, "refused": self.refused}

    def admit(self, *, tokens: int = 0, model: str | None = None) -> Decision:
        """Count one request (of ``tokens``), or refuse it with the live API's words."""
        with self._guard:
            config, now = self.config, self.clock.monotonic()
            while self._requests and self._requests[0] <= now - WINDOW:
                self._requests.popleft()
            while self._tokens and self._tokens[0][0] <= now - WINDOW:
                self._tokens.popleft()
            refusal = self._refusal(config, now, tokens, model)
            if refusal is not None:
                self.refused += 1
                return refusal
            self._requests.append(now)
            if tokens:
                self._tokens.append((now, tokens))
            self.admitted += 1
            return Decision(admitted=True, headers=self._headers(config, now))

    def _refusal(self, config: LimitsConfig, now: float, tokens: int, model: str | None) -> Decision | None:
        used_requests = len(self._requests)
        if config.rpm and used_requests + 1 > config.rpm:
            wait = self._requests[used_requests - config.rpm] + WINDOW - now
            return self._refuse(config, now, "requests", "RPM", config.rpm, used_requests, 1, wait, model)
        used_tokens = sum(n for _, n in self._tokens)
        if config.tpm and tokens and used_tokens + tokens > config.tpm:
            if tokens > config.tpm:
                wait = WINDOW  # never fits: the live API says so with a 429 too
            else:
                freed, wait = used_tokens + tokens - config.tpm, 0.0
                for at, n in self._tokens:
                    freed -= n
                    wait = at + WINDOW - now
                    if freed <= 0:
                        break
            return self._refuse(config, now, "tokens", "TPM", config.tpm, used_tokens, tokens, wait, model)
        return None

    def _refuse(
        self,
        config: LimitsConfig,
        now: float,
        kind: str,
        short: str,
        limit: int,
        used: int,
        requested: int,
        wait: float,
        model: str | None,
    ) -> Decision:
        where = f"for {model} in organization {ORGANIZATION}" if model else f"in organization {ORGANIZATION}"
        message = (
            f"Rate limit reached {where} on {kind} per min ({short}): Limit {limit}, Used {used}, "
            f"Requested {requested}. Please try again in {go_duration(wait)}. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        headers = self._headers(config, now)
        if config.retry_after:
            headers["retry-after"] = str(math.ceil(wait))
            headers["retry-after-ms"] = str(math.ceil(wait * 1000))
        return Decision(admitted=False, headers=headers, message=message, kind=kind, wait=wait)

    def _headers(self, config: LimitsConfig, now: float) -> dict[str, str]:
        headers: dict[str, str] = {}
        if config.rpm:
            headers["x-ratelimit-limit-requests"] = str(config.rpm)
            headers["x-ratelimit-remaining-requests"] = str(max(0, config.rpm - len(self._requests)))
            reset = self._requests[-1] + WINDOW - now if self._requests else 0.0
            headers["x-ratelimit-reset-requests"] = go_duration(max(reset, 0.0))
        if config.tpm:
            used = sum(n for _, n in self._tokens)
            headers["x-ratelimit-limit-tokens"] = str(config.tpm)
            headers["x-ratelimit-remaining-tokens"] = str(max(0, config.tpm - used))
            reset = self._tokens[-1][0] + WINDOW - now if self._tokens else 0.0
            headers["x-ratelimit-reset-tokens"] = go_duration(max(reset, 0.0))
        return headers


class AccountLimitsMiddleware:
    """Applies the emulator's :class:`AccountLimits` to every ``/v1`` request (inside the
    emulator's own middleware, so refusals are authenticated, logged and spec-checked)."""

    def __init__(self, app: Any, emulator: Any) -> None:
        self.app = app
        self.emulator = emulator  # the Emulator (context.py), which holds ``account_limits``

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        limits = self.emulator.account_limits
        if scope["type"] != "http" or not scope["path"].startswith("/v1") or not limits.config.active:
            await self.app(scope, receive, send)
            return
        tokens, model = 0, None
        if scope["method"] == "POST" and _MODEL_CALLS.match(scope["path"]):
            body = await _read_body(receive)
            receive = _replay(body, receive)
            tokens, model = _estimate(body)
        decision = limits.admit(tokens=tokens, model=model)
        if not decision.admitted:
            error = {"message": decision.message, "type": decision.kind, "param": None, "code": "rate_limit_exceeded"}
            refusal = Response(
                json.dumps({"error": error}).encode(),
                status_code=429,
                headers=decision.headers,
                media_type="application/json",
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, _with_headers(send, decision.headers))


async def _read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> dict[str, Any]:
        return pending.pop() if pending else await receive()

    return replayed


def _estimate(body: bytes) -> tuple[int, str | None]:
    """The request's tokens (the words of its body's texts, at least 1) and its model."""
    text = body.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return max(1, count_tokens(text)), None
    model = parsed.get("model") if isinstance(parsed, dict) and isinstance(parsed.get("model"), str) else None
    return max(1, _words(parsed)), model


def _words(value: Any) -> int:
    if isinstance(value, str):
        return count_tokens(value)
    if isinstance(value, dict):
        return sum(_words(v) for k, v in value.items() if k not in ("model", "type", "role"))
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    return 0


def _with_headers(send: Any, headers: dict[str, str]) -> Any:
    extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and extra:
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


# -- control ---------------------------------------------------------------------------------
async def _limits(request: Request) -> Response:
    limits: AccountLimits = request.app.state.emulator.account_limits
    if request.method == "POST":
        try:
            spec = json.loads(await request.body() or b"{}")
            limits.configure(spec)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(limits.describe())


ROUTES = [Route("/_emulator/limits", _limits, methods=["GET", "POST"])]
