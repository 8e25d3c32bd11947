"""Local HTTP servers for the HTTP tool tests (stdlib http.server on 127.0.0.1, one thread each).

``tool_server`` is the server a tool is allowed to reach; ``evil_server`` is another origin
(same host, other port) that must never be reached. Both record every request they receive.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from tests.http_stubs import answer


@dataclass
class Recorded:
    method: str
    raw_path: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class LocalServer:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    redirect_target: str = ""


class _Handler(BaseHTTPRequestHandler):
    server_state: LocalServer  # set on the subclass made per server

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _record(self) -> Recorded:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        rec = Recorded(
            method=self.command,
            raw_path=self.path,
            path=parts.path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            body=body,
        )
        self.server_state.requests.append(rec)
        return rec

    def _send(self, status: int, payload: Any, *, headers: dict[str, str] | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        rec = self._record()
        state = self.server_state
        if rec.path.startswith("/redirect/same"):
            self._send(302, b"", headers={"location": "/landed?via=redirect"})
        elif rec.path.startswith("/redirect/other"):
            self._send(302, b"", headers={"location": state.redirect_target})
        elif rec.path.startswith("/redirect/loop"):
            self._send(302, b"", headers={"location": "/redirect/loop"})
        elif rec.path.startswith("/redirect/see-other"):
            self._send(303, b"", headers={"location": "/landed"})
        elif rec.path.startswith("/big"):
            self._send_big()
        elif rec.path.startswith("/status/"):
            self._send(int(rec.path.rsplit("/", 1)[1]), {"detail": "nope"})
        elif rec.path.startswith("/slow"):
            state.release.wait(10)
            self._send(200, {"slow": True})
        elif rec.path.startswith("/reflect-auth"):
            self._send(200, {"you_sent": rec.headers.get("Authorization", "")})
        elif rec.path.startswith("/text"):
            answer(self, 200, b"plain words", content_type="text/plain; charset=utf-8")
        else:
            self._send(
                200,
                {
                    "method": rec.method,
                    "raw_path": rec.raw_path,
                    "path": rec.path,
                    "query": rec.query,
                    "body": json.loads(rec.body) if rec.body else None,
                },
            )

    def _send_big(self) -> None:
        # 4 MB in chunks: far more than the tests' cap; the client must stop reading early.
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(4 * 1024 * 1024))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(64):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up after its cap: exactly what we want

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


def _serve() -> Iterator[LocalServer]:
    state = LocalServer(url="")
    handler = type("Handler", (_Handler,), {"server_state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def tool_server() -> Iterator[LocalServer]:
    yield from _serve()


@pytest.fixture
def evil_server() -> Iterator[LocalServer]:
    yield from _serve()
