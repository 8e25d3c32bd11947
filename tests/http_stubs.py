"""What the tests' small stand-in HTTP servers (http.server handlers on 127.0.0.1) share."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def answer(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, *, content_type: str = "application/json"
) -> None:
    """Send ``body`` as the whole response: the status, its content type and length, the bytes."""
    handler.send_response(status)
    handler.send_header("content-type", content_type)
    handler.send_header("content-length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
