"""Run controls: parsed and validated before any API call.

Values may arrive as strings (Keep's YAML parser drops floats, so ``temperature: "0.2"``; the
CLI's ``--param NAME=VALUE`` is text too): numbers, booleans and JSON objects are accepted in
their string forms. Every problem raises :class:`~openaiassistant.errors.ConfigError` naming the
parameter and what is allowed; nothing is sent to the server.

The result is a backend-neutral :class:`RunParams`; each backend translates it to its wire form
(see docs/engine.md for what each backend does with each parameter).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from openaiassistant.errors import ConfigError
from openaiassistant.values import clean_text, parse_bool, parse_count, parse_number

__all__ = [
    "DEFAULT_MAX_TOOL_CALLS",
    "DEFAULT_MAX_TOOL_ROUNDS",
    "JSON_HINT",
    "KEEP_NAMES",
    "PARAM_ALIASES",
    "PARAM_NAMES",
    "REASONING_EFFORTS",
    "TOOL_CHOICE_MODES",
    "ResponseFormat",
    "RunParams",
    "ToolChoice",
    "Truncation",
    "keep_output_format",
    "parse_params",
    "validate_metadata",
    "with_json_hint",
]

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
TOOL_CHOICE_MODES = ("auto", "none", "required")
DEFAULT_MAX_TOOL_ROUNDS = 8
DEFAULT_MAX_TOOL_CALLS = 64
_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# API minimums (requests below them are 400s on the server)
_MIN_PROMPT_TOKENS = 256
_MIN_COMPLETION_TOKENS = {"assistants": 256, "responses": 16, "chat": 1}
# Other names for the same controls: the Responses API's, and Keep's own LLM providers' (openai,
# ollama, vllm, litellm, anthropic take system_prompt, max_tokens, structured_output_format), so
# a step written for those switches to this provider unchanged.
KEEP_NAMES = {
    "system_prompt": "instructions",
    "max_tokens": "max_completion_tokens",
    "structured_output_format": "response_format",
}
_ALIASES = {"max_output_tokens": "max_completion_tokens", **KEEP_NAMES}
_RESPONSE_FORMAT_TYPES = ("auto", "text", "json_object", "json_schema")


@dataclass(frozen=True, kw_only=True)
class ResponseFormat:
    """``kind``: text | json_object | json_schema (``auto`` is represented by ``None``)."""

    kind: str
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None
    description: str | None = None

    def schema_fields(self) -> dict[str, Any]:
        """A json_schema format's fields, named alike by both APIs (name, schema, strict, description)."""
        fields: dict[str, Any] = {"name": self.name, "schema": self.schema}
        if self.strict is not None:
            fields["strict"] = self.strict
        if self.description:
            fields["description"] = self.description
        return fields


@dataclass(frozen=True, kw_only=True)
class ToolChoice:
    """``mode``: auto | none | required | function (then ``name`` is the function)."""

    mode: str
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class Truncation:
    """``kind``: auto | disabled | last_messages (then ``last_messages`` is N)."""

    kind: str
    last_messages: int | None = None


@dataclass(frozen=True, kw_only=True)
class RunParams:
    """Validated run controls for one turn; ``None`` means "the server's default"."""

    model: str | None = None
    instructions: str | None = None
    additional_instructions: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_prompt_tokens: int | None = None
    max_completion_tokens: int | None = None
    truncation_strategy: Truncation | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None
    metadata: dict[str, str] | None = None
    response_format: ResponseFormat | None = None
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS
    # budgets, checked before each further model round (never sent to the server)
    max_cost_usd: float | None = None
    max_total_tokens: int | None = None

    def given(self, *names: str) -> dict[str, Any]:
        """The controls among ``names`` that were given (not None), by name."""
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


PARAM_NAMES = tuple(f.name for f in fields(RunParams))
PARAM_ALIASES = tuple(_ALIASES)  # accepted too, as the control they name


def parse_params(
    raw: Mapping[str, Any] | None, *, defaults: Mapping[str, Any] | None = None, backend: str = "responses"
) -> RunParams:
    """Merge ``defaults`` (the assistant's) with ``raw`` (this turn's) and validate every value.

    ``None`` or ``""`` values are treated as "not given" (Keep renders missing template values
    as empty strings).
    """
    merged: dict[str, Any] = {}
    typed: dict[str, str] = {}  # the name the user wrote (max_output_tokens), for errors
    for source in (defaults or {}, raw or {}):
        if not isinstance(source, Mapping):
            raise ConfigError("params", "must be a mapping of run control names to values")
        for key, value in source.items():
            name = _ALIASES.get(key, key)
            if name not in PARAM_NAMES:
                raise ConfigError(str(key), f"unknown run parameter; allowed: {', '.join(PARAM_NAMES)}")
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            merged[name] = keep_output_format(value) if key == "structured_output_format" else value
            typed[name] = str(key)
    values = {name: _PARSERS[name](typed[name], value, backend) for name, value in merged.items()}
    return RunParams(**values)


