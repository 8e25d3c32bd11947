"""Building blocks the published schemas share: flags, numbers, names, argument schemas.

Values in a Keep workflow arrive as text more often than not (Keep renders templates to text
and drops YAML floats), so every number and flag also accepts its text: ``timeout: "10"``,
``strict: "yes"``. The words and texts come from :mod:`openaiassistant.values`, which turns a
checked value into a Python number or bool.

Each definition's ``description`` completes the sentence "must be ...": the error for a wrong
value quotes it (see :mod:`.check`).
"""

from __future__ import annotations

import re
from typing import Any

from openaiassistant.values import FALSE_WORDS, FLAG_TEXT, TRUE_WORDS

__all__ = [
    "COUNT_TEXT",
    "DEFS",
    "END",
    "FLAG_PATTERN",
    "NOT_BLANK",
    "POSITIVE_INTEGER_TEXT",
    "POSITIVE_NUMBER_TEXT",
    "TOOL_FIELDS",
    "TOOL_NAME_PATTERN",
    "any_case",
    "closed_object",
    "ref",
]


def any_case(word: str) -> str:
    """A regex for ``word`` in any case, without inline flags (ECMA-262 patterns have none)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


def ref(name: str) -> dict[str, Any]:
    """A reference to a shared definition (documents carry the ones they use in ``$defs``)."""
    return {"$ref": f"#/$defs/{name}"}


def closed_object(*, title: str, description: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """An entry users write: a mapping that takes these properties and nothing else (an unknown
    key is an error naming the known ones, see :mod:`.check`)."""
    return {
        "title": title,
        "description": description,
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }


FLAG_PATTERN = r"^\s*(" + "|".join(any_case(w) for w in TRUE_WORDS + FALSE_WORDS) + r")\s*$"
# Numbers as text, the way values.parse_number reads them (values.DECIMAL_TEXT: plain decimals,
# no exponent, no inf/nan): a decimal > 0 has a non-zero digit; a whole number may end in ".0".
POSITIVE_NUMBER_TEXT = r"^\s*\+?(?=[0-9.]*[1-9])([0-9]+\.?[0-9]*|\.[0-9]+)\s*$"
POSITIVE_INTEGER_TEXT = r"^\s*\+?0*[1-9][0-9]*(\.0*)?\s*$"
COUNT_TEXT = r"^\s*\+?[0-9]+(\.0*)?\s*$"
TOOL_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
NOT_BLANK = r"\S"  # text with something besides white space
# The end of the text, in ECMA-262 and in Python's re alike (jsonschema searches with re, whose
# "$" also matches before a final newline: "abc\n" would pass "^[a-z]*$").
END = r"(?![\s\S])"


def _positive_number(description: str) -> dict[str, Any]:
    """A number > 0, or its text (values.parse_number with ``low_excluded`` reads both)."""
    return {
        "description": description,
        "anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "pattern": POSITIVE_NUMBER_TEXT}],
    }


# what the model sees of a tool, whatever runs its call (an HTTP request, a Keep provider)
TOOL_FIELDS: dict[str, Any] = {
    "name": ref("tool_name"),
    "description": {"type": "string", "description": "what the tool does (the model reads it)"},
    "parameters": ref("parameters"),
}

DEFS: dict[str, dict[str, Any]] = {
    "flag": {
        "description": FLAG_TEXT,
        "anyOf": [{"type": "boolean"}, {"type": "string", "pattern": FLAG_PATTERN}],
    },
    "seconds": _positive_number('a finite number of seconds > 0 (a number, or its text such as "10")'),
    "positive_number": _positive_number('a finite number > 0 (a number, or its text such as "30")'),
    "positive_integer": {
        "description": 'a whole number > 0 (a number, or its text such as "100")',
        "anyOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "pattern": POSITIVE_INTEGER_TEXT},
        ],
    },
    "count": {
        "description": 'a whole number >= 0 (a number, or its text such as "3")',
        "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": COUNT_TEXT}],
    },
    "json": {
        "description": "JSON: null, true/false, numbers, text, lists and mappings of them",
        "anyOf": [
            {"type": ["null", "boolean", "number", "string"]},
            {"type": "array", "items": ref("json")},
            {"type": "object", "additionalProperties": ref("json")},
        ],
    },
    "tool_name": {
        "description": "1-64 characters of letters, digits, '_' or '-' (the name the model calls)",
        "type": "string",
        "pattern": TOOL_NAME_PATTERN,
    },
    "parameters": {
        "description": (
            "a JSON schema with type: object describing the arguments (or its JSON text); "
            "empty or missing: the tool takes no arguments"
        ),
        "anyOf": [
            {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"const": "object"}, "properties": {"type": "object"}},
            },
            {"type": "object", "maxProperties": 0},
            {"type": "string"},
        ],
    },
}
