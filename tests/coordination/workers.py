"""Worker processes for the multi-process tests: each is a real ``openaiassistant`` command in a
process of its own (as a Keep worker is), talking to the session's emulator over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

CLI = str(Path(sys.executable).with_name("openaiassistant"))


def worker_env(api_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAIASSISTANT_", "OPENAI_"))}
    env["OPENAI_API_KEY"] = api_key
    return env


def new_key() -> str:
    """A key of its own per test: the pool (and its learned limits) is per server and key."""
    return f"sk-test-workers-{uuid.uuid4().hex[:16]}"


def ask(emulator: Any, prompt: str, *flags: str, api_key: str) -> subprocess.Popen[str]:
    """Start ``openaiassistant ask PROMPT`` against the emulator (not waited for)."""
    argv = [CLI, "ask", prompt, "--base-url", emulator.base_url, "--model", "gpt-4o-mini", "--json", *flags]
    return subprocess.Popen(argv, env=worker_env(api_key), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def threads(*args: str, api_key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "threads", *args], env=worker_env(api_key), capture_output=True, text=True, timeout=120)


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_for(condition: Callable[[], Any], *, what: str, timeout: float = 60) -> Any:
    """Poll ``condition`` until it is truthy (a wait for an event, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
