"""Hosted tools: tools the server runs itself (Responses ``web_search``, ``code_interpreter``,
remote ``mcp``), declared next to function tools and sent as they are.

An entry is a mapping with exactly one of these keys (the same form in a tools file's list, a
Keep step's ``hosted_tools:`` and :class:`~openaiassistant.settings.AssistantSpec`'s
``hosted_tools``)::

    - web_search: {}                                  # or {search_context_size, allowed_domains, user_location}
    - web_search                                      # a bare name: the same, with the defaults
    - code_interpreter: {container: auto}             # or {container: cntr_..., file_ids: [file-...], memory_limit}
    - mcp_remote: {server_url: https://mcp.example.com/mcp, server_label: docs,
                   allowed_tools: [search], require_approval: never, headers: {...}}

Each entry is checked when it is read and again against the backend before anything is sent
(:func:`check_backend`): Responses offers all three, Assistants v2 only ``code_interpreter``,
other backends none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from openaiassistant.errors import ConfigError

__all__ = ["HOSTED_KINDS", "HostedTool", "check_backend", "is_hosted_entry", "parse_entry", "parse_hosted_tools"]

HOSTED_KINDS = ("web_search", "code_interpreter", "mcp_remote")
SETTING = "hosted_tools"
# what each backend can run; a backend not named here runs none of them
_SUPPORTED: dict[str, frozenset[str]] = {
    "responses": frozenset(HOSTED_KINDS),
    "assistants": frozenset({"code_interpreter"}),
}
_WHY = {
    "web_search": "web_search is a Responses tool",
    "mcp_remote": "remote MCP servers are a Responses tool; use an `mcp:` entry in functions/tools to call the "
    "server from here instead",
    "code_interpreter": "code_interpreter runs on the Responses and Assistants APIs only",
}
_LABEL = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_CONTEXT_SIZES = ("low", "medium", "high")
_APPROVAL = ("always", "never")
_CREDENTIAL = re.compile(r"auth|token|key|secret|password|cookie", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class HostedTool:
    """One hosted tool: its kind and its request fields (``wire``), checked."""

    kind: str
    wire: Mapping[str, Any] = field(repr=False)  # the tool object in the request's ``tools``
    label: str = ""  # for messages: the kind, or the MCP server's label

    def to_request(self) -> dict[str, Any]:
        return dict(self.wire)


def is_hosted_entry(entry: Any) -> bool:
    return isinstance(entry, Mapping) and len(entry) == 1 and next(iter(entry)) in HOSTED_KINDS


def parse_hosted_tools(
    value: Any,
    *,
    where: str = SETTING,
    secrets: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[HostedTool, ...]:
    """A list of entries (or already parsed tools) as :class:`HostedTool` records."""
    if value is None or value == "":
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ConfigError(where, f"must be a list of entries such as `- web_search: {{}}`; got {type(value).__name__}")
    tools = []
    for index, entry in enumerate(value):
        if isinstance(entry, str) and entry.strip() in HOSTED_KINDS:  # `- web_search`: the defaults
            entry = {entry.strip(): {}}
        tools.append(
            entry
            if isinstance(entry, HostedTool)
            else parse_entry(entry, where=f"{where}[{index}]", secrets=secrets, environ=environ)
        )
    return tuple(tools)


def parse_entry(
    entry: Any,
    *,
    where: str,
    secrets: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> HostedTool:
    if not is_hosted_entry(entry):
        raise ConfigError(where, f"must be a mapping with exactly one of the keys {', '.join(HOSTED_KINDS)}")
    kind, settings = next(iter(entry.items()))
    settings = {} if settings is None else settings
    if not isinstance(settings, Mapping):
        raise ConfigError(f"{where}.{kind}", f"must be a mapping (e.g. `{kind}: {{}}`), got {type(settings).__name__}")
    at = f"{where}.{kind}"
    if kind == "web_search":
        return _web_search(settings, at)
    if kind == "code_interpreter":
        return _code_interpreter(settings, at)
    return _mcp_remote(settings, at, secrets=dict(secrets or {}), environ=environ)


def check_backend(tools: Iterable[HostedTool], *, backend: str) -> None:
    """Refuse hosted tools the backend cannot run (a ConfigError naming the setting)."""
    offered = _SUPPORTED.get(backend, frozenset())
    for index, tool in enumerate(tools):
        if tool.kind not in offered:
            can = sorted(b for b, kinds in _SUPPORTED.items() if tool.kind in kinds)
            raise ConfigError(
                f"{SETTING}[{index}] ({tool.label})",
                f"the {backend} backend cannot run {tool.kind} ({_WHY[tool.kind]}); "
                f"remove it or use backend {' or '.join(can)}",
            )
        if backend == "assistants" and tool.wire.get("container") != {"type": "auto"}:
            raise ConfigError(
                f"{SETTING}[{index}] ({tool.label})",
                "the assistants backend has no containers: use `container: auto` without file_ids "
                "(attach files for code_interpreter to the message instead)",
            )


def _unknown(settings: Mapping[str, Any], known: set[str], where: str) -> None:
    extra = sorted(set(map(str, settings)) - known)
    if extra:
        raise ConfigError(where, f"unknown key(s) {extra}; allowed: {sorted(known)}")


def _names(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(where, "must be a list of names")
    return [v.strip() for v in value]


def _web_search(settings: Mapping[str, Any], where: str) -> HostedTool:
    _unknown(settings, {"search_context_size", "allowed_domains", "user_location", "external_web_access"}, where)
    wire: dict[str, Any] = {"type": "web_search"}
    size = settings.get("search_context_size")
    if size is not None:
        if size not in _CONTEXT_SIZES:
            raise ConfigError(f"{where}.search_context_size", f"{size!r} is not one of {', '.join(_CONTEXT_SIZES)}")
        wire["search_context_size"] = size
    domains = _names(settings.get("allowed_domains"), f"{where}.allowed_domains")
    if domains is not None:
        wire["filters"] = {"allowed_domains": domains}
    location = settings.get("user_location")
    if location is not None:
        if not isinstance(location, Mapping):
            raise ConfigError(f"{where}.user_location", "must be a mapping (country, region, city, timezone)")
        _unknown(location, {"country", "region", "city", "timezone"}, f"{where}.user_location")
        wire["user_location"] = {"type": "approximate", **{str(k): str(v) for k, v in location.items()}}
    access = settings.get("external_web_access")
    if access is not None:
        if not isinstance(access, bool):
            raise ConfigError(f"{where}.external_web_access", "must be true or false")
        wire["external_web_access"] = access
    return HostedTool(kind="web_search", wire=wire, label="web_search")


def _code_interpreter(settings: Mapping[str, Any], where: str) -> HostedTool:
    _unknown(settings, {"container", "file_ids", "memory_limit"}, where)
    container = settings.get("container", "auto")
    file_ids = _names(settings.get("file_ids"), f"{where}.file_ids")
    memory = settings.get("memory_limit")
    if memory is not None and memory not in ("1g", "4g", "16g", "64g"):
        raise ConfigError(f"{where}.memory_limit", f"{memory!r} is not one of 1g, 4g, 16g, 64g")
    if not isinstance(container, str) or not container.strip():
        raise ConfigError(f"{where}.container", "must be `auto` (a new container) or a container id (cntr_...)")
    if container == "auto":
        spec: Any = {"type": "auto"}
        if file_ids:
            spec["file_ids"] = file_ids
        if memory is not None:
            spec["memory_limit"] = memory
    else:
        if file_ids or memory is not None:
            raise ConfigError(
                f"{where}.container",
                "file_ids and memory_limit go with `container: auto`; an existing container has its own",
            )
        spec = container.strip()
    return HostedTool(
        kind="code_interpreter", wire={"type": "code_interpreter", "container": spec}, label="code_interpreter"
    )


def _mcp_remote(
    settings: Mapping[str, Any], where: str, *, secrets: Mapping[str, str], environ: Mapping[str, str] | None
) -> HostedTool:
    _unknown(
        settings,
        {"server_url", "server_label", "server_description", "allowed_tools", "require_approval", "headers"},
        where,
    )
    url = settings.get("server_url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}.server_url", "required: the server's Streamable HTTP URL (https://...)")
    if parts.username or parts.password:
        raise ConfigError(f"{where}.server_url", "may not carry credentials; put them in headers")
    label = settings.get("server_label") or re.sub(r"[^a-zA-Z0-9_-]", "_", parts.hostname)[:64]
    if not isinstance(label, str) or not _LABEL.match(label):
        raise ConfigError(f"{where}.server_label", "must be 1-64 letters, digits, _ or -")
    wire: dict[str, Any] = {"type": "mcp", "server_label": label, "server_url": url}
    description = settings.get("server_description")
    if description is not None:
        wire["server_description"] = str(description)
    allowed = _names(settings.get("allowed_tools"), f"{where}.allowed_tools")
    if allowed is not None:
        wire["allowed_tools"] = allowed
    approval = _require_approval(settings.get("require_approval", "always"), f"{where}.require_approval")
    if isinstance(approval, dict) and allowed is not None:  # the other allowed tools run without asking
        others = [name for name in allowed if name not in approval["always"]["tool_names"]]
        if others:
            approval["never"] = {"tool_names": others}
    wire["require_approval"] = approval
    from openaiassistant.tools.mcp.spec import resolved_map  # only for mcp_remote entries

    headers = resolved_map(settings.get("headers"), f"{where}.headers", secrets, environ, credential=_CREDENTIAL)
    if headers:
        wire["headers"] = dict(headers)
    return HostedTool(kind="mcp_remote", wire=wire, label=f"mcp_remote {label}")


def _require_approval(value: Any, where: str) -> Any:
    """``always`` (the API's default) | ``never`` | the tool names that need approval."""
    if value in _APPROVAL:
        return value
    names = _names(value, where) if isinstance(value, list) else None  # a string is always / never
    if not names:
        raise ConfigError(where, "must be always, never, or a list of the tool names that need approval")
    return {"always": {"tool_names": names}}
