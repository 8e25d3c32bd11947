"""HTTP tools declared in a Keep step's ``functions:``, with a limited view of the environment.

Anyone who can edit a workflow writes these specs, and the Keep server's environment holds the
server's own secrets (database URL, signing keys, other tenants' tokens). So a step's HTTP tool
may read only environment variables named ``OPENAIASSISTANT_TOOL_*`` through ``${env:NAME}``;
asking for any other variable fails the step before anything is sent. ``${secret:NAME}`` has no
source in a step (there is no per-step secret map): use an ``OPENAIASSISTANT_TOOL_*`` variable
or a provider-backed tool, whose credentials stay in Keep's provider configuration.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from openaiassistant.errors import ConfigError
from openaiassistant.tools.http import HttpToolSpec

__all__ = ["ENV_PREFIX", "allowed_environment", "http_tool_spec"]

ENV_PREFIX = "OPENAIASSISTANT_TOOL_"
_ENV_REF = re.compile(r"\$\{env:([^}]*)\}")


def http_tool_spec(spec: Mapping[str, Any], *, where: str, environ: Mapping[str, str] | None = None) -> HttpToolSpec:
    """Validate a step's HTTP tool spec; ``${env:...}`` reads only ``OPENAIASSISTANT_TOOL_*``."""
    name = spec.get("name")
    for ref in _env_refs(spec):
        if not ref.strip().startswith(ENV_PREFIX):
            raise ConfigError(
                where,
                f"${{env:{ref.strip()}}} is not allowed: a workflow's HTTP tools may read only environment "
                f"variables named {ENV_PREFIX}* (set {ENV_PREFIX}... on the Keep server for values tools may use)"
                f" (tool {name!r})",
            )
    return HttpToolSpec.from_dict(spec, secrets={}, environ=allowed_environment(environ), where=where)


def allowed_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of the environment a step's tools may read."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k.startswith(ENV_PREFIX)}


def _env_refs(value: Any) -> Iterator[str]:
    """Every ``${env:NAME}`` name in a spec's strings (all fields, not only headers and body)."""
    if isinstance(value, str):
        yield from _ENV_REF.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _env_refs(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _env_refs(item)
