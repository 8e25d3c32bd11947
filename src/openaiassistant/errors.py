"""One error tree for the whole package.

    AssistantError                  base; carries context (backend, thread_id, run_id, status)
    ├── ConfigError                 the caller's misuse: a bad setting or run parameter.
    │                               Raised before any API call; names the parameter and what
    │                               is allowed.
    ├── APIError                    the server said no (HTTP status + code), after retries
    │   ├── AuthenticationError     401 / 403: bad or missing API key
    │   ├── NotFoundError           404: assistant, thread/conversation or run does not exist
    │   ├── QuotaExceededError      429 insufficient_quota: never retried
    │   ├── ServerUnavailableError  connection failures, 5xx and 429 once retries ran out
    │   └── IndexingError           a vector store could not index files (``failures``: per file)
    ├── RunError                    the run/response ended without an answer
    │   ├── RunFailedError          status failed (code, message)
    │   ├── RunCancelledError       status cancelled
    │   ├── RunExpiredError         status expired
    │   └── ActiveRunError          on_active_run=fail and the conversation is busy
    ├── TurnTimeoutError            the turn's deadline passed; the run was cancelled
    ├── ToolError                   the tool loop hit an engine limit (rounds, calls) or the
    │                               model asked for tools and no tool set was given
    └── OutputValidationError       the answer does not fit the requested JSON schema;
                                    ``raw_text`` holds what the model said

Tool failures (bad arguments, a tool that raises or times out) are *not* exceptions: they are
sent back to the model as ``{"error": ...}`` outputs. Only engine limits raise ``ToolError``.

Messages never contain secrets: every message passes through :func:`redact` before it is
stored, and the Keep adapter maps any ``AssistantError`` to ``ProviderException(str(err))``.
"""

from __future__ import annotations

import re
from typing import Any

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
        if pattern.groups:  # group 1 is a prefix that stays ("Bearer ", "api_key=")
            text = pattern.sub(lambda m: m.group(1) + "***", text)
        else:
            text = pattern.sub("***", text)
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


class AssistantError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        status: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.backend = backend
        self.thread_id = thread_id
        self.run_id = run_id
        self.status = status
        super().__init__(self.message)

    def with_context(self, **context: Any) -> AssistantError:
        """Attach context once, at the boundary, without overwriting what is already known."""
        for key, value in context.items():
            if value is not None and getattr(self, key, None) is None:
                setattr(self, key, value)
        return self

    @property
    def kind(self) -> str:
        """The name of the public error class this is (internal subclasses report their parent)."""
        for cls in type(self).__mro__:
            if cls.__module__ == __name__:
                return cls.__name__
        return type(self).__name__

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k in ("thread_id", "run_id", "status") if (v := getattr(self, k))]
        return f"{self.message} ({', '.join(parts)})" if parts else self.message


class ConfigError(AssistantError, ValueError):
    """A setting or run parameter is invalid; nothing was sent."""

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        super().__init__(f"invalid {parameter}: {problem}")


class APIError(AssistantError):
    def __init__(self, message: str, *, http_status: int | None = None, code: str | None = None, **ctx: Any) -> None:
        self.http_status = http_status
        self.code = code
        super().__init__(message, **ctx)


class AuthenticationError(APIError):
    pass


class NotFoundError(APIError):
    pass


class QuotaExceededError(APIError):
    pass


class ServerUnavailableError(APIError):
    pass


class IndexingError(APIError):
    """Files that a vector store failed to index; ``failures`` maps each file to the server's reason."""

    def __init__(self, message: str, *, failures: dict[str, str] | None = None, **ctx: Any) -> None:
        self.failures = dict(failures or {})
        super().__init__(message, **ctx)


class RunError(AssistantError):
    def __init__(self, message: str, *, code: str | None = None, **ctx: Any) -> None:
        self.code = code
        super().__init__(message, **ctx)


class RunFailedError(RunError):
    pass


class RunCancelledError(RunError):
    pass


class RunExpiredError(RunError):
    pass


class ActiveRunError(RunError):
    pass


class TurnTimeoutError(AssistantError, TimeoutError):
    pass


class ToolError(AssistantError):
    pass


class OutputValidationError(AssistantError):
    def __init__(self, message: str, *, raw_text: str, **ctx: Any) -> None:
        self.raw_text = raw_text
        super().__init__(message, **ctx)
