"""Check a value against a published schema with ``jsonschema``; a problem becomes a ConfigError.

The error names the place the way users write it (``functions[0].timeout``) and what is
allowed: the allowed values of an enum, the known fields beside an unknown one, or the
definition's ``description`` ("must be a finite number of seconds > 0 ..."). A list of entries
of several kinds (``functions:``) is a ``oneOf`` whose branches are ``if``/``then``/``else:
false``: exactly one branch's ``if`` holds for an entry, and only that branch's problems are
reported (jsonschema alone would report "not valid under any of the given schemas").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from openaiassistant.errors import ConfigError

__all__ = ["check", "given", "path_text", "problem_of", "problems"]

_TYPE_TEXT = {
    "string": "a string",
    "object": "a mapping",
    "array": "a list",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}
# One validator per document (documents are module-level constants that live as long as this).
_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}


def check(value: Any, document: Mapping[str, Any], *, where: str = "") -> None:
    """Raise a ConfigError for the first problem of ``value`` (``where`` prefixes its path)."""
    found = problems(value, document)
    if found:
        path, text = found[0]
        raise ConfigError(path_text(where, path), text)


def problems(value: Any, document: Mapping[str, Any]) -> list[tuple[list[str | int], str]]:
    """Every problem as (path, text); an unknown field first (a typo explains the others)."""
    leaves = [leaf for error in _validator(document).iter_errors(value) for leaf in _leaves(error)]
    leaves.sort(key=lambda error: error.validator != "additionalProperties")
    found: list[tuple[list[str | int], str]] = []
    for error in leaves:
        problem = _describe(error, document)
        if problem not in found:
            found.append(problem)
    return found


def problem_of(error: ConfigError) -> str:
    """A ConfigError's problem without its ``invalid PARAMETER:`` prefix (to re-place it)."""
    return error.message.removeprefix(f"invalid {error.parameter}: ")


def given(value: Any) -> Any:
    """A mapping without its ``None`` fields: YAML's ``key:`` and Keep's dropped values mean
    "not given" (defaults apply). Anything else is returned as it is."""
    if isinstance(value, Mapping):
        return {key: item for key, item in value.items() if item is not None}
    return value


def path_text(where: str, path: Iterable[str | int]) -> str:
    """``functions`` + ``[0, "timeout"]`` -> ``functions[0].timeout``; a ``where`` that is a
    phrase (``HTTP tool 'fetch'``) is followed by a space: ``HTTP tool 'fetch' timeout``."""
    text = where
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not text:
            text = str(part)
        else:
            text += f" {part}" if text == where and " " in where else f".{part}"
    return text or "value"


def _validator(document: Mapping[str, Any]) -> Any:
    entry = _VALIDATORS.get(id(document))
    if entry is None or entry[0] is not document:
        cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft202012Validator)
        entry = (document, cls(document))
        _VALIDATORS[id(document)] = entry
    return entry[1]


def _is_kinds(schema: Any) -> bool:
    branches = schema.get("oneOf") if isinstance(schema, Mapping) else None
    return bool(branches) and all(isinstance(b, Mapping) and "if" in b for b in branches or [])


def _matching_branch(branches: Sequence[Mapping[str, Any]], instance: Any) -> int | None:
    for index, branch in enumerate(branches):
        if jsonschema.Draft202012Validator(branch["if"]).is_valid(instance):
            return index
    return None


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors to report for one top-level error: a kinds ``oneOf`` is replaced by the
    problems of the branch that applies to the entry."""
    if error.validator == "oneOf" and _is_kinds(error.schema):
        branch = _matching_branch(error.schema["oneOf"], error.instance)
        inner = [
            e
            for e in error.context or []
            if branch is not None and list(e.relative_schema_path)[:2] == [branch, "then"]
        ]
        if inner:
            return [leaf for e in inner for leaf in _leaves(e)]
    elif error.validator in ("anyOf", "oneOf") and error.context:
        # alternatives of different types (a step or a list of rules): when the value has the
        # type of exactly one of them, its problems are that alternative's
        by_branch: dict[Any, list[ValidationError]] = {}
        for e in error.context:
            by_branch.setdefault(e.relative_schema_path[0], []).append(e)
        typed = [errs for errs in by_branch.values() if not any(_wrong_type(e) for e in errs)]
        if len(typed) == 1 and len(by_branch) == len(error.validator_value):
            return [leaf for e in typed[0] for leaf in _leaves(e)]
    return [error]


def _wrong_type(error: ValidationError) -> bool:
    """The alternative's own type (or const/enum) does not fit the value at its top level."""
    return (
        len(error.relative_path) == 0
        and error.validator in ("type", "const", "enum")
        and len(error.relative_schema_path) <= 2
    )


def _describe(error: ValidationError, document: Mapping[str, Any]) -> tuple[list[str | int], str]:
    path: list[str | int] = list(error.absolute_path)
    schema: Any = error.schema if isinstance(error.schema, Mapping) else {}
    keyword = error.validator
    if keyword == "additionalProperties":
        known = schema.get("properties", {})
        extra = [key for key in error.instance if key not in known]
        plural = "s" if len(extra) > 1 else ""
        return path, f"unknown field{plural} {', '.join(map(repr, extra))}; known fields: {', '.join(sorted(known))}"
    if keyword == "required":
        name = next(key for key in error.validator_value if key not in error.instance)
        about = _resolve(schema.get("properties", {}).get(name, {}), document).get("description")
        return [*path, name], "required" + (f": {about}" if about else "")
    if keyword == "oneOf" and _is_kinds(schema):
        kinds = "; ".join(str(branch.get("title")) for branch in schema["oneOf"])
        return path, f"must be one of: {kinds}; got {_shown(error.instance, schema)}"
    if keyword == "enum":
        return path, f"must be one of {_choices(error.validator_value)}, got {_shown(error.instance, schema)}"
    if keyword == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        text = " or ".join(_TYPE_TEXT.get(str(t), str(t)) for t in wanted)
        return path, f"must be {text}, got {_shown(error.instance, schema)}"
    described = _described(error)
    if described is not None:
        return path, f"must be {described['description']}, got {_shown(error.instance, described)}"
    if not isinstance(error.schema, Mapping):  # a false schema
        return path, "is not allowed here"
    return path, error.message


def _described(error: ValidationError) -> Mapping[str, Any] | None:
    """The nearest schema with a description around a failed keyword, at the value's place (an
    alternative of a described definition: the definition)."""
    current: ValidationError | None = error
    while current is not None:
        schema = current.schema
        if isinstance(schema, Mapping) and schema.get("description"):
            return schema
        parent = current.parent
        if parent is None or list(parent.absolute_path) != list(error.absolute_path):
            return None
        current = parent
    return None


def _resolve(schema: Any, document: Mapping[str, Any]) -> Mapping[str, Any]:
    """A local ``{"$ref": "#/$defs/NAME"}`` resolved in ``document`` (other schemas as they are)."""
    if isinstance(schema, Mapping) and str(schema.get("$ref", "")).startswith("#/$defs/"):
        return document.get("$defs", {}).get(schema["$ref"].removeprefix("#/$defs/"), {})
    return schema if isinstance(schema, Mapping) else {}


def _choices(values: Any) -> str:
    seen: dict[str, Any] = {}
    for value in values:  # GET and get are one choice to a reader
        seen.setdefault(str(value).lower(), value)
    return ", ".join(str(v) for v in seen.values())


def _shown(value: Any, schema: Mapping[str, Any]) -> str:
    if schema.get("writeOnly"):
        return "a value that is not shown (it is a secret)"
    try:
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else repr(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
