"""Turning the answer's text into ``TurnResult.response``.

What counts as a JSON answer depends on whether JSON was asked for:

* no ``response_format`` (or ``text``): only an answer that *is* JSON: the whole text is a JSON
  object or array, or the whole text is one fenced code block (```json ... ```) holding one.
  JSON quoted inside prose stays prose: an answer that says *"it is not
  {"severity": "critical"}"* must not become ``{"severity": "critical"}`` for a later
  ``if: response.severity == 'critical'``.
* ``json_object`` / ``json_schema``: JSON was asked for, so it is looked for harder: the whole
  text, a fenced block anywhere, else the first object/array inside surrounding prose.

When no JSON is found the text is kept as it is: a normal answer, not an error. With a
``json_schema`` response format the parsed value must validate; otherwise
:class:`OutputValidationError` carries the raw text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from openaiassistant.errors import OutputValidationError
from openaiassistant.params import ResponseFormat

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\r?\n(.*?)```", re.DOTALL)
_NOT_FOUND = object()
# No answer anyone reads is nested deeper; deeper values would break json.dumps (response_json)
# and schema validation by recursion, so they are kept as text.
MAX_DEPTH = 100
_MAX_CANDIDATES = 1000  # starts of an object/array tried inside prose (bounds the work on odd text)


def _loads(text: str) -> Any:
    """``json.loads`` that answers ``_NOT_FOUND`` for anything it cannot read, including
    text nested deeper than the parser's recursion limit and non-standard constants."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return _NOT_FOUND
    return value if not too_deep(value) else _NOT_FOUND


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed JSON value nests containers more than ``limit`` levels (no recursion)."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = [
            child
            for item in level
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, (dict, list))
        ]
        if not level:
            return False
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _structured(value: Any) -> bool:
    return isinstance(value, (dict, list))


def whole_json(text: str) -> Any:
    """The object/array that the whole answer is (alone, or as one fenced block), else ``_NOT_FOUND``."""
    stripped = text.strip()
    if not stripped:
        return _NOT_FOUND
    value = _loads(stripped)
    if _structured(value):
        return value
    fence = _FENCE.fullmatch(stripped)
    if fence is not None:
        value = _loads(fence.group(1))
        if _structured(value):
            return value
    return _NOT_FOUND


def find_json(text: str) -> Any:
    """The JSON value in ``text`` when JSON was asked for: the whole text (any JSON value), a
    fenced block, or the first object/array inside prose; else ``_NOT_FOUND``."""
    stripped = text.strip()
    if not stripped:
        return _NOT_FOUND
    value = _loads(stripped)
    if value is not _NOT_FOUND:
        return value
    for match in _FENCE.finditer(text):
        value = _loads(match.group(1))
        if value is not _NOT_FOUND:
            return value
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    starts = (index for index, char in enumerate(text) if char in "{[")
    for _, index in zip(range(_MAX_CANDIDATES), starts):
        try:
            value, _end = decoder.raw_decode(text, index)
        except ValueError:
            continue
        except RecursionError:  # nested beyond reason: no part of it is the answer
            return _NOT_FOUND
        return value if not too_deep(value) else _NOT_FOUND
    return _NOT_FOUND


def parse_answer(text: str, response_format: ResponseFormat | None) -> Any:
    """``response`` for the result: parsed JSON when the answer is JSON (see the module
    docstring for when it is), else ``text``.

    Raises OutputValidationError when a JSON schema was requested and the answer does not fit.
    """
    kind = response_format.kind if response_format is not None else None
    if kind not in ("json_object", "json_schema"):
        value = whole_json(text)
        return text if value is _NOT_FOUND else value
    value = find_json(text)
    if kind == "json_object":
        return text if value is _NOT_FOUND else value
    if value is _NOT_FOUND:
        raise OutputValidationError("the answer is not JSON but a JSON schema was requested", raw_text=text)
    assert response_format is not None
    _validate(value, response_format.schema or {}, text)
    return value


def _validate(value: Any, schema: dict[str, Any], text: str) -> None:
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema)
    try:
        errors = sorted(validator_cls(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    except RecursionError:
        raise OutputValidationError(
            "the answer is nested too deeply to check against the schema", raw_text=text
        ) from None
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise OutputValidationError(
            f"the answer does not match the JSON schema at {where}: {first.message}"
            + (f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""),
            raw_text=text,
        )
