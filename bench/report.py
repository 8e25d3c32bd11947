"""Turn the contenders' JSON reports into figures (summarize) and docs/benchmarks.md (markdown).

Lower is better for every figure here. A ratio "x N" in the comparison table is the other
contender's figure divided by ours (same API; streamed against streamed, else polled), so N > 1
means this project is ahead by that factor.
"""

from __future__ import annotations

import statistics
from typing import Any

from before_report import before_section
from cells import fmt, get
from emulator_host import BURST_MS, STEP_MS, TOOL_SECONDS, server_seconds

TARGET_STREAM_ADDED_MS = 50
TARGET_POLL_SHARE = 0.25
TARGET_PAR_RATIO = 1.2
TARGET_CPU_MS = 5.0


def pct(values: list[float], q: float) -> float | None:
    """Percentile with linear interpolation between closest ranks."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def _sequential(block: dict[str, Any] | None, workload: str) -> dict[str, Any] | None:
    if not block:
        return None
    n = block.get("round_n", block["n"])  # the turns of one round (rounds.py pools several)
    ok = [(t.get("i", i), t) for i, t in enumerate(block["turns"]) if not t["error"]]
    added = [(t["wall_s"] - server_seconds(workload, i, n)) * 1000 for i, t in ok]
    # TTFT beyond the server's first token (plain turns: 1.0 s + the turn's offset)
    ttft = [
        (t["ttft_s"] - server_seconds(workload, i, n) + 1.0) * 1000
        for i, t in ok
        if workload in ("plain", "continued") and t.get("ttft_s") is not None
    ]
    return {
        "n": block["n"],
        "rounds": block.get("rounds", 1),
        "failed": block["n"] - len(ok),
        "errors": sorted({t["error"] for t in block["turns"] if t["error"]})[:3],
        "added_p50_ms": pct(added, 0.5),
        "added_p95_ms": pct(added, 0.95),
        "ttft_p50_ms": pct(ttft, 0.5),
        "ttft_p95_ms": pct(ttft, 0.95),
        "requests_per_turn": block["requests"]["total"] / block["n"],
        "requests_by_kind": block["requests"]["by_kind"],
        "cpu_ms_per_turn": block["cpu_s_per_turn"] * 1000,
    }


def _par(data: dict[str, Any]) -> dict[str, Any] | None:
    one, eight = data.get("par1"), data.get("par8")
    if not one or not eight:
        return None
    p1 = [t["tool_phase_s"] for t in one["turns"] if t.get("tool_phase_s")]
    p8 = [t["tool_phase_s"] for t in eight["turns"] if t.get("tool_phase_s") and t["tool_calls"] == 8]
    if not p1 or not p8:
        return {"ratio": None, "note": "tool calls not observed"}
    return {
        "one_s": statistics.median(p1),
        "eight_s": statistics.median(p8),
        "ratio": statistics.median(p8) / statistics.median(p1),
    }


def _burst(burst: dict[str, Any] | None) -> dict[str, Any] | None:
    if not burst:
        return None
    by_round = burst.get("round_turn_wall_s") or [burst["turn_wall_s"]]
    p50s = [pct(walls, 0.5) for walls in by_round if walls]
    p95s = [pct(walls, 0.95) for walls in by_round if walls]
    return {
        "n": burst["n"],
        "rounds": burst.get("rounds", 1),
        "failed": burst["failed"],
        "wall_s": burst["wall_s"],  # pooled rounds: the median of their walls (rounds.py)
        "walls_s": burst.get("walls_s", [burst["wall_s"]]),
        "errors": burst["errors"],
        "injected_429": burst["injected_429"],
        "requests": burst["requests"]["total"],
        "requests_by_kind": burst["requests"]["by_kind"],
        # pooled rounds: the median of the rounds' own p50 / p95 (rounds.py), each round's kept
        "turn_p50_s": statistics.median(p50s),
        "turn_p95_s": statistics.median(p95s),
        "turn_p50s_s": p50s,
        "turn_p95s_s": p95s,
        "turn_p95_pooled_s": pct(burst["turn_wall_s"], 0.95),  # over every turn: shown, not judged
        "turn_max_s": max(burst["turn_wall_s"]),
    }


def summarize(
    *, outcomes: list[Any], machine: dict[str, str], workload_args: list[str], before: dict[str, str] | None = None
) -> dict[str, Any]:
    """The figures of every outcome: ``rows`` (the contenders as they are) and, with ``before``
    (run.py --before: the ref, commit, date, subject), ``before.rows`` (the "before" twins)."""
    rows = []
    for o in outcomes:
        c, d = o.contender, o.data
        burst = d.get("burst")
        rows.append(
            {
                "name": c.name,
                "label": c.label,
                "api": c.api,
                "streamed": c.streamed,
                "before": getattr(c, "before", None),
                "twin": getattr(c, "twin", None),
                "error": o.error,
                "seconds": o.seconds,
                "versions": d.get("versions", {}),
                "imported": d.get("imported", {}),
                "import_setup": d.get("import_setup"),
                "plain": _sequential(d.get("plain"), "plain"),
                "continued": _sequential(d.get("continued"), "continued"),
                "tools2": _sequential(d.get("tools2"), "tools2"),
                "par": _par(d),
                "burst": _burst(burst),
                "burst_on": _burst(d.get("burst_on")),
                "rss_mb": (d.get("plain") or {}).get("peak_rss_mb"),
                "rss_source": d.get("rss_source", "ru_maxrss"),
                "rss_burst_mb": (burst or {}).get("peak_rss_mb"),
            }
        )
    then = [r for r in rows if r["before"]]
    return {
        "machine": machine,
        "workload_args": workload_args,
        "rows": [r for r in rows if not r["before"]],
        **({"before": {**(before or {}), "rows": then}} if before or then else {}),
        "server": {
            "plain_s": server_seconds("plain", 0, 1),
            "tools2_s": server_seconds("tools2", 0, 1),
            "step_ms": STEP_MS,
            "tool_s": TOOL_SECONDS,
            "burst_ms": BURST_MS,
        },
    }


# -- markdown ------------------------------------------------------------------------------


def _ours_variants(row: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This project's runs on the same API: streamed (the default) first, then polled."""
    names = [f"ours-{row['api']}-stream", f"ours-{row['api']}-quiet", f"ours-{row['api']}-poll"]
    return [r for n in names for r in rows if r["name"] == n and r["plain"]]


