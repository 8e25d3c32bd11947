"""MCP client tools: an MCP server's tools offered to the assistant.

One module per job:

* :mod:`.jsonrpc` - JSON-RPC 2.0 messages and the table of waiting requests
* :mod:`.transport` - what a session needs from a transport
* :mod:`.stdio` - a server process speaking newline-delimited JSON-RPC
* :mod:`.streamable_http` - the Streamable HTTP transport (JSON or SSE answers, sessions)
* :mod:`.session` - initialize / version negotiation / tools/list / tools/call / cancel
* :mod:`.servers` - the sessions of one process: reused, restarted when dead
* :mod:`.spec` - the ``mcp:`` entry of a tools file or a Keep step
* :mod:`.strict_schema` - an ``inputSchema`` made strict where that keeps its meaning
* :mod:`.adapter` - the server's tools as registry tools

Hand-written against the published specification (modelcontextprotocol.io, revisions
2024-11-05 to 2025-11-25): the official ``mcp`` SDK needs pydantic >= 2.12 and httpx2 and
cannot be installed beside Keep's pins.

The names load on first use: a module that needs only :mod:`.spec` (the hosted tools' entry
check) does not start the HTTP client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openaiassistant.lazy import lazy_names

_LAZY = {
    "McpTool": ".adapter",
    "mcp_tools": ".adapter",
    "McpServerError": ".servers",
    "McpServers": ".servers",
    "default_servers": ".servers",
    "PROTOCOL_VERSIONS": ".session",
    "McpSession": ".session",
    "McpServerSpec": ".spec",
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from .adapter import McpTool, mcp_tools
    from .servers import McpServerError, McpServers, default_servers
    from .session import PROTOCOL_VERSIONS, McpSession
    from .spec import McpServerSpec

__all__ = [
    "PROTOCOL_VERSIONS",
    "McpServerError",
    "McpServerSpec",
    "McpServers",
    "McpSession",
    "McpTool",
    "default_servers",
    "mcp_tools",
]

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
