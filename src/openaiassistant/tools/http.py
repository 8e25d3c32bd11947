"""Declarative HTTP tools: a spec (YAML/JSON) compiled into a :class:`~.tool.Tool`.

A spec::

    name: get_alert
    description: Fetch one alert from the monitoring system.
    parameters:                       # JSON schema of the arguments (type: object)
      type: object
      properties: {alert_id: {type: string}, limit: {type: integer}}
      required: [alert_id]
    method: GET                       # GET (default), POST, PUT, PATCH, DELETE, HEAD
    url: https://grafana.internal:3000/api/alerts/{alert_id}
    query: {limit: "{limit}", state: firing}
    headers: {Authorization: "Bearer ${env:GRAFANA_TOKEN}"}
    body: {q: "{alert_id}"}           # JSON body template (not with GET/HEAD)
    timeout: 10                       # seconds, the whole call
    max_response_bytes: 1000000
    strict: false                     # true: the schema must follow OpenAI's strict rules
    follow_redirects: true            # same-origin redirects only, at most max_redirects
    max_redirects: 3

The format is described once, as a JSON Schema (:mod:`openaiassistant.schemas.http_tool`,
published as docs/schemas/http-tool.schema.json): a spec is checked against it first, so a wrong
type, an unknown field or a bad number is reported with its path and what is allowed; the code
here checks only what a schema cannot say (the URL's origin, placeholders, references).

Safety, because arguments come from the model (untrusted):

* the scheme, host and port are fixed by the template: placeholders are refused in the
  authority at load time, argument values are percent-encoded (``/``, ``@``, ``?``, ``#`` ...
  included) into the path and passed as values in the query, and ``.``/``..``/empty path values
  are refused; the final URL's origin is checked again before sending;
* a redirect to another origin is not followed (it becomes an error output); same-origin
  redirects are followed at most ``max_redirects`` times;
* the response is streamed and reading stops at ``max_response_bytes``;
* ``${env:...}``/``${secret:...}`` references are allowed in headers and the body only (never in
  the URL or query, which end up in logs); their values, and the values of credential headers
  (Authorization, Proxy-Authorization, Cookie, names ending in ``-Token``, ``-Key``,
  ``-Secret``, ``-Password``, names containing ``api-key``/``apikey``), are registered as
  secrets: they are never part of the tool definition, logs, outputs or error messages.
  Other headers are not secrets even if their name mentions "auth" or "key"
  (``X-Auth-Mode: basic``): their values would otherwise be hidden in every output of the
  process. Values shorter than 8 characters are never registered. Proxies from the
  environment are not used.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jsonschema

from ..errors import ConfigError
from ..observability.tracing import inject_context
from ..redaction import redact, register_secret
from ..schemas.check import check, given, path_text
from ..schemas.http_tool import HTTP_TOOL_DOCUMENT, PARAMETERS_DOCUMENT
from ..values import parse_bool, parse_count, parse_seconds
from .base import ToolDefinition
from .strict import strict_problem
from .templates import Template, body_arguments, parse_template, render_body, scalar_text, walk_body
from .tool import Tool, ToolCallError

__all__ = ["HttpToolSpec", "compile_http_tool", "parameters_schema"]

logger = logging.getLogger("openaiassistant.tools.http")

# Header names whose values are credentials (matched on the lower-cased name).
_CREDENTIAL_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie)$|(^|-)(token|key|secret|password)$|api-?key"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NO_BODY = object()


@dataclass(frozen=True, kw_only=True)
class HttpToolSpec:
    """A validated HTTP tool spec; build it with :meth:`from_dict`."""

    name: str
    description: str
    parameters: dict[str, Any]
    method: str
    url: Template
    origin: tuple[str, str, int]
    query: dict[str, Template]
    headers: dict[str, Template] = field(repr=False)
    body: Any = field(default=_NO_BODY, repr=False)
    timeout: float = 10.0
    max_response_bytes: int = 1_000_000
    strict: bool = False
    follow_redirects: bool = True
    max_redirects: int = 3
    requires_approval: bool = False

    @classmethod
    def from_dict(
        cls,
        spec: Mapping[str, Any],
        *,
        secrets: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
        where: str | None = None,
    ) -> HttpToolSpec:
        """Check a spec against its published schema (:mod:`openaiassistant.schemas.http_tool`),
        then what a schema cannot say; a ConfigError names the field. ``where`` is the spec's
        place (``functions[0]``, ``tools[2]``); by default ``HTTP tool 'NAME'``."""
        spec = given(spec)  # None is "not given" (Keep drops YAML floats; YAML's bare ``key:``)
        if where is None:
            where = f"HTTP tool {spec.get('name')!r}" if isinstance(spec, Mapping) else "HTTP tool"
        check(spec, HTTP_TOOL_DOCUMENT, where=where)
        at = functools.partial(path_text, where)
        secrets = dict(secrets or {})
        parameters = parameters_schema(spec.get("parameters"), where=at(["parameters"]))
        strict = parse_bool(at(["strict"]), spec.get("strict", False))
        if strict and (problem := strict_problem(parameters)):
            raise ConfigError(at(["parameters"]), f"strict: true needs a strict schema: {problem}")
        method = str(spec.get("method", "GET")).upper()
        url, origin = _url(spec["url"], where=at(["url"]))
        # No references in the query: URLs end up in logs (httpx logs every request URL at INFO).
        query = _template_map(
            spec.get("query"), where=at(["query"]), secrets={}, environ=environ, allow_references=False
        )
        headers = _headers(spec.get("headers"), where=at(["headers"]), secrets=secrets, environ=environ)
        body: Any = _NO_BODY
        if "body" in spec:
            if method in ("GET", "HEAD"):
                raise ConfigError(at(["body"]), f"a {method} request cannot have a body")
            body = walk_body(spec["body"], where=at(["body"]), secrets=secrets, environ=environ)
        properties = parameters.get("properties", {})
        used = url.arguments + [a for t in query.values() for a in t.arguments] + body_arguments(body)
        missing = sorted({a for a in used if a not in properties})
        if missing:
            raise ConfigError(where, f"placeholder(s) {missing} are not declared in parameters.properties")
        optional_in_path = sorted({a for a in url.arguments if a not in parameters.get("required", [])})
        if optional_in_path:
            raise ConfigError(
                at(["url"]), f"path placeholder(s) {optional_in_path} must be listed in parameters.required"
            )
        return cls(
            name=spec["name"],
            description=spec.get("description", ""),
            parameters=parameters,
            method=method,
            url=url,
            origin=origin,
            query=query,
            headers=headers,
            body=body,
            strict=strict,
            timeout=parse_seconds(at(["timeout"]), spec.get("timeout", 10.0)),
            max_response_bytes=parse_count(
                at(["max_response_bytes"]), spec.get("max_response_bytes", 1_000_000), low=1, high=2**62
            ),
            follow_redirects=parse_bool(at(["follow_redirects"]), spec.get("follow_redirects", True)),
            max_redirects=parse_count(at(["max_redirects"]), spec.get("max_redirects", 3), low=0),
            requires_approval=_approval(spec.get("approval"), method),
        )

    def definition(self) -> ToolDefinition:
        """What the model sees: name, description, parameters. Never the URL or headers."""
        return ToolDefinition(
            name=self.name, description=self.description, parameters=self.parameters, strict=self.strict
        )


def compile_http_tool(spec: HttpToolSpec) -> Tool:
    """Make a :class:`Tool` whose ``invoke`` performs the HTTP request (async, cancellable)."""

    async def invoke(arguments: dict[str, Any]) -> Any:
        return await _perform(spec, arguments)

    return Tool(
        definition=spec.definition(), invoke=invoke, timeout=spec.timeout, requires_approval=spec.requires_approval
    )


def _approval(value: Any, method: str) -> bool:
    """``approval: required | never`` (checked by the schema); by default a call that changes
    something (not GET/HEAD) waits for a person's approval."""
    if value is None or value == "":
        return method not in ("GET", "HEAD")
    return value in ("required", True)