def _ratio(theirs: Any, ours: Any) -> str:
    if theirs is None or ours is None:
        return "–"
    if ours <= 0:
        return "ours ≤ 0" if theirs > 0 else "–"
    return f"x{theirs / ours:.1f}"


def _measured_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| contender | plain added p50 / p95 (ms) | TTFT added p50 (ms) | 2-tool-round added p50 / p95 (ms) "
        "| requests / turn (plain, tools) | 8 calls / 1 call | 200 turns @ 10 % 429: failed, wall (s) "
        "| CPU / turn (ms) | peak RSS (MB) plain / burst |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["error"] and not r["plain"]:
            out.append(f"| {r['label']} | not measured: {r['error'][:160]} |||||||| ")
            continue
        b = r["burst"]
        out.append(
            f"| {r['label']} | {fmt(get(r, 'plain.added_p50_ms'))} / {fmt(get(r, 'plain.added_p95_ms'))} "
            f"| {fmt(get(r, 'plain.ttft_p50_ms'))} "
            f"| {fmt(get(r, 'tools2.added_p50_ms'))} / {fmt(get(r, 'tools2.added_p95_ms'))} "
            f"| {fmt(get(r, 'plain.requests_per_turn'), 1)}, {fmt(get(r, 'tools2.requests_per_turn'), 1)} "
            f"| {fmt(get(r, 'par.ratio'), 2)} "
            f"| {fmt(b and b['failed'])} / {fmt(b and b['n'])}, {fmt(b and b['wall_s'], 1)} "
            f"| {fmt(get(r, 'plain.cpu_ms_per_turn'), 1)} "
            f"| {fmt(r['rss_mb'])} / {fmt(r['rss_burst_mb'])} |"
        )
    return out


def _ratio_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| contender | compared with | plain added p50 | 2-tool-round added p50 | requests / turn (plain) "
        "| requests / turn (tools) | 8-call tool phase | burst wall | CPU / turn |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    pairs = [
        "plain.added_p50_ms",
        "tools2.added_p50_ms",
        "plain.requests_per_turn",
        "tools2.requests_per_turn",
        "par.eight_s",
        "burst.wall_s",
        "plain.cpu_ms_per_turn",
    ]
    for r in rows:
        if r["name"].startswith("ours-") or not r["plain"]:
            continue
        for ours in _ours_variants(r, rows):
            cells = [_ratio(get(r, k), get(ours, k)) for k in pairs]
            out.append(f"| {r['label']} | {ours['label']} | " + " | ".join(cells) + " |")
    return out


