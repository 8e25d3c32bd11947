"""An ``mcp:`` entry of a tools file or a Keep step's ``functions:``, validated.

    - mcp: {command: [mcp-server-time, --local-timezone, UTC], env: {TZ: UTC}, cwd: /srv}   # stdio
      allow: [get_current_time]          # the server's tools the assistant may see (default: all)
    - mcp: {url: "https://mcp.internal/mcp", headers: {Authorization: "Bearer ${secret:MCP_TOKEN}"}}
      allow: [query_prometheus]
      name: prometheus                   # a label for messages (default: the command or host)
      prefix: prom_                      # put before every tool name the model sees
      timeout: 30                        # seconds per call (default: the registry's call_timeout)
      startup_timeout: 30                # seconds to start and initialize the server
      approval: required                 # or a list of tool names, or never (the default)

``env`` and ``headers`` values may use ``${env:NAME}`` and ``${secret:NAME}``; they are
resolved when the entry is loaded and registered as secrets (never in messages or logs).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from ...errors import ConfigError
from ...redaction import register_secret
from ...values import positive_seconds
from ..templates import parse_template

_ENTRY_KEYS = {"mcp", "allow", "name", "prefix", "timeout", "startup_timeout", "approval"}
_STDIO_KEYS = {"command", "args", "env", "cwd"}
_HTTP_KEYS = {"url", "headers"}
_REFERENCE = re.compile(r"\$\{(?:env|secret):[^}]*\}")
_CREDENTIAL = re.compile(r"(?i)(token|key|secret|password|credential|auth)")
DEFAULT_STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True, kw_only=True)
class McpServerSpec:
    """How to reach one MCP server and which of its tools to offer."""

    name: str
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    cwd: str | None = None
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    allow: tuple[str, ...] | None = None
    prefix: str = ""
    timeout: float | None = None
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    approval: str | tuple[str, ...] = "never"  # "never" | "required" | the tools that need it

    @property
    def key(self) -> tuple[Any, ...]:
        """Entries with the same key share one session (per process)."""
        return (self.command, self.env, self.cwd, self.url, self.headers)

    def needs_approval(self, tool_name: str) -> bool:
        if self.approval == "required":
            return True
        return isinstance(self.approval, tuple) and tool_name in self.approval

    @classmethod
    def from_dict(
        cls,
        entry: Mapping[str, Any],
        *,
        where: str = "mcp entry",
        secrets: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> McpServerSpec:
        _only(entry, _ENTRY_KEYS, where=where, what="an mcp entry")
        server = entry.get("mcp")
        if isinstance(server, str):
            server = {"url": server} if "://" in server else {"command": server}
        if not isinstance(server, Mapping):
            raise ConfigError(f"{where}.mcp", "must be a mapping with command (stdio) or url (Streamable HTTP)")
        common: dict[str, Any] = {
            "allow": _names(entry.get("allow"), f"{where}.allow"),
            "prefix": _prefix(entry.get("prefix"), f"{where}.prefix"),
            "timeout": positive_seconds(f"{where}.timeout", entry.get("timeout")),
            "startup_timeout": positive_seconds(f"{where}.startup_timeout", entry.get("startup_timeout"))
            or DEFAULT_STARTUP_TIMEOUT,
            "approval": _approval(entry.get("approval"), f"{where}.approval"),
        }
        label = entry.get("name")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise ConfigError(f"{where}.name", "must be a non-empty string")
        if "command" in server and "url" in server:
            raise ConfigError(f"{where}.mcp", "give either command (stdio) or url (Streamable HTTP), not both")
        resolve = partial(resolved_map, secrets=dict(secrets or {}), environ=environ, credential=_CREDENTIAL)
        if "url" in server:
            name, fields = _http(server, where=f"{where}.mcp", resolve=resolve)
        elif "command" in server:
            name, fields = _stdio(server, where=f"{where}.mcp", resolve=resolve)
        else:
            raise ConfigError(
                f"{where}.mcp", "needs command (a stdio server to start) or url (a Streamable HTTP server)"
            )
        return cls(name=label or name, **fields, **common)


# a server's env or headers, ${env:}/${secret:} references resolved: resolved_map with the entry's secrets bound
_Resolve = Callable[[Any, str], tuple[tuple[str, str], ...]]


def _stdio(server: Mapping[str, Any], *, where: str, resolve: _Resolve) -> tuple[str, dict[str, Any]]:
    """A stdio server's default name and fields."""
    _only(server, _STDIO_KEYS, where=where, what="a stdio server")
    command = server["command"]
    if isinstance(command, str):
        command = shlex.split(command)
    args = server.get("args") or []
    if not isinstance(command, list) or not command or not all(isinstance(c, str) and c for c in command):
        raise ConfigError(f"{where}.command", "must be a program and its arguments (a list of strings)")
    if not isinstance(args, list) or not all(isinstance(a, (str, int, float)) for a in args):
        raise ConfigError(f"{where}.args", "must be a list of strings")
    cwd = server.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise ConfigError(f"{where}.cwd", "must be a directory path")
    env = resolve(server.get("env"), f"{where}.env")
    full = tuple(command) + tuple(str(a) for a in args)
    return full[0], {"command": full, "env": env, "cwd": cwd}


