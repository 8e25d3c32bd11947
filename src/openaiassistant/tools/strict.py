"""Check a hand-written JSON schema against OpenAI's strict-mode rules.

Strict mode (``strict: true``) makes the model's arguments follow the schema exactly, but only
for schemas where every object sets ``additionalProperties: false`` and lists all of its
properties in ``required`` (optional values are expressed as nullable types instead).
Schemas derived from Python callables follow these rules by construction; declarative specs are
checked here so a mistake is a load-time error rather than an API 400 in the middle of a turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["strict_problem"]


def strict_problem(schema: Any, path: str = "(root)") -> str | None:
    """The first strict-mode rule ``schema`` breaks, or None when it follows them all."""
    if not isinstance(schema, dict):
        return None
    if _is_object(schema) and (problem := _object_problem(schema, path)):
        return problem
    for sub, where in _children(schema, path):
        if problem := strict_problem(sub, where):
            return problem
    return None


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


def _object_problem(schema: dict[str, Any], path: str) -> str | None:
    if schema.get("additionalProperties") is not False:
        return f"{path}: objects need additionalProperties: false"
    missing = sorted(set(schema.get("properties", {})) - set(schema.get("required", [])))
    if missing:
        return f"{path}: every property must be required (make optional ones nullable instead): {missing}"
    return None


def _children(schema: dict[str, Any], path: str) -> Iterator[tuple[Any, str]]:
    """The sub-schemas the rules apply to, with their paths, in the order they are checked."""
    if _is_object(schema):
        for name, sub in schema.get("properties", {}).items():
            yield sub, f"{path}.{name}"
    if "items" in schema:
        yield schema["items"], f"{path}[]"
    for keyword in ("anyOf", "allOf"):
        for i, sub in enumerate(schema.get(keyword, [])):
            yield sub, f"{path}.{keyword}[{i}]"
    for name, sub in {**schema.get("$defs", {}), **schema.get("definitions", {})}.items():
        yield sub, f"{path}.$defs.{name}"
