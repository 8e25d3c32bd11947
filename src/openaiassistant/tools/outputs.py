"""Tool results -> the JSON strings sent back to the model, capped in size.

Every output is valid JSON: a result is serialized with :func:`redacted_json` (dataclasses,
enums, sets, dates and pydantic models are understood; anything else becomes its ``str``; secrets
are hidden value by value), a failure is ``{"error": "..."}``, and an output longer than the cap
is replaced by a JSON object that says so in plain words::

    {"truncated": true, "note": "output truncated: showing 15800 of 48211 characters",
     "total_chars": 48211, "output_prefix": "..."}

so the model can see that it has only part of the answer (and could ask for less).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..redaction import redact_data
from ..values import clean_text

__all__ = ["MIN_OUTPUT_CHARS", "cap_output", "error_json", "redacted_json"]

MIN_OUTPUT_CHARS = 200


def to_json(value: Any) -> str:
    """Serialize a tool's result as JSON text."""
    # clean_text: a lone surrogate in a result would make the whole request unencodable
    return clean_text(json.dumps(value, default=_fallback, ensure_ascii=False))


def redacted_json(value: Any) -> str:
    """Serialize a tool's result with every secret hidden, as valid JSON.

    The value is first reduced to plain JSON data (so dataclasses, pydantic models and the like
    are redacted too), then redacted value by value, then serialized: never a text replace on
    the serialized form, which could cut through JSON syntax.
    """
    return to_json(redact_data(json.loads(to_json(value))))


def error_json(message: str, data: Mapping[str, Any] | None = None) -> str:
    """The output for a failed call, redacted: ``{"error": message, **data}``."""
    payload: dict[str, Any] = {"error": message}
    for key, value in (data or {}).items():
        payload.setdefault(key, value)
    return redacted_json(payload)


def cap_output(text: str, *, max_chars: int) -> str:
    """Return ``text`` unchanged if it fits, else a JSON truncation notice that does."""
    if len(text) <= max_chars:
        return text
    # Escaping can make the prefix longer once embedded in JSON, so search for the longest
    # prefix whose notice fits (the notice only grows with the prefix).
    best = to_json({"truncated": True, "total_chars": len(text)})
    low, high = 0, max_chars
    while low <= high:
        keep = (low + high) // 2
        notice = _notice(text, keep)
        if len(notice) <= max_chars:
            best, low = notice, keep + 1
        else:
            high = keep - 1
    return best


def _notice(text: str, keep: int) -> str:
    return to_json(
        {
            "truncated": True,
            "note": f"output truncated: showing {keep} of {len(text)} characters",
            "total_chars": len(text),
            "output_prefix": text[:keep],
        }
    )


def _fallback(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    for method in ("model_dump", "dict"):  # pydantic 2, then pydantic 1
        dump = getattr(value, method, None)
        if callable(dump):
            try:
                return dump()
            except TypeError:
                pass
    return str(value)
