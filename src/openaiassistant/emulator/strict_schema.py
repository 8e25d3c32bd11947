"""The API's own rule for schemas under ``strict: true`` (function tools, ``json_schema`` formats).

Written from OpenAI's Structured Outputs guide ("Supported schemas"), not from the client's
checker (:mod:`openaiassistant.tools.strict`): the emulator mirrors the server, so when the two
disagree a test shows which one is wrong instead of both agreeing on the same mistake.

* the root is an object, and not an ``anyOf``;
* every object sets ``additionalProperties: false`` and lists every property in ``required``
  (an optional field is a required one whose type admits ``null``);
* the composition keywords the guide lists as unsupported are refused: ``allOf``, ``not``,
  ``if`` / ``then`` / ``else``, ``dependentRequired``, ``dependentSchemas``;
* the same holds in every subschema: ``properties``, ``items``, ``anyOf`` branches and
  ``$defs`` / ``definitions`` (``$ref`` into them, recursion included, is supported);
* at most 5000 object properties in all and 10 levels of object nesting.

Messages follow the live API's wording (``In context=('properties', 'a'), ...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_NESTING", "MAX_PROPERTIES", "strict_schema_problem"]

MAX_NESTING = 10
MAX_PROPERTIES = 5000
UNSUPPORTED = ("allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas")


def strict_schema_problem(schema: Any) -> str | None:
    """Why the API refuses ``schema`` under strict mode, or None when it takes it."""
    if not isinstance(schema, dict) or not _is_object(schema) or "anyOf" in schema:
        shown = schema.get("type") if isinstance(schema, dict) else None
        return f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{shown}\"'"
    walk = _Walk()
    return walk.check(schema, context=(), depth=0) or walk.size_problem()


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


@dataclass
class _Walk:
    properties: int = 0  # object properties seen so far, over the whole schema

    def check(self, schema: Any, *, context: tuple[str, ...], depth: int) -> str | None:
        if not isinstance(schema, dict):
            return None
        for keyword in UNSUPPORTED:
            if keyword in schema:
                return f"In context={context}, '{keyword}' is not permitted"
        if _is_object(schema):
            depth += 1
            if depth > MAX_NESTING:
                return f"{depth} levels of nesting exceeds limit of {MAX_NESTING}"
            if problem := self._object(schema, context):
                return problem
        return self._children(schema, context=context, depth=depth)

    def _object(self, schema: dict[str, Any], context: tuple[str, ...]) -> str | None:
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false"
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        missing = [name for name in properties if name not in required]
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'"
            )
        self.properties += len(properties)
        return None

    def _children(self, schema: dict[str, Any], *, context: tuple[str, ...], depth: int) -> str | None:
        subschemas: list[tuple[tuple[str, ...], Any]] = []
        for name, sub in (schema.get("properties") or {}).items():
            subschemas.append(((*context, "properties", str(name)), sub))
        if "items" in schema:
            subschemas.append(((*context, "items"), schema["items"]))
        for index, sub in enumerate(schema.get("anyOf") or []):
            subschemas.append(((*context, "anyOf", str(index)), sub))
        for keyword in ("$defs", "definitions"):
            for name, sub in (schema.get(keyword) or {}).items():
                subschemas.append(((*context, keyword, str(name)), sub))
        for where, sub in subschemas:
            if problem := self.check(sub, context=where, depth=depth):
                return problem
        return None

    def size_problem(self) -> str | None:
        if self.properties > MAX_PROPERTIES:
            return f"{self.properties} object properties exceeds limit of {MAX_PROPERTIES}"
        return None
