"""Real coordination servers for these tests, started on 127.0.0.1 and free ports.

``redis_url``: Debian's ``redis-server`` (``make test`` installs it when missing), one per
session, flushed before each test that uses it. ``postgres_url``: the registry tests' throw-away
PostgreSQL. A missing binary skips the cases that need it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.registry.conftest import postgres_url  # noqa: F401 - a fixture, re-used here


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def _redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (make test installs Debian's redis-server)")
    pytest.importorskip("redis")
    root, port = tempfile.mkdtemp(prefix="oa-redis-"), _free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", root],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("redis-server exited at start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


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
