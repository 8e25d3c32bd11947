"""What the CLI's tests share: a tiny local HTTP API a declarative tool calls, and the script
that makes the emulator call it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

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


@pytest.fixture
def disk_api() -> Iterator[str]:
    """A tiny local HTTP API the declarative tool calls: it answers its path and a usage."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = json.dumps({"path": self.path, "used": "93%"}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

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
