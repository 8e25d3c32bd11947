"""Turning the answer's text into ``TurnResult.response``.

Without a schema, JSON is found on a best-effort basis: the whole text, a fenced code block
(```json ... ```), or the first JSON object/array inside surrounding prose. When none parses the
text is kept as it is: that is a normal answer, not an error. With a ``json_schema`` response
format the parsed value must validate; otherwise :class:`OutputValidationError` carries the raw
text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from openaiassistant.errors import OutputValidationError
from openaiassistant.params import ResponseFormat

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\r?\n(.*?)```", re.DOTALL)
_NOT_FOUND = object()


def find_json(text: str) -> Any:
    """The JSON value in ``text``, or ``_NOT_FOUND``. Only objects and arrays count inside prose."""
    stripped = text.strip()
    if not stripped:
        return _NOT_FOUND
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    for match in _FENCE.finditer(text):
        try:
            return json.loads(match.group(1))
        except json.JSONDecodeError:
            continue
    decoder = json.JSONDecoder()
    for index, char in enumerate(text):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(text, index)
            except json.JSONDecodeError:
                continue
            return value
    return _NOT_FOUND


def parse_answer(text: str, response_format: ResponseFormat | None) -> Any:
    """``response`` for the result: parsed JSON when there is JSON, else ``text``.

    Raises OutputValidationError when a JSON schema was requested and the answer does not fit.
    """
    value = find_json(text)
    if response_format is None or response_format.kind != "json_schema":
        # a bare JSON string/number is still "text" for our purposes unless JSON was asked for
        if value is _NOT_FOUND or (isinstance(value, (str, int, float)) and response_format is None):
            return text
        return value
    if value is _NOT_FOUND:
        raise OutputValidationError("the answer is not JSON but a JSON schema was requested", raw_text=text)
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
