"""The auth dataclass Keep reads (UI form, provider list), built from the configuration's schema.

Keep describes a provider's configuration with a pydantic dataclass whose field metadata
(``required``, ``description``, ``sensitive``, ``hint``, ``type``, ``options``) drives its UI.
The fields are described once, in :mod:`openaiassistant.schemas.provider_config`; this module
turns that schema into the dataclass, so the UI, the check in ``validate_config`` and the
published docs/schemas/provider-config.schema.json cannot drift apart. Imports pydantic (v1 in
Keep, v2 elsewhere) but not Keep.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pydantic

__all__ = ["auth_config_class"]


def keep_metadata(name: str, prop: Mapping[str, Any], *, required: bool) -> dict[str, Any]:
    """One field's metadata the way Keep's providers declare it."""
    meta: dict[str, Any] = {
        "required": required,
        "description": prop.get("x-keep-description") or prop.get("description", name),
    }
    if prop.get("writeOnly"):
        meta["sensitive"] = True
    if prop.get("x-keep-hint"):
        meta["hint"] = prop["x-keep-hint"]
    if "enum" in prop:
        meta["type"] = "select"
        meta["options"] = list(prop["enum"])
    elif prop.get("x-keep-type"):
        meta["type"] = prop["x-keep-type"]
    return meta


def auth_config_class(schema: Mapping[str, Any], *, name: str, module: str, doc: str) -> type:
    """A pydantic dataclass with one field per property of ``schema`` (required ones first, as
    dataclasses need); optional fields default to the schema's ``default`` or None."""
    required = set(schema.get("required", []))
    fields: list[tuple[str, Any, Any]] = []
    ordered = sorted(schema["properties"].items(), key=lambda item: item[0] not in required)
    for field_name, prop in ordered:
        meta = keep_metadata(field_name, prop, required=field_name in required)
        if field_name in required:
            fields.append((field_name, str, dataclasses.field(metadata=meta)))
        else:  # Any: the value is checked against the schema, not coerced by pydantic
            fields.append((field_name, Any, dataclasses.field(default=prop.get("default"), metadata=meta)))
    cls = dataclasses.make_dataclass(name, fields)
    cls.__module__ = module
    cls.__doc__ = doc
    return pydantic.dataclasses.dataclass(cls)
