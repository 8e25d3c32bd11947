"""JSON schema for a Python callable, derived from its type hints and docstring.

Supported hints: ``str``, ``int``, ``float``, ``bool``, ``None``, ``list[X]`` / ``Sequence[X]`` /
``tuple[X, ...]`` / ``set[X]``, ``dict[str, X]`` (non-strict only), ``Optional[X]`` / ``X | None``,
``Union``, ``Literal[...]``, ``Enum`` subclasses, dataclasses, ``TypedDict``, ``Annotated[X,
"description"]`` and ``Any`` (non-strict only).

Strict mode (OpenAI "structured outputs" rules): every object lists all of its properties as
required and sets ``additionalProperties: false``; a parameter with a default becomes nullable
(the model sends ``null`` to mean "use the default") and the default is mentioned in its
description rather than in a ``default`` keyword, which strict mode does not accept. Types that
strict mode cannot express (free-form ``dict``, ``Any``) raise :class:`~openaiassistant.errors.ConfigError`
with a hint to register the tool with ``strict=False``.

:func:`build_arguments` is the other direction: validated JSON arguments back into Python values
(enum members, dataclass instances, defaults for ``null``).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from .docstrings import parse_docstring

__all__ = ["FunctionSchema", "build_arguments", "function_schema", "type_schema"]

_PRIMITIVES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
_NULL = {"type": "null"}


@dataclass(frozen=True, kw_only=True)
class ParamInfo:
    """One parameter of a Python tool, as needed to call it back."""

    name: str
    annotation: Any
    has_default: bool
    default: Any = None


@dataclass(frozen=True, kw_only=True)
class FunctionSchema:
    """What :func:`function_schema` derives from a callable."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool
    params: tuple[ParamInfo, ...]


def function_schema(
    func: Callable[..., Any], *, name: str | None = None, description: str | None = None, strict: bool = True
) -> FunctionSchema:
    """Derive the tool name, description and parameter schema of ``func``.

    Raises ConfigError for signatures a model cannot call (``*args``, ``**kwargs``, missing
    type hints, types the chosen mode cannot express).
    """
    tool_name = name or getattr(func, "__name__", None) or type(func).__name__
    doc = parse_docstring(func)
    try:
        hints = _parameter_hints(func)
        signature = inspect.signature(func)
    except (NameError, TypeError, ValueError) as exc:
        raise ConfigError(f"tool {tool_name}", f"cannot read its signature or type hints ({exc})") from exc
    properties: dict[str, Any] = {}
    required: list[str] = []
    params: list[ParamInfo] = []
    for param in signature.parameters.values():
        info = _param_info(param, hints, where=f"tool {tool_name}, parameter {param.name}")
        properties[param.name] = _param_schema(info, doc.params.get(param.name, ""), strict=strict, tool=tool_name)
        if strict or not info.has_default:
            required.append(param.name)
        params.append(info)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return FunctionSchema(
        name=tool_name,
        description=description if description is not None else doc.summary,
        parameters=schema,
        strict=strict,
        params=tuple(params),
    )


def _param_info(param: inspect.Parameter, hints: dict[str, Any], *, where: str) -> ParamInfo:
    """One parameter a model can pass by name, with its type hint (else a ConfigError)."""
    if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
        raise ConfigError(where, "*args and **kwargs cannot be described to a model; name each parameter")
    if param.kind is param.POSITIONAL_ONLY:
        raise ConfigError(where, "positional-only parameters are not supported (arguments are passed by name)")
    if param.name not in hints:
        raise ConfigError(where, "has no type hint; annotate it so a schema can be derived")
    has_default = param.default is not inspect.Parameter.empty
    return ParamInfo(name=param.name, annotation=hints[param.name], has_default=has_default, default=param.default)


def _param_schema(info: ParamInfo, documented: str, *, strict: bool, tool: str) -> dict[str, Any]:
    """A parameter's property schema: its type, its default (strict: nullable, the default named
    in the description) and its description (``Annotated`` text, else the docstring's)."""
    prop = type_schema(info.annotation, strict=strict, where=f"tool {tool}, parameter {info.name}")
    text = _annotated_description(info.annotation) or documented
    if info.has_default:
        if strict:
            prop = _nullable(prop)
            if info.default is not None and _jsonable(info.default):
                text = f"{text} (default: {json.dumps(_plain(info.default))})".strip()
        elif _jsonable(info.default):
            prop = {**prop, "default": _plain(info.default)}
    return {**prop, "description": text} if text else prop


