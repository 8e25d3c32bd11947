"""The step's ``functions``: declarative HTTP tools and tools backed by other Keep providers.

A ``functions`` entry with a ``provider`` key calls another provider configured in the same
Keep tenant (in ``providers.yaml``, ``KEEP_PROVIDERS`` or Keep's database), so the assistant can
query the systems Keep already knows::

    - name: host_metrics
      description: Current CPU and disk usage of a host
      parameters: {type: object, properties: {host: {type: string}}, required: [host]}
      provider: metrics-api          # provider id (or name) in this tenant
      provider_type: http            # optional when the provider is installed in Keep's database
      with:                          # the provider's query arguments
        url: http://metrics.internal:9100/usage
        method: GET
        params: {host: "{host}"}

``{name}`` placeholders in ``with`` string values are filled with the model's arguments (a
value that is exactly one placeholder keeps the argument's JSON type). Arguments no placeholder
uses are passed to the provider's ``query`` as keyword arguments. Every other entry is an HTTP
tool (see :mod:`openaiassistant.tools.http`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from openaiassistant.errors import ConfigError, redact, register_secret
from openaiassistant.tools.base import ToolDefinition
from openaiassistant.tools.registry import ToolRegistry
from openaiassistant.tools.tool import ToolCallError

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEY = re.compile(r"(?i)(key|token|secret|password|passwd|credential|auth)")
_PROVIDER_KEYS = {"name", "description", "parameters", "provider", "provider_type", "with", "strict", "timeout"}

# (provider_id, provider_type, with-arguments) -> query result
ProviderCaller = Callable[[str, str, dict[str, Any]], Any]


@dataclass(kw_only=True)
class ProviderTool:
    """A tool whose call runs ``query`` on another provider of the same Keep tenant."""

    definition: ToolDefinition
    provider_id: str
    provider_type: str
    with_template: dict[str, Any] = field(default_factory=dict)
    caller: ProviderCaller
    timeout: float | None = None

    def invoke(self, arguments: dict[str, Any]) -> Any:
        used: set[str] = set()
        query_args = _fill(self.with_template, arguments, used)
        for name, value in arguments.items():
            if name not in used and value is not None:
                query_args[name] = value
        try:
            return self.caller(self.provider_id, self.provider_type, query_args)
        except ToolCallError:
            raise
        except Exception as exc:  # the other provider's failure is the model's to read
            raise ToolCallError(
                redact(f"provider {self.provider_id} ({self.provider_type}) failed: {type(exc).__name__}: {exc}")
            ) from None


def _fill(value: Any, arguments: Mapping[str, Any], used: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, arguments, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, arguments, used) for v in value]
    if not isinstance(value, str):
        return value
    whole = _PLACEHOLDER.fullmatch(value)
    if whole and whole.group(1) in arguments:
        used.add(whole.group(1))
        return arguments[whole.group(1)]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in arguments:
            return match.group(0)
        used.add(name)
        arg = arguments[name]
        return arg if isinstance(arg, str) else json.dumps(arg)

    return _PLACEHOLDER.sub(replace, value)


def parse_functions(value: Any) -> list[dict[str, Any]]:
    """Accept a list of specs, or its JSON/YAML text (templated values arrive as strings)."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, str):
        import yaml  # only needed for this rare form

        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError("functions", f"not valid JSON/YAML: {exc}") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError("functions", "must be a list of function specs (mappings with name, description, parameters)")
    return value


def build_toolset(
    specs: list[dict[str, Any]],
    *,
    caller: ProviderCaller | None,
    resolve_type: Callable[[str], str | None] | None = None,
) -> ToolRegistry | None:
    """Compile the step's ``functions`` into a :class:`ToolRegistry` (``None`` when empty)."""
    if not specs:
        return None
    registry = ToolRegistry()
    for index, spec in enumerate(specs):
        if "provider" in spec:
            registry.add(_provider_tool(spec, index=index, caller=caller, resolve_type=resolve_type))
        else:
            registry.add_http_tool(spec)
    return registry


def _provider_tool(
    spec: dict[str, Any], *, index: int, caller: ProviderCaller | None, resolve_type: Callable[[str], str | None] | None
) -> ProviderTool:
    where = f"functions[{index}]"
    unknown = set(spec) - _PROVIDER_KEYS
    if unknown:
        raise ConfigError(where, f"unknown keys {sorted(unknown)}; a provider tool takes {sorted(_PROVIDER_KEYS)}")
    if caller is None:
        raise ConfigError(where, "provider tools need a Keep context (they run inside a Keep workflow)")
    provider = spec["provider"]
    provider_type = spec.get("provider_type")
    if isinstance(provider, dict):  # provider: {id: ..., type: ...}
        provider_type = provider_type or provider.get("type")
        provider = provider.get("id") or provider.get("name")
    if not isinstance(provider, str) or not provider.strip():
        raise ConfigError(f"{where}.provider", "must be the id (or name) of a provider configured in Keep")
    provider = _strip_template(provider)
    provider_type = provider_type or (resolve_type(provider) if resolve_type else None)
    if not provider_type:
        raise ConfigError(
            f"{where}.provider_type",
            f"unknown for provider {provider!r}: it is not installed in Keep's database; give provider_type (e.g. http)",
        )
    with_template = spec.get("with") or {}
    if not isinstance(with_template, dict):
        raise ConfigError(f"{where}.with", "must be a mapping of the provider's query arguments")
    parameters = spec.get("parameters") or {"type": "object", "properties": {}}
    if isinstance(parameters, str):
        parameters = json.loads(parameters)
    strict = spec.get("strict", False)
    if isinstance(strict, str):
        strict = strict.strip().lower() == "true"
    timeout = spec.get("timeout")
    return ProviderTool(
        definition=ToolDefinition(
            name=str(spec.get("name") or ""),
            description=str(spec.get("description") or f"Query the Keep provider {provider}"),
            parameters=parameters,
            strict=bool(strict),
        ),
        provider_id=provider,
        provider_type=str(provider_type),
        with_template=with_template,
        caller=caller,
        timeout=float(timeout) if timeout not in (None, "") else None,
    )


def _strip_template(provider: str) -> str:
    """``{{ providers.metrics-api }}`` (Keep's config syntax) and ``metrics-api`` name the same."""
    text = provider.strip()
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2].strip()
    return text.removeprefix("providers.")


def register_config_secrets(config: Mapping[str, Any]) -> None:
    """Hide another provider's credentials from tool outputs and errors."""
    auth = config.get("authentication") if isinstance(config, Mapping) else None
    if not isinstance(auth, Mapping):
        return
    for key, value in auth.items():
        if isinstance(value, str) and _SECRET_KEY.search(str(key)):
            register_secret(value)
