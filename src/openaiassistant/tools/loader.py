"""Load declarative HTTP tools from a YAML or JSON file (``openaiassistant ask --tools FILE``).

The file holds either a list of HTTP tool specs or a mapping ``{tools: [...]}`` (see
:mod:`.http` for one spec). Every problem is a :class:`~openaiassistant.errors.ConfigError`
that names the file, the tool's position and name, and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from .registry import ToolRegistry


def load_tools_file(
    path: str | Path,
    *,
    secrets: Mapping[str, str] | None = None,
    registry: ToolRegistry | None = None,
) -> ToolRegistry:
    """Read ``path`` and return a registry holding its tools.

    ``secrets`` resolves ``${secret:NAME}`` references. Pass ``registry`` to add the tools to an
    existing registry (it is returned); otherwise a new one with default limits is made.
    """
    file = Path(path)
    where = f"tools file {str(file)!r}"
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(where, f"cannot be read ({exc.strerror or exc})") from None
    specs = parse_tools_document(text, where=where, json_only=file.suffix.lower() == ".json")
    target = registry if registry is not None else ToolRegistry()
    for index, spec in enumerate(specs):
        label = spec.get("name") if isinstance(spec, dict) else None
        try:
            target.add_http_tool(spec, secrets=secrets)
        except ConfigError as exc:
            raise ConfigError(f"{where}, tools[{index}]" + (f" ({label})" if label else ""), exc.message) from None
    return target


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
