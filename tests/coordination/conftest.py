"""Real coordination servers for these tests, started on 127.0.0.1 and free ports.

``redis_url``: Debian's ``redis-server`` (``make test`` installs it when missing), one per
session, flushed before each test that uses it. ``postgres_url``: the registry tests' throw-away
PostgreSQL. A missing binary skips the cases that need it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from bench.local_servers import redis_server
from tests.registry.conftest import postgres_url  # noqa: F401 - a fixture, re-used here


@pytest.fixture(scope="session")
def _redis_server() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed (make test installs Debian's redis-server)")
    pytest.importorskip("redis")
    with redis_server() as url:  # the benchmark's throw-away redis-server, started the same way
        assert url is not None
        yield url


@pytest.fixture
def redis_url(_redis_server: str) -> str:
    import redis

    redis.Redis.from_url(_redis_server).flushdb()
    return _redis_server


@pytest.fixture(params=["in-process", "redis", "postgresql"])
def store_url(request: Any) -> str | None:
    """Each store in turn: None (in-process), a Redis URL, a PostgreSQL URL."""
    if request.param == "in-process":
        return None
    return str(request.getfixturevalue("redis_url" if request.param == "redis" else "postgres_url"))


@pytest.fixture
def client(emulator: Any) -> Any:
    """A plain SDK client for setting up and checking server state (no retries)."""
    import openai

    return openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
