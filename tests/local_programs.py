"""Programs the tests install and start on this machine (real MCP servers, Phoenix, a Keep
server): what to do when one is not installed, and how one is stopped."""

from __future__ import annotations

import os
import subprocess

import pytest


def missing(what: str, *, install: str, require_variable: str) -> None:
    """``what`` is not installed: the test skips, or fails where ``require_variable`` is 1
    (``make test`` sets it: there, a skipped real server would hide a gap)."""
    message = f"{what} is not installed (run `{install}`)"
    if os.environ.get(require_variable) == "1":
        pytest.fail(message)
    pytest.skip(message)


def stop(process: subprocess.Popen, *, grace: float) -> None:
    """Ask ``process`` to end (SIGTERM); killed when it has not after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
