"""Reliability tests: the engine's fixtures (real SDK, real HTTP to the emulator, fake clock)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from tests.engine.conftest import backend, client, fake_clock, make_assistant, stream  # noqa: F401

# Property tests: deterministic in make test (the same examples every run, no wall-clock limit);
# `make reliability` runs them with HYPOTHESIS_PROFILE=reliability (many more, random examples).
settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "reliability", max_examples=3000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
