"""A bounded soak: turns for a few minutes with random faults at a few percent, then an audit.

    python reliability/soak.py --seconds 120 --out FILE [--rate 0.05] [--seed N]

Turns rotate over both backends, both transports, new and continued conversations, with and
without a tool round. Before each turn, each fault of a pool (the rideable kinds and the
ambiguous ones, on the create, submit and poll requests) is armed with probability ``rate``.
Every conversation is then audited (reliability/audit.py) for doubled messages, runs left
active and dangling calls; every tool call id for repeated executions. Memory is the process's
resident set (the emulator runs in-process too: its state is cleared before measuring).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import platform
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402
from reliability.audit import Auditor  # noqa: E402
from reliability.cells import TARGETS  # noqa: E402
from reliability.harness import SCRIPT, CountingTools, FakeClock, _assistant, plain_client  # noqa: E402

from openaiassistant.emulator.server import EmulatorServer  # noqa: E402
from openaiassistant.engine.locks import LOCKS  # noqa: E402
from openaiassistant.errors import AssistantError  # noqa: E402

POOL = [
    ("create", {"kind": "http_error", "status": 429, "retry_after_ms": 10}),
    ("create", {"kind": "http_error", "status": 503}),
    ("create", {"kind": "drop_connection"}),
    ("create", {"kind": "ambiguous_error"}),
    ("create", {"kind": "ambiguous_drop"}),
    ("create", {"kind": "stream_cut", "after_events": 0}),
    ("create", {"kind": "stream_cut", "after_events": 3}),
    ("create", {"kind": "run_failed", "code": "rate_limit_exceeded"}),
    ("submit", {"kind": "http_error", "status": 503}),
    ("submit", {"kind": "drop_connection"}),
    ("submit", {"kind": "ambiguous_error"}),
    ("submit", {"kind": "stream_cut", "after_events": 0}),
    ("submit", {"kind": "run_failed", "code": "rate_limit_exceeded"}),
    ("poll", {"kind": "drop_connection"}),
]


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Variant:
    def __init__(self, server: Any, backend: str, transport: str) -> None:
        from reliability.cells import FAULT_CASES, Cell

        self.backend, self.transport = backend, transport
        self.clock, self.tools = FakeClock(), CountingTools()
        cell = Cell(matrix="soak", case=FAULT_CASES[0], backend=backend, transport=transport, conversation="new")
        self.assistant = _assistant(server, cell, self.clock, self.tools)
        self.threads: list[str] = []


@dataclass(kw_only=True)
class Soak:
    """What the soak counted."""

    outcomes: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    prompts: list[tuple[str, str, str | None]] = field(default_factory=list)  # (backend, prompt, thread)
    turns: int = 0


def _one_turn(server: Any, variant: Variant, soak: Soak, rng: random.Random, rate: float) -> None:
    soak.turns += 1
    n = soak.turns
    thread_id = rng.choice(variant.threads) if variant.threads and rng.random() < 0.5 else None
    prompt = f"[soak {n}] check disk on db-{n}" if rng.random() < 0.6 else f"[soak {n}] hello"
    for target, spec in POOL:
        if rng.random() < rate:
            server.add_fault(**{**TARGETS[target][variant.backend], **spec})
            soak.injected[f"{target} {spec['kind']}"] += 1
    try:
        result = variant.assistant.run_turn(prompt, thread_id=thread_id, stream=variant.transport == "sse", timeout=30)
        soak.outcomes[result.status] += 1
        thread_id = result.thread_id
    except AssistantError as exc:
        soak.outcomes[exc.kind] += 1
        thread_id = exc.thread_id or thread_id
    except Exception as exc:  # noqa: BLE001 - exactly what the soak looks for
        soak.outcomes[f"untyped {type(exc).__name__}"] += 1
        soak.problems.append(f"turn {n}: untyped {type(exc).__name__}: {exc}"[:300])
    server.clear_faults()
    if thread_id and thread_id not in variant.threads:
        variant.threads.append(thread_id)
    soak.prompts.append((variant.backend, prompt, thread_id))


def _settled_rss(server: Any) -> int:
    """The process's resident set with the in-process emulator's objects dropped (its stored
    threads and responses are the server's memory, not ours) and freed memory given back."""
    state = server.emulator.state
    for records in (state.threads, state.runs, state.responses, state.conversations, state.calls):
        records.clear()
    server.clear_requests()
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc keeps freed arenas otherwise
    return rss_kib()


def _audit(server: Any, soak: Soak, variants: list[Variant]) -> None:
    auditor = Auditor(server, plain_client(server))
    for backend, prompt, thread_id in soak.prompts:
        audit = auditor.audit(backend=backend, thread_id=thread_id, prompt=prompt)
        if audit.message_copies > 1 or audit.threads_with_message > 1:
            soak.problems.append(
                f"{prompt}: message doubled ({audit.message_copies} copies, {audit.threads_with_message} threads)"
            )
        if audit.active_runs:
            soak.problems.append(f"{prompt}: active {audit.active_runs}")
        if audit.dangling_calls:
            soak.problems.append(f"{prompt}: {len(audit.dangling_calls)} dangling calls")
    repeated = sum(1 for v in variants for n in v.tools.executions.values() if n > 1)
    if repeated:
        soak.problems.append(f"{repeated} tool call ids executed more than once")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    rng, soak = random.Random(args.seed), Soak()
    with EmulatorServer(validate=False) as server:
        server.load_script(SCRIPT)
        variants = [Variant(server, b, t) for b in ("responses", "assistants") for t in ("sse", "poll")]
        for variant in variants:  # warm up: imports, pools, first clients
            variant.assistant.run_turn("warm up", timeout=30)
        rss = [_settled_rss(server)]
        started = time.monotonic()
        for half in (1, 2):  # memory after each half: a leak grows it again in the second
            while time.monotonic() - started < args.seconds * half / 2:
                _one_turn(server, variants[soak.turns % len(variants)], soak, rng, args.rate)
            _audit(server, soak, variants)
            soak.prompts.clear()
            for variant in variants:  # their conversations go with the emulator's objects
                variant.threads.clear()
            rss.append(_settled_rss(server))
        elapsed = time.monotonic() - started
        tool_calls = sum(len(v.tools.executions) for v in variants)
    payload = {
        "python": platform.python_version(),
        "openai": openai.__version__,
        "seconds": round(elapsed, 1),
        "rate": args.rate,
        "seed": args.seed,
        "turns": soak.turns,
        "tool_calls": tool_calls,
        "faults_injected": sum(soak.injected.values()),
        "injected": dict(soak.injected),
        "outcomes": dict(soak.outcomes),
        "audited_turns": soak.turns,
        "problems": soak.problems[:50],
        "problem_count": len(soak.problems),
        "rss_kib_before": rss[0],
        "rss_kib_half": rss[1],
        "rss_kib_after": rss[2],
        "locks_left": len(LOCKS),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=1))
    print(json.dumps({k: v for k, v in payload.items() if k != "problems"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
