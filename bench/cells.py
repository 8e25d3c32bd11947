"""The small readers and formatters the reports share (report.py, before_report.py)."""

from __future__ import annotations

from typing import Any


def fmt(value: Any, digits: int = 0, unit: str = "") -> str:
    """A figure for a table cell: "–" when it was not measured."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def get(row: dict[str, Any] | None, path: str) -> Any:
    """``row["a"]["b"]`` for ``path`` "a.b"; None where any part is missing."""
    node: Any = row
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node
