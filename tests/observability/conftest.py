"""Observability tests: spans captured in memory (the SDK's in-memory exporter), real turns
against the emulator through the real openai SDK, a real OTLP receiver (otlp_receiver.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# pytest puts this directory on sys.path for its conftest (tests/ is not a package)
from otlp_receiver import otlp_receiver  # noqa: F401  (Arize Phoenix, started on 127.0.0.1)
from tests.engine.conftest import backend, client, fake_clock, make_assistant, stream  # noqa: F401
from tests.tools.conftest import tool_server  # noqa: F401

from openaiassistant.observability.testing import SpanCapture


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    """Every span this package ends during the test."""
    with SpanCapture.install() as capture:
        yield capture
