"""Schemas derived from type hints and docstrings; arguments converted back to Python values."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict

import jsonschema
import pytest

from openaiassistant.errors import ConfigError
from openaiassistant.tools import Tool, Toolbox, ToolCall, ToolDefinition
from openaiassistant.tools.docstrings import parse_docstring
from openaiassistant.tools.strict import strict_problem


class Severity(enum.Enum):
    LOW = "low"
    HIGH = "high"


@dataclass
class Window:
    """A time window.

    Args:
        start: ISO start time.
        minutes: length of the window.
    """

    start: str
    minutes: int = 15


class Filter(TypedDict, total=False):
    label: str
    value: str


def only_definition(registry: Toolbox) -> ToolDefinition:
    [definition] = registry.definitions()
    return definition


def test_google_docstring_and_type_hints_make_a_strict_schema() -> None:
    registry = Toolbox()

    @registry.tool
    def find_alerts(
        host: str,
        severity: Severity,
        window: Window,
        mode: Literal["open", "all"] = "open",
        limit: int = 10,
        tags: list[str] | None = None,
        ratio: Annotated[float, "share of alerts to sample"] = 1.0,
    ) -> list[dict]:
        """Find alerts for a host.

        Only alerts Keep knows about.

        Args:
            host (str): the host name,
                as in the alert.
            severity: minimum severity.
            window: when to look.
            mode: which alerts.
            limit: how many at most.
        Returns:
            the alerts.
        """
        return []

    definition = only_definition(registry)
    assert definition.name == "find_alerts"
    assert definition.description == "Find alerts for a host.\n\nOnly alerts Keep knows about."
    assert definition.strict is True
    params = definition.parameters
    assert strict_problem(params) is None
    assert params["required"] == ["host", "severity", "window", "mode", "limit", "tags", "ratio"]
    props = params["properties"]
    assert props["host"] == {"type": "string", "description": "the host name, as in the alert."}
    assert props["severity"] == {"type": "string", "enum": ["low", "high"], "description": "minimum severity."}
    assert props["window"]["properties"]["start"] == {"type": "string", "description": "ISO start time."}
    assert props["window"]["properties"]["minutes"]["type"] == ["integer", "null"]
    assert props["mode"] == {
        "type": ["string", "null"],
        "enum": ["open", "all", None],
        "description": 'which alerts. (default: "open")',
    }
    assert props["limit"] == {"type": ["integer", "null"], "description": "how many at most. (default: 10)"}
    assert props["tags"] == {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}
    assert props["ratio"]["description"] == "share of alerts to sample (default: 1.0)"
    jsonschema.Draft202012Validator.check_schema(params)


def test_non_strict_schema_uses_required_and_defaults() -> None:
    registry = Toolbox()

    @registry.tool(name="lookup", description="Look it up.", strict=False)
    def whatever(key: str, extra: dict[str, int], count: int = 3, anything: Any = None) -> None:
        """
        :param key: the key
            to look up.
        :param count: how many.
        """

    definition = only_definition(registry)
    assert (definition.name, definition.description, definition.strict) == ("lookup", "Look it up.", False)
    props = definition.parameters["properties"]
    assert definition.parameters["required"] == ["key", "extra"]
    assert props["key"] == {"type": "string", "description": "the key to look up."}
    assert props["count"] == {"type": "integer", "default": 3, "description": "how many."}
    assert props["extra"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert props["anything"] == {"default": None}


def test_numpy_docstring() -> None:
    def tool(host: str, port: int) -> None:
        """Check a port.

        Parameters
        ----------
        host : str
            The host.
        port : int
            The port,
            a number.

        Returns
        -------
        None
        """

    doc = parse_docstring(tool)
    assert doc.summary == "Check a port."
    assert doc.params == {"host": "The host.", "port": "The port, a number."}


def test_typeddict_schema() -> None:
    registry = Toolbox()

    @registry.tool
    def query(filters: list[Filter]) -> None:
        """Query with filters."""

    items = only_definition(registry).parameters["properties"]["filters"]["items"]
    assert items["required"] == ["label", "value"]
    assert items["properties"]["label"] == {"type": ["string", "null"]}
    assert items["additionalProperties"] is False


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: lambda *args: None, "*args and **kwargs"),
        (lambda: lambda x: None, "has no type hint"),
        (lambda: _with_hint(dict), "free-form"),
        (lambda: _with_hint(Any), "free-form"),
        (lambda: _with_hint(list), "free-form"),
        (lambda: _with_hint(tuple[int, str]), "fixed-length tuples"),
        (lambda: _with_hint(complex), "cannot be expressed as JSON schema"),
    ],
)
def test_unsupported_signatures_are_config_errors(factory: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Toolbox().register(factory(), name="t")
    assert message in str(info.value)


def _with_hint(hint: Any) -> Any:
    def tool(x):  # type: ignore[no-untyped-def]
        return x

    tool.__annotations__ = {"x": hint}
    return tool


def test_duplicate_and_invalid_names_are_refused() -> None:
    registry = Toolbox()

    def ping() -> str:
        return "pong"

    registry.register(ping)
    with pytest.raises(ConfigError, match="already registered"):
        registry.register(ping)
    with pytest.raises(ConfigError, match="1-64 characters"):
        registry.register(ping, name="has space")


@pytest.mark.parametrize(
    "kwargs",
    [{"max_concurrency": 0}, {"call_timeout": 0}, {"max_output_chars": 10}, {"max_concurrency": True}],
)
def test_registry_limits_are_validated(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Toolbox(**kwargs)


def test_arguments_become_python_values_and_null_means_default() -> None:
    registry = Toolbox()
    seen: dict[str, Any] = {}

    @registry.tool
    def act(
        severity: Severity,
        window: Window,
        limit: int = 10,
        note: str | None = "n/a",
        tags: frozenset[str] = frozenset(),
        ratio: float = 0.5,
    ) -> str:
        """Act."""
        seen.update(severity=severity, window=window, limit=limit, note=note, tags=tags, ratio=ratio)
        return "done"

    arguments = {
        "severity": "high",
        "window": {"start": "t0", "minutes": None},
        "limit": None,
        "note": None,
        "tags": ["a", "b"],
        "ratio": 1,
    }
    [output] = registry.execute_round([ToolCall(call_id="c", name="act", arguments=json.dumps(arguments))])
    assert output.error is None, output
    assert seen == {
        "severity": Severity.HIGH,
        "window": Window(start="t0", minutes=15),
        "limit": 10,
        "note": None,
        "tags": frozenset({"a", "b"}),
        "ratio": 1.0,
    }
    assert isinstance(seen["ratio"], float)


def test_async_callable_and_methods() -> None:
    class Inventory:
        def __init__(self) -> None:
            self.hosts = {"db-1": "10.0.0.1"}

        def address(self, host: str) -> str | None:
            """Address of a host."""
            return self.hosts.get(host)

    async def count(items: list[int]) -> int:
        """Count items."""
        return len(items)

    registry = Toolbox()
    registry.register(Inventory().address)
    registry.register(count)
    outputs = registry.execute_round(
        [
            ToolCall(call_id="1", name="address", arguments='{"host": "db-1"}'),
            ToolCall(call_id="2", name="count", arguments='{"items": [1, 2, 3]}'),
        ]
    )
    assert [o.output for o in outputs] == ['"10.0.0.1"', "3"]
    assert registry.definitions()[0].parameters["required"] == ["host"]


def test_pluggable_executor_objects() -> None:
    class KeepProviderTool:
        """Something the Keep adapter could add: any object with definition + invoke."""

        definition = ToolDefinition(
            name="keep_query",
            description="Query a Keep provider.",
            parameters={
                "type": "object",
                "properties": {"q": {"type": "string"}},
                "required": ["q"],
                "additionalProperties": False,
            },
        )

        def invoke(self, arguments: dict[str, Any]) -> Any:
            return {"rows": [arguments["q"].upper()]}

    registry = Toolbox()
    registry.add(KeepProviderTool())
    registry.add(
        Tool(
            definition=ToolDefinition(name="raw", description="", parameters={"type": "object"}),
            invoke=lambda arguments: sorted(arguments),
            validate_arguments=False,
        )
    )
    outputs = registry.execute_round(
        [
            ToolCall(call_id="1", name="keep_query", arguments='{"q": "cpu"}'),
            ToolCall(call_id="2", name="keep_query", arguments='{"q": 1}'),
            ToolCall(call_id="3", name="raw", arguments='{"b": 1, "a": 2}'),
        ]
    )
    assert json.loads(outputs[0].output) == {"rows": ["CPU"]}
    assert "schema" in (outputs[1].error or "")
    assert json.loads(outputs[2].output) == ["a", "b"]
    assert registry.names() == ["keep_query", "raw"] and "raw" in registry and len(registry) == 2
    with pytest.raises(ConfigError, match="needs a ToolDefinition"):
        registry.add(object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="not a valid JSON schema"):
        registry.add(
            Tool(definition=ToolDefinition(name="bad", description="", parameters={"type": 5}), invoke=lambda a: None)
        )


def test_strict_problem_names_the_rule() -> None:
    assert "additionalProperties" in strict_problem({"type": "object", "properties": {}})
    assert "must be required" in strict_problem(
        {"type": "object", "properties": {"a": {}}, "required": [], "additionalProperties": False}
    )
    nested = {
        "type": "object",
        "additionalProperties": False,
        "required": ["a"],
        "properties": {"a": {"type": "array", "items": {"type": "object", "properties": {}}}},
    }
    assert strict_problem(nested).startswith("(root).a[]")


def test_docstring_sections_do_not_leak_into_descriptions() -> None:
    def google(a: int, b: int) -> int:
        """Add.

        Raises:
            ValueError: never.

        Args:
            a (int): first
            b (int, optional): second,
                more about b.

        Returns:
            the sum.
        """
        return a + b

    def sphinx(a: int) -> int:
        """Negate.

        :param int a: the number
           to negate.
        :type a: int
        :returns: the negation
        """
        return -a

    doc = parse_docstring(google)
    assert doc.summary == "Add."
    assert doc.params == {"a": "first", "b": "second, more about b."}
    doc = parse_docstring(sphinx)
    assert doc.summary == "Negate."
    assert doc.params == {"a": "the number to negate."}
    assert parse_docstring(lambda: None).summary == ""
