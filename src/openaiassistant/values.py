"""Parsing the scalar values users write (Python, YAML, Keep templates, the CLI) one way everywhere.

Keep renders every templated value as text and YAML has its own idea of booleans, so a flag may
arrive as ``True``, ``"true"``, ``"yes"`` or ``"on"``; a number of seconds as ``30`` or ``"30"``.
Every place that takes such a value uses these parsers, so one spelling means one thing in a step's
``stream``, a run control like ``parallel_tool_calls`` and a tool's ``strict``. The JSON Schemas of
the formats users write (:mod:`openaiassistant.schemas`) build their flag and number rules from the
same words and the same texts.
"""

from __future__ import annotations

import math
import re
from typing import Any

from openaiassistant.errors import ConfigError

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
    integer: bool = False,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    what: str | None = None,
) -> float | int:
    """A finite number, or its text (``"0.2"``, ``" 10 "``), within the bounds: ``minimum`` and
    ``maximum`` inclusive, ``above`` exclusive. ``integer``: a whole number (``"5"``, ``5.0``).
    ``what`` names the kind of number in the error (default "a number" / "a whole number")."""
    kind = what or ("a whole number" if integer else "a number")
    bounds = _bounds_text(minimum=minimum, above=above, maximum=maximum)
    expected = f"{kind}{bounds}" if integer else f"a finite {kind.removeprefix('a ')}{bounds}"
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not DECIMAL_TEXT.match(value)):
        raise ConfigError(where, f"must be {expected}, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(where, f"must be {expected}, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(where, f"must be {expected}, got {value!r}")
    if integer and not number.is_integer():
        raise ConfigError(where, f"must be {expected}, got {value!r}")
    low_ok = (minimum is None or number >= minimum) and (above is None or number > above)
    if not low_ok or (maximum is not None and number > maximum):
        raise ConfigError(where, f"must be {expected}, got {value!r}")
    return int(number) if integer else number


def positive_seconds(where: str, value: Any) -> float | None:
    """A number of seconds (numbers or numeric text), > 0 and finite; None when not given."""
    if value is None or value == "":
        return None
    return float(parse_number(where, value, above=0, what="a number of seconds"))


def _bounds_text(*, minimum: float | None, above: float | None, maximum: float | None) -> str:
    parts = []
    if above is not None:
        parts.append(f"> {above:g}")
    if minimum is not None:
        parts.append(f">= {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    return (" " + " and ".join(parts)) if parts else ""
