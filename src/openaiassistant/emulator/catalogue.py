"""The models the emulator knows: the default catalogue and which families reason."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["DEFAULT_MODELS", "is_reasoning_model", "model_object"]

DEFAULT_MODELS = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",  # no reasoning
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "o1",
    "o3",
    "o3-mini",
    "o4-mini",  # reasoning models
)
# Families that take ``reasoning`` / ``reasoning_effort``: the id, a dated snapshot
# (``o3-2025-04-16``) or a size/version suffix (``gpt-5-mini``, ``gpt-5.1``); the chat-tuned
# ``gpt-5-chat-latest`` does not reason.
_REASONING = re.compile(r"^(o1|o3|o4-mini|gpt-5)([-.].*)?$")
_CREATED = 1_700_000_000


def model_object(model_id: str) -> dict[str, Any]:
    """The wire object of ``GET /v1/models/{id}``."""
    return {"id": model_id, "object": "model", "created": _CREATED, "owned_by": "system"}


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` is in a reasoning family (o1, o3, o4-mini, gpt-5)."""
    return bool(_REASONING.match(model)) and "-chat" not in model