def keep_output_format(value: Any) -> Any:
    """Keep's ``structured_output_format`` as a ``response_format``: Keep's openai provider takes a
    response format (``{type: json_schema, json_schema: {...}}``), its ollama provider ``json`` or
    a bare JSON schema, its vllm/litellm providers a bare JSON schema (``{type: object, ...}``)."""
    value = _json_value("structured_output_format", value)
    if isinstance(value, str) and value.strip().lower() == "json":
        return {"type": "json_object"}
    if isinstance(value, Mapping) and value.get("type") not in _RESPONSE_FORMAT_TYPES:
        title = value.get("title")
        name = title if isinstance(title, str) and _SCHEMA_NAME.match(title) else "response"
        return {"type": "json_schema", "json_schema": {"name": name, "schema": dict(value)}}
    return value


JSON_HINT = "Respond in JSON."


def with_json_hint(params: RunParams, *said: str | None) -> RunParams:
    """The API refuses ``json_object`` output (400) unless the word "json" appears in the
    instructions or the input. Unless the turn's instructions or one of ``said`` (the prompt,
    the assistant's own instructions) mention it, ``additional_instructions`` gets
    :data:`JSON_HINT` (Assistants sends it as such, Responses appends it to the instructions)."""
    fmt = params.response_format
    if fmt is None or fmt.kind != "json_object":
        return params
    texts = [params.instructions, params.additional_instructions, *said]
    if any(isinstance(text, str) and "json" in text.lower() for text in texts):
        return params
    extra = params.additional_instructions
    return replace(params, additional_instructions=f"{extra}\n\n{JSON_HINT}" if extra else JSON_HINT)


