"""The scripted model's hosted-tool steps: ``web_search``, ``mcp`` and ``code_interpreter``
(documented in docs/emulator.md).

    web_search: {query: "{{ input }}", sources: [{url: https://..., title: ...}]}   # or: true
    mcp: {tool: echo, arguments: {message: "{{ input }}"}, server_label: docs}     # server_label optional
    code_interpreter: {code: "print(1)", files: [{name: out.csv, content: ...}]}    # or: true

A step with ``web_search`` or ``mcp`` applies only when the request offers that tool (``web_search`` /
``mcp``); its reply may use ``{{ mcp.output }}``, the text the MCP server answered.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

__all__ = ["MCP_OUTPUT", "available", "parse_code_interpreter", "parse_mcp", "parse_web_search", "render"]

MCP_OUTPUT = "\x01mcp-output\x01"  # what ``{{ mcp.output }}`` renders to until the call has run


class _Error(ValueError):
    pass


def parse_web_search(raw: Any, where: str, error: type[ValueError] = _Error) -> dict[str, Any] | None:
    """``web_search: {query, sources: [{url, title}]}`` (``true`` = the input as query, no sources)."""
    return _true_or_mapping(
        raw, where, error, tool="web_search", text="query", default="{{ input }}", items="sources", needs="url"
    )


def parse_code_interpreter(raw: Any, where: str, error: type[ValueError] = _Error) -> dict[str, Any] | None:
    """``code_interpreter: {code, files: [{name, content}]}`` (``true`` = run code, write nothing)."""
    return _true_or_mapping(
        raw, where, error, tool="code_interpreter", text="code", default="print('ok')", items="files", needs="name"
    )


_ITEM_SHAPES = {"sources": "{url, title}", "files": "{name, content}"}  # as the errors name them


def _true_or_mapping(
    raw: Any, where: str, error: type[ValueError], *, tool: str, text: str, default: str, items: str, needs: str
) -> dict[str, Any] | None:
    """A step's ``tool: true`` or ``tool: {TEXT, ITEMS: [{NEEDS: ...}, ...]}``, as the plan takes it:
    the text (``default`` when not given) and a list of mappings, each with its ``needs`` key."""
    if raw is None or raw is False:
        return None
    spec = {} if raw is True else raw
    if not isinstance(spec, dict):
        raise error(f"{where}.{tool} must be true or a mapping with {text} and {items}")
    listed = spec.get(items) or []
    if not isinstance(listed, list) or not all(isinstance(v, dict) and v.get(needs) for v in listed):
        raise error(f"{where}.{tool}.{items} must be a list of {_ITEM_SHAPES[items]}")
    return {text: str(spec.get(text) or default), items: [dict(v) for v in listed]}


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
