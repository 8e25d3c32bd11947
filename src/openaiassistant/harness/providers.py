"""The providers file a workflow runs with, pointed at the emulator for an offline run.

A workflow names its providers as ``config: "{{ providers.NAME }}"``; Keep looks ``NAME`` up in
its providers file (``KEEP_PROVIDERS_FILE``, else ``./providers.yaml``). For ``keep run
--emulator`` every provider of type ``openaiassistant`` is pointed at the local emulator: an
entry the file lacks is made (model ``gpt-4o-mini``), ``base_url`` becomes the emulator's, and
on the assistants backend the assistant is created in the emulator (an id from elsewhere does
not exist there). Other providers (a provider tool's ``http`` provider) stay as written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from openaiassistant.errors import ConfigError
from openaiassistant.keep.dropped_floats import PROVIDER_TYPE

__all__ = ["default_providers_file", "load_providers", "our_providers", "providers_for_run"]

EMULATOR_KEY = "sk-emulator-local-key"
DEFAULT_MODEL = "gpt-4o-mini"
_CONFIG = re.compile(r"^\s*\{\{\s*providers\.([\w.-]+)\s*\}\}\s*$")


def default_providers_file() -> Path | None:
    """Where Keep itself would look: ``KEEP_PROVIDERS_FILE``, else ``./providers.yaml``."""
    given = os.environ.get("KEEP_PROVIDERS_FILE")
    if given:
        return Path(given)
    local = Path("providers.yaml")
    return local if local.is_file() else None


def our_providers(workflow: Mapping[str, Any]) -> dict[str, str]:
    """The providers this package's steps use: NAME -> the first step that names it."""
    body = workflow.get("workflow", workflow)
    found: dict[str, str] = {}
    for group in ("steps", "actions"):
        for entry in body.get(group) or []:
            provider = entry.get("provider") or {}
            match = _CONFIG.match(str(provider.get("config") or ""))
            if provider.get("type") == PROVIDER_TYPE and match:
                found.setdefault(match.group(1), str(entry.get("name")))
    return found


def load_providers(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError("--providers", f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError("--providers", f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError("--providers", f"{path} must map provider names to {{authentication: ...}}")
    return data


def providers_for_run(
    workflow: Mapping[str, Any], providers: dict[str, Any], *, emulator_url: str | None, source: str
) -> dict[str, Any]:
    """The providers to run with; every ``openaiassistant`` provider the workflow uses must be
    there (or, with the emulator, is made). ``source`` names the file in errors."""
    result = {name: dict(entry or {}) for name, entry in providers.items()}
    for name, step in our_providers(workflow).items():
        if name not in result and emulator_url is None:
            raise ConfigError(
                f"step {step}",
                f"uses provider {name!r}, which {source} does not define "
                f"(add {name}: {{authentication: {{api_key: ..., model: ...}}}}, or run with --emulator)",
            )
        if emulator_url is not None:
            result[name] = _on_emulator(result.get(name) or {}, emulator_url)
    return result


def _on_emulator(entry: dict[str, Any], url: str) -> dict[str, Any]:
    auth = dict(entry.get("authentication") or {})
    auth["base_url"] = url
    auth["api_key"] = EMULATOR_KEY
    for azure_only in ("api_version", "organization", "project"):
        auth.pop(azure_only, None)
    if str(auth.get("backend", "responses")).strip().lower() == "assistants":
        import openai

        client = openai.OpenAI(base_url=url, api_key=EMULATOR_KEY)
        created = client.beta.assistants.create(
            model=auth.get("model") or DEFAULT_MODEL, instructions=auth.get("instructions"), name="keep run"
        )
        auth["assistant_id"] = created.id
    else:
        auth.setdefault("model", DEFAULT_MODEL)
    return {**entry, "authentication": auth}
