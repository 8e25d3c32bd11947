"""A published schema document: the root schema plus the shared definitions it refers to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import DEFS

__all__ = ["BASE_ID", "DIALECT", "document"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://github.com/openaiassistant/openaiassistant/blob/main/docs/schemas/"


def document(
    name: str, root: Mapping[str, Any], *, defs: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """``docs/schemas/<name>.schema.json``: ``root`` with every ``#/$defs/...`` it uses (from
    :data:`.common.DEFS` and ``defs``), transitively, so the document stands alone."""
    available = {**DEFS, **(defs or {})}
    used: dict[str, Any] = {}
    pending = list(_refs(root))
    while pending:
        ref = pending.pop()
        if ref in used:
            continue
        if ref not in available:
            raise KeyError(f"schema {name}: no definition {ref!r}")
        used[ref] = available[ref]
        pending.extend(_refs(available[ref]))
    doc = {"$schema": DIALECT, "$id": f"{BASE_ID}{name}.schema.json", **root}
    if used:
        doc["$defs"] = dict(sorted(used.items()))
    return doc


def _refs(schema: Any) -> list[str]:
    if isinstance(schema, Mapping):
        found = []
        target = schema.get("$ref")
        if isinstance(target, str) and target.startswith("#/$defs/"):
            found.append(target.removeprefix("#/$defs/"))
        for value in schema.values():
            found.extend(_refs(value))
        return found
    if isinstance(schema, list):
        return [ref for item in schema for ref in _refs(item)]
    return []
