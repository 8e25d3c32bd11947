"""Load tools from a YAML or JSON file (``openaiassistant ask --tools FILE``).

The file holds either a list of entries or a mapping ``{tools: [...]}``. An entry is a
declarative HTTP tool (see :mod:`.http`) or an MCP server (an ``mcp:`` key, see
:mod:`.mcp.spec`) whose tools are listed from the server now; a hosted tool (``web_search``,
``code_interpreter``, ``mcp_remote``: see :mod:`.hosted`) is read by :func:`load_hosted_tools`. The format is
docs/schemas/tools-file.schema.json. Every problem is a :class:`~openaiassistant.errors.ConfigError`
that names the file, the field's path (``tools[1].url``) and the tool's name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..schemas.check import given, path_text, problem_of, problems
from ..schemas.tools_file import TOOLS_FILE_DOCUMENT
from .hosted import HostedTool, is_hosted_entry, parse_entry
from .http import HttpToolSpec
from .toolbox import Toolbox

__all__ = ["add_mcp_server", "load_hosted_tools", "load_tools_file"]


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
    where, specs = _read_entries(path)
    target = registry if registry is not None else Toolbox()
    for index, spec in enumerate(specs):
        if is_hosted_entry(spec):  # the server runs it: read by load_hosted_tools, sent with the spec
            continue
        place = f"tools[{index}]"
        try:
            if "mcp" in spec:
                add_mcp_server(target, spec, where=place, secrets=secrets, servers=mcp_servers)
                continue
            parsed = HttpToolSpec.from_dict(spec, secrets=secrets, where=place)
        except ConfigError as exc:
            raise ConfigError(f"{where}, {exc.parameter}", problem_of(exc) + _named(spec)) from None
        try:
            target.add_http_tool(parsed)
        except ConfigError as exc:  # the registry's own rules (a name used twice)
            raise ConfigError(f"{where}, {place}.name", problem_of(exc)) from None
    return target


def load_hosted_tools(path: str | Path, *, secrets: Mapping[str, str] | None = None) -> tuple[HostedTool, ...]:
    """The hosted-tool entries of a tools file (``- web_search: {}`` ...), for
    ``AssistantSpec(hosted_tools=...)``; see :mod:`.hosted`."""
    where, specs = _read_entries(path)
    return tuple(
        parse_entry(spec, where=f"{where}, tools[{index}]", secrets=secrets)
        for index, spec in enumerate(specs)
        if is_hosted_entry(spec)
    )


def _read_entries(path: str | Path) -> tuple[str, list[Any]]:
    """The file's name as errors give it (``tools file 'x.yaml'``) and its entries."""
    file = Path(path)
    where = f"tools file {str(file)!r}"
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(where, f"cannot be read ({exc.strerror or exc})") from None
    return where, parse_tools_document(text, where=where, json_only=file.suffix.lower() == ".json")


def _named(spec: Any) -> str:
    name = spec.get("name") if isinstance(spec, Mapping) else None
    return f" (tool {name!r})" if isinstance(name, str) else ""


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
    # None is "not given" in an entry, as everywhere (YAML's bare ``timeout:``)
    if isinstance(data, list):
        data = [given(entry) for entry in data]
    elif isinstance(data, dict) and isinstance(data.get("tools"), list):
        data = {**data, "tools": [given(entry) for entry in data["tools"]]}
    found = problems(data, TOOLS_FILE_DOCUMENT)
    specs = data.get("tools") if isinstance(data, dict) else data
    if found:
        path, problem = found[0]
        if isinstance(data, list):
            path = ["tools", *path]
        index = path[1] if len(path) > 1 and isinstance(path[1], int) else None
        named = _named(specs[index]) if index is not None and isinstance(specs, list) else ""
        raise ConfigError(f"{where}, {path_text('', path)}" if path else where, problem + named)
    return list(specs or [])
