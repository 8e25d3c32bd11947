"""The small template language of declarative HTTP tools.

* ``{name}`` is replaced by the argument ``name`` (URL-encoded in the URL, passed as a value in
  query and body). A string that is exactly one placeholder keeps the argument's JSON type in a
  body (``"{limit}"`` -> ``5``) and can be omitted from the query when the argument is null.
* ``${env:NAME}`` and ``${secret:NAME}`` are configuration references, resolved once when the
  tool is loaded (so a missing variable is a load-time error). They are allowed in headers
  and body, never in the URL or query (URLs are logged), and their values are registered as
  secrets.
* ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..redaction import register_secret

__all__ = ["Template", "body_arguments", "parse_template", "render_body", "scalar_text", "walk_body"]

_TOKEN = re.compile(r"\{\{|\}\}|\$\{(?P<kind>env|secret):(?P<ref>[^}]*)\}|\{(?P<arg>[A-Za-z_][A-Za-z0-9_]*)\}")
_STRAY = re.compile(r"[{}]")


@dataclass(frozen=True, kw_only=True)
class Template:
    """A parsed template string: literal text, argument names and resolved references."""

    # ("text", s) | ("arg", name) | ("secret", value); never shown in repr (it holds secrets).
    parts: tuple[tuple[str, str], ...] = field(repr=False)

    def __repr__(self) -> str:
        shown = "".join(
            "{" + value + "}" if kind == "arg" else "***" if kind == "secret" else value for kind, value in self.parts
        )
        return f"Template({shown!r})"

    @property
    def arguments(self) -> list[str]:
        return [value for kind, value in self.parts if kind == "arg"]

    @property
    def sole_argument(self) -> str | None:
        """The argument name if the template is exactly one placeholder."""
        if len(self.parts) == 1 and self.parts[0][0] == "arg":
            return self.parts[0][1]
        return None

    @property
    def has_references(self) -> bool:
        return any(kind == "secret" for kind, _ in self.parts)

    def render(self, arguments: Mapping[str, Any], *, encode: Callable[[str, Any], str]) -> str:
        """Fill the template; ``encode(name, value)`` turns each argument into text."""
        out = []
        for kind, value in self.parts:
            if kind == "arg":
                out.append(encode(value, arguments.get(value)))
            else:
                out.append(value)
        return "".join(out)


def parse_template(
    text: str,
    *,
    where: str,
    allow_references: bool,
    secrets: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
) -> Template:
    """Parse one template string (its type was checked by the tool's schema); resolve (and
    register) its references."""
    env = os.environ if environ is None else environ
    parts: list[tuple[str, str]] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        _literal(text[pos : match.start()], parts, where)
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(("text", token[0]))
        elif match.group("arg"):
            parts.append(("arg", match.group("arg")))
        else:
            if not allow_references:
                raise ConfigError(
                    where, "may not reference ${env:...} or ${secret:...} (URLs are logged; put secrets in headers)"
                )
            parts.append(("secret", _resolve(match.group("kind"), match.group("ref").strip(), where, secrets, env)))
        pos = match.end()
    _literal(text[pos:], parts, where)
    return Template(parts=tuple(parts))


def _literal(chunk: str, parts: list[tuple[str, str]], where: str) -> None:
    if _STRAY.search(chunk):
        raise ConfigError(where, f"has a stray brace in {chunk!r}; placeholders are {{name}}, literal braces {{{{ }}}}")
    if chunk:
        parts.append(("text", chunk))


def _resolve(kind: str, ref: str, where: str, secrets: Mapping[str, str], env: Mapping[str, str]) -> str:
    if kind == "env":
        value = env.get(ref)
        if value is None:
            raise ConfigError(where, f"environment variable {ref!r} is not set")
    else:
        value = secrets.get(ref)
        if value is None:
            known = ", ".join(sorted(secrets)) or "none were given"
            raise ConfigError(where, f"secret {ref!r} was not provided (known secrets: {known})")
    register_secret(value)
    return value


def walk_body(body: Any, *, where: str, secrets: Mapping[str, str], environ: Mapping[str, str] | None) -> Any:
    """Parse every string of a JSON body template into a :class:`Template` (keys stay literal)."""
    if isinstance(body, str):
        return parse_template(body, where=where, allow_references=True, secrets=secrets, environ=environ)
    if isinstance(body, list):
        return [walk_body(v, where=f"{where}[{i}]", secrets=secrets, environ=environ) for i, v in enumerate(body)]
    if isinstance(body, dict):
        return {str(k): walk_body(v, where=f"{where}.{k}", secrets=secrets, environ=environ) for k, v in body.items()}
    return body  # null, booleans, numbers (the schema allows JSON values only)


def body_arguments(body: Any) -> list[str]:
    """Every argument name a parsed body template refers to."""
    if isinstance(body, Template):
        return body.arguments
    if isinstance(body, list):
        return [name for v in body for name in body_arguments(v)]
    if isinstance(body, dict):
        return [name for v in body.values() for name in body_arguments(v)]
    return []


def render_body(body: Any, arguments: Mapping[str, Any]) -> Any:
    """Fill a parsed body template; a sole placeholder keeps the argument's JSON type."""
    if isinstance(body, Template):
        sole = body.sole_argument
        if sole is not None:
            return arguments.get(sole)
        return body.render(arguments, encode=lambda _name, value: scalar_text(value))
    if isinstance(body, list):
        return [render_body(v, arguments) for v in body]
    if isinstance(body, dict):
        return {k: render_body(v, arguments) for k, v in body.items()}
    return body


def scalar_text(value: Any) -> str:
    """How an argument is written into text: JSON spelling for booleans and null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
