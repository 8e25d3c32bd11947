"""pytest fixtures for the emulator (registered through the ``pytest11`` entry point).

* ``emulator``: one :class:`~openaiassistant.emulator.server.EmulatorServer` per test session,
  ``reset()`` before each test. At teardown the test FAILS if any response or stream it caused
  broke OpenAI's OpenAPI spec, or if any request it sent broke the spec's request schema
  (mark a test that sends bad requests on purpose with ``@pytest.mark.emulator_bad_requests``).
  Without the spec file the fixture fails (it would otherwise check nothing) unless
  ``OPENAI_EMULATOR_REQUIRE_SPEC=0`` is set; ``OPENAI_OPENAPI_SPEC`` points at the file.
* ``emulator_url``: its base URL (``http://127.0.0.1:PORT/v1``).

This module imports without starlette/uvicorn; the fixtures then skip.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["emulator", "emulator_url", "pytest_configure"]

_MISSING = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
BAD_REQUESTS_MARK = "emulator_bad_requests"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{BAD_REQUESTS_MARK}: the test sends requests that break OpenAI's request schema on purpose; "
        "the emulator fixture does not fail it for them",
    )


def _require_spec() -> None:
    """Fail loudly when the spec is missing, unless OPENAI_EMULATOR_REQUIRE_SPEC=0 says so."""
    from openaiassistant.emulator.validation import default_spec_path

    if os.environ.get("OPENAI_EMULATOR_REQUIRE_SPEC", "").strip().lower() in ("0", "false", "no"):
        return
    path = default_spec_path()
    if not path.is_file():
        pytest.fail(
            f"emulator: OpenAI's OpenAPI spec was not found at {path}, so nothing the emulator sends or "
            "receives could be checked. Point OPENAI_OPENAPI_SPEC at openapi.json, or set "
            "OPENAI_EMULATOR_REQUIRE_SPEC=0 to run without validation.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def _emulator_session() -> Iterator[Any]:
    if _MISSING:
        pytest.skip(f"emulator needs {', '.join(_MISSING)} (pip install 'openaiassistant[emulator]')")
    _require_spec()
    from openaiassistant.emulator.server import EmulatorServer

    server = EmulatorServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator(_emulator_session: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A running emulator, reset for this test; spec violations (responses, streams and, unless
    the test is marked ``emulator_bad_requests``, requests) fail the test at teardown."""
    _emulator_session.reset()
    yield _emulator_session
    problems = [f"emulator sent: {p}" for p in _emulator_session.violations()]
    if request.node.get_closest_marker(BAD_REQUESTS_MARK) is None:
        problems += [f"client sent: {p}" for p in _emulator_session.request_violations()]
    if problems:
        pytest.fail("emulator traffic broke the OpenAI spec:\n" + "\n".join(problems[:20]), pytrace=False)


@pytest.fixture
def emulator_url(emulator: Any) -> str:
    """The emulator's OpenAI base URL, e.g. ``http://127.0.0.1:54321/v1``."""
    return str(emulator.base_url)
