"""The ``with:`` of a provider-backed tool, filled with the model's arguments.

The workflow's author writes ``with:``; the model only fills the ``{name}`` placeholders the
author put there. The model's arguments are untrusted (alert text reaches the prompt), so:

* only arguments declared in the tool's ``parameters.properties`` are used at all;
* an argument never replaces a ``with:`` key: arguments that fill no placeholder are passed to
  the provider's ``query`` only under names ``with:`` does not use (and a declared parameter
  that names a fixed ``with:`` key is refused when the step starts);
* a URL value (the key ``url``, or any string starting ``scheme://``) must fix its scheme, host
  and port in the template; placeholders in its path and query are percent-encoded (``/``,
  ``?``, ``#``, ``@``, ``&`` included), ``.``, ``..`` and empty values are refused, must be
  declared and required, and the filled URL must keep the template's origin.

Elsewhere a value that is exactly one placeholder keeps the argument's JSON type (an omitted
argument is null); inside longer text an argument is written as text (JSON for lists, objects
and booleans; nothing for an omitted one). ``{name}`` naming no declared parameter stays as
written.

Templated queries: under a query key (``query``, ``sql``, ``promql``, ``logql``, ``expr``,
``statement``, ``q``, ``search``, ``filter``) a placeholder inside longer text must say how its
value is quoted, so an argument cannot rewrite the query (``' OR 1=1 --``, ``"} or vector(1)``):

* ``{host:sql}`` - an SQL string literal: ``'...'`` with ``'`` doubled;
* ``{host:promql}`` / ``{host:logql}`` - a double-quoted string, backslashes and ``"`` escaped
  (the string syntax PromQL and LogQL share);
* ``{limit:int}`` / ``{ratio:number}`` - a number, refused unless the argument is one.

A bare ``{host}`` there is refused when the step starts. Null, lists and objects are refused
for every quoting mode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from openaiassistant.errors import ConfigError
from openaiassistant.tools.tool import ToolCallError

__all__ = ["WithTemplate"]

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(sql|promql|logql|int|number))?\}")
QUERY_KEYS = frozenset({"query", "sql", "promql", "logql", "expr", "statement", "q", "search", "filter"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
# a value that starts like a URL, also when a placeholder stands in its scheme ("{scheme}://...")
_URL_START = re.compile(r"[A-Za-z{][A-Za-z0-9+.\-{}_]*://")


@dataclass(frozen=True, kw_only=True)
class WithTemplate:
    """A checked ``with:`` template; :meth:`fill` makes one call's query arguments."""

    template: dict[str, Any]
    declared: frozenset[str]

    @classmethod
    def compile(cls, template: Mapping[str, Any], parameters: Mapping[str, Any], *, where: str) -> WithTemplate:
        """Check the template against the tool's parameter schema (a ConfigError names the key)."""
        properties = parameters.get("properties") or {}
        declared = frozenset(properties)
        required = set(parameters.get("required") or [])
        used: set[str] = set()
        _check(template, declared, required, used, where=where, key=None)
        fixed = sorted(name for name in declared if name in template and name not in used)
        if fixed:
            raise ConfigError(
                where,
                f"parameter(s) {fixed} would replace fixed with: keys; to let the assistant set one, "
                f'write it as a placeholder (e.g. {fixed[0]}: "{{{fixed[0]}}}")',
            )
        return cls(template=dict(template), declared=declared)

    def fill(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The provider's query arguments for one call (raises ToolCallError for a bad value)."""
        given = {name: arguments.get(name) for name in self.declared}  # an omitted argument is null
        used: set[str] = set()
        query = _fill(self.template, given, used, key=None)
        for name, value in given.items():
            if name not in used and value is not None and name not in query:
                query[name] = value
        return query


def is_url(key: Any, text: str) -> bool:
    """The ``url`` key, or a value that starts like a URL (a URL inside longer text is text)."""
    return key == "url" or bool(_URL_START.match(text))


def url_origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of an absolute URL (ValueError when it has none)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    return parts.scheme.lower(), parts.hostname.lower(), parts.port


def _check(value: Any, declared: frozenset[str], required: set[str], used: set[str], *, where: str, key: Any) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check(v, declared, required, used, where=f"{where}.{k}", key=k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check(v, declared, required, used, where=f"{where}[{i}]", key=None)
    elif isinstance(value, str):
        found = PLACEHOLDER.findall(value)
        names = [name for name, _mode in found]
        used.update(n for n in names if n in declared)
        if is_url(key, value):
            if any(mode for _name, mode in found):
                raise ConfigError(where, "quoting modes ({name:sql}, ...) are for query text, not URLs")
            _check_url(value, names, declared, required, where=where)
        elif key in QUERY_KEYS and not PLACEHOLDER.fullmatch(value):
            bare = sorted({name for name, mode in found if not mode and name in declared})
            if bare:
                raise ConfigError(
                    where,
                    f"placeholder(s) {bare} inside a query need a quoting mode so an argument cannot rewrite "
                    f"the query: write {{{bare[0]}:sql}}, {{{bare[0]}:promql}}, {{{bare[0]}:logql}}, "
                    f"{{{bare[0]}:int}} or {{{bare[0]}:number}}",
                )


def _check_url(text: str, names: list[str], declared: frozenset[str], required: set[str], *, where: str) -> None:
    scheme = _SCHEME.match(text)
    if not scheme:
        raise ConfigError(
            where, "must be an absolute URL whose scheme and host are written out (no placeholder before them)"
        )
    authority = re.split(r"[/?#]", text[scheme.end() :], maxsplit=1)[0]
    if "{" in authority or "}" in authority:
        raise ConfigError(
            where, "placeholders are not allowed in the host or port: the assistant could point the tool anywhere"
        )
    try:
        url_origin(PLACEHOLDER.sub("x", text))
    except ValueError as exc:
        raise ConfigError(where, f"is not a valid URL ({exc})") from None
    undeclared = sorted({n for n in names if n not in declared})
    if undeclared:
        raise ConfigError(where, f"URL placeholder(s) {undeclared} are not declared in parameters.properties")
    optional = sorted({n for n in names if n not in required})
    if optional:
        raise ConfigError(where, f"URL placeholder(s) {optional} must be listed in parameters.required")


def _fill(value: Any, arguments: Mapping[str, Any], used: set[str], *, key: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _fill(v, arguments, used, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, arguments, used, key=None) for v in value]
    if not isinstance(value, str):
        return value
    if is_url(key, value):
        return _fill_url(value, arguments, used)
    whole = PLACEHOLDER.fullmatch(value)
    if whole and whole.group(1) in arguments and not whole.group(2):
        used.add(whole.group(1))
        return arguments[whole.group(1)]

    def replace(match: re.Match[str]) -> str:
        name, mode = match.group(1), match.group(2)
        if name not in arguments:
            return match.group(0)
        used.add(name)
        arg = arguments[name]
        if mode:
            return quoted(name, arg, mode)
        if arg is None:
            return ""
        return arg if isinstance(arg, str) else json.dumps(arg)

    return PLACEHOLDER.sub(replace, value)


def quoted(name: str, value: Any, mode: str) -> str:
    """One argument written into query text by its quoting mode (ToolCallError when it cannot be)."""
    if value is None or isinstance(value, (list, dict)):
        raise ToolCallError(f"argument {name!r} must be a string or number to be used in the query")
    if mode in ("int", "number"):
        ok = isinstance(value, int) if mode == "int" else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok or (isinstance(value, float) and value != value):
            raise ToolCallError(f"argument {name!r} must be {'an integer' if mode == 'int' else 'a number'}")
        return json.dumps(value)
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if "\x00" in text:
        raise ToolCallError(f"argument {name!r} may not contain NUL characters")
    if mode == "sql":
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)  # promql / logql: a double-quoted, escaped string


def _fill_url(template: str, arguments: Mapping[str, Any], used: set[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        used.add(name)
        return _url_part(name, arguments.get(name))

    url = PLACEHOLDER.sub(replace, template)
    expected = url_origin(PLACEHOLDER.sub("x", template))
    try:
        actual = url_origin(url)
    except ValueError:
        actual = None
    if actual != expected:  # cannot happen with encoded values; checked so it never does
        raise ToolCallError("the arguments would change this tool's URL origin; refused")
    return url


def _url_part(name: str, value: Any) -> str:
    if value is None or isinstance(value, (list, dict)):
        raise ToolCallError(f"argument {name!r} must be a string or number to be used in the URL")
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if text in ("", ".", ".."):
        raise ToolCallError(f"argument {name!r} may not be {text!r} in the URL")
    # safe="": '/', '?', '#', '@', ':', '&', '=' are encoded too, so a value stays one segment/value
    return quote(text, safe="")
