"""The report's section "Against the code before the house rework": each of this project's modes
now beside its "before" twin (run.py --before REF: the package's src as it was at REF), both
measured in the same run against the same emulator.

A ratio here is now / before, so above 1 means the code now costs more. A figure is called a
regression only when it is worse than before by more than its allowance (ALLOWANCES: what two
runs of the same code differ by on a shared 2-core machine); a "–" is a figure the run did not
measure (a workload a contender lacks, a contender that failed), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cells import fmt, get

# (path in a row, what, unit, digits)
FIGURES: list[tuple[str, str, str, int]] = [
    ("plain.added_p50_ms", "plain turn: added p50", " ms", 0),
    ("plain.added_p95_ms", "plain turn: added p95", " ms", 0),
    ("plain.ttft_p50_ms", "plain turn: TTFT added p50 (streamed)", " ms", 0),
    ("continued.added_p50_ms", "continued turn: added p50", " ms", 0),
    ("tools2.added_p50_ms", "2-tool-round turn: added p50", " ms", 0),
    ("plain.requests_per_turn", "requests / plain turn", "", 1),
    ("continued.requests_per_turn", "requests / continued turn", "", 1),
    ("tools2.requests_per_turn", "requests / 2-tool-round turn", "", 1),
    ("par.eight_s", "tool phase of 8 parallel calls", " s", 2),
    ("plain.cpu_ms_per_turn", "CPU / plain turn", " ms", 1),
    ("tools2.cpu_ms_per_turn", "CPU / 2-tool-round turn", " ms", 1),
    ("rss_mb", "peak RSS after the plain turns", " MB", 0),
    ("rss_burst_mb", "peak RSS after the burst", " MB", 0),
    ("burst.failed", "burst: failed turns", "", 0),
    ("burst.wall_s", "burst: wall time (median of the rounds)", " s", 1),
    ("burst.turn_p50_s", "burst: turn p50 (median of the rounds)", " s", 1),
    ("burst.turn_p95_s", "burst: turn p95 (median of the rounds)", " s", 1),
    ("burst_on.failed", "burst on existing conversations: failed turns", "", 0),
    ("burst_on.wall_s", "burst on existing conversations: wall time (median)", " s", 1),
    ("burst_on.turn_p50_s", "burst on existing conversations: turn p50 (median)", " s", 1),
    ("burst_on.turn_p95_s", "burst on existing conversations: turn p95 (median)", " s", 1),
]

# path prefix or path -> (factor, plus): a regression when now > before * factor + plus
ALLOWANCES: dict[str, tuple[float, float]] = {
    "added": (1.25, 10.0),  # latencies (ms): the other work on the machine moves them
    "ttft": (1.25, 10.0),
    "requests_per_turn": (1.05, 0.05),  # polled counts depend on when the run ends
    "par.eight_s": (1.1, 0.05),
    "cpu_ms_per_turn": (1.25, 0.5),
    "rss": (1.1, 5.0),
    "burst.failed": (1.0, 0.0),  # any more failed turns than before is a regression
    "burst.wall_s": (1.15, 1.0),
    "burst.turn_p50_s": (1.15, 0.5),
    # the tail, like the wall: the few turns the seeded 429s hit twice; judged, like the wall, as
    # the median of the rounds' own (rounds.py: one disturbed round moves all 200 of its turns)
    "burst.turn_p95_s": (1.15, 1.0),
}


def _allowance(path: str) -> tuple[float, float]:
    """The allowance of a figure: its own, or that of its kind (the last part names it); the
    burst on existing conversations has the burst's."""
    path = path.replace("burst_on.", "burst.", 1)
    last = path.split(".")[-1]
    for key, allowance in ALLOWANCES.items():
        if key == path or key in last:
            return allowance
    return (1.0, 0.0)


def verdict(path: str, now: Any, before: Any) -> str:
    """A regression when ``now`` is worse than ``before`` beyond the figure's allowance."""
    if now is None or before is None:
        return "not measured"
    factor, plus = _allowance(path)
    return "**regression**" if now > before * factor + plus else "no regression"


def row_verdict(path: str, now: dict[str, Any] | None, then: dict[str, Any] | None) -> str:
    """The verdict of one figure of two rows; peak RSS read with ``ru_maxrss`` (which on Linux
    counts the harness's size at the fork, see contenders/_common.py) is not compared."""
    rows = [r for r in (now, then) if r is not None]
    if path.startswith("rss") and any(r.get("rss_source", "ru_maxrss") != "VmHWM" for r in rows):
        return "not compared (ru_maxrss)"
    said = verdict(path, get(now, path), get(then, path))
    if said == "**regression**" and (why := explained_by(path, now, then)):
        return f"**regression**: {why.partition(':')[0]}"
    return said