def _parameter_hints(func: Callable[..., Any]) -> dict[str, Any]:
    # Only the parameters matter; the return annotation may name a type that cannot be
    # resolved here (a local class under `from __future__ import annotations`).
    target = inspect.unwrap(func)
    if not inspect.isfunction(target) and not inspect.ismethod(target) and callable(target):
        target = target.__call__  # a callable object: its __call__ has the parameters
    annotations = dict(getattr(target, "__annotations__", {}) or {})
    annotations.pop("return", None)
    holder = types.SimpleNamespace(__annotations__=annotations, __globals__=getattr(target, "__globals__", {}))
    return typing.get_type_hints(holder, include_extras=True)


def type_schema(annotation: Any, *, strict: bool, where: str) -> dict[str, Any]:
    """The JSON schema of one type hint."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_schema(args[0], strict=strict, where=where)
    simple = _simple_schema(annotation, origin, args, strict=strict, where=where)
    return simple if simple is not None else _container_schema(annotation, origin, args, strict=strict, where=where)


def _simple_schema(
    annotation: Any, origin: Any, args: tuple[Any, ...], *, strict: bool, where: str
) -> dict[str, Any] | None:
    """Primitives, Any, Literal, Enum and unions (None: the annotation is none of them)."""
    if annotation in _PRIMITIVES:
        return {"type": _PRIMITIVES[annotation]}
    if annotation is Any or annotation is object:
        return _free_form(strict, where, "Any")
    if origin is typing.Literal:
        return _enum_schema(list(args), where)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_schema([member.value for member in annotation], where)
    if origin in (typing.Union, types.UnionType):
        return _union_schema(args, strict=strict, where=where)
    return None


def _container_schema(
    annotation: Any, origin: Any, args: tuple[Any, ...], *, strict: bool, where: str
) -> dict[str, Any]:
    """Arrays, mappings, dataclasses and TypedDicts; anything else is a ConfigError."""
    if origin in (list, set, frozenset, tuple, Sequence) or annotation in (list, set, tuple):
        return _array_schema(annotation, args, strict=strict, where=where)
    if origin in (dict, Mapping) or annotation is dict:
        if strict:
            return _free_form(strict, where, "dict")
        value = type_schema(args[1], strict=strict, where=where) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value}
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return _dataclass_schema(annotation, strict=strict, where=where)
    if typing.is_typeddict(annotation):
        return _typeddict_schema(annotation, strict=strict, where=where)
    raise ConfigError(where, f"type {annotation!r} cannot be expressed as JSON schema")


def _free_form(strict: bool, where: str, what: str) -> dict[str, Any]:
    if strict:
        raise ConfigError(
            where,
            f"{what} is free-form, which strict mode cannot express; use a dataclass/TypedDict "
            "or register the tool with strict=False",
        )
    return {}


def _enum_schema(values: list[Any], where: str) -> dict[str, Any]:
    kinds = {_PRIMITIVES.get(type(v)) for v in values}
    if None in kinds:
        raise ConfigError(where, f"enum/Literal values must be str, int, float, bool or None, got {values!r}")
    schema: dict[str, Any] = {"enum": values}
    if len(kinds) == 1:
        schema = {"type": kinds.pop(), "enum": values}
    return schema


def _union_schema(args: tuple[Any, ...], *, strict: bool, where: str) -> dict[str, Any]:
    members = [a for a in args if a is not type(None)]
    nullable = len(members) != len(args)
    if len(members) == 1:
        schema = type_schema(members[0], strict=strict, where=where)
    else:
        schema = {"anyOf": [type_schema(m, strict=strict, where=where) for m in members]}
    return _nullable(schema) if nullable else schema


def _array_schema(annotation: Any, args: tuple[Any, ...], *, strict: bool, where: str) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        raise ConfigError(where, "fixed-length tuples are not supported; use tuple[X, ...] or list[X]")
    if not args:
        return {"type": "array", "items": _free_form(strict, where, "an untyped list")}
    return {"type": "array", "items": type_schema(args[0], strict=strict, where=where)}


def _dataclass_schema(cls: type, *, strict: bool, where: str) -> dict[str, Any]:
    hints = typing.get_type_hints(cls, include_extras=True)
    doc = parse_docstring(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        prop = type_schema(hints[f.name], strict=strict, where=f"{where}.{f.name}")
        if has_default and strict:
            prop = _nullable(prop)
        if text := doc.params.get(f.name):
            prop = {**prop, "description": text}
        properties[f.name] = prop
        if strict or not has_default:
            required.append(f.name)
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _typeddict_schema(cls: type, *, strict: bool, where: str) -> dict[str, Any]:
    hints = typing.get_type_hints(cls, include_extras=True)
    required_keys = getattr(cls, "__required_keys__", frozenset(hints))
    properties: dict[str, Any] = {}
    for key, hint in hints.items():
        prop = type_schema(hint, strict=strict, where=f"{where}.{key}")
        properties[key] = _nullable(prop) if strict and key not in required_keys else prop
    required = list(hints) if strict else [k for k in hints if k in required_keys]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null in ``schema`` (a type list for simple types, ``anyOf`` otherwise)."""
    kind = schema.get("type")
    if schema == {}:
        return schema
    if isinstance(kind, str) and set(schema) <= {"type", "description", "enum"}:
        if kind == "null":
            return schema
        widened: dict[str, Any] = {**schema, "type": [kind, "null"]}
        if "enum" in schema and None not in schema["enum"]:
            widened["enum"] = [*schema["enum"], None]
        return widened
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    if "anyOf" in schema and len(schema) == 1:
        return schema if _NULL in schema["anyOf"] else {"anyOf": [*schema["anyOf"], _NULL]}
    return {"anyOf": [schema, _NULL]}


