"""A tiny local "monitoring system" the example workflows' tools query (127.0.0.1 only).

``GET /hosts/{host}`` answers the host's current metrics and ``GET /runbooks/{alert}`` the
runbook for an alert name. The demo and the Keep tests start it on a free port, so the example
workflows run offline. Every request is remembered in ``requests`` (path), so a test can show
the assistant's tool really called it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

__all__ = ["SampleServices"]

HOSTS = {
    "db-1": {"host": "db-1", "disk_used_percent": 97, "cpu_percent": 41, "role": "postgres primary"},
    "web-3": {"host": "web-3", "disk_used_percent": 52, "cpu_percent": 88, "role": "nginx"},
}
RUNBOOKS = {
    "DiskFull": "Free space: rotate logs (logrotate -f), drop old WAL archives, then grow the volume.",
    "HighCPU": "Check the top processes; scale out the web tier if load is organic.",
}


class SampleServices:
    """``with SampleServices() as services: services.url`` -> ``http://127.0.0.1:PORT``."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                owner.requests.append(self.path)
                parts = [unquote(p) for p in self.path.split("?")[0].strip("/").split("/")]
                if len(parts) == 2 and parts[0] == "hosts" and parts[1] in HOSTS:
                    self._send(200, HOSTS[parts[1]])
                elif len(parts) == 2 and parts[0] == "runbooks" and parts[1] in RUNBOOKS:
                    self._send(200, {"alert": parts[1], "runbook": RUNBOOKS[parts[1]]})
                else:
                    self._send(404, {"error": f"nothing at {self.path}"})

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # keep the demo's output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> SampleServices:
        self._thread = threading.Thread(target=self._server.serve_forever, name="sample-services", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> SampleServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
