"""An MCP server's tools as tools of a :class:`~openaiassistant.tools.Toolbox`.

:func:`mcp_tools` lists the server's tools (``allow`` filters them; a name in ``allow`` the
server does not have is an error naming what it has), turns each ``inputSchema`` into the
parameters the model sees (strict where that keeps its meaning, see :mod:`.strict_schema`)
and returns :class:`McpTool` objects the registry runs like any other tool: in parallel, under
the per-call timeout, with outputs redacted and capped.

A call goes to the process's shared session for the server. A call the server refused
because it no longer knew the session (HTTP 404) is sent once more on a new session (it never
ran). A call whose process died or whose connection broke may have run: it is not sent again;
the model gets an error output saying so, and the next call starts a new session. A call
given up on (timeout, cancelled turn) is cancelled on the server.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from ..base import ToolDefinition
from ..tool import ToolCallError
from .jsonrpc import McpConnectionError, McpProtocolError
from .servers import McpServerError, McpServers
from .session import McpSession
from .spec import McpServerSpec
from .streamable_http import McpSessionExpired
from .strict_schema import tool_schema

__all__ = ["McpTool", "mcp_tools", "tool_result"]

_INVALID = re.compile(r"[^A-Za-z0-9_-]")
_LIST_TIMEOUT = 30.0


@dataclass(kw_only=True)
class McpTool:
    """One tool of an MCP server (implements the registry's Executable interface)."""

    definition: ToolDefinition
    server: McpServerSpec
    servers: McpServers
    remote_name: str
    nullable_optional: frozenset[str] = frozenset()
    timeout: float | None = None
    requires_approval: bool = False

    async def invoke(self, arguments: dict[str, Any]) -> Any:
        # a null for a property made nullable for strict mode means "not given"
        sent = {k: v for k, v in arguments.items() if not (v is None and k in self.nullable_optional)}
        for attempt in (1, 2):
            session = await asyncio.to_thread(self._session)
            try:
                result = await self._call(session, sent)
            except McpSessionExpired:
                self.servers.forget(self.server, session)
                if attempt == 2:
                    raise ToolCallError(f"MCP server {self.server.name!r} dropped the session twice in a row") from None
                continue  # refused, never ran: once more on a new session
            except McpConnectionError as exc:
                self.servers.forget(self.server, session)
                raise ToolCallError(
                    f"MCP server {self.server.name!r} failed during the call ({exc}); the call may have run, "
                    "so it was not sent again; the server is restarted for the next call"
                ) from None
            except McpProtocolError as exc:
                raise ToolCallError(f"MCP server {self.server.name!r} refused the call: {exc}") from None
            return tool_result(result, self.server.name)
        raise AssertionError("unreachable")

    def _session(self) -> McpSession:
        try:
            return self.servers.session(self.server)
        except McpServerError as exc:
            raise ToolCallError(exc.message) from None

    async def _call(self, session: McpSession, arguments: dict[str, Any]) -> Any:
        future = session.request("tools/call", {"name": self.remote_name, "arguments": arguments})
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            session.cancel(future, "the caller gave up (timeout or cancelled turn)")
            raise


def mcp_tools(spec: McpServerSpec, servers: McpServers) -> list[McpTool]:
    """The tools ``spec`` offers the model. Raises McpServerError (names the server) when it
    cannot start, or when ``allow`` names a tool the server does not have."""
    session = servers.session(spec)
    try:
        listed = session.list_tools(timeout=min(spec.startup_timeout, _LIST_TIMEOUT))
    except (McpConnectionError, McpProtocolError) as exc:
        servers.forget(spec, session)
        raise McpServerError(
            f"MCP server {spec.name!r} ({session.transport.describe()}) could not list tools: {exc}"
        ) from None
    by_name = {str(t.get("name")): t for t in listed if t.get("name")}
    if spec.allow is not None:
        missing = [n for n in spec.allow if n not in by_name]
        if missing:
            raise McpServerError(
                f"MCP server {spec.name!r} has no tool(s) {missing}; "
                f"it offers: {', '.join(sorted(by_name)) or '(none)'}"
            )
        chosen = [by_name[n] for n in spec.allow]
    else:
        chosen = list(by_name.values())
    tools = []
    for tool in chosen:
        remote = str(tool["name"])
        schema = tool_schema(tool.get("inputSchema"))
        description = str(tool.get("description") or tool.get("title") or f"{remote} (MCP server {spec.name})")
        tools.append(
            McpTool(
                definition=ToolDefinition(
                    name=model_name(spec.prefix, remote),
                    description=description[:1024],
                    parameters=schema.parameters,
                    strict=schema.strict,
                ),
                server=spec,
                servers=servers,
                remote_name=remote,
                nullable_optional=schema.nullable_optional,
                timeout=spec.timeout,
                requires_approval=spec.needs_approval(remote),
            )
        )
    return tools


def model_name(prefix: str, remote: str) -> str:
    """The name the model calls: MCP allows dots and 128 characters, OpenAI neither."""
    return (prefix + _INVALID.sub("_", remote))[:64]


def tool_result(result: Any, server: str) -> Any:
    """A ``tools/call`` result as the model's output.

    ``isError: true`` becomes an error output with the server's text. ``structuredContent``
    is the output when present; otherwise one text block is its text, and several blocks are
    a list (images and audio are named, not inlined: base64 would flood the context).
    """
    if not isinstance(result, dict):
        raise ToolCallError(f"MCP server {server!r} answered without a result object: {str(result)[:200]}")
    content = result.get("content")
    blocks = [_block(b) for b in content if isinstance(b, dict)] if isinstance(content, list) else []
    if result.get("isError"):
        text = "\n".join(b for b in blocks if isinstance(b, str)) or "the tool reported an error"
        raise ToolCallError(text, data={"server": server})
    if result.get("structuredContent") is not None:
        return result["structuredContent"]
    if len(blocks) == 1:
        return blocks[0]
    return blocks


def _block(block: dict[str, Any]) -> Any:
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind in ("image", "audio"):
        size = len(str(block.get("data", ""))) * 3 // 4
        return {"type": kind, "mimeType": block.get("mimeType"), "note": f"{kind} of about {size} bytes, not shown"}
    if kind == "resource" and isinstance(block.get("resource"), dict):
        resource = block["resource"]
        shown = {k: resource[k] for k in ("uri", "mimeType", "text") if k in resource}
        if "blob" in resource:
            shown["note"] = "binary content not shown"
        return {"type": "resource", **shown}
    if kind == "resource_link":
        return {k: block[k] for k in ("type", "uri", "name", "description", "mimeType") if k in block}
    return block
