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
from ...schemas.check import check, given
from ...schemas.mcp import MCP_SERVER_DOCUMENT
from ...values import positive_seconds
from ..templates import parse_template

__all__ = ["DEFAULT_STARTUP_TIMEOUT", "McpServerSpec", "resolved_map"]

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
        """Check an entry against its published schema (:mod:`openaiassistant.schemas.mcp`,
        docs/schemas/mcp-server.schema.json), then convert it. What a schema cannot say is
        checked here: how a command line splits, the URL's host and that it carries no
        credentials, the ``${env:...}``/``${secret:...}`` references. A ConfigError names the
        field under ``where`` (``functions[0].mcp.url``)."""
        entry = given(entry)  # None is "not given" (YAML's bare ``key:``)
        check(entry, MCP_SERVER_DOCUMENT, where=where)
        server = entry["mcp"]
        if isinstance(server, str):
            server = {"url": server} if "://" in server else {"command": server}
        resolve = partial(resolved_map, secrets=dict(secrets or {}), environ=environ, credential=_CREDENTIAL)
        if "command" in server:
            name, fields = _stdio(server, where=f"{where}.mcp", resolve=resolve)
        else:  # the schema allows only these two
            name, fields = _http(server, where=f"{where}.mcp", resolve=resolve)
        return cls(
            name=entry.get("name") or name,
            **fields,
            allow=_names(entry.get("allow")),
            prefix=entry.get("prefix") or "",
            timeout=positive_seconds(f"{where}.timeout", entry.get("timeout")),
            startup_timeout=positive_seconds(f"{where}.startup_timeout", entry.get("startup_timeout"))
            or DEFAULT_STARTUP_TIMEOUT,
            approval=_approval(entry.get("approval")),
        )


# a server's env or headers, ${env:}/${secret:} references resolved: resolved_map with the entry's secrets bound
_Resolve = Callable[[Any, str], tuple[tuple[str, str], ...]]


def _stdio(server: Mapping[str, Any], *, where: str, resolve: _Resolve) -> tuple[str, dict[str, Any]]:
    """A stdio server's default name and fields."""
    command = server["command"]
    if isinstance(command, str):
        command = _command_line(command, where=f"{where}.command")
    full = tuple(command) + tuple(str(a) for a in server.get("args") or ())
    return full[0], {"command": full, "env": resolve(server.get("env"), f"{where}.env"), "cwd": server.get("cwd")}


def _command_line(line: str, *, where: str) -> list[str]:
    """A command line's words as a shell splits them (no schema can say how a line splits)."""
    try:
        words = shlex.split(line)
    except ValueError as exc:  # an unclosed quote
        raise ConfigError(where, f"is not a command line: {exc}") from None
    if not words or not all(words):
        raise ConfigError(where, "must be a program and its arguments (a list of strings)")
    return words


def _http(server: Mapping[str, Any], *, where: str, resolve: _Resolve) -> tuple[str, dict[str, Any]]:
    """A Streamable HTTP server's default name and fields: its URL's host as ``urlsplit`` reads
    it, and no credentials in the URL (no schema can say either)."""
    url = server["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}.url", f"must be an http(s) URL of the server's MCP endpoint, got {url!r}")
    if parts.username or parts.password or "${" in url:
        raise ConfigError(f"{where}.url", "may not carry credentials (URLs are logged): put them in headers")
    return parts.hostname, {"url": url, "headers": resolve(server.get("headers"), f"{where}.headers")}


def _names(value: list[str] | str | None) -> tuple[str, ...] | None:
    """``allow``: a list of names, or their comma-separated text (``"a, b"``); None: all."""
    if isinstance(value, str):
        return tuple(word.strip() for word in value.split(",") if word.strip())
    return None if value is None else tuple(value)


def _approval(value: Any) -> str | tuple[str, ...]:
    """never (the default; also none or false), required (also true), or the tools that need it."""
    if isinstance(value, list):
        return tuple(value)
    return "required" if value in ("required", True) else "never"


def resolved_map(
    value: Any,
    where: str,
    secrets: Mapping[str, str],
    environ: Mapping[str, str] | None,
    *,
    credential: re.Pattern[str],
) -> tuple[tuple[str, str], ...]:
    """A mapping of names to strings (an MCP server's env or headers) with ``${env:NAME}`` and
    ``${secret:NAME}`` resolved; the value of a name ``credential`` matches is registered as a secret.
    (An ``mcp:`` entry's maps are checked by its schema first; tools/hosted.py's are not.)"""
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
