"""A real OTLP/HTTP receiver for the tracing tests: Arize Phoenix (PyPI), installed by
``make otlp-receiver`` into ``$OPENAIASSISTANT_OTLP_RECEIVER`` (default ``.otlp-receiver/``).

``otlp_receiver`` starts ``phoenix serve`` once per session on 127.0.0.1 and free ports, with its
own working directory, its telemetry and agent features off, and waits for its health check.
``receiver.spans(trace_id)`` reads what it stored back through its REST API. Without Phoenix the
tests skip, unless ``OPENAIASSISTANT_REQUIRE_OTLP_RECEIVER=1`` (``make test`` sets it).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.local_programs import missing, stop

ROOT = Path(__file__).resolve().parents[2]
READY_ATTEMPTS = 600  # x 0.2 s: Phoenix runs its migrations first (slow on a busy 2-core box)


@dataclass
class Receiver:
    url: str  # http://127.0.0.1:PORT (OTLP/HTTP traces at /v1/traces)
    log: Path

    def spans(self, trace_id: str, *, at_least: int = 1) -> list[dict[str, Any]]:
        """The stored spans of one trace (hex id); waits until ``at_least`` arrived (bounded)."""
        found: list[dict[str, Any]] = []
        for _ in range(100):
            with urllib.request.urlopen(f"{self.url}/v1/projects/default/spans?limit=1000", timeout=10) as answer:
                data = json.load(answer)["data"]
            found = [s for s in data if s["context"]["trace_id"] == trace_id]
            if len(found) >= at_least:
                return found
            time.sleep(0.1)
        return found

    def trace_ids(self) -> set[str]:
        with urllib.request.urlopen(f"{self.url}/v1/projects/default/spans?limit=1000", timeout=10) as answer:
            return {s["context"]["trace_id"] for s in json.load(answer)["data"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def otlp_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    root = Path(os.environ.get("OPENAIASSISTANT_OTLP_RECEIVER") or ROOT / ".otlp-receiver")
    program = root / "venv" / "bin" / "phoenix"
    if not program.exists():
        missing(
            "Arize Phoenix (the OTLP receiver)",
            install="make otlp-receiver",
            require_variable="OPENAIASSISTANT_REQUIRE_OTLP_RECEIVER",
        )
    work = tmp_path_factory.mktemp("phoenix")
    port, grpc_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PHOENIX_"))}
    env.update(
        PHOENIX_WORKING_DIR=str(work),
        PHOENIX_HOST="127.0.0.1",
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(grpc_port),
        PHOENIX_TELEMETRY_ENABLED="false",
        PHOENIX_DISABLE_AGENT_ASSISTANT="true",
        PHOENIX_AGENTS_DISABLE_WEB_ACCESS="true",
        PHOENIX_AGENTS_DISABLE_BASH="true",
        PHOENIX_AGENTS_DISABLE_GITHUB="true",
        PHOENIX_ENABLE_MCP_SERVER="false",
        PHOENIX_ALLOW_EXTERNAL_RESOURCES="false",
        PHOENIX_LOG_SQL="false",
        PHOENIX_DB_LOGGING_LEVEL="warning",
        PHOENIX_LOGGING_LEVEL="warning",
    )
    log = work / "phoenix.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([str(program), "serve"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    receiver = Receiver(url=f"http://127.0.0.1:{port}", log=log)
    try:
        for _ in range(READY_ATTEMPTS):
            if process.poll() is not None:
                pytest.fail(f"Phoenix exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{receiver.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"Phoenix did not become healthy:\n{log.read_text()[-3000:]}")
        yield receiver
    finally:
        stop(process, grace=30)
