"""Secrets never leave the package: :func:`redact` for text, :func:`redact_data` for JSON-like
values, :func:`register_secret` for values known to be secret (API keys, tool credentials).

Every :class:`~openaiassistant.errors.AssistantError` message passes through :func:`redact`;
tool outputs and log records do too.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MIN_SECRET_LENGTH", "redact", "redact_data", "register_secret"]

_SECRET_PATTERNS = [
    # The left boundary keeps ordinary words whole: "disk-usage-report", "task-runner-nightly".
    re.compile(r"(?<![A-Za-z0-9])sk-(?:proj-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9_\-\.=]{8,}"),
    re.compile(r"(?i)(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{4,}"),
]
# A mapping key naming an API key: its string value is hidden whole (see redact_data).
_API_KEY_NAME = re.compile(r"(?i)api[_-]?key$")
# Shorter values are words ("true", "none", "basic"), not secrets: replacing them as substrings
# everywhere would corrupt unrelated data.
MIN_SECRET_LENGTH = 8
_extra_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value (an API key, a credential) so that :func:`redact` hides it.

    Values shorter than :data:`MIN_SECRET_LENGTH` characters are ignored: they are words, and
    the set is process-wide. Register only values that come from a sensitive source.
    """
    if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
        _extra_secrets.add(value)


def redact(text: str) -> str:
    """Hide known secrets and anything shaped like an API key or bearer token."""
    for secret in sorted(_extra_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        # group 1 is a prefix that stays ("Bearer ", "api_key=")
        text = pattern.sub(lambda m: m.group(1) + "***", text) if pattern.groups else pattern.sub("***", text)
    return text


def redact_data(value: Any) -> Any:
    """Redact a JSON-like value (dicts, lists, strings, numbers) without breaking its structure.

    Strings (keys included) go through :func:`redact`; a string under a key that names an API
    key (``api_key``, ``x-api-key``) is hidden whole; a number that spells a registered secret
    becomes ``"***"``. Booleans and null stay as they are, so the result always serializes to
    valid JSON. Redact data this way *before* serializing it:
    replacing inside serialized text can cut through JSON syntax (``{"ok": ***}``) and misses
    secrets that JSON escapes (quotes, backslashes).
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): _redact_entry(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(value)
        return value if redact(text) == text else "***"
    return value


def _redact_entry(key: str, value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 4 and _API_KEY_NAME.search(key):
        return "***"
    return redact_data(value)
