"""pytest fixtures for the emulator (registered through the ``pytest11`` entry point).

* ``emulator``: one :class:`~openaiassistant.emulator.server.EmulatorServer` per test session,
  ``reset()`` before each test; the test FAILS at teardown if any response it caused broke
  OpenAI's OpenAPI spec.
* ``emulator_url``: its base URL (``http://127.0.0.1:PORT/v1``).

This module imports without starlette/uvicorn; the fixtures then skip.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest

_MISSING = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]


@pytest.fixture(scope="session")
def _emulator_session() -> Iterator[Any]:
    if _MISSING:
        pytest.skip(f"emulator needs {', '.join(_MISSING)} (pip install 'openaiassistant[emulator]')")
    from openaiassistant.emulator.server import EmulatorServer

    server = EmulatorServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator(_emulator_session: Any) -> Iterator[Any]:
    """A running emulator, reset for this test; spec violations fail the test at teardown."""
    _emulator_session.reset()
    yield _emulator_session
    problems = _emulator_session.violations()
    if problems:
        pytest.fail("emulator responses broke the OpenAI spec:\n" + "\n".join(problems[:20]), pytrace=False)


@pytest.fixture
def emulator_url(emulator: Any) -> str:
    """The emulator's OpenAI base URL, e.g. ``http://127.0.0.1:54321/v1``."""
    return str(emulator.base_url)