@dataclass(frozen=True, kw_only=True)
class KnownChange:
    """A change of what a turn sends that another issue asked for, recognised in the request log:
    ``adds`` is a request the code now sends where it sent ``replaced`` before."""

    name: str
    adds: str
    replaced: str

    def extra_per_turn(self, now: dict[str, Any] | None, then: dict[str, Any] | None) -> float | None:
        """Requests per turn this change adds to a workload block, or None when the two request
        logs do not show it (the request is absent now, or was already sent before)."""
        if not now or not then or not now.get("n") or not then.get("n"):
            return None
        kinds_now, kinds_then = now.get("requests_by_kind") or {}, then.get("requests_by_kind") or {}
        if self.adds not in kinds_now or self.replaced not in kinds_then or self.adds in kinds_then:
            return None
        return float(kinds_now[self.adds]) / now["n"]


KNOWN_CHANGES = [
    KnownChange(name="Assistants' thread first (issue 10)", adds="POST /threads", replaced="POST /threads/runs"),
]


# the burst's time figures a known change can account for: each has its twin in burst_on
BURST_TIMES = ("wall_s", "turn_p50_s", "turn_p95_s")


def explained_by(path: str, now: dict[str, Any] | None, then: dict[str, Any] | None) -> str | None:
    """How a known change accounts for a regression, or None when none does.

    * A request count: without the requests the change adds, it is within its allowance.
    * A burst time (wall, turn p50/p95): the burst's request log shows the change, and the same
      figure of the burst on existing conversations (``burst_on``, where the change sends no
      request: no conversation is created) is within its allowance, so what is over is what the
      added request costs, measured, not subtracted.

    Nothing else is explained: what a change costs in time elsewhere is not a figure the run can
    isolate.
    """
    workload, _, figure = path.partition(".")
    if figure == "requests_per_turn":
        n, b = get(now, path), get(then, path)
        for change in KNOWN_CHANGES:
            extra = change.extra_per_turn(get(now, workload), get(then, workload))
            if extra is not None and n is not None and verdict(path, n - extra, b) == "no regression":
                return f"{change.name}: the request it adds taken away, within the allowance"
        return None
    if workload == "burst" and figure in BURST_TIMES:
        twin = f"burst_on.{figure}"
        for change in KNOWN_CHANGES:
            if change.extra_per_turn(get(now, "burst"), get(then, "burst")) is None:
                continue
            if verdict(twin, get(now, twin), get(then, twin)) == "no regression":
                return (
                    f"{change.name}: the burst on existing conversations, where it adds no request, "
                    f"{fmt(get(now, twin), 1, ' s')} now, {fmt(get(then, twin), 1, ' s')} before, within the allowance"
                )
    return None


def ratio(now: Any, before: Any) -> str:
    """now / before, e.g. "x0.93"; "=" for 0 and 0; "–" when either is missing."""
    if now is None or before is None:
        return "–"
    if before > 0:
        return f"x{now / before:.2f}"
    return "=" if now == before else f"{now - before:+g} (before {before:g})"


