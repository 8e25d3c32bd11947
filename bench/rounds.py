"""Interleaved rounds: the head-to-head contenders' latency workloads, run again in turn.

A contender runs its whole workload in one process, one contender after another, so a figure a
few milliseconds wide also measures whatever else the machine did during that contender's
minute. The contenders whose plain and continued figures are compared closely (issue 16: this
project's streamed Responses turn against the SDK's streaming helper) therefore run those two
workloads again in extra rounds, the order reversed every other round (A B C, C B A, A B C ...),
and every figure of those workloads pools the turns of all rounds. Load that comes and goes
then falls on every contender alike.

This project's modes and their "before" twins (run.py --before: the same mode on the package as
it was at a git ref; issue 18 holds the code to "no regression" against it) also run their
plain, continued, 2-tool-round and both burst workloads again (``run_before_rounds``), each mode with
its twin, the two in turn (now before, then before now), and then the 2-tool-round and burst
workloads alone in more rounds still (NOISY_WORKLOADS). One pass of 8 plain turns, 4 tool
turns and one burst is narrower than what a shared 2-core machine moves from one minute to the
next; pooled over rounds, the CPU per turn is the mean of every turn, and the burst's wall time
and turn p50/p95 are the medians of the rounds' own (a burst is one observation: its 200 turns
share the same seconds of the machine and of the server, so one disturbed round moves all of
them at once, and a p95 over every turn pooled would follow that one round).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

HEAD_TO_HEAD = (
    "ours-responses-stream",
    "before-responses-stream",  # when run.py --before runs it: its plain/continued then pool as many rounds
    "ours-responses-stream-spare",
    "ours-keep-responses-stream",
    "sdk-responses-stream",
    "sdk-responses",
)
WORKLOADS = ("plain", "continued")
BEFORE_WORKLOADS = ("plain", "continued", "tools2", "burst", "burst_on")
# The figures one pass measures least surely, run in more rounds still (run.py --noisy-rounds):
# the 2-tool-round turn has 4 turns a pass (its CPU per turn is ~70 ms of CPU time in all), and
# a burst's wall time is its single unluckiest turn, which the seeded 429s of that pass decide
# (one code's walls ranged 3.2-10.3 s over the passes of one run).
NOISY_WORKLOADS = ("tools2", "burst", "burst_on")


def order(names: list[T], round_no: int) -> list[T]:
    """The contenders of round ``round_no`` (1 is the first extra round, reversed from the main pass)."""
    return list(reversed(names)) if round_no % 2 else list(names)


def pool(into: dict[str, Any], extra: dict[str, Any], *, workloads: tuple[str, ...] = WORKLOADS) -> None:
    """Add the ``workloads`` of one extra round's report to the main report (a workload the main
    pass did not measure stays out).

    Each sequential turn keeps its index in its round (``i``: the server's offset for it), the
    request counts add up and the CPU per turn becomes the mean over every pooled turn; a burst
    pools as :func:`pool_burst` says.
    """
    for workload in workloads:
        block, more = into.get(workload), extra.get(workload)
        if not block or not more:
            continue
        if workload.startswith("burst"):
            pool_burst(block, more)
        else:
            _pool_sequential(block, more)


def _pool_sequential(block: dict[str, Any], more: dict[str, Any]) -> None:
    block.setdefault("round_n", block["n"])
    for index, turn in enumerate(block["turns"]):
        turn.setdefault("i", index)
    for index, turn in enumerate(more["turns"]):
        block["turns"].append({**turn, "i": index})
    total = block["n"] + more["n"]
    block["cpu_s_per_turn"] = (block["cpu_s_per_turn"] * block["n"] + more["cpu_s_per_turn"] * more["n"]) / total
    block["n"] = total
    block["rounds"] = block.get("rounds", 1) + 1
    _add_requests(block, more)
    block["peak_rss_mb"] = max(block.get("peak_rss_mb") or 0.0, more.get("peak_rss_mb") or 0.0)


def pool_burst(block: dict[str, Any], more: dict[str, Any]) -> None:
    """One more round's burst: its turns join the others (``turn_wall_s``; each round's own in
    ``round_turn_wall_s``), failures, requests and 429s add up, and ``wall_s`` becomes the median
    of the rounds' walls (``walls_s``): a round's wall is its unluckiest turn, which one round's
    seeded 429s decide."""
    block.setdefault("round_turn_wall_s", [list(block["turn_wall_s"])]).append(list(more["turn_wall_s"]))
    walls = block.setdefault("walls_s", [block["wall_s"]])
    walls.append(more["wall_s"])
    block["wall_s"] = statistics.median(walls)
    block["rounds"] = len(walls)
    block["n"] += more["n"]
    block["failed"] += more["failed"]
    block["errors"] = sorted({*block["errors"], *more["errors"]})[:5]
    block["turn_wall_s"] = [*block["turn_wall_s"], *more["turn_wall_s"]]
    if block.get("injected_429") is not None and more.get("injected_429") is not None:
        block["injected_429"] += more["injected_429"]
    _add_requests(block, more)
    block["peak_rss_mb"] = max(block.get("peak_rss_mb") or 0.0, more.get("peak_rss_mb") or 0.0)


def _add_requests(block: dict[str, Any], more: dict[str, Any]) -> None:
    requests, new = block["requests"], more["requests"]
    requests["total"] += new["total"]
    for kind, count in new["by_kind"].items():
        requests["by_kind"][kind] = requests["by_kind"].get(kind, 0) + count


def run_rounds(
    outcomes: list[Any],
    *,
    rounds: int,
    run: Callable[[Any, list[str]], Any],
    log: Callable[[str], None] = print,
) -> None:
    """``rounds`` extra rounds of the head-to-head contenders' latency workloads, pooled into
    their outcomes. ``run(contender, extra_args)`` runs one contender and returns its Outcome;
    a round that fails for a contender is logged and left out (its main pass stays)."""
    by_name = {o.contender.name: o for o in outcomes if o.error is None and o.contender.name in HEAD_TO_HEAD}
    names = [n for n in HEAD_TO_HEAD if n in by_name]
    if len(names) < 2:
        return
    for round_no in range(1, rounds + 1):
        for name in order(names, round_no):
            outcome = by_name[name]
            extra = run(outcome.contender, ["--only", ",".join(WORKLOADS)])
            if extra.error is not None:
                log(f"[bench] round {round_no + 1} of {name} left out: {extra.error[:200]}")
                continue
            pool(outcome.data, extra.data)
            log(f"[bench] round {round_no + 1} of {name}: ok ({extra.seconds:.0f} s)")


def twin_pairs(outcomes: list[Any]) -> list[tuple[Any, Any]]:
    """(now, before) for every mode whose main pass and whose "before" twin's both ran."""
    ok = {o.contender.name: o for o in outcomes if o.error is None}
    return [
        (ok[o.contender.twin], o)
        for o in outcomes
        if o.error is None and getattr(o.contender, "twin", None) and o.contender.twin in ok
    ]