def _http(server: Mapping[str, Any], *, where: str, resolve: _Resolve) -> tuple[str, dict[str, Any]]:
    """A Streamable HTTP server's default name and fields."""
    _only(server, _HTTP_KEYS, where=where, what="a Streamable HTTP server")
    url = server["url"]
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}.url", f"must be an http(s) URL of the server's MCP endpoint, got {url!r}")
    if parts.username or parts.password or "${" in url:
        raise ConfigError(f"{where}.url", "may not carry credentials (URLs are logged): put them in headers")
    return parts.hostname, {"url": url, "headers": resolve(server.get("headers"), f"{where}.headers")}


def _only(given: Mapping[str, Any], keys: set[str], *, where: str, what: str) -> None:
    unknown = sorted(set(given) - keys)
    if unknown:
        raise ConfigError(where, f"unknown key(s) {unknown}; {what} takes {sorted(keys)}")


def resolved_map(
    value: Any,
    where: str,
    secrets: Mapping[str, str],
    environ: Mapping[str, str] | None,
    *,
    credential: re.Pattern[str],
) -> tuple[tuple[str, str], ...]:
    """A mapping of names to strings (an MCP server's env or headers) with ``${env:NAME}`` and
    ``${secret:NAME}`` resolved; the value of a name ``credential`` matches is registered as a secret."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(where, "must be a mapping of names to strings")
    out = []
    for key, raw in value.items():
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            raise ConfigError(f"{where}.{key}", f"must be a string, got {type(raw).__name__}")
        resolved = _resolve(str(raw), f"{where}.{key}", secrets, environ)
        if credential.search(str(key)):
            register_secret(resolved)
        out.append((str(key), resolved))
    return tuple(out)


def _resolve(text: str, where: str, secrets: Mapping[str, str], environ: Mapping[str, str] | None) -> str:
    """Resolve ``${env:NAME}`` / ``${secret:NAME}``; every other character is literal here."""

    def one(match: re.Match[str]) -> str:
        template = parse_template(match.group(0), where=where, allow_references=True, secrets=secrets, environ=environ)
        return template.render({}, encode=lambda _n, _v: "")

    return _REFERENCE.sub(one, text)


def _names(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(where, "must be a list of the server's tool names")
    return tuple(value)


def _prefix(value: Any, where: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", value):
        raise ConfigError(where, "must be up to 32 letters, digits, '_' or '-'")
    return value


def _approval(value: Any, where: str) -> str | tuple[str, ...]:
    if value is None or value in ("never", "none", False):
        return "never"
    if value in ("required", True):
        return "required"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(where, f"must be required, never, or a list of tool names; got {value!r}")
