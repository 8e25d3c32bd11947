"""The one emulator every contender talks to, plus the benchmark's fixed server behaviour.

The emulator's own fault book fires a fault a fixed number of times; the 200-turn burst needs
"10 % of all requests answered 429", so a small ASGI layer in front of the emulator answers a
seeded-random tenth of ``/v1`` requests with a 429 in OpenAI's error shape while it is switched
on (``POST /_bench/rate_limit {"rate": 0.1}``; ``GET`` reports how many it sent). Those 429s
never reach the emulator, so its request log holds only the requests that got through.
"""

from __future__ import annotations

import json
import random
import threading
import time
from typing import Any

import uvicorn

from openaiassistant.emulator.app import Emulator, build_app, install_log_filter

TOOL_SECONDS = 0.5  # every client-side tool call sleeps this long
PLAIN_FIRST_TOKEN_MS = 1000  # plain turn: first token after 1.0 s (+ the turn's offset) ...
PLAIN_TOKENS = 50  # ... then 50 tokens at 50 tokens/s: the answer ends at 2.0 s (+ offset)
TOKENS_PER_SECOND = 50
STEP_MS = 1000  # each model step of the two-round tool turn (+ the turn's offset)
BURST_MS = 1000  # each turn of the 429 burst

PLAIN_REPLY = " ".join(f"word{i}" for i in range(PLAIN_TOKENS))

# A server whose run times were all whole seconds would favour any client polling every whole
# second (it would always look at exactly the right moment). Real run times fall anywhere, so
# turn i of n gets i/n s added to its first token (plain) or to each model step (tools): the
# offsets spread evenly over one second.


def offset_s(i: int, n: int) -> float:
    return i / n if n > 0 else 0.0


def server_seconds(workload: str, i: int, n: int) -> float:
    """Server-side time of turn i of n (what an ideal client would see end to end)."""
    off = offset_s(i, n)
    if workload in ("plain", "continued"):  # a continued turn is a plain turn on an existing conversation
        return PLAIN_FIRST_TOKEN_MS / 1000 + off + PLAIN_TOKENS / TOKENS_PER_SECOND
    if workload == "tools2":
        return 3 * (STEP_MS / 1000 + off) + 2 * TOOL_SECONDS
    raise ValueError(workload)


def bench_script(*, plain_turns: int, tool_turns: int, time_scale: float = 1.0) -> dict[str, Any]:
    """The emulator script: one rule per workload turn, matched on the prompt.

    ``time_scale`` multiplies every server time (the harness's own tests use 0: instant).
    """

    def _step(ms: float, **rest: Any) -> dict[str, Any]:
        return {"latency": {"run_ms": ms * time_scale}, **rest}

    lookup = lambda key: {"name": "lookup", "arguments": {"key": key}}  # noqa: E731
    rules: list[dict[str, Any]] = []
    tail: list[dict[str, Any]] = []  # tool-output rules: the later round's first
    for i in range(plain_turns):
        first = PLAIN_FIRST_TOKEN_MS + 1000 * offset_s(i, plain_turns)
        for workload in ("plain", "continued"):
            rules.append(
                {
                    "match": f"^{workload} turn {i}$",
                    "latency": {"first_token_ms": first * time_scale},
                    "reply": PLAIN_REPLY,
                }
            )
    for i in range(tool_turns):
        # The second round and the answer are chosen by the tool outputs seen so far (not by a
        # nested `then`), so clients that resend the whole history on every request (the agent
        # frameworks) walk the same path as those that continue a stored response or thread.
        ms = STEP_MS + 1000 * offset_s(i, tool_turns)
        rules.append({"match": f"^tools2 turn {i}$", **_step(ms, tool_calls=[lookup(f"a{i}")])})
        tail.append({"match_tool_outputs": f"v-b{i}\\b", **_step(ms, reply="done: {{ tool_outputs.lookup }}")})
        tail.append({"match_tool_outputs": f"v-a{i}\\b", **_step(ms, tool_calls=[lookup(f"b{i}")])})
    rules += [
        {"match": "^par1", **_step(100, tool_calls=[lookup("p0")]), "then": _step(100, reply="ok")},
        {
            "match": "^par8",
            **_step(100, tool_calls=[lookup(f"p{i}") for i in range(8)]),
            "then": _step(100, reply="ok"),
        },
        {"match": "^burst", **_step(BURST_MS, reply="burst ok")},
        *tail,
        {"default": True, **_step(10, reply="warm")},
    ]
    return {
        "latency": {
            "first_token_ms": PLAIN_FIRST_TOKEN_MS * time_scale,
            "tokens_per_second": TOKENS_PER_SECOND if time_scale else 0,
        },
        # No poll hint: the live API does not promise one, and a hint of a few ms would hide
        # every client's own polling policy (the SDK helper falls back to 1 s without it).
        "poll_after_ms": None,
        "run_expires_ms": 600000,
        "rules": rules,
    }


class RateLimiter:
    """ASGI wrapper: answers a seeded-random share of /v1 requests with a 429."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.rate = 0.0
        self.sent = 0
        self.seen = 0
        self._rng = random.Random(6)
        self._lock = threading.Lock()

    def _decide(self) -> bool:
        with self._lock:
            self.seen += 1
            hit = self.rate > 0 and self._rng.random() < self.rate
            self.sent += hit
            return hit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path == "/_bench/rate_limit":
            await self._control(scope, receive, send)
            return
        if scope["type"] == "http" and path.startswith("/v1/") and self.rate > 0 and self._decide():
            # Like OpenAI's rate limiter: no retry-after header, each client uses its own backoff.
            body = {
                "error": {
                    "message": "Rate limit reached for requests (benchmark)",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            }
            await _send_json(send, 429, body)
            return
        await self.app(scope, receive, send)

    async def _control(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["method"] == "POST":
            raw = b""
            while True:
                msg = await receive()
                raw += msg.get("body", b"")
                if not msg.get("more_body"):
                    break
            with self._lock:
                # answer with the counts of the phase that just ended, then start a new one
                report = {"rate": self.rate, "sent": self.sent, "seen": self.seen}
                self.rate = float(json.loads(raw or b"{}").get("rate", 0.0))
                self.sent = self.seen = 0
        else:
            report = {"rate": self.rate, "sent": self.sent, "seen": self.seen}
        await _send_json(send, 200, report)


async def _send_json(send: Any, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class BenchServer:
    """The emulator (spec validation off: it is the tests' job and costs server CPU) behind
    the rate limiter, served by uvicorn on a background thread on 127.0.0.1."""

    def __init__(self, *, plain_turns: int, tool_turns: int, time_scale: float = 1.0) -> None:
        script = bench_script(plain_turns=plain_turns, tool_turns=tool_turns, time_scale=time_scale)
        self.emulator = Emulator(script=script, validate=False)
        self.limiter = RateLimiter(build_app(self.emulator))
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BenchServer:
        install_log_filter()
        config = uvicorn.Config(
            self.limiter,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
            backlog=4096,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="bench-emulator", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator could not start")
            time.sleep(0.01)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._server = None