def run_before_rounds(
    outcomes: list[Any],
    *,
    rounds: int,
    run: Callable[[Any, list[str]], Any],
    log: Callable[[str], None] = print,
    workloads: tuple[str, ...] = BEFORE_WORKLOADS,
    first: int = 1,
) -> None:
    """``rounds`` extra rounds of each mode and its "before" twin (``workloads``), pooled into
    their outcomes. In each round a mode runs beside its twin, the two in turn (round 1: before
    then now, round 2: now then before ...; ``first`` numbers the first of these rounds, so a
    later call goes on alternating). A round is pooled only when both of the pair ran it (a
    failed one is logged and the pair's round left out), so the two always pool alike."""
    pairs = twin_pairs(outcomes)
    for round_no in range(first, first + rounds):
        for now, then in pairs:
            ran = {}
            for outcome in order([now, then], round_no):
                ran[outcome.contender.name] = run(outcome.contender, ["--only", ",".join(workloads)])
            failed = [f"{name}: {r.error[:200]}" for name, r in ran.items() if r.error is not None]
            if failed:
                log(f"[bench] round {round_no + 1} of {now.contender.name} and its twin left out: {'; '.join(failed)}")
                continue
            for outcome in (now, then):
                pool(outcome.data, ran[outcome.contender.name].data, workloads=workloads)
            seconds = sum(r.seconds for r in ran.values())
            log(f"[bench] round {round_no + 1} of {now.contender.name} and its twin: ok ({seconds:.0f} s)")
