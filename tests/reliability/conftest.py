"""Reliability tests: the engine's fixtures (real SDK, real HTTP to the emulator, fake clock)."""

from __future__ import annotations

from tests.engine.conftest import backend, client, fake_clock, make_assistant, stream  # noqa: F401
