"""Values Keep's workflow parser drops: YAML floats in a step's ``with:``.

Keep keeps only strings, lists, integers, booleans and mappings of a step's ``with:`` (facts.md):
``temperature: 0.2`` never reaches the provider, and the step runs as if it were not written.
The provider cannot see what was dropped from its arguments, only the raw workflow where Keep
keeps it (its database, the YAML file ``keep run`` reads); this module finds the floats there.
Nothing here imports Keep.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PROVIDER_TYPE", "dropped_floats"]

PROVIDER_TYPE = "openaiassistant"


@dataclass(frozen=True, kw_only=True)
class DroppedFloat:
    """One ``with:`` value Keep will drop."""

    step: str
    key: str
    value: float

    def message(self) -> str:
        return (
            f"step {self.step}: {self.key}: {self.value!r} is a YAML float, which Keep's workflow parser drops "
            f'(the step runs without it); write it as text: {self.key}: "{self.value!r}"'
        )


def dropped_floats(workflow: Mapping[str, Any], *, step: str | None = None) -> list[DroppedFloat]:
    """The floats in the ``with:`` of this package's steps and actions (of ``step`` only, when
    given). ``workflow`` is the YAML as a mapping, with or without its ``workflow:`` key."""
    found = []
    for name, values in _our_steps(workflow):
        if step is not None and name != step:
            continue
        for key, value in values.items():
            if isinstance(value, float):
                found.append(DroppedFloat(step=name, key=str(key), value=value))
    return found


def _our_steps(workflow: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    body = workflow.get("workflow", workflow) if isinstance(workflow, Mapping) else {}
    if not isinstance(body, Mapping):
        return
    for group in ("steps", "actions"):
        for entry in body.get(group) or []:
            provider = entry.get("provider") if isinstance(entry, Mapping) else None
            if isinstance(provider, Mapping) and provider.get("type") == PROVIDER_TYPE:
                values = provider.get("with")
                if isinstance(values, Mapping):
                    yield str(entry.get("name")), values
