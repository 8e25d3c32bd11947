"""Lists whose entries come in several kinds (a step's ``functions:``, a tools file).

An entry is of the first kind whose ``key`` field it has; the last kind (``key=None``) takes every
other entry. Each kind becomes one ``oneOf`` branch ``{if: <has key, no earlier key>, then: <the
kind's schema>, else: false}``: exactly one branch applies to an entry, and only its problems are
reported (schemas/check.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .common import ref

__all__ = ["EntryKind", "entry_schema", "kind_defs"]


@dataclass(frozen=True, kw_only=True)
class EntryKind:
    """One kind of entry: the field that marks it, a title (in errors), its schema."""

    key: str | None  # None: the default kind (last)
    title: str
    schema: dict[str, Any]

    @property
    def def_name(self) -> str:
        """Its name under ``$defs`` in a published document."""
        return str(self.schema.get("title", self.key)).replace(" ", "_")


def entry_schema(kinds: tuple[EntryKind, ...]) -> dict[str, Any]:
    """One ``oneOf`` branch per kind; the ``if`` of exactly one branch holds for any mapping."""
    branches = []
    earlier: list[str] = []
    for kind in kinds:
        when: dict[str, Any] = {"required": [kind.key]} if kind.key else {}
        if earlier:
            when["not"] = {"anyOf": [{"required": [key]} for key in earlier]}
        branches.append({"title": kind.title, "if": when, "then": ref(kind.def_name), "else": False})
        if kind.key:
            earlier.append(kind.key)
    return {"type": "object", "oneOf": branches}


def kind_defs(kinds: tuple[EntryKind, ...]) -> dict[str, dict[str, Any]]:
    """The kinds' schemas, for a document's ``$defs``."""
    return {kind.def_name: kind.schema for kind in kinds}
