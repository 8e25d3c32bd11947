"""Keep provider methods as tools: a configured provider's ``PROVIDER_METHODS``.

    functions:
      - provider: zabbix-prod            # a provider configured in this tenant
        provider_type: zabbix            # optional when it is installed in Keep's database
        methods: [get_problem_messages, acknowledge_problem]   # func_name or display name
        approval: default                # default | required | never | [method, ...]
        prefix: zbx_                     # put before every tool name (default: none)
        timeout: "20"

Keep describes these methods on the provider class (``keep.providers.models.provider_method``:
name, func_name, description, scopes, ``type: view | action``); its UI and its Cloud assistant
call them as ``getattr(provider, func_name)(**arguments)``, and so do we. The tool's schema comes
from the method's signature the way Keep's own ``ProvidersFactory`` reflects it (a parameter
without a default is required; ``Literal`` values become an enum), with the types and the
docstring's ``Args:`` descriptions made precise where the annotations allow.

* Only methods declared in ``PROVIDER_METHODS`` can be offered, never any other attribute.
* ``view`` methods run freely. ``action`` methods are offered only when ``methods`` names them
  (``methods: view`` offers every view method), and by default each call waits for a
  person's approval (``approval: never`` turns that off; a list names exactly
  the methods that wait).
"""

from __future__ import annotations

import datetime
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from openaiassistant.errors import ConfigError
from openaiassistant.redaction import redact
from openaiassistant.tools.base import ToolDefinition
from openaiassistant.tools.docstrings import parse_docstring
from openaiassistant.tools.schema import type_schema
from openaiassistant.tools.tool import ToolCallError, check_tool_name
from openaiassistant.values import positive_seconds

__all__ = ["call_method", "method_tools", "provider_class"]

# (provider_id, provider_type, func_name, arguments) -> the method's return value
MethodCaller = Callable[[str, str, str, dict[str, Any]], Any]
METHOD_KEYS = {"provider", "provider_type", "methods", "approval", "prefix", "timeout"}


@dataclass(frozen=True, kw_only=True)
class MethodInfo:
    """One entry of a provider class's PROVIDER_METHODS, with its function."""

    name: str
    func_name: str
    description: str
    kind: str  # view | action
    function: Callable[..., Any]


@dataclass(kw_only=True)
class ProviderMethodTool:
    """A tool whose call runs one provider method (implements the registry's Executable)."""

    definition: ToolDefinition
    provider_id: str
    provider_type: str
    func_name: str
    kind: str
    caller: MethodCaller
    timeout: float | None = None
    requires_approval: bool = False

    def invoke(self, arguments: dict[str, Any]) -> Any:
        sent = {k: v for k, v in arguments.items() if v is not None}  # null: the method's default
        try:
            return self.caller(self.provider_id, self.provider_type, self.func_name, sent)
        except ToolCallError:
            raise
        except Exception as exc:  # the provider's failure is the model's to read
            raise ToolCallError(
                redact(
                    f"{self.provider_type} provider {self.provider_id}, method {self.func_name} failed: "
                    f"{type(exc).__name__}: {exc}"
                )
            ) from None


def declared_methods(provider_class: type) -> dict[str, MethodInfo]:
    """The provider class's PROVIDER_METHODS by func_name (a method without a function is skipped)."""
    out: dict[str, MethodInfo] = {}
    for method in getattr(provider_class, "PROVIDER_METHODS", None) or []:
        function = getattr(provider_class, method.func_name, None)
        if not callable(function):
            continue
        summary = parse_docstring(function).summary
        out[method.func_name] = MethodInfo(
            name=method.name,
            func_name=method.func_name,
            description=method.description or summary or method.name,
            kind=getattr(method, "type", "view") or "view",
            function=function,
        )
    return out


