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
    │   ├── RunCancelledError       status cancelled: cancelled on the server, not by this turn
    │   ├── RunExpiredError         status expired
    │   └── ActiveRunError          the conversation is busy and on_active_run=fail (or the
    │                               server refused a request of this turn because it is busy)
    ├── TurnTimeoutError            the turn's deadline passed; the run was cancelled
    ├── TurnCancelledError          the caller cancelled the turn (a tool round's cancel event)
    ├── TurnLimitError              the turn hit an engine limit: more tool rounds or calls than
    │                               max_tool_rounds / max_tool_calls, or tool calls and no tools
    ├── ToolError                   a tool could not be offered or run (e.g. an MCP server that
    │                               does not start)
    ├── RegistryError               the thread registry's database cannot be read or written
    │                               where a turn needs it (the chat backend keeps its
    │                               conversations there); names registry_url and the cause
    └── OutputValidationError       the answer does not fit the requested JSON schema;
                                    ``raw_text`` holds what the model said

Tool failures inside a round (bad arguments, a tool that raises or times out) are *not*
exceptions: they are sent back to the model as ``{"error": ...}`` outputs.

Internal signals (a busy conversation, a request that may have landed, a stream that broke
early, a round that waits for approval) are not part of this tree: they never leave the layer
that raised them (see ``backends/signals.py``, ``tools/approval.py``). ``kind`` is therefore just
the class name. Every error pickles (context and all), so it survives a process pool.

Messages never contain secrets: every message passes through
:func:`~openaiassistant.redaction.redact` before it is stored, and the Keep adapter maps any
``AssistantError`` to ``ProviderException(str(err))``.
"""

from __future__ import annotations

from typing import Any

from openaiassistant.redaction import redact

__all__ = [
    "APIError",
    "ActiveRunError",
    "AssistantError",
    "AuthenticationError",
    "ConfigError",
    "IndexingError",
    "NotFoundError",
    "OutputValidationError",
    "QuotaExceededError",
    "RegistryError",
    "RunCancelledError",
    "RunError",
    "RunExpiredError",
    "RunFailedError",
    "ServerUnavailableError",
    "ToolError",
    "TurnCancelledError",
    "TurnLimitError",
    "TurnTimeoutError",
]


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
        """The error's class name (``TurnTimeoutError``, ...), for one-line reports."""
        return type(self).__name__

    def __reduce__(self) -> tuple[Any, ...]:
        # every attribute travels: subclasses take other constructor arguments than ``args``
        return (_restore, (type(self), dict(self.__dict__)))

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


class TurnCancelledError(AssistantError):
    pass


class TurnLimitError(AssistantError):
    pass


class ToolError(AssistantError):
    pass


class RegistryError(AssistantError):
    pass


class OutputValidationError(AssistantError):
    def __init__(self, message: str, *, raw_text: str, **ctx: Any) -> None:
        self.raw_text = raw_text
        super().__init__(message, **ctx)


def _restore(cls: type[AssistantError], state: dict[str, Any]) -> AssistantError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error
