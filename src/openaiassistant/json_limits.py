"""JSON from others (a model's answer, a model's tool arguments), read within limits.

``json.loads`` raises RecursionError on text nested deeper than the interpreter's stack allows
(50 000 ``[`` in a row) and returns values that ``json.dumps`` and ``jsonschema`` later cannot
walk for the same reason; it also accepts ``NaN`` and ``Infinity``, which are not JSON.
:func:`loads` turns all of these into one :class:`JSONLimitError` (a ``ValueError``, as
``json.JSONDecodeError`` is), so callers handle bad JSON in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from openaiassistant.values import clean_text

__all__ = ["JSONLimitError", "JSONTooDeep", "loads", "raw_decode"]

MAX_DEPTH = 100  # no answer or argument anyone reads nests deeper


class JSONLimitError(ValueError):
    """The text is not JSON, or not JSON within our limits (depth, standard constants)."""


class JSONTooDeep(JSONLimitError):
    """The JSON nests containers deeper than the limit."""


def _reject_constant(name: str) -> Any:
    raise JSONLimitError(f"{name} is not a JSON value")


def loads(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises JSONLimitError for anything it cannot or should not read.

    A lone surrogate a ``\\udXXX`` escape spells (valid JSON, but not text UTF-8 can carry)
    comes back as U+FFFD, so what is read can always be written again."""
    value = _within(lambda: json.loads(text, parse_constant=_reject_constant), max_depth=max_depth)
    return _clean(value) if "\\ud" in text.lower() else value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): _clean(v) for k, v in value.items()}
    return value


def raw_decode(text: str, index: int, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value starting at ``text[index]`` (trailing text ignored), within the limits."""
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    return _within(lambda: decoder.raw_decode(text, index)[0], max_depth=max_depth)


def _within(decode: Callable[[], Any], *, max_depth: int) -> Any:
    """What ``decode`` reads, its failures (too deep for the stack or the limit, not JSON) as
    JSONLimitError: the one place both readers above turn bad JSON into our error."""
    try:
        value = decode()
    except RecursionError:
        raise JSONTooDeep(f"nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as exc:
        raise JSONLimitError(f"{exc.msg} at character {exc.pos}") from None
    if too_deep(value, max_depth):
        raise JSONTooDeep(f"nested more than {max_depth} levels deep")
    return value


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether containers nest more than ``limit`` levels (walked level by level, no recursion)."""
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
