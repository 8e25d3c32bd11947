"""A server that answers with garbage (an HTML page with status 200, an empty body, ``[]``, an
object without an id, JSON nested 5 000 deep...) fails the turn with the package's APIError
naming the request, on both backends and transports, for a new and a continued conversation
(issue 10: these ended in JSONDecodeError, KeyError, AttributeError, TypeError, RecursionError).

The server is a few lines of the standard library on 127.0.0.1: it stands for a misconfigured
base_url or a gateway, which no OpenAI-compatible implementation would be.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.engine.conftest import FakeClock
from tests.http_stubs import answer

from openaiassistant import Assistant, AssistantSpec, ConnectionSettings
from openaiassistant.errors import APIError, AssistantError

BODIES = [
    "",
    "not json",
    "<html><body>502 Bad Gateway</body></html>",
    "[]",
    "{}",
    "null",
    '"a string"',
    '{"id": 5}',
    '{"id": "x"}',
    "[" * 5000 + "]" * 5000,
    '{"id": "resp_1", "status": "weird", "output": "x"}',
    '{"id": "run_1", "status": "requires_action", "required_action": {"submit_tool_outputs": '
    '{"tool_calls": [{"id": 1}]}}}',
]


class _Garbage(BaseHTTPRequestHandler):
    body = ""
    content_type = "application/json"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        data = type(self).body.encode()
        answer(self, 200, data, content_type=type(self).content_type)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def garbage_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.mark.parametrize("backend", ["responses", "assistants"])
@pytest.mark.parametrize("transport", ["sse", "poll"])
@pytest.mark.parametrize("content_type", ["application/json", "text/event-stream"])
def test_garbage_answers_are_api_errors(garbage_url: str, backend: str, transport: str, content_type: str) -> None:
    clock = FakeClock()
    assistant = Assistant(
        connection=ConnectionSettings(
            api_key="sk-garbage-test-0123456789", base_url=garbage_url, transport=transport, max_retries=1
        ),
        spec=AssistantSpec(backend=backend, model="m", assistant_id="asst_1"),
        sleep=clock.sleep,
        clock=clock.clock,
    )
    existing = "thread_1" if backend == "assistants" else "conv_1"
    for body in BODIES:
        _Garbage.body, _Garbage.content_type = body, content_type
        for thread_id in (None, existing):
            try:
                assistant.run_turn("hello", thread_id=thread_id, timeout=5)
            except AssistantError as exc:
                assert "sk-garbage-test-0123456789" not in str(exc)
                if isinstance(exc, APIError) and "not what the API returns" in str(exc):
                    assert "base_url" in str(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - exactly what this test is about
                pytest.fail(f"{body[:40]!r} (thread {thread_id}): untyped {type(exc).__name__}: {exc}")
