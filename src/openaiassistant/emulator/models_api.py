"""``/v1/models``: list and retrieve.

By default every model id exists (any ``model`` works everywhere). A script's ``models:`` list
makes the catalogue strict: unknown ids are a 404 on retrieve and a 400 ``model_not_found`` on
creates, as on the real API.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator.http import ApiProblem, emulator_of, ok

if TYPE_CHECKING:
    from openaiassistant.emulator.app import Emulator

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


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": _CREATED, "owned_by": "system"}


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` is in a reasoning family (o1, o3, o4-mini, gpt-5)."""
    return bool(_REASONING.match(model)) and "-chat" not in model


def check_model(emulator: Emulator, model: Any, *, param: str = "model") -> None:
    """Refuse a model id the script's strict catalogue does not have."""
    catalogue = emulator.script.models
    if catalogue is not None and str(model) not in catalogue:
        raise ApiProblem(400, f"The requested model '{model}' does not exist.", param=param, code="model_not_found")


async def list_models(request: Request) -> Response:
    catalogue = emulator_of(request).script.models
    return ok({"object": "list", "data": [_model(m) for m in (catalogue if catalogue is not None else DEFAULT_MODELS)]})


async def retrieve_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    catalogue = emulator_of(request).script.models
    if catalogue is not None and model_id not in catalogue:
        raise ApiProblem(
            404, f"The model '{model_id}' does not exist or you do not have access to it.", code="model_not_found"
        )
    return ok(_model(model_id))


ROUTES = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", retrieve_model, methods=["GET"]),
]
