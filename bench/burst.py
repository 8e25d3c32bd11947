"""The multi-process burst: N lanes x M turns against a server limited to R requests per minute.

    .venv/bin/python bench/burst.py [--processes 4] [--turns 10] [--rpm 60] [--modes none,redis,postgresql]

Each lane runs its M turns one after another, each turn an ``openaiassistant ask`` process of
its own (as a Keep worker that starts, answers one alert and ends; no state survives between
turns but what the coordination store holds). The lanes run at once against ONE emulator
limited to ``--rpm`` requests per minute, answering 429 with the live API's body ("Rate limit
reached ... Please try again in 12.6s.") and ``x-ratelimit-*`` headers, without
``retry-after``. Modes:

* ``none``: no coordination (each process is on its own; it waits as the server says);
* ``redis``: ``--coordination-url redis://...`` (a redis-server started here on 127.0.0.1);
* ``postgresql``: ``--coordination-url postgresql://...`` (a throw-away PostgreSQL).

A mode whose server binaries are missing is skipped and said so. Reported per mode: failed
turns, 429s the server sent, requests it admitted, wall time. Writes
``docs/benchmarks-burst.md`` and ``bench/out/burst.json``; exits non-zero only when the harness
itself failed, never because a figure missed a target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from git_export import exported_source, source_first  # noqa: E402
from local_servers import postgres_server, redis_server  # noqa: E402

from openaiassistant.emulator.server import EmulatorServer  # noqa: E402

OUT = BENCH / "out"
DOC = ROOT / "docs" / "benchmarks-burst.md"
CLI = Path(sys.executable).with_name("openaiassistant")
SCRIPT = {"latency": {"first_token_ms": 300}, "rules": [{"default": True, "reply": "Acknowledged: {{ input }}"}]}


@dataclass(kw_only=True)
class Turn:
    lane: int
    index: int
    exit_code: int
    seconds: float
    error: str | None = None


@dataclass(kw_only=True)
class ModeResult:
    mode: str
    processes: int
    turns: int
    rpm: int
    lanes: str = "ask"
    failed_turns: int = 0
    refused_429: int = 0
    admitted: int = 0
    wall_seconds: float = 0.0
    slowest_turn_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None


def _env(api_key: str, source: str | None) -> dict[str, str]:
    env = {**os.environ, "OPENAI_API_KEY": api_key}
    env.pop("OPENAIASSISTANT_COORDINATION_URL", None)
    if source:  # the package as it was at another commit (--before)
        env = source_first(env, source)
    return env


def run_lane(
    *,
    lane: int,
    turns: int,
    base_url: str,
    api_key: str,
    coordination_url: str | None,
    timeout: float,
    source: str | None = None,
) -> list[Turn]:
    results = []
    env = _env(api_key, source)
    for index in range(turns):
        argv = [
            str(CLI),
            "ask",
            f"alert {lane}-{index}: disk full on db-{lane}",
            "--base-url",
            base_url,
            "--model",
            "gpt-4o-mini",
            "--timeout",
            str(timeout),
            "--json",
        ]
        if coordination_url:
            argv += ["--coordination-url", coordination_url]
        started = time.monotonic()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout + 60)
        error = done.stderr.strip().splitlines()[-1] if done.returncode and done.stderr.strip() else None
        results.append(
            Turn(lane=lane, index=index, exit_code=done.returncode, seconds=time.monotonic() - started, error=error)
        )
    return results


def run_worker_lane(
    *,
    lane: int,
    turns: int,
    base_url: str,
    api_key: str,
    coordination_url: str | None,
    timeout: float,
    source: str | None = None,
) -> list[Turn]:
    """One long-lived worker process running the lane's turns (bench/burst_worker.py)."""
    argv = [sys.executable, str(BENCH / "burst_worker.py"), "--lane", str(lane), "--turns", str(turns)]
    argv += ["--base-url", base_url, "--timeout", str(timeout)]
    if coordination_url:
        argv += ["--coordination-url", coordination_url]
    env = _env(api_key, source)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=turns * (timeout + 60))
    turns_seen = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    results = [
        Turn(lane=lane, index=t["index"], exit_code=0 if t["ok"] else 1, seconds=t["seconds"], error=t["error"])
        for t in turns_seen
    ]
    for index in range(len(results), turns):  # the worker died before these
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        results.append(Turn(lane=lane, index=index, exit_code=done.returncode or 1, seconds=0.0, error=tail[0]))
    return results