def pairs(summary_before: dict[str, Any], rows: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    """(mode, now row or None, before row) for every "before" twin of the run."""
    by = {r["name"]: r for r in rows}
    return [(t["twin"], by.get(t["twin"]), t) for t in summary_before.get("rows", [])]


def _mode_table(now: dict[str, Any] | None, then: dict[str, Any]) -> list[str]:
    out = ["| figure | now | before | now / before | verdict |", "|---|---|---|---|---|"]
    for path, what, unit, digits in FIGURES:
        n, b = get(now, path), get(then, path)
        if n is None and b is None:
            continue
        out.append(
            f"| {what} | {fmt(n, digits, unit)} | {fmt(b, digits, unit)} | {ratio(n, b)} "
            f"| {row_verdict(path, now, then)} |"
        )
    return out


def _kinds(row: dict[str, Any] | None, workload: str) -> str:
    block = get(row, workload)
    if not block:
        return "–"
    return ", ".join(f"`{k}` {v / block['n']:.1f}" for k, v in sorted(block["requests_by_kind"].items()))


def _failures(row: dict[str, Any] | None) -> list[str]:
    """What went wrong in a row's workloads, one line each (none: nothing)."""
    if row is None:
        return []
    if row["error"]:
        return [f"not measured: {row['error'][:300]}"]
    out = [
        f"{w}: {row[w]['failed']} of {row[w]['n']} failed: {'; '.join(row[w]['errors'])}"
        for w in ("plain", "continued", "tools2")
        if get(row, f"{w}.failed")
    ]
    for burst in ("burst", "burst_on"):
        if get(row, f"{burst}.errors"):
            out.append(f"{burst}: {'; '.join(e[:200] for e in row[burst]['errors'])}")
    return out


def regressions(summary_before: dict[str, Any], rows: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """Every figure of every mode that is worse than before beyond its allowance, and whether a
    known change accounts for it (the text then says how)."""
    found = []
    for mode, now, then in pairs(summary_before, rows):
        for path, what, unit, digits in FIGURES:
            if not row_verdict(path, now, then).startswith("**regression**"):
                continue
            n, b = get(now, path), get(then, path)
            why = explained_by(path, now, then)
            text = f"{mode}: {what} {fmt(n, digits, unit)} now, {fmt(b, digits, unit)} before"
            found.append((text + (f" ({why})" if why else ""), why is not None))
    return found


def _tally(found: list[tuple[str, bool]]) -> str:
    if not found:
        return "**Regressions beyond the allowances: none.**"
    unexplained = [text for text, accounted in found if not accounted]
    return (
        f"**Regressions beyond the allowances: {len(found)}, of which {len(unexplained)} not accounted for by "
        "a known change of what a turn sends.** " + "; ".join(text for text, _ in found) + "."
    )


# What the code at a ref does differently from now, by commit (prefix); said in the section.
DIFFERENCES: dict[str, list[str]] = {
    "bcc2894": [
        "The package then had no rate gate, no chat-completions backend (no chat row here), no "
        "OpenTelemetry spans, no usage/cost/budget accounting, hosted tools or content inputs: the code now "
        "carries all of them (issues 11-15). A turn now opens spans (no-ops without an OpenTelemetry SDK, "
        "as here) and checks its budget before each further round.",
        "The burst: a 429 now passes through the rate gate of issue 14. A 429 naming its wait holds every "
        "request of the pool (here: the process, no coordination store) for that wait; one naming none "
        "holds the pool for half a second only when it is the pattern (two or more refusals, and at least "
        "half of the worker's requests of the last 5 s: `coordination/window.py`, "
        "`refusals_are_the_pattern`), else the refused request alone backs off. The burst's 429s name "
        "none and fall on a random 10 % of requests: not the pattern, so each refused request backs off "
        "alone, as the code then did with the SDK's own retries (`max_retries`, whatever the deadline).",
        "Assistants: a new thread is now made empty first and its run carries the message (two "
        "requests: `POST /threads`, then `POST /threads/{id}/runs`), where the code then made both in "
        "one `POST /threads/runs` (create-and-run): a create-and-run that broke where it may have landed "
        "cannot be looked for (threads cannot be listed), a run on a known thread can. That request is "
        "recognised in the request log (`KNOWN_CHANGES`): a request count that is over its allowance only "
        "by it says so. In the burst, the turn's two requests each meet the 10 % of 429s, and the server "
        "answers twice as many requests in the same second. So the burst runs a second time on conversations "
        "that already exist (*burst on existing conversations*: both codes then send the one run request), and "
        "a burst time over its allowance is accounted for by the change only when that twin figure is within "
        "its allowance.",
        "Nothing lost, nothing doubled: a request that may have landed is never re-sent blindly now (the "
        "server is asked first), and a tool call runs at most once per call id. Neither costs a request "
        "when nothing goes wrong, which is all these workloads see.",
        "The house rework itself (issue 18: the seam `Backend.begin -> RunSession`, typed outcomes, the "
        "module splits, JSON Schemas at the edge, the error tree) is meant to change none of these figures.",
    ],
}


def _differences(before: dict[str, Any]) -> list[str]:
    commit = before.get("commit") or before.get("ref") or ""
    for key, said in DIFFERENCES.items():
        if commit.startswith(key):
            return [f"* {s}" for s in said]
    ref = before.get("ref", "?")
    return [f"* What differs is what `git diff {ref} HEAD -- src` shows; this report has no notes for {ref}."]


def _passes(summary_before: dict[str, Any]) -> str:
    """How many passes the twins pooled (rounds.py: run_before_rounds), as a clause."""
    rows = summary_before.get("rows", [])
    # the fewest a mode pooled: the streamed mode also runs the head-to-head rounds (more of them)
    every = min((get(r, "plain.rounds") or 1 for r in rows), default=1)
    noisy = min((get(r, "burst.rounds") or 1 for r in rows), default=1)
    if max(every, noisy) <= 1:
        return ""
    said = f" in {every} or more passes of every workload" if every > 1 else " in one pass of every workload"
    if noisy > every:
        said += f" and {noisy} of the 2-tool-round and both burst workloads"
    return (
        f"{said} (the main pass, then more rounds, the two in turn, the order reversed every other round; "
        "every figure pools all of its passes; the burst's wall time and turn p50 / p95 are the medians of the "
        "passes' own, each pass's shown below its table)"
    )


def _burst_rounds(now: dict[str, Any] | None, then: dict[str, Any] | None) -> list[str]:
    """Each pass's burst wall and turn p95, now and before (the judged figures are their medians)."""
    lines = []
    for workload, what in (("burst", "Burst"), ("burst_on", "Burst on existing conversations")):
        if (get(now, f"{workload}.rounds") or 1) <= 1 and (get(then, f"{workload}.rounds") or 1) <= 1:
            continue
        said = [
            f"{side} walls {_each(get(row, f'{workload}.walls_s'))}, "
            f"turn p95 {_each(get(row, f'{workload}.turn_p95s_s'))} "
            f"(over every turn pooled {fmt(get(row, f'{workload}.turn_p95_pooled_s'), 1, ' s')})"
            for side, row in (("now", now), ("before", then))
        ]
        lines.append(f"{what}, pass by pass (s): {'; '.join(said)}.")
    return lines


def _each(values: list[float] | None) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "–"


def before_section(summary_before: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """The markdown lines of the section (empty when the run had no "before" twins)."""
    ref = summary_before.get("ref", "?")
    found = regressions(summary_before, rows)
    lines = [
        f"## Against the code before the house rework ({ref})",
        "",
        f'Issue 18 reworked the code\'s house and holds it to "`make bench` shows no regression". Each mode '
        "below ran beside its twin in this run, against the same emulator, one right after the other"
        f"{_passes(summary_before)}: *now* (the "
        f"working tree) and *before*, the same contender script (`bench/contenders/ours.py`), workloads and "
        f"venv (`.venv`: today's dependencies) with the package's `src` exported from git {ref} "
        f"({summary_before.get('commit', '')[:12]}, {summary_before.get('date', '')}) first on `PYTHONPATH`. "
        "The harness checked that each *before* run imported `openaiassistant` from that export "
        "(`run.py --before`; a run that imported the working tree is dropped and fails the bench).",
        "",
        "*now / before* above 1 means the code now costs more. A figure is a **regression** when it is worse "
        "than before by more than its allowance for the noise of a shared 2-core machine: latencies "
        "x1.25 + 10 ms, requests x1.05 + 0.05, CPU x1.25 + 0.5 ms, RSS x1.1 + 5 MB, the 8-call tool phase "
        "x1.1 + 0.05 s, burst wall x1.15 + 1 s, burst turn p50 x1.15 + 0.5 s and p95 x1.15 + 1 s, failed "
        'turns any more than before. "–": not measured.',
        "",
        "What differs between the two (read the figures with it):",
        "",
        *_differences(summary_before),
        "",
        _tally(found),
    ]
    for mode, now, then in pairs(summary_before, rows):
        lines += ["", f"### {now['label'] if now else mode}", ""]
        if now is None:
            lines += [f"(`{mode}` did not run in this run: nothing to compare with.)", ""]
        lines += _mode_table(now, then)
        lines += [
            "",
            f"Requests per plain turn, by kind: now {_kinds(now, 'plain')}; before {_kinds(then, 'plain')}.",
        ]
        if get(now, "tools2") or get(then, "tools2"):
            lines.append(
                f"Per 2-tool-round turn: now {_kinds(now, 'tools2')}; before {_kinds(then, 'tools2')}.",
            )
        if get(now, "burst.requests") is not None or get(then, "burst.requests") is not None:
            lines.append(
                f"Burst: now {fmt(get(now, 'burst.requests'), 0, '')} requests got through and "
                f"{fmt(get(now, 'burst.injected_429'), 0, '')} met a 429; before "
                f"{fmt(get(then, 'burst.requests'), 0, '')} and {fmt(get(then, 'burst.injected_429'), 0, '')}; "
                f"by kind, per turn: now {_kinds(now, 'burst')}; before {_kinds(then, 'burst')}."
            )
        if get(now, "burst_on") or get(then, "burst_on"):
            lines.append(
                f"Burst on existing conversations, per turn: now {_kinds(now, 'burst_on')}; "
                f"before {_kinds(then, 'burst_on')}."
            )
        lines += _burst_rounds(now, then)
        trouble = [f"* before, {f}" for f in _failures(then)] + [f"* now, {f}" for f in _failures(now)]
        if trouble:
            lines += ["", "Failed turns:", "", *trouble]
        imported = (then.get("imported") or {}).get("openaiassistant")
        if imported:
            lines += ["", f"*before* imported `{imported}`."]
    return lines
