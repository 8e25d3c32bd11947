"""The structured answer the scripted model gives ("verdict" rules: severity and reason), as
the ``response_format`` a turn asks for it with: the engine's chat tests and the compatibility
suite ask the same."""

from __future__ import annotations

from typing import Any

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"severity": {"type": "string"}, "reason": {"type": "string"}},
    "required": ["severity", "reason"],
    "additionalProperties": False,
}
VERDICT_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA, "strict": True},
}
