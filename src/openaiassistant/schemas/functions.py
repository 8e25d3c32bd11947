"""A Keep step's ``functions:``: a list of entries, each of one kind.

``FUNCTION_KINDS`` lists the kinds in the order they are recognised: an entry is of the first
kind whose ``key`` field it has; the last kind (``key=None``, the HTTP tool) takes every other
entry. To add a kind (an MCP server, a Keep provider's methods ...), put an :class:`EntryKind`
with its own key and schema before the HTTP tool; the published document
(docs/schemas/functions.schema.json) and the errors follow. Each kind becomes one ``oneOf``
branch ``{if: <has key, no earlier key>, then: <kind's schema>, else: false}``, so exactly one
branch applies to an entry and only its problems are reported.

What JSON Schema cannot say is checked when the entry is compiled (keep/provider_tools.py,
keep/with_template.py, tools/http.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .common import ref
from .document import document
from .http_tool import HTTP_TOOL


@dataclass(frozen=True, kw_only=True)
class EntryKind:
    """One kind of ``functions:`` entry: the field that marks it, a title, its schema."""

    key: str | None  # None: the default kind (last)
    title: str
    schema: dict[str, Any]


PROVIDER_TOOL: dict[str, Any] = {
    "title": "provider tool",
    "description": "A tool whose call runs query() on another provider configured in this Keep tenant.",
    "type": "object",
    "required": ["name", "provider"],
    "additionalProperties": False,
    "properties": {
        "name": ref("tool_name"),
        "description": {"type": "string", "description": "what the tool does (the model reads it)"},
        "parameters": ref("parameters"),
        "provider": {
            "description": "the id (or name) of a provider configured in Keep, or {id, type}",
            "anyOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string"}},
                },
            ],
        },
        "provider_type": {
            "description": "the provider's type, e.g. http (optional when it is installed in Keep's database)",
            "type": "string",
            "minLength": 1,
        },
        "with": {
            "description": "the provider's query arguments; {name} placeholders are filled by the model",
            "type": "object",
        },
        "strict": {**ref("flag"), "default": False},
        "timeout": ref("seconds"),
    },
}

FUNCTION_KINDS: tuple[EntryKind, ...] = (
    EntryKind(key="provider", title="a provider tool (with provider:)", schema=PROVIDER_TOOL),
    EntryKind(key=None, title="an HTTP tool (with url:)", schema=HTTP_TOOL),
)


def _def_name(kind: EntryKind) -> str:
    return str(kind.schema.get("title", kind.key)).replace(" ", "_")


def entry_schema(kinds: tuple[EntryKind, ...] = FUNCTION_KINDS) -> dict[str, Any]:
    """One ``oneOf`` branch per kind; the ``if`` of exactly one branch holds for any mapping."""
    branches = []
    earlier: list[str] = []
    for kind in kinds:
        when: dict[str, Any] = {"required": [kind.key]} if kind.key else {}
        if earlier:
            when["not"] = {"anyOf": [{"required": [key]} for key in earlier]}
        branches.append({"title": kind.title, "if": when, "then": ref(_def_name(kind)), "else": False})
        if kind.key:
            earlier.append(kind.key)
    return {"type": "object", "oneOf": branches}


FUNCTIONS_DOCUMENT = document(
    "functions",
    {
        "title": "functions: of an openaiassistant step",
        "description": "The tools the assistant may call in this step.",
        "type": "array",
        "items": entry_schema(),
    },
    defs={_def_name(kind): kind.schema for kind in FUNCTION_KINDS},
)
