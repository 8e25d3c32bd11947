"""A model-level fault as the lifecycles act on it: a script step's ``fault:`` or an armed
``run_failed`` / ``run_expired`` / ``run_incomplete`` / ``stuck`` fault (see :mod:`faults`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

__all__ = ["ModelFault", "ModelFaultKind"]

ModelFaultKind: TypeAlias = Literal["run_failed", "run_expired", "run_incomplete", "stuck"]
_KINDS: dict[str, ModelFaultKind] = {
    "run_failed": "run_failed",
    "run_expired": "run_expired",
    "run_incomplete": "run_incomplete",
    "stuck": "stuck",
}


def _text(value: Any) -> str | None:
    return str(value) if value else None


@dataclass(frozen=True, kw_only=True)
class ModelFault:
    kind: ModelFaultKind
    code: str | None = None
    message: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> ModelFault:
        """From a fault dict; a kind other than the four (or none) fails the run."""
        return cls(
            kind=_KINDS.get(str(spec.get("kind")), "run_failed"),
            code=_text(spec.get("code")),
            message=_text(spec.get("message")),
            reason=_text(spec.get("reason")),
        )
