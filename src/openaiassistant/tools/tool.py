"""The one record type for an executable tool.

Python callables (:meth:`Toolbox.register`) and declarative HTTP tools
(:meth:`Toolbox.add_http_tool`) both compile into a :class:`Tool`; anything else that
has a ``definition`` and an ``invoke(arguments)`` (the :class:`Executable` protocol) can be added
too, for example a tool that calls another Keep provider.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigError
from .base import ToolDefinition

__all__ = ["Executable", "Tool", "ToolCallError", "check_tool_name"]

# OpenAI's rule for function names.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@runtime_checkable
class Executable(Protocol):
    """The small executor interface the registry runs.

    ``invoke`` receives the parsed arguments (already validated against
    ``definition.parameters`` unless ``validate_arguments`` is false) and returns any
    JSON-serializable value, or an awaitable of one. Raising :class:`ToolCallError` (or any
    exception) turns into an ``{"error": ...}`` output for the model.
    """

    @property
    def definition(self) -> ToolDefinition: ...

    def invoke(self, arguments: dict[str, Any]) -> Any: ...


@dataclass(frozen=True, kw_only=True)
class Tool:
    """A tool the registry can run.

    ``invoke`` may be sync (it runs in its own worker thread) or async (it runs on the round's
    event loop, and is then truly cancelled on timeout or when the turn ends). ``timeout``
    overrides the registry's ``call_timeout`` for this tool.
    """

    definition: ToolDefinition
    invoke: Callable[[dict[str, Any]], Any] | Callable[[dict[str, Any]], Awaitable[Any]]
    timeout: float | None = None
    validate_arguments: bool = True
    requires_approval: bool = False  # a call waits for a person (see tools.approval)

    def __post_init__(self) -> None:
        check_tool_name(self.definition.name)
        if self.timeout is not None and not self.timeout > 0:
            raise ConfigError(f"tool {self.definition.name}, timeout", f"must be > 0 seconds, got {self.timeout!r}")


class ToolCallError(Exception):
    """Raise inside a tool to send a structured error to the model.

    The output becomes ``{"error": message, **data}``. This never escapes ``execute_round``:
    it is a signal from a tool to the executor, not part of the package's error tree.
    """

    def __init__(self, message: str, *, data: Mapping[str, Any] | None = None) -> None:
        self.message = message
        self.data = dict(data or {})
        super().__init__(message)


def check_tool_name(name: str) -> None:
    """Reject names the API would refuse (letters, digits, ``_`` and ``-``; at most 64)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError("tool name", f"{name!r} must be 1-64 characters of letters, digits, '_' or '-'")