# -- scalar parsers ---------------------------------------------------------------------------
def _text(name: str, value: Any, _backend: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(name, f"must be a string, got {type(value).__name__}")
    return clean_text(value)


def _nonempty(name: str, value: Any, backend: str) -> str:
    text = _text(name, value, backend).strip()
    if not text:
        raise ConfigError(name, "must not be empty")
    return text


def _boolean(name: str, value: Any, _backend: str) -> bool:
    return parse_bool(name, value)


def _json_value(name: str, value: Any) -> Any:
    """A mapping may arrive as JSON text (CLI, Keep templates)."""
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(name, f"is not valid JSON: {exc.msg}") from None
    return value


# -- structured parsers -----------------------------------------------------------------------
def _truncation(name: str, value: Any, _backend: str) -> Truncation:
    value = _json_value(name, value)
    allowed = "'auto', 'disabled' or {type: last_messages, last_messages: N}"
    if isinstance(value, str):
        value = {"type": value.strip()}
    if not isinstance(value, Mapping):
        raise ConfigError(name, f"must be {allowed}")
    kind = value.get("type")
    if kind in ("auto", "disabled"):
        return Truncation(kind=kind)
    if kind == "last_messages":
        count = parse_count(f"{name}.last_messages", value.get("last_messages"), low=1)
        return Truncation(kind=kind, last_messages=count)
    raise ConfigError(name, f"must be {allowed}, got {kind!r}")


def _tool_choice(name: str, value: Any, _backend: str) -> ToolChoice:
    value = _json_value(name, value)
    allowed = "auto, none, required, or {type: function, name: NAME}"
    if isinstance(value, str):
        if value.strip() in TOOL_CHOICE_MODES:
            return ToolChoice(mode=value.strip())
        raise ConfigError(name, f"must be {allowed}, got {value!r}")
    if isinstance(value, Mapping) and value.get("type") == "function":
        # both wire shapes: Responses {type, name}, Assistants {type, function: {name}}
        inner = value.get("function")
        fname = value.get("name") or (inner.get("name") if isinstance(inner, Mapping) else None)
        if isinstance(fname, str) and fname:
            return ToolChoice(mode="function", name=fname)
    raise ConfigError(name, f"must be {allowed}")


def _reasoning(name: str, value: Any, backend: str) -> str:
    effort = _text(name, value, backend).strip().lower()
    if effort not in REASONING_EFFORTS:
        raise ConfigError(name, f"must be one of {', '.join(REASONING_EFFORTS)}, got {value!r}")
    return effort


def _metadata(name: str, value: Any, _backend: str) -> dict[str, str]:
    value = _json_value(name, value)
    if not isinstance(value, Mapping):
        raise ConfigError(name, "must be a mapping of up to 16 string keys to string values")
    return validate_metadata(value, name=name)


def validate_metadata(value: Mapping[str, Any], *, name: str = "metadata") -> dict[str, str]:
    """The API's limits: at most 16 keys, keys <= 64 characters, values <= 512 characters.

    Scalar values (numbers, booleans) are turned into strings, as the API only stores strings.
    """
    if len(value) > 16:
        raise ConfigError(name, f"has {len(value)} keys; at most 16 are allowed")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > 64:
            raise ConfigError(name, f"key {str(key)[:80]!r} must be a string of 1 to 64 characters")
        if isinstance(item, (Mapping, list, tuple)) or item is None:
            raise ConfigError(f"{name}.{key}", "must be a string (or a number/boolean)")
        text = clean_text(str(item).lower() if isinstance(item, bool) else str(item))
        if len(text) > 512:
            raise ConfigError(f"{name}.{key}", f"is {len(text)} characters; at most 512 are allowed")
        out[key] = text
    return out


def _response_format(name: str, value: Any, _backend: str) -> ResponseFormat | None:
    value = _json_value(name, value)
    allowed = "auto, text, json_object, or {type: json_schema, json_schema: {name, schema, strict}}"
    if isinstance(value, str):
        value = {"type": value.strip()}
    if not isinstance(value, Mapping):
        raise ConfigError(name, f"must be {allowed}")
    kind = value.get("type")
    if kind == "auto":
        return None
    if kind in ("text", "json_object"):
        return ResponseFormat(kind=kind)
    if kind != "json_schema":
        raise ConfigError(name, f"must be {allowed}, got type {kind!r}")
    # Assistants/Chat nest the schema under json_schema; Responses puts it at the top level.
    nested = value.get("json_schema")
    inner: Mapping[str, Any] = nested if isinstance(nested, Mapping) else value
    schema = inner.get("schema")
    if not isinstance(schema, Mapping):
        raise ConfigError(f"{name}.schema", "must be a JSON schema object")
    _check_schema(f"{name}.schema", schema)
    schema_name = inner.get("name") or "response"
    if not isinstance(schema_name, str) or not _SCHEMA_NAME.match(schema_name):
        raise ConfigError(f"{name}.name", "must be 1 to 64 letters, digits, '_' or '-'")
    strict = inner.get("strict")
    return ResponseFormat(
        kind="json_schema",
        name=schema_name,
        schema=dict(schema),
        strict=None if strict is None else _boolean(f"{name}.strict", strict, _backend),
        description=inner.get("description") if isinstance(inner.get("description"), str) else None,
    )


def _check_schema(name: str, schema: Mapping[str, Any]) -> None:
    import jsonschema  # imported here: only schema users pay for it

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ConfigError(name, f"is not a valid JSON schema: {exc.message}") from None


_PARSERS: dict[str, Any] = {
    "model": _nonempty,
    "instructions": _text,
    "additional_instructions": _text,
    "temperature": lambda n, v, b: parse_number(n, v, low=0.0, high=2.0),
    "top_p": lambda n, v, b: parse_number(n, v, low=0.0, high=1.0),
    "max_prompt_tokens": lambda n, v, b: parse_count(n, v, low=_MIN_PROMPT_TOKENS),
    "max_completion_tokens": lambda n, v, b: parse_count(n, v, low=_MIN_COMPLETION_TOKENS.get(b, 16)),
    "truncation_strategy": _truncation,
    "tool_choice": _tool_choice,
    "parallel_tool_calls": _boolean,
    "reasoning_effort": _reasoning,
    "metadata": _metadata,
    "response_format": _response_format,
    "max_tool_rounds": lambda n, v, b: parse_count(n, v, low=1, high=100),
    "max_tool_calls": lambda n, v, b: parse_count(n, v, low=1, high=1000),
    "max_cost_usd": lambda n, v, b: parse_number(n, v, low=0.0, low_excluded=True),
    "max_total_tokens": lambda n, v, b: parse_count(n, v, low=1, high=10**12),
}
