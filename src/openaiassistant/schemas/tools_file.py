"""A tools file (``openaiassistant ask --tools FILE``): a list of entries, or ``{tools: [...]}``.

An entry is an MCP server (``mcp:``) or an HTTP tool (schemas/kinds.py).
"""

from __future__ import annotations

from .document import document
from .http_tool import HTTP_TOOL
from .kinds import EntryKind, entry_schema, kind_defs
from .mcp import MCP_ENTRY

__all__ = ["TOOLS_FILE_DOCUMENT", "TOOLS_FILE_KINDS"]

# hosted tools (tools/hosted.py checks their fields, naming each one)
_HOSTED = tuple(
    EntryKind(
        key=kind,
        title=f"a hosted {kind} tool (with {kind}:)",
        schema={"title": f"hosted {kind}", "type": "object", "maxProperties": 1, "required": [kind]},
    )
    for kind in ("web_search", "code_interpreter", "mcp_remote")
)
TOOLS_FILE_KINDS: tuple[EntryKind, ...] = (
    *_HOSTED,
    EntryKind(key="mcp", title="an MCP server (with mcp:)", schema=MCP_ENTRY),
    EntryKind(key=None, title="an HTTP tool (with url:)", schema=HTTP_TOOL),
)
_ENTRIES = {"type": "array", "items": entry_schema(TOOLS_FILE_KINDS)}

TOOLS_FILE_DOCUMENT = document(
    "tools-file",
    {
        "title": "tools file (openaiassistant ask --tools FILE)",
        "description": "A list of tools (HTTP tools, MCP servers), or a mapping {tools: [...]}.",
        "oneOf": [
            {"title": "a list of tools", "if": {"type": "array"}, "then": _ENTRIES, "else": False},
            {
                "title": "a mapping {tools: [...]}",
                "if": {"type": "object"},
                "then": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"tools": {"anyOf": [_ENTRIES, {"type": "null"}]}},
                },
                "else": False,
            },
            {"title": "empty", "if": {"type": "null"}, "then": True, "else": False},
        ],
    },
    defs=kind_defs(TOOLS_FILE_KINDS),
)
