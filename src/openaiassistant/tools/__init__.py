"""Function tools: definitions, the parallel executor, declarative HTTP tools.

Public surface (everything else is internal):

* :class:`Toolbox` - the :class:`~.base.Toolset` the engine runs (``definitions()``,
  ``execute_round(calls, deadline=...)``); ``@registry.tool``, ``register``, ``add``,
  ``add_http_tool``.
* :class:`Tool` / :class:`Executable` - one record type for a tool, and the small interface any
  pluggable executor implements (``definition`` + ``invoke(arguments)``).
* :class:`ToolCallError` - raise inside a tool for a structured ``{"error": ...}`` output.
* :class:`AbandonedCallLimit` - the bound on sync tool threads left running after a timeout
  (one per registry by default; share one between registries built per request).
* :class:`HttpToolSpec` and :func:`load_tools_file` - declarative HTTP tools from dicts or files.
* the shared records from :mod:`.base`.

The names load on first use (PEP 562): importing one of the sub-modules (``tools.base``,
``tools.approval``, as the engine does) does not pull in the HTTP client, jsonschema, YAML or
the MCP client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openaiassistant.lazy import lazy_names

_LAZY = {
    "AbandonedCallLimit": ".threads",
    "Executable": ".tool",
    "HttpToolSpec": ".http",
    "Tool": ".tool",
    "ToolCall": ".base",
    "ToolCallError": ".tool",
    "ToolDefinition": ".base",
    "ToolOutput": ".base",
    "ToolRecord": ".base",
    "Toolbox": ".toolbox",
    "Toolset": ".base",
    "load_tools_file": ".loader",
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from .base import ToolCall, ToolDefinition, ToolOutput, ToolRecord, Toolset
    from .http import HttpToolSpec
    from .loader import load_tools_file
    from .threads import AbandonedCallLimit
    from .tool import Executable, Tool, ToolCallError
    from .toolbox import Toolbox

__all__ = [
    "AbandonedCallLimit",
    "Executable",
    "HttpToolSpec",
    "Tool",
    "ToolCall",
    "ToolCallError",
    "ToolDefinition",
    "ToolOutput",
    "ToolRecord",
    "Toolbox",
    "Toolset",
    "load_tools_file",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
