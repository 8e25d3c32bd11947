"""What every contender script shares (standard library only: it runs in every bench venv).

A contender script defines an adapter with ``turn(prompt, rec)`` (sync) or ``aturn(prompt,
rec)`` (async) that runs ONE turn on a NEW conversation/thread, calling ``rec.first_token()``
on the first streamed text delta, and raising (or returning ``False``) when the turn failed.
:func:`main` then drives the same workloads for every contender and writes one JSON report:

* ``plain``   N turns, server time 2.0 s: wall time, TTFT, CPU time, requests per turn;
* ``continued``  N plain turns (server time 2.0 s each) on ONE conversation that a warm-up turn
  made (adapters with ``continued_turn(prompt, rec)``): what a turn continuing a conversation
  costs, with no conversation create in it;
* ``tools2``  N turns with two tool rounds of one 0.5 s call each (server time 4.0 s);
* ``par1`` / ``par8``  a round of 1 and of 8 equal calls: the tool phase's wall time;
* ``burst``   200 concurrent turns while the server answers 10 % of requests with 429.
* ``burst_on``  the same burst, each turn on a conversation of its own that already exists
  (adapters with ``open_conversations(prompts)`` -> ids and ``turn_on(prompt, rec, id)``; the
  conversations are opened first, unmeasured and without 429s): a burst without the requests
  that create conversations, which the code before issue 10 sent differently.

Request counts come from the emulator's own log (``/_emulator/requests``), cleared at the start
of each workload. The warm-up turn (imports, connection pool, first-use caches) is not measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import threading
import time
import traceback
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

TOOL_SECONDS = 0.5

# Every call of the tool appends (start, end) here; a workload reads and resets it per turn.
_TOOL_SPANS: list[tuple[float, float]] = []
_SPANS_LOCK = threading.Lock()


def _record_span(start: float) -> None:
    with _SPANS_LOCK:
        _TOOL_SPANS.append((start, time.perf_counter()))


def lookup(key: str) -> str:
    """Look a key up in the inventory (takes 0.5 s, like a slow HTTP call)."""
    start = time.perf_counter()
    time.sleep(TOOL_SECONDS)
    _record_span(start)
    return json.dumps({"key": key, "value": f"v-{key}"})


def function_outputs(response: Any) -> list[dict[str, Any]]:
    """A Responses SDK loop's next input: one ``function_call_output`` per call the response
    asks for (each run through :func:`lookup`); empty when it asks for none."""
    return [
        {"type": "function_call_output", "call_id": item.call_id, "output": lookup(**json.loads(item.arguments))}
        for item in response.output
        if item.type == "function_call"
    ]


async def alookup(key: str) -> str:
    """Look a key up in the inventory (takes 0.5 s, like a slow HTTP call)."""
    start = time.perf_counter()
    await asyncio.sleep(TOOL_SECONDS)
    _record_span(start)
    return json.dumps({"key": key, "value": f"v-{key}"})


LOOKUP_SCHEMA = {
    "type": "object",
    "properties": {"key": {"type": "string", "description": "the key to look up"}},
    "required": ["key"],
    "additionalProperties": False,
}


@dataclass(kw_only=True)
class Rec:
    """Timing of one turn."""

    start: float = field(default_factory=time.perf_counter)
    ttft: float | None = None

    def first_token(self) -> None:
        if self.ttft is None:
            self.ttft = time.perf_counter() - self.start


@dataclass(kw_only=True)
class Settings:
    base_url: str
    control_url: str
    out: str
    plain_turns: int
    tool_turns: int
    burst: int
    burst_rate: float
    only: list[str]


def _http(url: str, *, method: str = "GET", body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def clear_log(s: Settings) -> None:
    _http(f"{s.control_url}/_emulator/requests", method="DELETE")


def count_requests(s: Settings) -> dict[str, Any]:
    entries = _http(f"{s.control_url}/_emulator/requests")["requests"]
    by_kind: dict[str, int] = {}
    for e in entries:
        key = f"{e['method']} {_shape(e['path'])}"
        by_kind[key] = by_kind.get(key, 0) + 1
    return {"total": len(entries), "by_kind": by_kind}


def _shape(path: str) -> str:
    """/v1/threads/thread_abc/runs/run_x -> /threads/{id}/runs/{id} (to show what was sent)."""
    parts = [p for p in path.split("/") if p][1:]
    return "/" + "/".join("{id}" if "_" in p and p.split("_")[0] in _ID_PREFIXES else p for p in parts)


_ID_PREFIXES = {"thread", "run", "resp", "conv", "msg", "asst", "step", "call", "file", "vs", "item"}


def _cpu() -> float:
    return time.process_time()


RSS_SOURCE = "VmHWM" if os.path.exists("/proc/self/status") else "ru_maxrss"


def _peak_rss_mb() -> float:
    """This process's own peak resident memory. On Linux ``ru_maxrss`` of a process started by
    fork + exec also counts the parent's size at the fork (the kernel keeps the larger of the
    old and the new memory map's peak), and the harness grows through a run (its emulator keeps
    every contender's objects), so a contender started late would report the harness's size:
    ``VmHWM`` is the peak of this process's own memory map."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


