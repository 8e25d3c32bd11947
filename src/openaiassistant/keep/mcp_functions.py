"""MCP servers declared in a Keep step's ``functions:``, within what the Keep server allows.

Anyone who can edit a workflow writes these entries, and a stdio entry starts a program on the
Keep server. So:

* a stdio server's program must be listed by the Keep server's operator in
  ``OPENAIASSISTANT_MCP_COMMANDS`` (comma-separated program names or absolute paths); any other
  command fails the step before anything runs;
* ``${env:NAME}`` in ``env`` and ``headers`` reads only ``OPENAIASSISTANT_TOOL_*`` variables
  (as for HTTP tools, see :mod:`.http_functions`); the server process never inherits the
  worker's environment (only PATH, HOME, LANG and the like, see ``tools.mcp.stdio``);
* Streamable HTTP servers (``url``) need no allow-list: like HTTP tools, they only reach the
  URL the author wrote.

Sessions are shared by every step of the worker (``tools.mcp.default_servers``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from openaiassistant.errors import ConfigError
from openaiassistant.keep.http_functions import ENV_PREFIX, allowed_environment
from openaiassistant.tools.loader import add_mcp_server
from openaiassistant.tools.toolbox import Toolbox

__all__ = ["add_step_mcp_server"]

COMMANDS_VARIABLE = "OPENAIASSISTANT_MCP_COMMANDS"
_ENV_REF = re.compile(r"\$\{env:([^}]*)\}")


def add_step_mcp_server(
    registry: Toolbox,
    entry: Mapping[str, Any],
    *,
    where: str,
    environ: Mapping[str, str] | None = None,
    servers: Any = None,
) -> list[Any]:
    """Check a step's ``mcp:`` entry against the server's allowances and add its tools."""
    source = os.environ if environ is None else environ
    server = entry.get("mcp")
    if isinstance(server, Mapping):
        for ref in _env_refs(server):
            if not ref.strip().startswith(ENV_PREFIX):
                raise ConfigError(
                    where,
                    f"${{env:{ref.strip()}}} is not allowed: a workflow's MCP servers may read only environment "
                    f"variables named {ENV_PREFIX}*",
                )
    command = _program(server)
    if command is not None:
        allowed = [c.strip() for c in source.get(COMMANDS_VARIABLE, "").split(",") if c.strip()]
        # exact match: a bare name allows that name looked up on PATH, never some path ending in it
        if command not in allowed:
            raise ConfigError(
                f"{where}.mcp.command",
                f"{command!r} may not be started from a workflow: a stdio MCP server runs a program on the Keep "
                f"server; its operator allows programs by listing them in {COMMANDS_VARIABLE} "
                f"(allowed now: {', '.join(allowed) or 'none'})",
            )
    return add_mcp_server(
        registry, entry, where=where, secrets={}, environ=allowed_environment(source), servers=servers
    )


def _program(server: Any) -> str | None:
    if isinstance(server, str):
        return None if "://" in server else server.split()[0]
    if not isinstance(server, Mapping) or "command" not in server:
        return None
    command = server["command"]
    if isinstance(command, str):
        parts = command.split()
        return parts[0] if parts else ""
    if isinstance(command, list) and command and isinstance(command[0], str):
        return command[0]
    return ""


def _env_refs(value: Any) -> list[str]:
    if isinstance(value, str):
        return _ENV_REF.findall(value)
    if isinstance(value, Mapping):
        return [ref for item in value.values() for ref in _env_refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _env_refs(item)]
    return []
