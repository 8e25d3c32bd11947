"""Check a hand-written JSON schema against OpenAI's strict-mode rules.

Strict mode (``strict: true``) makes the model's arguments follow the schema exactly, but only
for schemas where every object sets ``additionalProperties: false`` and lists all of its
properties in ``required`` (optional values are expressed as nullable types instead).
Schemas derived from Python callables follow these rules by construction; declarative specs are
checked here so a mistake is a load-time error rather than an API 400 in the middle of a turn.
"""

from __future__ import annotations

from typing import Any


def strict_problem(schema: Any, path: str = "(root)") -> str | None:
    """The first strict-mode rule ``schema`` breaks, or None when it follows them all."""
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object" or (isinstance(schema.get("type"), list) and "object" in schema["type"]):
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return f"{path}: objects need additionalProperties: false"
        missing = sorted(set(properties) - set(schema.get("required", [])))
        if missing:
            return f"{path}: every property must be required (make optional ones nullable instead): {missing}"
        for name, sub in properties.items():
            if problem := strict_problem(sub, f"{path}.{name}"):
                return problem
    if "items" in schema and (problem := strict_problem(schema["items"], f"{path}[]")):
        return problem
    for keyword in ("anyOf", "allOf"):
        for i, sub in enumerate(schema.get(keyword, [])):
            if problem := strict_problem(sub, f"{path}.{keyword}[{i}]"):
                return problem
    for name, sub in {**schema.get("$defs", {}), **schema.get("definitions", {})}.items():
        if problem := strict_problem(sub, f"{path}.$defs.{name}"):
            return problem
    return None
