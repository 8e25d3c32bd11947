"""The scripted model's hosted-tool steps: ``web_search`` and ``mcp`` (documented in docs/emulator.md).

    web_search: {query: "{{ input }}", sources: [{url: https://..., title: ...}]}   # or: true
    mcp: {tool: echo, arguments: {message: "{{ input }}"}, server_label: docs}     # server_label optional

A step with one of them applies only when the request offers that tool (``web_search`` /
``mcp``); its reply may use ``{{ mcp.output }}``, the text the MCP server answered.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

__all__ = ["MCP_OUTPUT", "available", "parse_mcp", "parse_web_search", "render"]

MCP_OUTPUT = "\x01mcp-output\x01"  # what ``{{ mcp.output }}`` renders to until the call has run


class _Error(ValueError):
    pass


def parse_web_search(raw: Any, where: str, error: type[ValueError] = _Error) -> dict[str, Any] | None:
    if raw is None or raw is False:
        return None
    spec = {} if raw is True else raw
    if not isinstance(spec, dict):
        raise error(f"{where}.web_search must be true or a mapping with query and sources")
    sources = spec.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, dict) and s.get("url") for s in sources):
        raise error(f"{where}.web_search.sources must be a list of {{url, title}}")
    return {"query": str(spec.get("query") or "{{ input }}"), "sources": [dict(s) for s in sources]}


def parse_mcp(raw: Any, where: str, error: type[ValueError] = _Error) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("tool"), str):
        raise error(f"{where}.mcp must be a mapping with tool (and arguments, server_label)")
    arguments = raw.get("arguments") or {}
    if not isinstance(arguments, dict):
        raise error(f"{where}.mcp.arguments must be a mapping")
    label = raw.get("server_label")
    return {"tool": raw["tool"], "arguments": arguments, "server_label": None if label is None else str(label)}


def available(web_search: Any, mcp: Any, offered: Collection[str]) -> bool:
    """The step's hosted tools are all offered by the request."""
    return (web_search is None or "web_search" in offered) and (mcp is None or "mcp" in offered)


def render(
    web_search: dict[str, Any] | None,
    mcp: dict[str, Any] | None,
    variables: dict[str, Any],
    template: Callable[[Any, dict[str, Any]], Any],
) -> list[tuple[str, dict[str, Any]]]:
    """The hosted calls of a step, templated, in the order they run."""
    calls: list[tuple[str, dict[str, Any]]] = []
    if web_search is not None:
        calls.append(("web_search", template(web_search, variables)))
    if mcp is not None:
        calls.append(("mcp", template(mcp, variables)))
    return calls
