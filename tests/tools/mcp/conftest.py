"""The MCP tests' own fixtures (the real servers' are in real_servers.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest puts this directory on sys.path for its conftest (tests/ is not a package)
from real_servers import (  # noqa: F401  (the real servers' fixtures)
    everything_command,
    everything_package,
    everything_url,
    mcp_dir,
    time_command,
)

from openaiassistant.tools.mcp import McpServers

HERE = Path(__file__).resolve().parent


@pytest.fixture
def servers() -> Iterator[McpServers]:
    """Sessions of this test only (closed after it)."""
    pool = McpServers()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def scripted_server() -> list[str]:
    """Our own tiny stdio server for protocol corners the real ones do not show (pagination,
    old protocol versions, isError); the real servers are the reference."""
    return [sys.executable, str(HERE / "scripted_server.py")]
