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
        url: http://metrics.internal:9100/hosts/{host}
        method: GET

``{name}`` placeholders in ``with`` values are filled with the model's arguments; the model can
never change anything else of ``with`` (see :mod:`.with_template` for the rules, URLs included).
Every other entry is an HTTP tool (see :mod:`openaiassistant.tools.http` and
:mod:`.http_functions`). The entries are checked when the step starts, before anything is sent,
against their JSON Schema (:mod:`openaiassistant.schemas.functions`, published as
docs/schemas/functions.schema.json; new kinds of entries are added there), then for what a
schema cannot say; a ConfigError names the field as ``functions[i].field``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from openaiassistant.errors import ConfigError
from openaiassistant.keep.http_functions import http_tool_spec
from openaiassistant.keep.with_template import WithTemplate
from openaiassistant.redaction import redact
from openaiassistant.schemas.check import check, given, problem_of
from openaiassistant.schemas.functions import FUNCTIONS_DOCUMENT
from openaiassistant.tools.base import ToolDefinition
from openaiassistant.tools.http import compile_http_tool, parameters_schema
from openaiassistant.tools.strict import strict_problem
from openaiassistant.tools.threads import AbandonedCallLimit
from openaiassistant.tools.tool import ToolCallError
from openaiassistant.tools.toolbox import Toolbox
from openaiassistant.values import parse_bool, positive_seconds

__all__ = ["ABANDONED_CALLS", "ProviderCaller", "ProviderTool", "build_toolset", "parse_functions"]

# (provider_id, provider_type, with-arguments) -> query result
ProviderCaller = Callable[[str, str, dict[str, Any]], Any]

# One cap for the whole Keep worker: every step builds its own registry, and a provider that
# hangs must not pile up threads step after step.
ABANDONED_CALLS = AbandonedCallLimit(32)


@dataclass(kw_only=True)
class ProviderTool:
    """A tool whose call runs ``query`` on another provider of the same Keep tenant."""

    definition: ToolDefinition
    provider_id: str
    provider_type: str
    with_template: WithTemplate
    caller: ProviderCaller
    timeout: float | None = None

    def invoke(self, arguments: dict[str, Any]) -> Any:
        query_args = self.with_template.fill(arguments)
        try:
            return self.caller(self.provider_id, self.provider_type, query_args)
        except ToolCallError:
            raise
        except Exception as exc:  # the other provider's failure is the model's to read
            raise ToolCallError(
                redact(f"provider {self.provider_id} ({self.provider_type}) failed: {type(exc).__name__}: {exc}")
            ) from None


