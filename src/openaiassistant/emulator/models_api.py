"""``/v1/models``: list and retrieve.

By default every model id exists (any ``model`` works everywhere). A script's ``models:`` list
makes the catalogue strict: unknown ids are a 404 on retrieve and a 400 ``model_not_found`` on
creates, as on the real API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator.catalogue import DEFAULT_MODELS, model_object
from openaiassistant.emulator.http import emulator_of, ok
from openaiassistant.emulator.problems import ApiProblem

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES", "check_model"]


def check_model(emulator: Emulator, model: Any, *, param: str = "model") -> None:
    """Refuse a model id the script's strict catalogue does not have."""
    catalogue = emulator.script.models
    if catalogue is not None and str(model) not in catalogue:
        raise ApiProblem(400, f"The requested model '{model}' does not exist.", param=param, code="model_not_found")


async def list_models(request: Request) -> Response:
    catalogue = emulator_of(request).script.models
    return ok(
        {"object": "list", "data": [model_object(m) for m in (catalogue if catalogue is not None else DEFAULT_MODELS)]}
    )


async def retrieve_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    catalogue = emulator_of(request).script.models
    if catalogue is not None and model_id not in catalogue:
        raise ApiProblem(
            404, f"The model '{model_id}' does not exist or you do not have access to it.", code="model_not_found"
        )
    return ok(model_object(model_id))


ROUTES = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", retrieve_model, methods=["GET"]),
]
