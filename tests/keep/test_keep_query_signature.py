"""The step's keywords are one list (keep/step_request.py's TURN_KEYS, from StepRequest): the
Keep provider's ``_query`` names each of them in its signature, from which Keep lists the
provider's query parameters (ProvidersFactory: ``query_params``)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")


def test_query_names_every_step_keyword(keep_env: Any) -> None:
    from openaiassistant.keep.provider import OpenaiassistantProvider
    from openaiassistant.keep.step_request import TURN_KEYS

    parameters = inspect.signature(OpenaiassistantProvider._query).parameters
    missing = [name for name in TURN_KEYS if name not in parameters]
    assert not missing, f"_query's signature lacks step keywords {missing} (keep/step_request.py TURN_KEYS)"
    assert all(parameters[name].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for name in TURN_KEYS)
