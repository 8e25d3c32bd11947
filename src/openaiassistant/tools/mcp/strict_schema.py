"""An MCP tool's ``inputSchema`` made strict where strict mode can express it.

OpenAI's strict mode needs every object to list all of its properties in ``required`` with
``additionalProperties: false``. Servers rarely write schemas that way, but most of them can
be rewritten without changing what they accept: an optional top-level property becomes
nullable and required, and a ``null`` argument is dropped again before the call (the server
never sees it). Schemas using keywords strict mode does not know, optional properties nested
deeper, or free-form objects stay as they are, sent with ``strict: false``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..strict import strict_problem

__all__ = ["tool_schema"]

# Keywords strict mode accepts (others make the API refuse the tool).
_KNOWN = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "description",
    "anyOf",
    "$defs",
    "definitions",
    "$ref",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
}
_DROPPED = {"title", "$schema", "default", "examples"}


@dataclass(frozen=True, kw_only=True)
class ToolSchema:
    parameters: dict[str, Any]
    strict: bool
    nullable_optional: frozenset[str]  # made nullable for strict mode: a null means "not given"


def tool_schema(input_schema: Any) -> ToolSchema:
    """The parameters to send for one MCP tool, strict when that keeps its meaning."""
    schema = input_schema if isinstance(input_schema, dict) else {}
    schema = copy.deepcopy(schema) or {"type": "object"}
    if schema.get("type") != "object":
        schema = {"properties": {}, **schema, "type": "object"}
    schema.setdefault("properties", {})
    loose = _loose(schema)
    strict = _strictify(copy.deepcopy(schema))
    if strict is None:
        return ToolSchema(parameters=loose, strict=False, nullable_optional=frozenset())
    converted, optional = strict
    return ToolSchema(parameters=converted, strict=True, nullable_optional=frozenset(optional))


def _loose(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without its ``$schema`` line (the model needs none of it)."""
    schema = dict(schema)
    schema.pop("$schema", None)
    return schema


def _strictify(schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    cleaned = _clean(schema)
    if cleaned is None:
        return None
    properties = cleaned.get("properties") or {}
    if not isinstance(properties, dict):
        return None
    required = set(cleaned.get("required") or [])
    if cleaned.get("additionalProperties") not in (None, False):
        return None
    optional = []
    for name, sub in properties.items():
        if name in required:
            continue
        nullable = _nullable(sub)
        if nullable is None:
            return None
        properties[name] = nullable
        optional.append(name)
    cleaned["required"] = list(properties)
    cleaned["additionalProperties"] = False
    if strict_problem(cleaned) is not None:
        return None
    return cleaned, optional


def _clean(value: Any) -> Any:
    """Drop annotation-only keywords; None when an unknown keyword is in the way."""
    if isinstance(value, list):
        items = [_clean(v) for v in value]
        return None if any(i is None for i in items) else items
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, sub in value.items():
        if key in _DROPPED:
            continue
        if key not in _KNOWN:
            return None
        cleaned = _clean_keyword(key, sub)
        if cleaned is None:
            return None
        out[key] = cleaned
    return out


def _clean_keyword(key: str, sub: Any) -> Any:
    if key in ("properties", "$defs", "definitions"):
        if not isinstance(sub, dict):
            return None
        cleaned = {k: _clean(v) for k, v in sub.items()}
        return None if any(v is None for v in cleaned.values()) else cleaned
    if key in ("items", "anyOf"):
        return _clean(sub)
    return sub


def _nullable(schema: Any) -> dict[str, Any] | None:
    if not isinstance(schema, dict):
        return None
    schema = dict(schema)
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list):
        schema["type"] = kind if "null" in kind else [*kind, "null"]
    elif "anyOf" in schema:
        schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
    else:
        return None
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema
