"""Real MCP servers for the tests, installed by ``make mcp-servers`` (fixtures: tests/tools/mcp's
conftest imports them as ``real_servers``; tests/keep's conftest and tests of tests/compat and
tests/observability as ``tests.tools.mcp.real_servers``).

* ``time_command``: ``mcp-server-time`` (PyPI, the official Python SDK) over stdio;
* ``everything_command``: ``@modelcontextprotocol/server-everything`` (npm, the official
  TypeScript SDK) over stdio;
* ``everything_url``: the same server over Streamable HTTP, started on 127.0.0.1 and a free port.

They live in ``$OPENAIASSISTANT_MCP_SERVERS`` (default ``.mcp-servers/`` in the checkout).
Without them these tests skip, unless ``OPENAIASSISTANT_REQUIRE_MCP_SERVERS=1`` (``make test``
sets it), where a missing server fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.local_programs import missing

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def _missing(what: str) -> None:
    missing(what, install="make mcp-servers", require_variable="OPENAIASSISTANT_REQUIRE_MCP_SERVERS")


@pytest.fixture(scope="session")
def mcp_dir() -> Path:
    return Path(os.environ.get("OPENAIASSISTANT_MCP_SERVERS") or ROOT / ".mcp-servers")


@pytest.fixture(scope="session")
def time_command(mcp_dir: Path) -> list[str]:
    program = mcp_dir / "venv" / "bin" / "mcp-server-time"
    if not program.exists():
        _missing("mcp-server-time")
    return [str(program), "--local-timezone", "UTC"]


@pytest.fixture(scope="session")
def everything_package(mcp_dir: Path) -> Path:
    package = mcp_dir / "npm" / "node_modules" / "@modelcontextprotocol" / "server-everything"
    if not (package / "dist" / "index.js").exists() or shutil.which("node") is None:
        _missing("@modelcontextprotocol/server-everything (and node)")
    return package


@pytest.fixture(scope="session")
def everything_command(everything_package: Path) -> list[str]:
    return [shutil.which("node") or "node", str(everything_package / "dist" / "index.js"), "stdio"]


@contextmanager
def served_over_http(script: Path, package: Path, *, on_line: Callable[[str], None] | None = None) -> Iterator[str]:
    """``node script package`` (a serve_http*.mjs wrapper around server-everything): its
    Streamable HTTP URL once it prints ``LISTENING <port>``. Its later log lines go to
    ``on_line``, and are drained in any case so it never blocks on a full pipe."""
    process = subprocess.Popen(
        ["node", str(script), str(package)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        port = None
        for line in process.stderr:
            if line.startswith("LISTENING "):
                port = int(line.split()[1])
                break
        if port is None:
            pytest.fail(f"server-everything did not start over HTTP (exit {process.wait()})")
        stderr = process.stderr

        def drain() -> None:
            for line in stderr:
                if on_line is not None:
                    on_line(line)

        threading.Thread(target=drain, daemon=True).start()
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def everything_url(everything_package: Path) -> Iterator[str]:
    """server-everything's Streamable HTTP transport on 127.0.0.1 (see serve_http.mjs)."""
    with served_over_http(HERE / "serve_http.mjs", everything_package) as url:
        yield url