def _annotated_description(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Annotated:
        for extra in typing.get_args(annotation)[1:]:
            if isinstance(extra, str):
                return extra
    return ""


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(_plain(value))
    except (TypeError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# JSON arguments -> Python values


def build_arguments(params: Sequence[ParamInfo], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Turn validated JSON arguments into keyword arguments for the callable.

    ``null`` for a parameter whose type does not admit ``None`` means "use the default" (that
    is how strict mode expresses an omitted optional parameter).
    """
    kwargs: dict[str, Any] = {}
    for param in params:
        if param.name not in arguments:
            continue  # the callable's own default applies
        value = arguments[param.name]
        if value is None and param.has_default and not _admits_none(param.annotation):
            continue
        kwargs[param.name] = convert(value, param.annotation)
    return kwargs


def convert(value: Any, annotation: Any) -> Any:
    """Convert one JSON value to the Python type named by ``annotation`` (best effort)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return convert(value, args[0])
    if value is None:
        return None
    if origin is None:
        return _convert_plain(value, annotation)
    if origin in (typing.Union, types.UnionType):
        return _convert_union(value, args)
    return _convert_generic(value, origin, args)


def _convert_plain(value: Any, annotation: Any) -> Any:
    """A value for a plain class: float, int, an Enum, a dataclass; else the value as it is."""
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation(value)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type) and isinstance(value, dict):
        return _convert_dataclass(value, annotation)
    return value


def _convert_generic(value: Any, origin: Any, args: tuple[Any, ...]) -> Any:
    """A value for ``list[X]``, ``set[X]``, ``tuple[X, ...]``, ``dict[K, V]``; else as it is."""
    if origin in (list, Sequence) and args and isinstance(value, list):
        return [convert(v, args[0]) for v in value]
    if origin in (set, frozenset) and args and isinstance(value, list):
        return origin(convert(v, args[0]) for v in value)
    if origin is tuple and args and isinstance(value, list):
        return tuple(convert(v, args[0]) for v in value)
    if origin in (dict, Mapping) and len(args) == 2 and isinstance(value, dict):
        return {k: convert(v, args[1]) for k, v in value.items()}
    return value


def _convert_dataclass(value: dict[str, Any], annotation: type) -> Any:
    hints = typing.get_type_hints(annotation, include_extras=True)
    fields = {f.name for f in dataclasses.fields(annotation) if f.init}
    kwargs = {k: convert(v, hints[k]) for k, v in value.items() if k in fields}
    # null for a defaulted field means "use the default" (strict mode), as for parameters.
    for f in dataclasses.fields(annotation):
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        if kwargs.get(f.name, 0) is None and has_default and not _admits_none(hints[f.name]):
            del kwargs[f.name]
    return annotation(**kwargs)


def _convert_union(value: Any, args: tuple[Any, ...]) -> Any:
    for member in args:
        if member is type(None):
            continue
        try:
            converted = convert(value, member)
        except (TypeError, ValueError):
            continue
        if converted is not value or _matches(value, member):
            return converted
    return value


def _matches(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    return isinstance(origin, type) and isinstance(value, origin)


def _admits_none(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _admits_none(typing.get_args(annotation)[0])
    if annotation is type(None) or annotation is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return type(None) in typing.get_args(annotation)
    return False
