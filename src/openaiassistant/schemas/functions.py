"""A Keep step's ``functions:``: a list of entries, each of one kind.

``FUNCTION_KINDS`` lists the kinds in the order they are recognised (schemas/kinds.py): an MCP
server (``mcp:``), a Keep provider's methods (``methods:``), a provider tool (``provider:``), and
every other entry an HTTP tool. To add a kind, put an :class:`EntryKind` with its own key and
schema before the HTTP tool; the published document (docs/schemas/functions.schema.json) and the
errors follow.

What JSON Schema cannot say is checked when the entry is compiled (keep/provider_tools.py: that
the provider is configured in this tenant; keep/with_template.py, tools/http.py, tools/mcp/spec.py).
"""

from __future__ import annotations

from typing import Any

from .common import NOT_BLANK, TOOL_FIELDS, closed_object, ref
from .document import document
from .http_tool import HTTP_TOOL
from .kinds import EntryKind, entry_schema, kind_defs
from .mcp import MCP_ENTRY

__all__ = ["FUNCTIONS_DOCUMENT", "FUNCTION_KINDS", "PROVIDER_METHODS", "PROVIDER_TOOL"]

_PROVIDER = {
    "description": "the id (or name) of a provider configured in Keep, or {id, type}",
    "anyOf": [
        {"type": "string", "pattern": NOT_BLANK},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string"}},
            # the id names the provider; when it is left out (or empty) the name does
            "anyOf": [
                {"required": ["id"], "properties": {"id": {"pattern": NOT_BLANK}}},
                {"required": ["name"], "properties": {"id": {"maxLength": 0}, "name": {"pattern": NOT_BLANK}}},
            ],
        },
    ],
}
_PROVIDER_TYPE = {
    "description": "the provider's type, e.g. http (optional when it is installed in Keep's database)",
    "type": "string",
    "minLength": 1,
}

PROVIDER_TOOL: dict[str, Any] = closed_object(
    title="provider tool",
    description="A tool whose call runs query() on another provider configured in this Keep tenant.",
    required=["name", "provider"],
    properties={
        **TOOL_FIELDS,
        "provider": _PROVIDER,
        "provider_type": _PROVIDER_TYPE,
        "with": {
            "description": "the provider's query arguments; {name} placeholders are filled by the model",
            "type": "object",
        },
        "strict": {**ref("flag"), "default": False},
        "timeout": ref("seconds"),
    },
)

PROVIDER_METHODS: dict[str, Any] = closed_object(
    title="provider methods",
    description="The methods (PROVIDER_METHODS) of a provider configured in this Keep tenant, as tools.",
    required=["provider", "methods"],
    properties={
        "provider": _PROVIDER,
        "provider_type": _PROVIDER_TYPE,
        "methods": {
            "description": "view (every view method), or a list of method names (func_name or display name)",
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "items": {"type": "string"}},
            ],
        },
        "approval": {
            "description": "default (action methods wait for a person's approval), required, never, "
            "or a list of the methods that wait",
            "anyOf": [
                {"enum": ["default", "required", "never", "none", True, False]},
                {"type": "array", "items": {"type": "string"}},
            ],
        },
        "prefix": {"description": "put before every tool name", "type": "string"},
        "timeout": ref("seconds"),
    },
)

# The order matters: an entry is of the first kind whose key it has (provider methods have a
# provider: too).
FUNCTION_KINDS: tuple[EntryKind, ...] = (
    EntryKind(key="mcp", title="an MCP server (with mcp:)", schema=MCP_ENTRY),
    EntryKind(key="methods", title="a provider's methods (with provider: and methods:)", schema=PROVIDER_METHODS),
    EntryKind(key="provider", title="a provider tool (with provider:)", schema=PROVIDER_TOOL),
    EntryKind(key=None, title="an HTTP tool (with url:)", schema=HTTP_TOOL),
)

FUNCTIONS_DOCUMENT = document(
    "functions",
    {
        "title": "functions: of an openaiassistant step",
        "description": "The tools the assistant may call in this step.",
        "type": "array",
        "items": entry_schema(FUNCTION_KINDS),
    },
    defs=kind_defs(FUNCTION_KINDS),
)
