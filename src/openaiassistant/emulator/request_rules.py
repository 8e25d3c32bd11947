"""Requests the live API refuses with a 400 before it creates anything, in its words.

Each check raises :class:`~openaiassistant.emulator.http.ApiProblem` naming the parameter:

* unknown top-level parameters (the names come from the operation's request schema in the
  OpenAPI spec, see :meth:`SpecValidator.allowed_params`);
* function tools: a name outside ``^[a-zA-Z0-9_-]{1,64}$``, or ``strict: true`` with a schema
  strict mode cannot take (the API's rules, in :mod:`~openaiassistant.emulator.strict_schema`);
* ``json_schema`` formats with ``strict: true`` and such a schema;
* ``json_object`` formats when no instruction or input message mentions "json";
* a ``tool_choice`` naming a function that is not among the tools;
* ``reasoning`` / ``reasoning_effort`` for a model that does not reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openaiassistant.emulator.catalogue import is_reasoning_model
from openaiassistant.emulator.problems import ApiProblem
from openaiassistant.emulator.strict_schema import strict_schema_problem

__all__ = [
    "check_json_mention",
    "check_reasoning",
    "check_strict_format",
    "check_tool_choice",
    "check_tools",
    "check_unknown_params",
]

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
# The older Assistants surface words unknown parameters differently from Responses & co.
_ASSISTANTS_PATHS = re.compile(r"^/v1/(assistants|threads)(/|$)")


def check_unknown_params(allowed: frozenset[str] | None, path: str, body: dict[str, Any]) -> None:
    """Refuse a top-level parameter the operation does not take (``allowed``: from the spec)."""
    if allowed is None:
        return
    for name in body:
        if name in allowed:
            continue
        if _ASSISTANTS_PATHS.match(path):
            raise ApiProblem(400, f"Unrecognized request argument supplied: {name}", param=name)
        raise ApiProblem(400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")


def check_tools(body: dict[str, Any], *, nested_function: bool) -> list[str]:
    """``tools`` must be a list of typed objects; function tools need a valid name and, with
    ``strict: true``, a strict-valid schema (Responses: flat ``name``; Assistants:
    ``function.name``). Returns the function names."""
    tools = body.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise ApiProblem(400, "Invalid type for 'tools': expected an array.", param="tools", code="invalid_type")
    names = []
    for index, tool in enumerate(tools):
        where = f"tools[{index}]"
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise ApiProblem(
                400,
                f"Missing required parameter: '{where}.type'.",
                param=f"{where}.type",
                code="missing_required_parameter",
            )
        if tool["type"] != "function":
            continue
        holder = tool.get("function") if nested_function else tool
        prefix = f"{where}.function" if nested_function else where
        if not isinstance(holder, dict) or not holder.get("name"):
            raise ApiProblem(
                400,
                f"Missing required parameter: '{prefix}.name'.",
                param=f"{prefix}.name",
                code="missing_required_parameter",
            )
        names.append(_check_function(holder, prefix))
    return names


def _check_function(function: dict[str, Any], prefix: str) -> str:
    name = function["name"]
    if not isinstance(name, str):
        raise ApiProblem(
            400,
            f"Invalid type for '{prefix}.name': expected a string, but got {type(name).__name__} instead.",
            param=f"{prefix}.name",
            code="invalid_type",
        )
    if len(name) > 64:
        raise ApiProblem(
            400,
            f"Invalid '{prefix}.name': string too long. Expected a string with maximum length 64, "
            f"but got a string with length {len(name)} instead.",
            param=f"{prefix}.name",
            code="string_above_max_length",
        )
    if not _TOOL_NAME.match(name):
        raise ApiProblem(
            400,
            f"Invalid '{prefix}.name': string does not match pattern. Expected a string that "
            f"matches the pattern '^[a-zA-Z0-9_-]+$'.",
            param=f"{prefix}.name",
            code="invalid_value",
        )
    if function.get("strict") is True:
        problem = strict_schema_problem(
            function.get("parameters") or {"type": "object", "properties": {}, "additionalProperties": False}
        )
        if problem:
            raise ApiProblem(
                400,
                f"Invalid schema for function '{name}': {problem}.",
                param=f"{prefix}.parameters",
                code="invalid_function_parameters",
            )
    return name


def check_strict_format(fmt: Any, *, param: str) -> None:
    """A ``json_schema`` format (already unnested: ``{name, schema, strict}``) with
    ``strict: true`` needs a schema strict mode can enforce."""
    if not isinstance(fmt, dict) or fmt.get("strict") is not True:
        return
    problem = strict_schema_problem(fmt.get("schema") or {})
    if problem:
        raise ApiProblem(
            400,
            f"Invalid schema for response_format '{fmt.get('name') or 'response'}': {problem}.",
            param=f"{param}.schema",
            code="invalid_json_schema",
        )


def check_json_mention(kind: Any, texts: Iterable[Any], *, api: str) -> None:
    """``json_object`` output needs the word "json" (any case) in the instructions or messages."""
    if kind != "json_object":
        return
    if any(isinstance(text, str) and "json" in text.lower() for text in texts):
        return
    if api == "responses":
        raise ApiProblem(
            400,
            "Response input messages must contain the word 'json' in some form to use "
            "'text.format' of type 'json_object'.",
            param="input",
        )
    raise ApiProblem(
        400,
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        param="response_format",
    )


def check_tool_choice(choice: Any, function_names: Iterable[str]) -> None:
    """A ``tool_choice`` naming a function must name one of the request's function tools."""
    if not isinstance(choice, dict) or choice.get("type") != "function":
        return
    inner = choice.get("function")
    name = choice.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
    if name and name not in set(function_names):
        raise ApiProblem(
            400, f"Tool choice 'function' with name '{name}' not found in 'tools' parameter.", param="tool_choice"
        )


def check_reasoning(model: Any, effort: Any, *, param: str) -> None:
    """Reasoning settings are refused for models that do not reason (gpt-4o, gpt-4.1, ...)."""
    if effort is None or is_reasoning_model(str(model)):
        return
    raise ApiProblem(
        400,
        f"Unsupported parameter: '{param}' is not supported with this model.",
        param=param,
        code="unsupported_parameter",
    )