class Driver:
    """Runs one workload at a time over the adapter, sync or async alike."""

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter
        self.is_async = hasattr(adapter, "aturn")
        self.loop = asyncio.new_event_loop() if self.is_async else None

    def one(self, prompt: str, *, continued: bool = False) -> dict[str, Any]:
        """One turn (``continued``: on the adapter's continuing conversation)."""
        with _SPANS_LOCK:
            _TOOL_SPANS.clear()
        rec = Rec()
        error = None
        try:
            if self.is_async:
                assert self.loop is not None
                ok = self.loop.run_until_complete(self.adapter.aturn(prompt, rec))
            elif continued:
                ok = self.adapter.continued_turn(prompt, rec)
            else:
                ok = self.adapter.turn(prompt, rec)
            if ok is False:
                error = "turn did not complete"
        except Exception as exc:  # a failed turn is a data point, not a crash of the bench
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
        wall = time.perf_counter() - rec.start
        with _SPANS_LOCK:
            spans = list(_TOOL_SPANS)
        tool_phase = (max(e for _, e in spans) - min(s for s, _ in spans)) if spans else None
        return {
            "wall_s": wall,
            "ttft_s": rec.ttft,
            "error": error,
            "tool_calls": len(spans),
            "tool_phase_s": tool_phase,
        }

    def many(self, prompts: list[str], on: list[str] | None = None) -> list[dict[str, Any]]:
        """All prompts at once: threads for sync adapters, tasks for async ones; ``on``: each
        prompt's existing conversation (sync adapters with ``turn_on``)."""
        if self.is_async:
            assert self.loop is not None and on is None
            return self.loop.run_until_complete(self._amany(prompts))
        with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
            return list(pool.map(self._one_quiet, prompts, on or [None] * len(prompts)))

    def _one_quiet(self, prompt: str, on: str | None = None) -> dict[str, Any]:
        rec = Rec()
        try:
            ok = self.adapter.turn(prompt, rec) if on is None else self.adapter.turn_on(prompt, rec, on)
            error = None if ok is not False else "turn did not complete"
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
        return {"wall_s": time.perf_counter() - rec.start, "error": error}

    async def _amany(self, prompts: list[str]) -> list[dict[str, Any]]:
        async def go(prompt: str) -> dict[str, Any]:
            rec = Rec()
            try:
                ok = await self.adapter.aturn(prompt, rec)
                error = None if ok is not False else "turn did not complete"
            except Exception as exc:
                error = f"{type(exc).__name__}: {str(exc)[:200]}"
            return {"wall_s": time.perf_counter() - rec.start, "error": error}

        return list(await asyncio.gather(*(go(p) for p in prompts)))


