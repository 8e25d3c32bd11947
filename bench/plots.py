"""Draw docs/bench/*.png from bench/out/summary.json (runs in the plots venv, with matplotlib).

    python bench/plots.py SUMMARY_JSON TARGET_DIR

Prints the name of every PNG it wrote, one per line (the harness links them in the report).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

OURS_COLOUR, OTHER_COLOUR = "#1f6feb", "#9aa4ae"


def _get(row: dict[str, Any], path: str) -> Any:
    node: Any = row
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _bars(
    *,
    rows: list[dict[str, Any]],
    series: list[tuple[str, str]],
    title: str,
    unit: str,
    target: Path,
    log: bool = False,
    line: float | None = None,
) -> str | None:
    """Horizontal grouped bars: one group per contender, one bar per (label, metric path)."""
    rows = [r for r in rows if any(_get(r, path) is not None for _, path in series)]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) * len(series) + 1.6))
    height = 0.8 / len(series)
    for k, (label, path) in enumerate(series):
        ys = [i + k * height for i in range(len(rows))]
        values = [_get(r, path) or 0 for r in rows]
        colours = [OURS_COLOUR if r["name"].startswith("ours-") else OTHER_COLOUR for r in rows]
        ax.barh(ys, values, height=height * 0.9, color=colours, alpha=1.0 - 0.35 * k, label=label)
        for y, v in zip(ys, values, strict=True):
            ax.text(v, y, f" {v:.0f}" if v >= 100 else f" {v:.3g}", va="center", fontsize=7)
    ax.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(rows))])
    ax.set_yticklabels([r["label"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("symlog", linthresh=10)
    if line is not None:
        ax.axvline(line, color="#d73a49", linestyle="--", linewidth=1, label=f"target {line:g}")
    ax.set_xlabel(unit)
    ax.set_title(title, fontsize=10)
    if len(series) > 1 or line is not None:
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    name = f"{target.stem}.png"
    fig.savefig(target.with_suffix(".png"), dpi=110)
    plt.close(fig)
    return name


def main(summary_path: str, out_dir: str) -> int:
    summary = json.loads(Path(summary_path).read_text())
    rows = [r for r in summary["rows"] if r.get("plain")]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        _bars(
            rows=rows,
            series=[("plain turn p50", "plain.added_p50_ms"), ("two tool rounds p50", "tools2.added_p50_ms")],
            title="Latency added beyond the server's own time (lower is better)",
            unit="ms (symlog)",
            target=out / "added_latency",
            log=True,
        ),
        _bars(
            rows=rows,
            series=[("TTFT added p50", "plain.ttft_p50_ms")],
            title="Time to first token beyond the server's (streamed contenders)",
            unit="ms",
            target=out / "ttft",
        ),
        _bars(
            rows=rows,
            series=[("plain turn", "plain.requests_per_turn"), ("two tool rounds", "tools2.requests_per_turn")],
            title="HTTP requests per turn (emulator request log)",
            unit="requests",
            target=out / "requests_per_turn",
        ),
        _bars(
            rows=rows,
            series=[("8 calls / 1 call", "par.ratio")],
            title="Tool phase with 8 equal calls, relative to one call",
            unit="ratio",
            target=out / "parallel_tools",
            line=1.2,
        ),
        _bars(
            rows=rows,
            series=[("wall time", "burst.wall_s")],
            title="200 concurrent turns, 10 % of requests answered 429: wall time",
            unit="s",
            target=out / "burst_wall",
        ),
        _bars(
            rows=rows,
            series=[("failed turns", "burst.failed")],
            title="200 concurrent turns, 10 % of requests answered 429: failed turns",
            unit="turns",
            target=out / "burst_failed",
        ),
        _bars(
            rows=rows,
            series=[("CPU per plain turn", "plain.cpu_ms_per_turn")],
            title="Client CPU time per plain turn (imports excluded)",
            unit="ms",
            target=out / "cpu",
            line=5.0,
        ),
        _bars(
            rows=rows,
            series=[("after plain turns", "rss_mb"), ("after the burst", "rss_burst_mb")],
            title="Peak resident memory of the client process",
            unit="MB",
            target=out / "memory",
        ),
    ]
    for name in written:
        if name:
            print(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
