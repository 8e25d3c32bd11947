"""Check what the emulator sends against OpenAI's official OpenAPI document.

The spec is OpenAI's official document at the commit in ``spec/COMMIT`` (MIT, ``spec/LICENSE``),
shipped gzipped with the package (``spec/openapi.json.gz``) so that a clean clone, an installed
wheel and CI all validate against it; ``OPENAI_OPENAPI_SPEC`` points at another copy. It has
two quirks we work around when loading it (see ``docs/emulator.md``):

* it does not pass strict OpenAPI validation, so it is read as plain JSON, never validated;
* it uses 3.0-style ``nullable: true`` under ``openapi: 3.1.0``; JSON Schema 2020-12 ignores that
  keyword, so every ``null`` would be flagged. We rewrite it into a type union on load.

Every JSON body (2xx against the operation's schema, errors against ``ErrorResponse``) and every
SSE event (against the matching stream-event schema) is validated; problems are returned as
human-readable strings. The loaded spec and compiled validators are cached per process.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import referencing
from referencing.jsonschema import DRAFT202012

__all__ = ["ALLOWANCES", "BUNDLED_SPEC", "SpecValidator", "default_spec_path", "load_validator"]

_BASE = "urn:openai-openapi"


BUNDLED_SPEC = Path(__file__).resolve().parent / "spec" / "openapi.json.gz"


def default_spec_path() -> Path:
    """``$OPENAI_OPENAPI_SPEC`` or the copy shipped with the package."""
    env = os.environ.get("OPENAI_OPENAPI_SPEC")
    return Path(env) if env else BUNDLED_SPEC


def _fix_nullable(node: Any) -> Any:
    """Rewrite 3.0 ``nullable: true`` into a 3.1 type union (in place, recursively)."""
    if isinstance(node, list):
        return [_fix_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    fixed = {key: _fix_nullable(value) for key, value in node.items()}
    if fixed.pop("nullable", False) is not True:
        return fixed
    kind = fixed.get("type")
    if isinstance(kind, str):
        fixed["type"] = [kind, "null"]
        if "enum" in fixed and None not in fixed["enum"]:
            fixed["enum"] = [*fixed["enum"], None]
        return fixed
    if isinstance(kind, list):
        if "null" not in kind:
            fixed["type"] = [*kind, "null"]
        return fixed
    # $ref / allOf / oneOf without a type: allow null beside the whole schema
    return {"anyOf": [fixed, {"type": "null"}]}


# Where the live API and the spec disagree, the emulator follows the live API and the
# validator allows it. Each allowance is listed (and explained) in the conformance test.
ALLOWANCES: dict[str, str] = {
    "oneof-as-anyof": (
        "The spec writes unions as oneOf although their alternatives overlap (an input message "
        "{type: message, role, content: [input_text]} fits both EasyInputMessage and InputMessage); "
        "oneOf then rejects valid payloads for matching twice. Validation reads oneOf as anyOf: "
        "a value must still fit at least one alternative."
    ),
    "empty-list-cursors": (
        "List objects (ListMessagesResponse, ConversationItemList, ...) type first_id/last_id as "
        "string, but on an empty page the live API (and the SDK's cursor pager) use null; "
        "there is no id to point to."
    ),
}


def _oneof_as_anyof(node: Any) -> Any:
    if isinstance(node, list):
        return [_oneof_as_anyof(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {("anyOf" if key == "oneOf" else key): _oneof_as_anyof(value) for key, value in node.items()}


def _allow_empty_list_cursors(schemas: dict[str, Any]) -> None:
    for schema in schemas.values():
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        for key in ("first_id", "last_id"):
            if props.get(key, {}).get("type") == "string":
                props[key] = {**props[key], "type": ["string", "null"]}


@dataclass(kw_only=True)
class _Operation:
    method: str
    operation_id: str
    pattern: re.Pattern[str]
    template: str
    json_schema: dict[str, Any] | None
    stream_schema: dict[str, Any] | None
    request_schema: dict[str, Any] | None = None


@dataclass(kw_only=True)
class SpecValidator:
    """Validates response bodies and stream events; build with :func:`load_validator`."""

    spec: dict[str, Any]
    operations: list[_Operation] = field(default_factory=list)
    response_events: dict[str, str] = field(default_factory=dict)  # type -> schema name
    assistant_events: dict[str, dict[str, Any]] = field(default_factory=dict)  # event -> data schema

    def __post_init__(self) -> None:
        resource = DRAFT202012.create_resource(self.spec)
        self._registry = referencing.Registry().with_resource(_BASE, resource)
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        self._index()

    # -- building -------------------------------------------------------------------------
    def _index(self) -> None:
        for template, item in self.spec.get("paths", {}).items():
            if "?" in template:  # "beta" variants of paths; not part of the public surface
                continue
            regex = "^/v1" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            for method, op in item.items():
                if method not in ("get", "post", "delete"):
                    continue
                content = op.get("responses", {}).get("200", {}).get("content", {})
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
                self.operations.append(
                    _Operation(
                        method=method.upper(),
                        operation_id=str(op.get("operationId", "")),
                        pattern=re.compile(regex),
                        template=template,
                        json_schema=content.get("application/json", {}).get("schema"),
                        stream_schema=content.get("text/event-stream", {}).get("schema"),
                        request_schema=body.get("schema"),
                    )
                )
        schemas = self.spec["components"]["schemas"]
        for ref in schemas.get("ResponseStreamEvent", {}).get("anyOf", []):
            name = ref["$ref"].rsplit("/", 1)[-1]
            enum = schemas.get(name, {}).get("properties", {}).get("type", {}).get("enum", [])
            if enum:
                self.response_events[enum[0]] = name
        for group in schemas.get("AssistantStreamEvent", {}).get("anyOf", []):  # oneOf in the file
            target = schemas[group["$ref"].rsplit("/", 1)[-1]]
            for variant in target.get("anyOf", [target]):
                enum = variant.get("properties", {}).get("event", {}).get("enum", [])
                if enum:
                    self.assistant_events[enum[0]] = variant["properties"]["data"]

    def _validator(self, schema: dict[str, Any]) -> jsonschema.protocols.Validator:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            wrapped = _rebase(schema)
            validator = jsonschema.Draft202012Validator(wrapped, registry=self._registry)
            self._validators[key] = validator
        return validator

    # -- checks ---------------------------------------------------------------------------
    def operation(self, method: str, path: str) -> _Operation | None:
        """The spec operation for a concrete request path (``/v1/...``), if any."""
        matches = [op for op in self.operations if op.method == method and op.pattern.match(path)]
        # prefer the most literal template: /threads/runs over /threads/{thread_id}
        matches.sort(key=lambda op: op.template.count("{"))
        return matches[0] if matches else None

    def check(self, schema: dict[str, Any], instance: Any, where: str) -> list[str]:
        """Validate ``instance`` against ``schema``; return one message per error."""
        errors = sorted(self._validator(schema).iter_errors(instance), key=lambda e: list(e.path))
        return [_describe(where, error) for error in errors[:5]]

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Validate one JSON response body against its operation (or ``ErrorResponse``)."""
        where = f"{method} {path} -> {status}"
        if status >= 400:
            return self.check({"$ref": "#/components/schemas/ErrorResponse"}, body, where)
        op = self.operation(method, path)
        if op is None:
            return [f"{where}: no such operation in the spec"]
        if op.json_schema is None:
            return []
        return self.check(op.json_schema, body, where)

    def check_request(self, method: str, path: str, body: Any) -> list[str]:
        """Validate a JSON request body against the operation's request schema."""
        op = self.operation(method, path)
        if op is None or op.request_schema is None:
            return []
        return self.check(op.request_schema, body, f"request {method} {path}")

    def allowed_params(self, method: str, path: str) -> frozenset[str] | None:
        """The top-level body parameters the operation's request schema names (None: the spec
        has no JSON request schema with properties for it, so nothing can be said)."""
        op = self.operation(method, path)
        if op is None or op.request_schema is None:
            return None
        names = frozenset(_property_names(self.spec["components"]["schemas"], op.request_schema))
        return names or None

    def check_event(self, api: str, event: str, data: Any) -> list[str]:
        """Validate one SSE event of the ``responses``, ``assistants`` or ``chat`` stream (a chat
        stream's events are unnamed ``chat.completion.chunk`` objects)."""
        where = f"SSE {api} event {event}"
        if api == "chat":
            return self.check({"$ref": "#/components/schemas/CreateChatCompletionStreamResponse"}, data, where)
        if api == "responses":
            name = self.response_events.get(event)
            if name is None:
                return [f"{where}: event type not in the spec"]
            return self.check({"$ref": f"#/components/schemas/{name}"}, data, where)
        schema = self.assistant_events.get(event)
        if schema is None:
            return [f"{where}: event not in the spec"]
        return self.check(schema, data, where)


