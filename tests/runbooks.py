"""A runbook folder, as a user's knowledge base starts: two Markdown files, one per alert."""

from __future__ import annotations

from pathlib import Path


def write_runbooks(root: Path) -> Path:
    """Creates ``root`` with ``disk-full.md`` and ``cpu-high.md``; returns it."""
    root.mkdir()
    (root / "disk-full.md").write_text("# DiskFull\nRotate the logs, then grow the volume.\n")
    (root / "cpu-high.md").write_text("# CpuHigh\nProfile the top process, then scale out.\n")
    return root