# ---------------------------------------------------------------------------------------------
# request


async def _perform(spec: HttpToolSpec, arguments: Mapping[str, Any]) -> Any:
    url = _build_url(spec, arguments)
    headers = {k: t.render(arguments, encode=lambda _n, v: scalar_text(v)) for k, t in spec.headers.items()}
    inject_context(headers)  # traceparent: the tool call's span, for the service's own traces
    body = render_body(spec.body, arguments) if spec.body is not _NO_BODY else _NO_BODY
    method = spec.method
    # trust_env=False: no proxies or .netrc from the environment; redirects are handled below.
    async with httpx.AsyncClient(timeout=spec.timeout, follow_redirects=False, trust_env=False) as client:
        for hop in range(spec.max_redirects + 1):
            request = client.build_request(method, url, headers=headers, **({} if body is _NO_BODY else {"json": body}))
            logger.info("HTTP tool %s: %s %s", spec.name, method, redact(str(request.url)))
            try:
                response = await client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise ToolCallError(f"HTTP request timed out ({type(exc).__name__})") from None
            except httpx.HTTPError as exc:
                raise ToolCallError(redact(f"HTTP request failed: {type(exc).__name__}: {exc}")) from None
            try:
                location = response.headers.get("location")
                if not (response.is_redirect and location and spec.follow_redirects):
                    return await _read(spec, response)
                target = request.url.join(location)
                if _origin(target) != spec.origin:
                    raise ToolCallError(
                        f"redirect to another origin ({_origin_text(target)}) was not followed; this tool "
                        f"may only reach {_origin_text(request.url)}",
                        data={"status": response.status_code},
                    )
                if hop == spec.max_redirects:
                    raise ToolCallError(f"too many redirects (more than {spec.max_redirects})")
                if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                    method, body = ("HEAD" if method == "HEAD" else "GET"), _NO_BODY
                url = target
            finally:
                await response.aclose()
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _build_url(spec: HttpToolSpec, arguments: Mapping[str, Any]) -> httpx.URL:
    def encode_path(name: str, value: Any) -> str:
        if value is None or isinstance(value, (list, dict)):
            raise ToolCallError(f"argument {name!r} must be a string or number to be used in the URL path")
        text = scalar_text(value)
        if text in ("", ".", ".."):
            raise ToolCallError(f"argument {name!r} may not be {text!r} in the URL path")
        # safe="" percent-encodes '/', '?', '#', '@', ':' too, so a value stays inside its segment.
        return quote(text, safe="")

    url = httpx.URL(spec.url.render(arguments, encode=encode_path))
    params: list[tuple[str, str]] = []
    for key, template in spec.query.items():
        sole = template.sole_argument
        if sole is not None:
            value = arguments.get(sole)
            if value is None:
                continue  # an omitted optional argument drops the parameter
            values = value if isinstance(value, list) else [value]
            params.extend((key, scalar_text(v) if not isinstance(v, (dict, list)) else json.dumps(v)) for v in values)
        else:
            params.append((key, template.render(arguments, encode=lambda _n, v: scalar_text(v))))
    if params:
        # Encoded here rather than by httpx: httpx 0.26 leaves "%2e"-style text in values
        # untouched, so the server would decode an argument "%2e%2e" as "..".
        encoded = urlencode(params, quote_via=quote, safe="")
        existing = url.query.decode("ascii")
        url = url.copy_with(query=(f"{existing}&{encoded}" if existing else encoded).encode("ascii"))
    # Defence in depth: the template fixes the origin, check it once more on the final URL.
    if _origin(url) != spec.origin:
        raise ToolCallError(f"the arguments would change this tool's origin to {_origin_text(url)}; refused")
    return url


