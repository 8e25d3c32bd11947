"""Toolbox: the tool set a turn runs with (implements :class:`~.base.Toolset`).

Build one explicitly per assistant (there is no global registry)::

    registry = Toolbox(max_concurrency=8, call_timeout=30.0, max_output_chars=16000)

    @registry.tool
    def disk_usage(host: str, mount: str = "/") -> dict:
        '''Disk usage of a mount point.

        Args:
            host: the machine to ask.
            mount: the mount point.
        '''
        ...

    registry.add_http_tool({"name": "get_alert", "url": "https://grafana:3000/api/alerts/{id}", ...},
                           secrets={"grafana": token})
    registry.add(my_keep_provider_tool)       # any object with .definition and .invoke(arguments)

The engine calls :meth:`definitions` for every run/response and :meth:`execute_round` for every
round of tool calls (see :mod:`.executor` for how a round runs).
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, overload

import jsonschema

from ..errors import ConfigError
from ..values import parse_count, parse_seconds
from .base import ToolCall, ToolDefinition, ToolOutput
from .executor import RoundLimits, run_round
from .http import HttpToolSpec, compile_http_tool
from .outputs import MIN_OUTPUT_CHARS
from .schema import FunctionSchema, build_arguments, function_schema
from .threads import AbandonedCallLimit
from .tool import Executable, Tool, check_tool_name

__all__ = ["Toolbox"]


class Toolbox:
    """A set of named tools plus the limits their calls run under."""

    def __init__(
        self,
        *,
        max_concurrency: int = 8,
        call_timeout: float = 30.0,
        max_output_chars: int = 16000,
        max_abandoned_calls: int | None = None,
        abandoned_call_limit: AbandonedCallLimit | None = None,
    ) -> None:
        """``max_abandoned_calls`` (default 32) bounds the sync tool threads still running after
        their call timed out or was cancelled; past it, sync calls get an error output instead
        of a new thread.
        Pass ``abandoned_call_limit`` instead to share one bound between registries (for
        example one per process when a registry is built per request)."""
        self.limits = RoundLimits(
            max_concurrency=parse_count("max_concurrency", max_concurrency, low=1, text_ok=False),
            call_timeout=parse_seconds("call_timeout", call_timeout, text_ok=False),
            max_output_chars=parse_count("max_output_chars", max_output_chars, low=MIN_OUTPUT_CHARS, text_ok=False),
        )
        if abandoned_call_limit is None:
            abandoned_call_limit = AbandonedCallLimit(32 if max_abandoned_calls is None else max_abandoned_calls)
        elif not isinstance(abandoned_call_limit, AbandonedCallLimit):
            raise ConfigError(
                "abandoned_call_limit", f"must be an AbandonedCallLimit, got {type(abandoned_call_limit).__name__}"
            )
        elif max_abandoned_calls is not None:
            raise ConfigError(
                "max_abandoned_calls", "give either max_abandoned_calls or abandoned_call_limit, not both"
            )
        self._sync_calls = abandoned_call_limit
        self._tools: dict[str, Executable] = {}
        self._validators: dict[str, Any] = {}

    # -- defining tools --------------------------------------------------------------------

    @overload
    def tool(self, func: Callable[..., Any], /) -> Callable[..., Any]: ...

    @overload
    def tool(
        self,
        func: None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
        timeout: float | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...

    def tool(
        self,
        func: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Decorator: ``@registry.tool`` or ``@registry.tool(name=..., strict=False)``.

        Registers the function and returns it unchanged, so it stays callable as before.
        """

        def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
            self.register(f, name=name, description=description, strict=strict, timeout=timeout)
            return f

        return decorate(func) if func is not None else decorate

    def register(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
        timeout: float | None = None,
    ) -> Tool:
        """Register a Python callable (sync or async) as a tool; returns the compiled :class:`Tool`.

        The schema comes from the type hints, the description from the docstring summary and
        the parameter descriptions from its Args section (see :mod:`.schema`).
        """
        schema = function_schema(func, name=name, description=description, strict=strict)
        tool = Tool(
            definition=ToolDefinition(
                name=schema.name, description=schema.description, parameters=schema.parameters, strict=schema.strict
            ),
            invoke=_python_invoker(func, schema),
            timeout=timeout,
        )
        return self.add(tool)

    def add(self, tool: Executable) -> Any:
        """Add any object with a ``definition`` (:class:`ToolDefinition`) and ``invoke(arguments)``.

        Its parameter schema is checked now and used to validate every call's arguments
        (unless the object sets ``validate_arguments = False``). Names must be unique.
        """
        definition = getattr(tool, "definition", None)
        if not isinstance(definition, ToolDefinition) or not callable(getattr(tool, "invoke", None)):
            raise ConfigError("tool", "needs a ToolDefinition `definition` and a callable `invoke(arguments)`")
        check_tool_name(definition.name)
        if definition.name in self._tools:
            raise ConfigError("tool name", f"{definition.name!r} is already registered")
        if getattr(tool, "validate_arguments", True):
            try:
                validator_cls = jsonschema.validators.validator_for(
                    definition.parameters, jsonschema.Draft202012Validator
                )
                validator_cls.check_schema(definition.parameters)
            except jsonschema.SchemaError as exc:
                raise ConfigError(
                    f"tool {definition.name} parameters", f"not a valid JSON schema: {exc.message}"
                ) from None
            self._validators[definition.name] = validator_cls(definition.parameters)
        self._tools[definition.name] = tool
        return tool

    def add_http_tool(
        self, spec: Mapping[str, Any] | HttpToolSpec, *, secrets: Mapping[str, str] | None = None
    ) -> Tool:
        """Add a declarative HTTP tool (see :mod:`.http` for the spec format and its safety rules).

        ``secrets`` resolves ``${secret:NAME}`` references; ``${env:NAME}`` reads the environment.
        Both are resolved now, so a missing one is a ConfigError here rather than a failed call.
        """
        parsed = spec if isinstance(spec, HttpToolSpec) else HttpToolSpec.from_dict(spec, secrets=secrets)
        return self.add(compile_http_tool(parsed))

    # -- the Toolset protocol ----------------------------------------------------------------

    def definitions(self) -> list[ToolDefinition]:
        """The definitions sent to the model, in registration order."""
        return [tool.definition for tool in self._tools.values()]

    def execute_round(
        self, calls: list[ToolCall], *, deadline: float | None = None, cancel_event: threading.Event | None = None
    ) -> list[ToolOutput]:
        """Run every call of one round in parallel; exactly one output per call, in call order.

        Tool failures are outputs (``error`` set, ``output`` = ``{"error": ...}``). Raises only
        TurnTimeoutError when ``deadline`` (``time.monotonic()``) passes, or TurnCancelledError
        when ``cancel_event`` is set; unfinished calls are cancelled and drained first.
        """
        return run_round(
            dict(self._tools),
            dict(self._validators),
            calls,
            limits=self.limits,
            sync_calls=self._sync_calls,
            deadline=deadline,
            cancel_event=cancel_event,
        )

    @property
    def abandoned_calls(self) -> int:
        """Sync tool calls given up on (timed out, cancelled) whose threads still run."""
        return self._sync_calls.abandoned

    def wait_for_abandoned_calls(self, timeout: float | None = None) -> bool:
        """Wait until no abandoned sync call is running; False if ``timeout`` passed first."""
        return self._sync_calls.wait_until_clear(timeout)

    # -- conveniences -------------------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Executable | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[Executable]:
        return iter(list(self._tools.values()))

    def __repr__(self) -> str:
        return f"Toolbox(tools={self.names()!r}, limits={self.limits!r}, sync_calls={self._sync_calls!r})"


def _python_invoker(func: Callable[..., Any], schema: FunctionSchema) -> Callable[[dict[str, Any]], Any]:
    """Wrap ``func`` as ``invoke(arguments)``; async functions stay async so they can be cancelled."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def invoke_async(arguments: dict[str, Any]) -> Any:
            return await func(**build_arguments(schema.params, arguments))

        return invoke_async

    @functools.wraps(func)
    def invoke(arguments: dict[str, Any]) -> Any:
        return func(**build_arguments(schema.params, arguments))

    return invoke