def parse_functions(value: Any) -> list[Any]:
    """The step's ``functions``: a list of specs, one spec, or their JSON/YAML text (templated
    values arrive as strings). Not checked yet: :func:`build_toolset` checks them."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, str):
        import yaml  # only needed for this rare form

        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError("functions", f"not valid JSON/YAML: {exc}") from None
    return [value] if isinstance(value, dict) else value


def build_toolset(
    specs: Any,
    *,
    caller: ProviderCaller | None,
    resolve_type: Callable[[str], str | None] | None = None,
    known_provider: Callable[[str], bool] | None = None,
    method_caller: Any = None,
    provider_class: Callable[[str], type] | None = None,
) -> Toolbox | None:
    """Check the step's ``functions`` against docs/schemas/functions.schema.json and compile them
    into a :class:`Toolbox` (``None`` when empty).

    ``known_provider(id)`` says whether a provider id (or name) is configured in this tenant;
    a provider tool naming an unknown one fails here, before the turn starts.
    """
    if not specs:
        return None
    entries = [given(entry) for entry in specs] if isinstance(specs, list) else specs
    check(entries, FUNCTIONS_DOCUMENT, where="functions")
    registry = Toolbox(abandoned_call_limit=ABANDONED_CALLS)
    for index, spec in enumerate(entries):
        where = f"functions[{index}]"
        if "mcp" in spec:  # an MCP server: its tools, listed from the server
            from openaiassistant.keep.mcp_functions import add_step_mcp_server

            add_step_mcp_server(registry, spec, where=where)
            continue
        if "methods" in spec:  # the provider's own methods (PROVIDER_METHODS)
            _add_method_tools(
                registry,
                spec,
                where=where,
                method_caller=method_caller,
                provider_class=provider_class,
                resolve_type=resolve_type,
                known_provider=known_provider,
            )
            continue
        if "provider" in spec:
            tool: Any = _provider_tool(
                spec, where=where, caller=caller, resolve_type=resolve_type, known_provider=known_provider
            )
        else:
            tool = compile_http_tool(http_tool_spec(spec, where=where))
        try:
            registry.add(tool)
        except ConfigError as err:  # the registry's own rules (a name used twice)
            raise ConfigError(f"{where}.name", problem_of(err)) from None
    return registry


def _add_method_tools(
    registry: Toolbox,
    spec: dict[str, Any],
    *,
    where: str,
    method_caller: Any,
    provider_class: Callable[[str], type] | None,
    resolve_type: Callable[[str], str | None] | None,
    known_provider: Callable[[str], bool] | None,
) -> None:
    from openaiassistant.keep.provider_methods import method_tools

    if method_caller is None or provider_class is None:
        raise ConfigError(where, "provider methods need a Keep context (they run inside a Keep workflow)")
    provider, provider_type = _provider_ref(spec, where, resolve_type, known_provider)
    for tool in method_tools(
        spec,
        where=where,
        provider_id=provider,
        provider_type=provider_type,
        provider_class=provider_class(provider_type),
        caller=method_caller,
    ):
        registry.add(tool)


def _provider_tool(
    spec: dict[str, Any],
    *,
    where: str,
    caller: ProviderCaller | None,
    resolve_type: Callable[[str], str | None] | None,
    known_provider: Callable[[str], bool] | None,
) -> ProviderTool:
    """A checked provider-tool entry (see PROVIDER_TOOL in schemas/functions.py) compiled."""
    if caller is None:
        raise ConfigError(where, "provider tools need a Keep context (they run inside a Keep workflow)")
    provider, provider_type = _provider_ref(spec, where, resolve_type, known_provider)
    parameters = parameters_schema(spec.get("parameters"), where=f"{where}.parameters")
    strict = parse_bool(f"{where}.strict", spec.get("strict", False))
    if strict and (problem := strict_problem(parameters)):
        raise ConfigError(f"{where}.parameters", f"strict: true needs a strict schema: {problem}")
    return ProviderTool(
        definition=ToolDefinition(
            name=spec["name"],
            description=spec.get("description") or f"Query the Keep provider {provider}",
            parameters=parameters,
            strict=strict,
        ),
        provider_id=provider,
        provider_type=provider_type,
        with_template=WithTemplate.compile(spec.get("with") or {}, parameters, where=f"{where}.with"),
        caller=caller,
        timeout=positive_seconds(f"{where}.timeout", spec.get("timeout")),
    )


def _provider_ref(
    spec: Mapping[str, Any],
    where: str,
    resolve_type: Callable[[str], str | None] | None,
    known_provider: Callable[[str], bool] | None,
) -> tuple[str, str]:
    """The provider id and type a provider tool calls (the schema has checked that an id or a
    name is given); the id must be configured in this tenant."""
    provider = spec["provider"]
    provider_type = spec.get("provider_type")
    if isinstance(provider, dict):  # provider: {id: ..., type: ...}
        provider_type = provider_type or provider.get("type")
        provider = provider.get("id") or provider["name"]
    provider = _strip_template(provider)
    if known_provider is not None and not known_provider(provider):
        raise ConfigError(
            f"{where}.provider",
            f"{provider!r} is not configured in this Keep tenant "
            "(providers.yaml, KEEP_PROVIDERS or installed providers)",
        )
    provider_type = provider_type or (resolve_type(provider) if resolve_type else None)
    if not provider_type:
        raise ConfigError(
            f"{where}.provider_type",
            f"unknown for provider {provider!r}: it is not installed in Keep's database; "
            "give provider_type (e.g. http)",
        )
    return provider, provider_type


def _strip_template(provider: str) -> str:
    """``{{ providers.metrics-api }}`` (Keep's config syntax) and ``metrics-api`` name the same."""
    text = provider.strip()
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2].strip()
    return text.removeprefix("providers.")