def _continued_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| contender | added p50 / p95 (ms) | TTFT added p50 (ms) | requests / turn | requests by kind / turn "
        "| CPU / turn (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = r.get("continued")
        if not c:
            continue
        kinds = ", ".join(f"`{k}` {v / c['n']:.1f}" for k, v in sorted(c["requests_by_kind"].items()))
        out.append(
            f"| {r['label']} | {fmt(c['added_p50_ms'])} / {fmt(c['added_p95_ms'])} | {fmt(c['ttft_p50_ms'])} "
            f"| {fmt(c['requests_per_turn'], 1)} | {kinds} | {fmt(c['cpu_ms_per_turn'], 1)} |"
        )
    return out


HELPER = "sdk-responses-stream"  # the SDK's streaming helper: issue 16's yardstick


def _helper_targets(by: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Issue 16: this project's streamed Responses turn (both SDK generations) at or below the
    SDK streaming helper's added latency and CPU, in the same run; a continued turn 1 request."""
    res: list[tuple[str, str, str]] = []
    helper = by.get(HELPER)
    for name in ("ours-responses-stream", "ours-keep-responses-stream", "ours-responses-stream-spare"):
        r = by.get(name)
        for path, what, unit in (
            ("plain.added_p50_ms", "plain added p50", " ms"),
            ("continued.added_p50_ms", "continued added p50", " ms"),
            ("plain.cpu_ms_per_turn", "plain CPU / turn", " ms"),
            ("continued.cpu_ms_per_turn", "continued CPU / turn", " ms"),
        ):
            ov = get(r, path) if r else None
            hv = get(helper, path) if helper else None
            ok = None if ov is None or hv is None else ov <= hv
            res.append((f"{name}: {what} <= {HELPER}'s", f"{fmt(ov, 1, unit)} vs {fmt(hv, 1, unit)}", _verdict(ok)))
    for name, r in by.items():
        v = get(r, "continued.requests_per_turn")
        if name.startswith("ours-") and v is not None:
            res.append((f"{name}: a continued turn is 1 request", fmt(v, 1), _verdict(v <= 1.0)))
    return res


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**not met**")


def targets(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(target, measured, met / not met) for each of the issue's targets and each variant."""
    by = {r["name"]: r for r in rows}
    res: list[tuple[str, str, str]] = _helper_targets(by)
    verdict = _verdict

    # every variant that follows the run by its event stream (stream=False included)
    streamed = ["ours-responses-stream", "ours-assistants-stream"]
    streamed += [
        r["name"]
        for r in rows
        if r["name"].startswith("ours-")
        and (r.get("streamed") or r["name"].endswith("-quiet"))
        and r["name"] not in streamed
    ]
    for name in streamed:
        r = by.get(name)
        for w in ("plain", "tools2"):
            v = get(r, f"{w}.added_p50_ms") if r else None
            res.append(
                (
                    f"{name}: {w} added latency p50 <= {TARGET_STREAM_ADDED_MS} ms",
                    fmt(v, 0, " ms"),
                    verdict(None if v is None else v <= TARGET_STREAM_ADDED_MS),
                )
            )
    for ours_name, sdk_name in (("ours-assistants-poll", "sdk-assistants"), ("ours-responses-poll", "sdk-responses")):
        o, s = by.get(ours_name), by.get(sdk_name)
        for w in ("plain", "tools2"):
            ov = get(o, f"{w}.added_p50_ms") if o else None
            sv = get(s, f"{w}.added_p50_ms") if s else None
            ok = None if ov is None or sv is None else ov <= TARGET_POLL_SHARE * max(sv, 0.0)
            res.append(
                (f"{ours_name}: {w} added p50 <= 1/4 of {sdk_name}'s", f"{fmt(ov)} vs {fmt(sv)} ms", verdict(ok))
            )
    for name in [r["name"] for r in rows if r["name"].startswith("ours-")]:
        r = by[name]
        sdk = by.get(f"sdk-{r['api']}")
        for w in ("plain", "tools2"):
            ov, sv = get(r, f"{w}.requests_per_turn"), get(sdk, f"{w}.requests_per_turn") if sdk else None
            ok = None if ov is None or sv is None else ov <= sv
            res.append((f"{name}: {w} requests/turn <= sdk-{r['api']}", f"{fmt(ov, 1)} vs {fmt(sv, 1)}", verdict(ok)))
        par = get(r, "par.ratio")
        res.append(
            (
                f"{name}: 8 parallel calls within {TARGET_PAR_RATIO}x of one",
                fmt(par, 2, "x"),
                verdict(None if par is None else par <= TARGET_PAR_RATIO),
            )
        )
        failed = get(r, "burst.failed")
        res.append(
            (
                f"{name}: no failed turn of {fmt(get(r, 'burst.n'))} under 10 % 429",
                fmt(failed),
                verdict(None if failed is None else failed == 0),
            )
        )
        cpu = get(r, "plain.cpu_ms_per_turn")
        res.append(
            (
                f"{name}: client CPU <= {TARGET_CPU_MS:.0f} ms per turn",
                fmt(cpu, 1, " ms"),
                verdict(None if cpu is None else cpu <= TARGET_CPU_MS),
            )
        )
    return res


def _rss_caution(rows: list[dict[str, Any]]) -> list[str]:
    if all(r.get("rss_source", "ru_maxrss") == "VmHWM" for r in rows if not r.get("error")):
        return []
    return [
        "  **In this run peak RSS was read with `ru_maxrss`**, which on Linux also counts the harness's",
        "  size at the fork that started the contender; the harness grows through the run (its emulator",
        "  keeps every contender's objects), so contenders started later show larger figures than their",
        "  own (the column rises down the table; a pooled round can show more after the plain turns than",
        "  its process had after the burst). Read the RSS figures of this run as upper bounds.",
    ]


def _rounds_note(rows: list[dict[str, Any]]) -> list[str]:
    pooled = [f"{r['label']} ({get(r, 'plain.rounds')})" for r in rows if (get(r, "plain.rounds") or 1) > 1]
    if not pooled:
        return []
    lines = [
        f"* **interleaved rounds**: the plain and continued figures of {', '.join(pooled)} pool that many rounds",
        "  (the main pass, then each of them again in turn, the order reversed every other round;",
        "  bench/rounds.py), so load that comes and goes during the run falls on each of them alike.",
    ]
    bursts = [f"{r['label']} ({get(r, 'burst.rounds')})" for r in rows if (get(r, "burst.rounds") or 1) > 1]
    if bursts:
        lines += [
            f"  The 2-tool-round and burst figures of {', '.join(bursts)} pool that many rounds too (each mode",
            '  beside its "before" twin): CPU per turn is the mean over every turn, and the burst\'s wall time',
            "  and turn p50 / p95 are the medians of the rounds' own (a round's 200 turns share its seconds).",
        ]
    return lines


def markdown(summary: dict[str, Any], *, plots: list[str]) -> str:
    rows, m, srv = summary["rows"], summary["machine"], summary["server"]
    lines = [
        "# Benchmarks: this project against the alternatives",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit by hand. Every contender ran in one run",
        "against one local emulator (127.0.0.1) with fixed server behaviour, each in its own process",
        "(and its own venv where its dependencies require it).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['os']}, Python {m['python']}; run {m['date']};"
        f" workload arguments `{' '.join(summary['workload_args'])}`.",
        "",
        "## Server behaviour (the same for everyone)",
        "",
        f"* **plain turn**: first token after 1.0 s, then 50 tokens at 50 tokens/s: the server's own time is"
        f" {srv['plain_s']:.1f} s, plus the turn's offset.",
        f"* **two tool rounds**: three model steps of {srv['step_ms'] / 1000:.1f} s (+ the turn's offset) each and"
        f" two client-side tool calls of {srv['tool_s']:.1f} s (the contender's tool function sleeps):"
        f" {srv['tools2_s']:.1f} s + 3 offsets.",
        "* **offsets**: turn i of n adds i/n s to the first token (plain) or to every model step (tools), so run",
        "  times are spread over a second instead of being whole seconds, which would flatter any client",
        "  that polls every whole second (it would always look at exactly the right moment).",
        "* **added latency** = the turn's wall time measured by the client minus that server time (new",
        "  conversation/thread per turn; a warm-up turn first, so imports and connection setup are not in it).",
        "* **TTFT added**: time from the call to the first text delta handed to the caller, minus the server's",
        "  first-token time (1.0 s + the turn's offset); streamed contenders only.",
        "* **requests / turn**: every `/v1` request in the emulator's request log during the workload, / turns.",
        *_rounds_note(rows),
        "* **8 calls / 1 call**: the tool phase (first tool start to last tool end, timed inside the tool) of a",
        "  round of 8 equal 0.5 s calls divided by that of a round of one call.",
        "* **burst**: 200 turns started at once (threads, or tasks for async libraries), each"
        f" {srv['burst_ms'] / 1000:.1f} s of server time, while a seeded random 10 % of all `/v1` requests"
        " are answered 429",
        "  (`rate_limit_exceeded`, no retry-after header, as the live rate limiter often sends). A failed turn",
        "  is one that raised or did not complete.",
        "* **burst on existing conversations** (this project's modes only, for the comparison with the code",
        "  before): the same burst, each turn on a conversation of its own opened just before (unmeasured,",
        "  no 429s), so no turn creates a conversation.",
        "* **CPU / turn**: `time.process_time()` of the contender process over the plain turns / turns",
        "  (imports and setup excluded). **Peak RSS**: the contender process's own peak (`VmHWM`) after the",
        "  plain turns and after the burst.",
        *_rss_caution(rows),
        "* No poll hint (`openai-poll-after-ms`) is sent: each client's own polling policy shows (the SDK",
        "  helper then polls every 1 s). Spec validation in the emulator is off for the benchmark.",
        "",
        "What differs between contenders beyond speed (read the figures with it): the SDK's Responses loops",
        "(`responses.create`, and its streaming helper `responses.stream`, which parses every event into",
        "typed models and keeps a snapshot of the response),",
        "pydantic-ai and openai-agents send a blocking (or plainly streamed) `POST /responses` and carry",
        "history by resending it or by `previous_response_id`: nothing can cancel such a response on the server",
        "at a deadline, and there is no conversation object to continue from a later workflow step. This",
        "project's Responses turns open a conversation (`POST /conversations`, the one request more) and run",
        "in background mode (cancellable). Its turns follow the run by the event stream by default, also with",
        '`stream=False` (which only keeps the deltas from the caller); "polled" is `transport="poll"`, for',
        "proxies that break event streams, and polls at the quantiles of the durations it has seen (no hint",
        "is sent here). The Assistants API is shut down on OpenAI's platform (2026-08-26); its rows matter",
        "for compatible servers. \"this project in Keep's env\" is the same engine in Keep's pinned",
        "environment (openai 1.37.1, pydantic 1, httpx 0.26), which is how Keep runs it.",
        "",
        "## Measured",
        "",
        *_measured_table(rows),
        "",
        "## Continued conversation (a plain turn on an existing conversation: no create)",
        "",
        "The conversation (or response chain) was made by a warm-up turn before the workload; each turn",
        "then continues it (this project: `thread_id`; the SDK loops: `previous_response_id`).",
        "",
        *_continued_table(rows),
        "",
        "## Ratios (other contender / this project on the same API; > 1 means this project is ahead)",
        "",
        *_ratio_table(rows),
        "",
        "## The issue's targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        *[f"| {t} | {v} | {ok} |" for t, v, ok in targets(rows)],
        "",
        "## Contenders and versions",
        "",
        "| contender | status | versions | import + setup CPU (s) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        status = "ran" if not r["error"] else f"error: {r['error'][:300]}"
        versions = ", ".join(f"{k} {v}" for k, v in r["versions"].items()) or "–"
        lines.append(f"| {r['label']} | {status} | {versions} | {fmt(get(r, 'import_setup.cpu_s'), 2)} |")
    lines += ["", "## Requests per plain turn, by kind", ""]
    for r in rows:
        kinds = get(r, "plain.requests_by_kind")
        if kinds:
            per = ", ".join(f"`{k}` {v / r['plain']['n']:.1f}" for k, v in sorted(kinds.items()))
            lines.append(f"* {r['label']}: {per}")
    failures = [(r, w) for r in rows for w in ("plain", "tools2") if get(r, f"{w}.failed")]
    if failures or any(get(r, "burst.errors") for r in rows):
        lines += ["", "## Failed turns", ""]
        for r, w in failures:
            lines.append(f"* {r['label']} ({w}): {r[w]['failed']} failed: {'; '.join(r[w]['errors'])}")
        for r in rows:
            if get(r, "burst.errors"):
                lines.append(f"* {r['label']} (burst): {'; '.join(e[:200] for e in r['burst']['errors'])}")
    if summary.get("before"):
        lines += ["", *before_section(summary["before"], rows)]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}](bench/{p})" for p in plots]
    return "\n".join(lines) + "\n"
