"""Load tools from a YAML or JSON file (``openaiassistant ask --tools FILE``).

The file holds either a list of entries or a mapping ``{tools: [...]}``. An entry is a
declarative HTTP tool (see :mod:`.http`) or an MCP server (an ``mcp:`` key, see
:mod:`.mcp.spec`) whose tools are listed from the server now. Every problem is a
:class:`~openaiassistant.errors.ConfigError` that names the file, the tool's position and name, and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from .toolbox import Toolbox


def load_tools_file(
    path: str | Path,
    *,
    secrets: Mapping[str, str] | None = None,
    registry: Toolbox | None = None,
    mcp_servers: Any = None,
) -> Toolbox:
    """Read ``path`` and return a registry holding its tools.

    ``secrets`` resolves ``${secret:NAME}`` references. Pass ``registry`` to add the tools to an
    existing registry (it is returned); otherwise a new one with default limits is made.
    MCP servers are started (or reused) through ``mcp_servers`` (default: the process's
    shared :func:`~.mcp.default_servers`); one that cannot start is a ToolError naming it.
    """
    file = Path(path)
    where = f"tools file {str(file)!r}"
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(where, f"cannot be read ({exc.strerror or exc})") from None
    specs = parse_tools_document(text, where=where, json_only=file.suffix.lower() == ".json")
    target = registry if registry is not None else Toolbox()
    for index, spec in enumerate(specs):
        label = spec.get("name") if isinstance(spec, dict) else None
        try:
            if "mcp" in spec:
                add_mcp_server(target, spec, where=f"{where}, tools[{index}]", secrets=secrets, servers=mcp_servers)
            else:
                target.add_http_tool(spec, secrets=secrets)
        except ConfigError as exc:
            raise ConfigError(f"{where}, tools[{index}]" + (f" ({label})" if label else ""), exc.message) from None
    return target


def add_mcp_server(
    registry: Toolbox,
    entry: Mapping[str, Any],
    *,
    where: str,
    secrets: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    servers: Any = None,
) -> list[Any]:
    """Add the tools of one ``mcp:`` entry to ``registry`` (the server is started now)."""
    from .mcp import McpServerSpec, default_servers, mcp_tools

    spec = McpServerSpec.from_dict(entry, where=where, secrets=secrets, environ=environ)
    tools = mcp_tools(spec, servers if servers is not None else default_servers())
    for tool in tools:
        registry.add(tool)
    return tools


def parse_tools_document(text: str, *, where: str = "tools file", json_only: bool = False) -> list[Any]:
    """Parse the document's text into a list of spec dicts (not yet validated)."""
    try:
        # YAML is a superset of JSON, but a .json file gets JSON's stricter errors.
        data = json.loads(text) if json_only else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(where, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError(where, f"is not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from None
    if isinstance(data, dict):
        if set(data) != {"tools"}:
            raise ConfigError(where, f"a mapping must have exactly one key, 'tools'; found {sorted(map(str, data))}")
        data = data["tools"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError(where, f"must hold a list of tool specs or {{tools: [...]}}, got {type(data).__name__}")
    for index, spec in enumerate(data):
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}, tools[{index}]", f"must be a mapping, got {type(spec).__name__}")
    return data
