"""Turning the answer's text into ``TurnResult.response``.

What counts as a JSON answer depends on whether JSON was asked for:

* no ``response_format`` (or ``text``): only an answer that *is* JSON: the whole text is a JSON
  object or array, or the whole text is one fenced code block (```json ... ```) holding one.
  JSON quoted inside prose stays prose: an answer that says *"it is not
  {"severity": "critical"}"* must not become ``{"severity": "critical"}`` for a later
  ``if: response.severity == 'critical'``.
* ``json_object`` / ``json_schema``: JSON was asked for, so it is looked for harder: the whole
  text, a fenced block anywhere, else the first object/array inside surrounding prose.

When no JSON is found the text is kept as it is: a normal answer, not an error. JSON nested
beyond :data:`~openaiassistant.json_limits.MAX_DEPTH` levels is not JSON here. With a
``json_schema`` response format the parsed value must validate; otherwise
:class:`OutputValidationError` carries the raw text.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from openaiassistant import json_limits
from openaiassistant.errors import OutputValidationError
from openaiassistant.params import ResponseFormat

__all__ = ["parse_answer"]

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\r?\n(.*?)```", re.DOTALL)
_NOT_FOUND = object()
_MAX_CANDIDATES = 1000  # starts of an object/array tried inside prose (bounds the work on odd text)


def _loads(text: str) -> Any:
    try:
        return json_limits.loads(text)
    except json_limits.JSONLimitError:
        return _NOT_FOUND


def whole_json(text: str) -> Any:
    """The object/array that the whole answer is (alone, or as one fenced block), else ``_NOT_FOUND``."""
    stripped = text.strip()
    if not stripped:
        return _NOT_FOUND
    value = _loads(stripped)
    if isinstance(value, (dict, list)):
        return value
    fence = _FENCE.fullmatch(stripped)
    if fence is not None:
        value = _loads(fence.group(1))
        if isinstance(value, (dict, list)):
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
    starts = (index for index, char in enumerate(text) if char in "{[")
    for index in itertools.islice(starts, _MAX_CANDIDATES):
        try:
            return json_limits.raw_decode(text, index)
        except json_limits.JSONTooDeep:  # nested beyond reason: no inner part of it is the answer
            return _NOT_FOUND
        except json_limits.JSONLimitError:
            continue
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
    errors = sorted(validator_cls(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise OutputValidationError(
            f"the answer does not match the JSON schema at {where}: {first.message}"
            + (f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""),
            raw_text=text,
        )