async def _read(spec: HttpToolSpec, response: httpx.Response) -> Any:
    chunks: list[bytes] = []
    size = 0
    truncated = False
    async for chunk in response.aiter_bytes():
        room = spec.max_response_bytes - size
        if len(chunk) > room:
            chunks.append(chunk[:room])
            truncated = True
            break  # stop reading: the rest is never downloaded into memory
        chunks.append(chunk)
        size += len(chunk)
    raw = b"".join(chunks)
    content_type = response.headers.get("content-type", "")
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    body: Any = text
    if not truncated and "json" in content_type.lower() and text.strip():
        try:
            body = json.loads(text)
        except json.JSONDecodeError:
            body = text  # a server that mislabels its body: hand the text over as is
    result: dict[str, Any] = {"status": response.status_code, "content_type": content_type, "body": body}
    if truncated:
        result["truncated"] = True
        result["note"] = f"response truncated at {spec.max_response_bytes} bytes"
    logger.info(
        "HTTP tool %s: status %s, %d bytes%s",
        spec.name,
        response.status_code,
        len(raw),
        " (truncated)" if truncated else "",
    )
    if response.status_code >= 400:
        raise ToolCallError(f"HTTP {response.status_code} {response.reason_phrase}".strip(), data=result)
    return result


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    scheme = url.scheme.lower()
    return scheme, (url.host or "").lower(), url.port or _DEFAULT_PORTS.get(scheme, 0)