def _property_names(schemas: dict[str, Any], schema: Any, seen: frozenset[str] = frozenset()) -> set[str]:
    """Every property a request schema names, through ``$ref`` and ``allOf``/``anyOf`` parts."""
    if not isinstance(schema, dict):
        return set()
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[-1]
        return set() if name in seen else _property_names(schemas, schemas.get(name), seen | {name})
    names = set(schema.get("properties") or {})
    for keyword in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(keyword) or []:
            names |= _property_names(schemas, part, seen)
    return names


def _rebase(schema: dict[str, Any]) -> dict[str, Any]:
    """Point local ``#/components/...`` refs at the registered spec resource."""
    text = json.dumps(schema).replace('"#/components/', f'"{_BASE}#/components/')
    return json.loads(text)


def _describe(where: str, error: jsonschema.ValidationError) -> str:
    location = "/".join(str(p) for p in error.absolute_path) or "<root>"
    message = error.message if len(error.message) < 300 else error.message[:300] + "..."
    if error.context:  # anyOf/oneOf: say which part of the closest alternative is wrong
        best = jsonschema.exceptions.best_match(error.context)
        inner = "/".join(str(p) for p in best.absolute_path) or "<root>"
        message = f"{message} (closest: at {inner}: {best.message[:300]})"
    return f"{where}: at {location}: {message}"


def load_validator(path: str | None = None) -> SpecValidator:
    """The validator for ``path`` (default: :func:`default_spec_path`), loaded once per path."""
    return _load(str(Path(path) if path else default_spec_path()))


@functools.lru_cache(maxsize=4)
def _load(spec_path: str) -> SpecValidator:
    """Read the spec without spec validation, fix ``nullable``, apply the allowances, index it."""
    opener = gzip.open if spec_path.endswith(".gz") else open
    with opener(spec_path, "rt", encoding="utf-8") as handle:
        raw = json.load(handle)
    spec = _oneof_as_anyof(_fix_nullable(raw))
    _allow_empty_list_cursors(spec["components"]["schemas"])
    return SpecValidator(spec=spec)
