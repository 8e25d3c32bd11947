"""Observability tests: spans captured in memory (the SDK's in-memory exporter), real turns
against the emulator through the real openai SDK, a real OTLP receiver (see otlp_receiver.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.engine.conftest import backend, client, fake_clock, make_assistant, stream  # noqa: F401
from tests.tools.conftest import tool_server  # noqa: F401

from openaiassistant.observability.testing import SpanCapture


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    """Every span this package ends during the test."""
    with SpanCapture.install() as capture:
        yield capture