def run_mode(
    mode: str,
    *,
    processes: int,
    turns: int,
    rpm: int,
    timeout: float,
    url: str | None,
    lane_kind: str,
    source: str | None = None,
) -> ModeResult:
    result = ModeResult(mode=mode, processes=processes, turns=turns, rpm=rpm, lanes=lane_kind)
    runner = run_lane if lane_kind == "ask" else run_worker_lane
    with EmulatorServer(script=SCRIPT, limits={"rpm": rpm}, validate=False) as server:
        lanes: list[list[Turn]] = [[] for _ in range(processes)]

        def lane_thread(i: int) -> None:
            lanes[i] = runner(
                lane=i,
                turns=turns,
                base_url=server.base_url,
                api_key=server.api_key,
                coordination_url=url,
                timeout=timeout,
                source=source,
            )

        threads = [threading.Thread(target=lane_thread, args=(i,)) for i in range(processes)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        result.wall_seconds = round(time.monotonic() - started, 1)
        limits = server.limits()
    done = [t for lane in lanes for t in lane]
    result.failed_turns = sum(1 for t in done if t.exit_code != 0)
    result.errors = sorted({t.error for t in done if t.error})[:5]
    result.refused_429 = limits["refused"]
    result.admitted = limits["admitted"]
    result.slowest_turn_seconds = round(max((t.seconds for t in done), default=0.0), 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--rpm", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=300.0, help="each turn's deadline (ask --timeout)")
    parser.add_argument("--modes", default="none,redis,postgresql")
    parser.add_argument(
        "--lanes",
        default="ask,worker",
        help="ask: each turn its own `openaiassistant ask` process; worker: one process per lane (as a Keep worker)",
    )
    parser.add_argument(
        "--before",
        default=None,
        metavar="REF",
        help="also run mode 'before': no coordination, with the package as it was at git REF (e.g. the commit "
        "before this work), to show what the issue measured",
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks-burst.md")
    parser.add_argument("--render", action="store_true", help="only write the doc from bench/out/burst.json")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    if args.render:
        saved = [ModeResult(**r) for r in json.loads((OUT / "burst.json").read_text())]
        DOC.write_text(render(saved, args))
        return 0
    results: list[ModeResult] = []
    shape = {"processes": args.processes, "turns": args.turns, "rpm": args.rpm, "timeout": args.timeout}
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for lane_kind in [k.strip() for k in args.lanes.split(",") if k.strip()]:
        for mode in (["before"] if args.before else []) + modes:
            print(
                f"burst: {lane_kind} lanes, {mode}: {args.processes} x {args.turns} turns at {args.rpm} RPM", flush=True
            )
            if mode == "before":
                with exported_source(args.before) as source:
                    results.append(run_mode(mode, url=None, lane_kind=lane_kind, source=source, **shape))
                    results[-1].mode = f"before ({args.before})"
            elif mode == "none":
                results.append(run_mode(mode, url=None, lane_kind=lane_kind, **shape))
            else:
                starter = {"redis": redis_server, "postgresql": postgres_server}[mode]
                with starter() as server_url:
                    if server_url is None:
                        skipped = ModeResult(
                            mode=mode, lanes=lane_kind, processes=args.processes, turns=args.turns, rpm=args.rpm
                        )
                        skipped.skipped = f"no {mode} server binaries on this machine"
                        results.append(skipped)
                        continue
                    results.append(run_mode(mode, url=server_url, lane_kind=lane_kind, **shape))
            print("  " + json.dumps(asdict(results[-1])), flush=True)
    (OUT / "burst.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    if not args.no_doc:
        DOC.write_text(render(results, args))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


def render(results: list[ModeResult], args: argparse.Namespace) -> str:
    lines = [
        "# Benchmark: many workers, one quota (the multi-process burst)",
        "",
        f"Written by `bench/burst.py` (`make bench-burst`, also part of `make bench`) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node() and 'this machine'}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        f"{args.processes} lanes at once, each running {args.turns} turns one after another (Responses backend, a "
        "new conversation per turn: two requests), against one emulator limited to "
        f"**{args.rpm} requests per minute** that answers 429 with the live API's body (`Rate limit reached ... "
        "Please try again in 12.6s.`) and `x-ratelimit-*` headers, without `retry-after`. Every turn has a "
        f"{args.timeout:g} s deadline. Two kinds of lanes: **`ask` per turn**, each turn an `openaiassistant ask` "
        "process of its own (as the issue measured it: nothing survives between turns but the coordination "
        "store), and **one worker per lane**, a long-lived process running its turns through `Assistant.run_turn` "
        "(as a Keep worker process runs alerts).",
        "",
        "The limit only bites when the lanes together send more than it: *requests/min sent* is what they offered "
        "(admitted + refused, over the wall time). An `ask` process pays its Python start-up on every turn "
        "(1-3 s here, more when the machine is busy), so `ask` lanes on a loaded machine may stay under the limit; "
        "the worker lanes do not.",
        "",
        "| lanes | coordination | failed turns | 429s received | requests admitted | requests/min sent | wall time "
        "| slowest turn |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {"none": "none (each process alone)", "redis": "Redis", "postgresql": "PostgreSQL"}
    names.update(
        {
            r.mode: f"none, code {r.mode[len('before (') : -1]} (before this work)"
            for r in results
            if r.mode.startswith("before")
        }
    )
    lanes = {"ask": "`ask` per turn", "worker": "one worker per lane"}
    for r in results:
        where = f"| {lanes.get(r.lanes, r.lanes)} | {names.get(r.mode, r.mode)} "
        if r.skipped:
            lines.append(where + f"| skipped: {r.skipped} | | | | | |")
            continue
        sent = (r.admitted + r.refused_429) / r.wall_seconds * 60 if r.wall_seconds else 0.0
        lines.append(
            where + f"| {r.failed_turns} of {r.processes * r.turns} | {r.refused_429} | {r.admitted} | {sent:.0f} | "
            f"{r.wall_seconds:.1f} s | {r.slowest_turn_seconds:.1f} s |"
        )
    failed = [r for r in results if r.errors]
    if failed:
        lines += ["", "What the failed turns said (the first, per row):", ""]
        lines += [f"- {names.get(r.mode, r.mode)}, {lanes.get(r.lanes, r.lanes)}: `{r.errors[0]}`" for r in failed]
    lines += [
        "",
        "*Before this work* (the package at the commit named, run with `--before REF`) a 429 was retried "
        "`max_retries` times with back-off, whatever the server said: a turn whose retries ran out failed with "
        "`ServerUnavailableError: create conversation: ... (HTTP 429, retries used up)` although its deadline "
        "had minutes left, as the issue measured. *Without coordination* now, every process waits as the "
        "server says (the message's `Please try again in ...`) for as long as its deadline allows, so no turn "
        "fails; but each process learns the limit only for itself, and the waiting processes come back together "
        "when the minute frees a slot, all but one to be refused again. *With a coordination store* the "
        "processes share one request log of the last minute and the limit (learned from the first answer's "
        "`x-ratelimit-limit-requests`): a request waits for its slot instead of asking for it, and a 429 one "
        "process still meets holds all of them. See docs/coordination.md.",
        "",
        f"Reproduce: `.venv/bin/python bench/burst.py --processes {args.processes} --turns {args.turns} "
        f"--rpm {args.rpm}{' --before ' + args.before if getattr(args, 'before', None) else ''}` "
        "(`make bench-burst`).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