def _origin_text(url: httpx.URL) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}"


# ---------------------------------------------------------------------------------------------
# spec validation helpers


def parameters_schema(value: Any, *, where: str) -> dict[str, Any]:
    """A tool's ``parameters`` (checked by the tool's schema): a JSON schema of type object, or
    its JSON text (as a templated Keep value arrives), which is checked here the same way; none
    or empty means no arguments at all. ConfigError names ``where``."""
    if value is None or value == "" or value == {}:
        return {"type": "object", "properties": {}, "additionalProperties": False}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(where, f"is a string but not JSON ({exc.msg} at character {exc.pos})") from None
        check(value, PARAMETERS_DOCUMENT, where=where)
    try:
        jsonschema.Draft202012Validator.check_schema(dict(value))
    except jsonschema.SchemaError as exc:
        raise ConfigError(where, f"is not a valid JSON schema: {exc.message}") from None
    return json.loads(json.dumps(value))  # a plain, detached copy (YAML may hand us odd types)


def _url(value: Any, *, where: str) -> tuple[Template, tuple[str, str, int]]:
    if "://" not in value:
        raise ConfigError(where, "must be an absolute http(s) URL template")
    scheme, _, rest = value.partition("://")
    if scheme.lower() not in _DEFAULT_PORTS:
        raise ConfigError(where, f"scheme {scheme!r} is not allowed; use http or https")
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    if any(ch in authority for ch in "{}$"):
        raise ConfigError(where, "placeholders are not allowed in the scheme, host or port")
    if "@" in authority:
        raise ConfigError(where, "credentials in the URL are not allowed; use a header")
    if "#" in value:
        raise ConfigError(where, "fragments are not allowed")
    template = parse_template(value, where=where, allow_references=False, secrets={})
    try:
        probe = httpx.URL(template.render({}, encode=lambda _n, _v: "x"))
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConfigError(where, f"is not a valid URL: {exc}") from None
    if not probe.host:
        raise ConfigError(where, "has no host")
    return template, _origin(probe)


def _template_map(
    value: Any, *, where: str, secrets: Mapping[str, str], environ: Any, allow_references: bool = True
) -> dict[str, Template]:
    if value is None:
        return {}
    out = {}
    for key, text in value.items():
        if isinstance(text, (int, float, bool)):
            text = scalar_text(text)
        out[str(key)] = parse_template(
            text, where=f"{where}.{key}", allow_references=allow_references, secrets=secrets, environ=environ
        )
    return out


def _headers(value: Any, *, where: str, secrets: Mapping[str, str], environ: Any) -> dict[str, Template]:
    headers = _template_map(value, where=where, secrets=secrets, environ=environ)
    for key, template in headers.items():
        if template.arguments:
            # Model-controlled header values are an injection surface and rarely needed.
            raise ConfigError(f"{where}.{key}", "argument placeholders are not allowed in headers")
        literal = template.render({}, encode=lambda _n, _v: "")
        if "\r" in literal or "\n" in literal:
            raise ConfigError(f"{where}.{key}", "line breaks are not allowed in header values")
        if _CREDENTIAL_HEADER.search(key.lower()):
            # register_secret ignores short values ("true", "Bearer"), so only real ones count.
            register_secret(literal)
            for part in literal.split():  # "Bearer <token>": the token alone is the secret
                register_secret(part)
    return headers
