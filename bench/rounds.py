"""Interleaved rounds: the head-to-head contenders' latency workloads, run again in turn.

A contender runs its whole workload in one process, one contender after another, so a figure a
few milliseconds wide also measures whatever else the machine did during that contender's
minute. The contenders whose plain and continued figures are compared closely (issue 16: this
project's streamed Responses turn against the SDK's streaming helper) therefore run those two
workloads again in extra rounds, the order reversed every other round (A B C, C B A, A B C ...),
and every figure of those workloads pools the turns of all rounds. Load that comes and goes
then falls on every contender alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HEAD_TO_HEAD = (
    "ours-responses-stream",
    "ours-responses-stream-spare",
    "ours-keep-responses-stream",
    "sdk-responses-stream",
    "sdk-responses",
)
WORKLOADS = ("plain", "continued")


def order(names: list[str], round_no: int) -> list[str]:
    """The contenders of round ``round_no`` (1 is the first extra round, reversed from the main pass)."""
    return list(reversed(names)) if round_no % 2 else list(names)


def pool(into: dict[str, Any], extra: dict[str, Any]) -> None:
    """Add the plain and continued turns of one extra round's report to the main report.

    Each turn keeps its index in its round (``i``: the server's offset for it), the request
    counts add up and the CPU per turn becomes the mean over every pooled turn.
    """
    for workload in WORKLOADS:
        block, more = into.get(workload), extra.get(workload)
        if not block or not more:
            continue
        block.setdefault("round_n", block["n"])
        for index, turn in enumerate(block["turns"]):
            turn.setdefault("i", index)
        for index, turn in enumerate(more["turns"]):
            block["turns"].append({**turn, "i": index})
        total = block["n"] + more["n"]
        block["cpu_s_per_turn"] = (block["cpu_s_per_turn"] * block["n"] + more["cpu_s_per_turn"] * more["n"]) / total
        block["n"] = total
        block["rounds"] = block.get("rounds", 1) + 1
        requests, new = block["requests"], more["requests"]
        requests["total"] += new["total"]
        for kind, count in new["by_kind"].items():
            requests["by_kind"][kind] = requests["by_kind"].get(kind, 0) + count
        block["peak_rss_mb"] = max(block.get("peak_rss_mb") or 0.0, more.get("peak_rss_mb") or 0.0)


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
