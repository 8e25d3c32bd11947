"""Parsing the scalar values users write (Python, YAML, Keep templates, the CLI) one way everywhere.

Keep renders every templated value as text and YAML has its own idea of booleans, so a flag may
arrive as ``True``, ``"true"``, ``"yes"`` or ``"on"``; a number of seconds as ``30`` or ``"30"``.
Every place that takes such a value uses these parsers, so one spelling means one thing in a step's
``stream``, a run control like ``parallel_tool_calls`` and a tool's ``strict``; and one number is
checked one way, whether it is a run control, a setting, a timeout or a tool limit. The JSON
Schemas of the formats users write (:mod:`openaiassistant.schemas`) build their flag and number
rules from the same words and the same text rule (:data:`DECIMAL_TEXT`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from openaiassistant.errors import ConfigError

__all__ = [
    "DECIMAL_TEXT",
    "FALSE_WORDS",
    "FLAG_TEXT",
    "TRUE_WORDS",
    "clean_text",
    "parse_bool",
    "parse_count",
    "parse_duration",
    "parse_mapping",
    "parse_number",
    "parse_seconds",
    "positive_seconds",
    "shown",
]

TRUE_WORDS = ("true", "yes", "1", "on")
FALSE_WORDS = ("false", "no", "0", "off")
FLAG_TEXT = "true or false (also yes/no, 1/0, on/off, in any case)"
# A number written as text: plain decimals only (no exponent, no "inf"/"nan", no "1_000"), so
# that the schemas' patterns for numeric text (schemas/common.py) accept exactly what parses.
DECIMAL_TEXT = re.compile(r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)\s*$")
_UNSET = object()


def parse_bool(where: str, value: Any, *, default: Any = _UNSET) -> bool:
    """A boolean, or its text (true/false, yes/no, 1/0, on/off, any case). ``None`` or ``""``
    give ``default`` when one is given; anything else is a ConfigError naming ``where``."""
    if (value is None or value == "") and default is not _UNSET:
        return bool(default)
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ConfigError(where, f"must be {FLAG_TEXT}, got {value!r}")


def parse_number(
    where: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    text_ok: bool = True,
    low_excluded: bool = False,
) -> float:
    """A finite number from ``low`` to ``high`` (numeric text too, unless ``text_ok`` is False:
    the Python API's own settings take real numbers); ``low_excluded``: more than ``low`` (a
    price may be 0, a number of days may not). ``bool`` is never a number."""
    allowed = _range_text(low, high, low_excluded=low_excluded)
    number = _as_float(where, value, text_ok=text_ok, allowed=allowed)
    if not (math.isfinite(number) and low <= number <= high and not (low_excluded and number == low)):
        raise ConfigError(where, f"must be {allowed}, got {shown(value)}")
    return number


def _range_text(low: float, high: float, *, low_excluded: bool) -> str:
    above = f"> {_bound(low)}" if low_excluded else f">= {_bound(low)}"
    if math.isfinite(low) and math.isfinite(high):
        return f"a number {above} and <= {_bound(high)}" if low_excluded else f"a number from {low:g} to {high:g}"
    if math.isfinite(low):
        return f"a number {above}"
    return f"a number <= {_bound(high)}" if math.isfinite(high) else "a number"


def _bound(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def parse_count(
    where: str, value: Any, *, low: int = 0, high: int = 10**9, text_ok: bool = True, int_only: bool = False
) -> int:
    """A whole number from ``low`` to ``high`` (``3``, ``3.0``, ``"3"``; text unless ``text_ok``
    is False; only an ``int`` when ``int_only``: a setting kept as it was given, whose value is
    used as a count of list items)."""
    allowed = f"a whole number from {low} to {high}" if high < 10**9 else f"a whole number >= {low}"
    if int_only and not isinstance(value, int):
        raise ConfigError(where, f"must be {allowed}, got {shown(value)}")
    number = _as_float(where, value, text_ok=text_ok, allowed=allowed)
    if not (math.isfinite(number) and number == int(number) and low <= number <= high):
        raise ConfigError(where, f"must be {allowed}, got {shown(value)}")
    return int(number)


def parse_seconds(where: str, value: Any, *, text_ok: bool = True) -> float:
    """A number of seconds, > 0 and finite (numeric text too, unless ``text_ok`` is False)."""
    seconds = _as_float(where, value, text_ok=text_ok, allowed="a finite number of seconds > 0")
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ConfigError(where, f"must be a finite number of seconds > 0, got {value!r}")
    return seconds


def positive_seconds(where: str, value: Any) -> float | None:
    """:func:`parse_seconds` for a value that may be left out: None (or ``""``) gives None."""
    if value is None or value == "":
        return None
    return parse_seconds(where, value)


def parse_mapping(where: str, value: Any, *, expected: str) -> dict[str, Any] | None:
    """A mapping as a user gives it: the mapping itself, or its JSON text (a Keep template renders
    every value as text); None (or ``""``) gives None. Anything else is a ConfigError at ``where``
    saying ``expected`` (e.g. "must be a mapping of string keys to string values")."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(where, "must be a mapping (or its JSON text)") from None
    if not isinstance(value, Mapping):
        raise ConfigError(where, expected)
    return dict(value)


def _as_float(where: str, value: Any, *, text_ok: bool, allowed: str) -> float:
    if isinstance(value, bool) or (isinstance(value, str) and not (text_ok and DECIMAL_TEXT.match(value))):
        raise ConfigError(where, f"must be {allowed}, got {value!r}")
    try:
        return float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond any float (10**400)
        raise ConfigError(where, f"must be {allowed}, got {shown(value)}") from None


def shown(value: Any, limit: int = 80) -> str:
    """A value as an error message shows it: its repr, cut short (a hostile value can be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clean_text(text: str) -> str:
    """``text`` as UTF-8 can carry it: a lone surrogate (from a mis-decoded alert, a broken
    JSON escape) becomes U+FFFD instead of failing the request with UnicodeEncodeError; a
    surrogate pair written as two code points becomes the character it stands for."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(
    where: str, value: Any, *, minimum: float = 0, maximum: float | None = None, unit_required: bool = False
) -> float:
    """A length of time written as a number and a unit (``90s``, ``30m``, ``12h``, ``7d``), or
    (unless ``unit_required``) a number of seconds; returns seconds, within ``[minimum, maximum]``."""
    text = value.strip().lower() if isinstance(value, str) else value
    try:
        if isinstance(text, str) and text[-1:] in _DURATION_UNITS:
            seconds = float(text[:-1]) * _DURATION_UNITS[text[-1]]
        elif isinstance(text, (int, float, str)) and not isinstance(text, bool) and not unit_required:
            seconds = float(text)
        else:
            raise ValueError(text)
    except (ValueError, IndexError):
        raise ConfigError(where, f"expected a duration such as 90s, 30m, 12h or 7d, got {value!r}") from None
    if not math.isfinite(seconds) or seconds < minimum or (maximum is not None and seconds > maximum):
        bounds = f"from {_human(minimum)}" + (f" to {_human(maximum)}" if maximum is not None else "")
        raise ConfigError(where, f"must be {bounds}, got {value!r}")
    return seconds


def _human(seconds: float) -> str:
    for unit in ("d", "h", "m"):
        size = _DURATION_UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