def _sequential(driver: Driver, s: Settings, prompt: str, n: int, *, continued: bool = False) -> dict[str, Any]:
    clear_log(s)
    cpu0 = _cpu()
    turns = [driver.one(f"{prompt} turn {i}", continued=continued) for i in range(n)]
    cpu = _cpu() - cpu0
    return {
        "turns": turns,
        "cpu_s_per_turn": cpu / n,
        "requests": count_requests(s),
        "n": n,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _burst_on(driver: Driver, s: Settings) -> dict[str, Any] | None:
    """The burst on conversations opened first (None: the adapter cannot continue one it names)."""
    if not hasattr(driver.adapter, "open_conversations") or not hasattr(driver.adapter, "turn_on"):
        return None
    ids = driver.adapter.open_conversations([f"opening {i}" for i in range(s.burst)])
    return None if ids is None else _burst(driver, s, on=ids)


def _burst(driver: Driver, s: Settings, *, on: list[str] | None = None) -> dict[str, Any]:
    clear_log(s)
    _http(f"{s.control_url}/_bench/rate_limit", method="POST", body={"rate": s.burst_rate})
    t0 = time.perf_counter()
    try:
        turns = driver.many([f"burst {'on ' if on else ''}turn {i}" for i in range(s.burst)], on)
    finally:
        limiter = _http(f"{s.control_url}/_bench/rate_limit", method="POST", body={"rate": 0})
    wall = time.perf_counter() - t0
    # the POST above reset the counters; the report it returns is from before the reset
    return {
        "n": s.burst,
        "wall_s": wall,
        "failed": sum(1 for t in turns if t["error"]),
        "errors": sorted({t["error"] for t in turns if t["error"]})[:5],
        "turn_wall_s": [t["wall_s"] for t in turns],
        "requests": count_requests(s),
        "injected_429": limiter.get("sent"),
        "peak_rss_mb": _peak_rss_mb(),
    }


def parse_args(argv: list[str] | None = None) -> Settings:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--plain-turns", type=int, default=8)
    p.add_argument("--tool-turns", type=int, default=4)
    p.add_argument("--burst", type=int, default=200)
    p.add_argument("--burst-rate", type=float, default=0.1)
    p.add_argument("--only", default="plain,continued,tools2,par,burst,burst_on")
    p.add_argument("--mode", default="")
    p.add_argument("--api", default="")
    p.add_argument("--assistant-id", default="")
    a, _ = p.parse_known_args(argv)
    control = a.base_url.rstrip("/").removesuffix("/v1")
    return Settings(
        base_url=a.base_url,
        control_url=control,
        out=a.out,
        plain_turns=a.plain_turns,
        tool_turns=a.tool_turns,
        burst=a.burst,
        burst_rate=a.burst_rate,
        only=a.only.split(","),
    )


def extra_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The contender-specific options (--mode, --api, --assistant-id)."""
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="stream")
    p.add_argument("--api", default="assistants")
    p.add_argument("--assistant-id", default="")
    p.add_argument("--spare-threads", action="store_true", help="this project: AssistantSpec(spare_threads=True)")
    a, _ = p.parse_known_args(argv)
    return a


def safe_environment(base_url: str) -> None:
    """Point every library's defaults at the emulator and switch off anything that phones home."""
    os.environ["OPENAI_BASE_URL"] = base_url
    os.environ["OPENAI_API_KEY"] = os.environ.get("BENCH_API_KEY", "sk-bench-local")
    os.environ["OPENAI_AGENTS_DISABLE_TRACING"] = "1"
    os.environ["LANGCHAIN_TRACING_V2"] = "false"
    os.environ["LANGSMITH_TRACING"] = "false"
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(var, None)


def main(make_adapter: Any, argv: list[str] | None = None) -> int:
    """Build the adapter (imports are timed apart), run the workloads, write the JSON report."""
    s = parse_args(argv)
    safe_environment(s.base_url)
    report: dict[str, Any] = {"python": sys.version.split()[0], "rss_source": RSS_SOURCE}
    cpu0, t0 = _cpu(), time.perf_counter()
    try:
        adapter = make_adapter(s)
        report["versions"] = getattr(adapter, "versions", {})
        report["imported"] = getattr(adapter, "imported", {})  # module name -> __file__
        report["import_setup"] = {"cpu_s": _cpu() - cpu0, "wall_s": time.perf_counter() - t0}
        driver = Driver(adapter)
        warm = driver.one("warm up")
        if warm["error"]:
            raise RuntimeError(f"warm-up turn failed: {warm['error']}")
        report["warm_up"] = warm
        if "plain" in s.only:
            report["plain"] = _sequential(driver, s, "plain", s.plain_turns)
        if "continued" in s.only and hasattr(adapter, "continued_turn"):
            warm = driver.one("continued warm up", continued=True)  # makes the conversation
            if warm["error"]:
                raise RuntimeError(f"continued warm-up turn failed: {warm['error']}")
            report["continued"] = _sequential(driver, s, "continued", s.plain_turns, continued=True)
        if "tools2" in s.only and getattr(adapter, "tools", True):
            report["tools2"] = _sequential(driver, s, "tools2", s.tool_turns)
        if "par" in s.only and getattr(adapter, "tools", True):
            report["par1"] = _sequential(driver, s, "par1", 2)
            report["par8"] = _sequential(driver, s, "par8", 2)
        if "burst" in s.only:
            report["burst"] = _burst(driver, s)
        if "burst_on" in s.only and (block := _burst_on(driver, s)) is not None:
            report["burst_on"] = block
    except Exception as exc:
        report["fatal"] = f"{type(exc).__name__}: {str(exc)[:500]}"
        report["traceback"] = traceback.format_exc()[-3000:]
    with open(s.out, "w") as fh:
        json.dump(report, fh, indent=1)
    return 0