def method_tools(
    entry: Mapping[str, Any],
    *,
    where: str,
    provider_id: str,
    provider_type: str,
    provider_class: type,
    caller: MethodCaller,
) -> list[ProviderMethodTool]:
    """The tools one ``methods`` entry offers (ConfigError names the entry and the method)."""
    unknown = sorted(set(entry) - METHOD_KEYS)
    if unknown:
        raise ConfigError(where, f"unknown key(s) {unknown}; a provider methods entry takes {sorted(METHOD_KEYS)}")
    declared = declared_methods(provider_class)
    if not declared:
        raise ConfigError(where, f"the {provider_type} provider declares no PROVIDER_METHODS")
    chosen = _chosen(entry.get("methods"), declared, where=f"{where}.methods", provider_type=provider_type)
    approval = _approval(entry.get("approval"), where=f"{where}.approval")
    prefix = entry.get("prefix") or ""
    timeout = positive_seconds(f"{where}.timeout", entry.get("timeout"))
    tools = []
    for info in chosen:
        name = f"{prefix}{info.func_name}"
        try:
            check_tool_name(name)
        except ConfigError as err:
            raise ConfigError(f"{where}.prefix", err.message) from None
        needs = (
            info.kind == "action"
            if approval == "default"
            else (approval == "required" or (isinstance(approval, tuple) and info.func_name in approval))
        )
        kind_note = " (an action: it changes something)" if info.kind == "action" else ""
        tools.append(
            ProviderMethodTool(
                definition=ToolDefinition(
                    name=name,
                    description=f"{info.description}{kind_note} [{provider_type} provider {provider_id}]"[:1024],
                    parameters=method_parameters(info.function),
                    strict=False,
                ),
                provider_id=provider_id,
                provider_type=provider_type,
                func_name=info.func_name,
                kind=info.kind,
                caller=caller,
                timeout=timeout,
                requires_approval=needs,
            )
        )
    return tools


def method_parameters(function: Callable[..., Any]) -> dict[str, Any]:
    """The JSON schema of a method's parameters, as Keep's ProvidersFactory reflects them."""
    signature = inspect.signature(function)
    docs = parse_docstring(function).params
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # unresolvable annotations: fall back to what inspect shows
        hints = {}
    properties: dict[str, Any] = {}
    required = []
    for name, param in signature.parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        schema = _param_schema(hints.get(name, param.annotation), name)
        if docs.get(name):
            schema["description"] = docs[name]
        if param.default is param.empty:
            required.append(name)
        elif _plain(param.default):
            schema["description"] = (schema.get("description", "") + f" (default: {param.default!r})").strip()
        properties[name] = schema
    return {"type": "object", "properties": properties, "required": required}


def _param_schema(annotation: Any, name: str) -> dict[str, Any]:
    if annotation is inspect.Parameter.empty:
        return {"type": "string"}  # Keep's reflection falls back to str
    if annotation in (datetime.datetime, datetime.date):
        return {"type": "string", "description": "ISO 8601 date-time"}
    try:
        return dict(type_schema(annotation, strict=False, where=name))
    except (ConfigError, TypeError):
        return {"type": "string"}


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _chosen(value: Any, declared: dict[str, MethodInfo], *, where: str, provider_type: str) -> list[MethodInfo]:
    if value is None or value == "view":
        views = [m for m in declared.values() if m.kind == "view"]
        if not views:
            raise ConfigError(where, f"the {provider_type} provider has only action methods: list the ones to offer")
        return views
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(where, "must be a list of method names (func_name or display name)")
    by_display = {m.name: m for m in declared.values()}
    chosen = []
    for requested in value:
        info = declared.get(requested) or by_display.get(requested)
        if info is None:
            offered = ", ".join(f"{m.func_name} ({m.kind})" for m in declared.values())
            raise ConfigError(where, f"the {provider_type} provider has no method {requested!r}; it has: {offered}")
        if info not in chosen:
            chosen.append(info)
    return chosen


def _approval(value: Any, *, where: str) -> str | tuple[str, ...]:
    if value is None or value == "default":
        return "default"
    if value in ("required", True):
        return "required"
    if value in ("never", "none", False):
        return "never"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(where, f"must be default, required, never or a list of method names; got {value!r}")


def provider_class(provider_type: str) -> type:
    """Keep's provider class for a type (ConfigError when Keep has no such provider)."""
    from keep.providers.providers_factory import ProvidersFactory

    try:
        return ProvidersFactory.get_provider_class(provider_type)
    except Exception:  # Keep raises ModuleNotFoundError/NotImplementedError for unknown types
        raise ConfigError("provider_type", f"Keep has no provider of type {provider_type!r}") from None


def call_method(context_manager: Any, provider_id: str, provider_type: str, func_name: str, arguments: dict) -> Any:
    """Build the configured provider and call one of its declared methods (then dispose of it)."""
    import copy

    from keep.providers.providers_factory import ProvidersFactory

    from openaiassistant.keep.provider_secrets import register_config_secrets

    config = (getattr(context_manager, "providers_context", None) or {}).get(provider_id)
    if not config:
        raise ToolCallError(f"provider {provider_id} is not configured in this Keep tenant")
    register_config_secrets(config, provider_type)
    provider = ProvidersFactory.get_provider(context_manager, provider_id, provider_type, copy.deepcopy(config))
    if func_name not in declared_methods(type(provider)):  # never any other attribute
        raise ToolCallError(f"{func_name} is not one of the {provider_type} provider's methods")
    try:
        return getattr(provider, func_name)(**arguments)
    finally:
        provider.dispose()
