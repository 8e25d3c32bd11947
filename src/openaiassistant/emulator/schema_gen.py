"""Make one JSON instance that fits a JSON schema (for ``text.format: json_schema`` answers).

Deliberately small: it covers what structured-output schemas use (objects, arrays, scalars,
enums, const, anyOf/oneOf, local ``$ref`` into ``$defs``/``definitions``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["instance_for"]


def instance_for(schema: dict[str, Any], *, hint: str = "") -> Any:
    """Return a value valid for ``schema``; ``hint`` fills free-text strings."""
    return _gen(schema, root=schema, name="value", hint=hint, depth=0)


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def _gen(schema: Any, *, root: dict[str, Any], name: str, hint: str, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > 12:
        return None
    if "$ref" in schema:
        return _gen(_resolve(schema["$ref"], root), root=root, name=name, hint=hint, depth=depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    combined = _combined(schema, root)
    if combined is not None:
        return _gen(combined, root=root, name=name, hint=hint, depth=depth + 1)
    return _SCALARS.get(_kind(schema), _gen_object)(schema, root=root, name=name, hint=hint, depth=depth)


def _combined(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """The schema to generate for an ``anyOf``/``oneOf`` (the first non-null option) or an
    ``allOf`` (its parts merged); None when ``schema`` combines nothing."""
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [s for s in schema[key] if not (isinstance(s, dict) and s.get("type") == "null")]
            return (options or schema[key])[0]
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part["$ref"], root) if "$ref" in part else part)
        return merged
    return None


def _kind(schema: dict[str, Any]) -> str:
    """The type to generate: the first non-null of a type list; untyped: object or string."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    return str(kind)


def _gen_object(schema: dict[str, Any], *, root: dict[str, Any], name: str, hint: str, depth: int) -> Any:
    props = schema.get("properties", {})
    return {key: _gen(sub, root=root, name=key, hint=hint, depth=depth + 1) for key, sub in props.items()}


def _gen_array(schema: dict[str, Any], *, root: dict[str, Any], name: str, hint: str, depth: int) -> Any:
    count = max(1, int(schema.get("minItems", 1)))
    if "maxItems" in schema:
        count = min(count, int(schema["maxItems"]))
    item = schema.get("items", {"type": "string"})
    return [_gen(item, root=root, name=name, hint=hint, depth=depth + 1) for _ in range(count)]


def _gen_string(schema: dict[str, Any], *, root: dict[str, Any], name: str, hint: str, depth: int) -> Any:
    text = hint or f"{name}"
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if high is not None:
        text = text[: int(high)]
    return text


def _gen_number(schema: dict[str, Any], *, root: dict[str, Any], name: str, hint: str, depth: int) -> Any:
    value = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        value += 1
    if schema.get("type") == "integer" or (isinstance(schema.get("type"), list) and "integer" in schema["type"]):
        return int(value)
    return float(value)


_SCALARS = {
    "object": _gen_object,
    "array": _gen_array,
    "string": _gen_string,
    "number": _gen_number,
    "integer": _gen_number,
    "boolean": lambda schema, **_: True,
    "null": lambda schema, **_: None,
}
