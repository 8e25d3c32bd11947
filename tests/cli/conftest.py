"""What the CLI's tests share: a tiny local HTTP API a declarative tool calls, and the script
that makes the emulator call it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.http_stubs import answer

# "disk on <host>" asks for get_disk(host), and the answer quotes the tool's output
DISK_SCRIPT: dict[str, Any] = {
    "rules": [
        {
            "match": r"disk on (?P<host>\S+)",
            "tool_calls": [{"name": "get_disk", "arguments": {"host": "{{ match.host }}"}}],
            "then": {"reply": "Disk: {{ tool_outputs.get_disk }}"},
        }
    ]
}


def write_disk_tools(directory: Path, disk_api: str, *, closed: bool = False) -> Path:
    """A tools file in ``directory`` declaring get_disk(host), an HTTP tool on ``disk_api``;
    ``closed`` adds ``additionalProperties: false`` to its parameters."""
    tools = directory / "tools.yaml"
    tools.write_text(
        "tools:\n"
        "  - name: get_disk\n"
        "    description: Disk usage of a host.\n"
        "    parameters: {type: object, properties: {host: {type: string}}, required: [host]"
        + (", additionalProperties: false" if closed else "")
        + "}\n"
        f"    url: {disk_api}/disk/{{host}}\n"
    )
    return tools


@pytest.fixture
def disk_api() -> Iterator[str]:
    """A tiny local HTTP API the declarative tool calls: it answers its path and a usage."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = json.dumps({"path": self.path, "used": "93%"}).encode()
            answer(self, 200, body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
