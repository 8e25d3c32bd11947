"""Errors say what the server said, whatever the shape of its body, through the real SDK over
real HTTP in both SDK generations (which hand error bodies over differently).

The bodies below are the shapes real servers send: OpenAI's ``{"error": {...}}``, FastAPI's
``{"detail": "..."}`` (llama-stack, LiteLLM's proxy) and its validation list, gateways' plain
text and HTML pages. A tiny stdlib HTTP server answers every request with one of them; the
compatibility suite (tests/compat) sees the same from the real servers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.errors import APIError, AssistantError, NotFoundError, ServerUnavailableError
from openaiassistant.settings import AssistantSpec, ConnectionSettings

SECRET = "sk-test-very-secret-key-0123456789"


class Canned:
    """An HTTP server answering every request with one status, content type and body."""

    def __init__(self) -> None:
        self.status, self.content_type, self.body = 500, "application/json", b"{}"
        self.paths: list[str] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                canned.paths.append(self.path)
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(canned.status)
                self.send_header("content-type", canned.content_type)
                self.send_header("content-length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
        self.status, self.content_type = status, content_type
        self.body = body.encode() if isinstance(body, str) else json.dumps(body).encode()


@pytest.fixture(scope="module")
def canned() -> Iterator[Canned]:
    server = Canned()
    yield server
    server.server.shutdown()


def _turn(base_url: str, **connection: Any) -> AssistantError:
    assistant = Assistant(
        connection=ConnectionSettings(api_key=SECRET, base_url=base_url, max_retries=0, **connection),
        spec=AssistantSpec(model="m"),
    )
    with pytest.raises(AssistantError) as caught:
        assistant.run_turn("hi", timeout=10)
    return caught.value


@pytest.mark.parametrize(
    ("status", "body", "content_type", "words", "code"),
    [
        (
            400,
            {"error": {"message": "Invalid value for 'model'.", "type": "invalid_request_error", "code": "bad_model"}},
            "application/json",
            "Invalid value for 'model'.",
            "bad_model",
        ),
        (
            400,
            {"detail": "Llama Stack does not yet support 'stream' and 'background' together."},
            "application/json",
            "Llama Stack does not yet support 'stream' and 'background' together.",
            None,
        ),
        (
            422,
            {"detail": [{"loc": ["body", "input"], "msg": "Field required", "type": "missing"}]},
            "application/json",
            "body.input: Field required",
            "validation_error",
        ),
        (400, {"error": "model m is not loaded"}, "application/json", "model m is not loaded", None),
        (400, "upstream request rejected: bad header", "text/plain", "upstream request rejected: bad header", None),
        (
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
            "<hr><center>nginx</center></body></html>",
            "text/html",
            "502 Bad Gateway",
            None,
        ),
    ],
    ids=["openai", "fastapi-detail", "fastapi-validation", "error-string", "plain-text", "html-gateway"],
)
def test_the_error_carries_the_servers_words_and_code(
    canned: Canned, status: int, body: Any, content_type: str, words: str, code: str | None
) -> None:
    canned.answer(status, body, content_type)
    error = _turn(canned.url + "/v1")
    assert isinstance(error, APIError)
    assert words in str(error)
    assert error.http_status == status
    assert error.code == code
    if code:
        assert code in str(error)
    assert "<html" not in str(error)


@pytest.mark.parametrize("code", ["400", 400], ids=["text", "number"])
def test_a_code_that_repeats_the_status_is_said_once(canned: Canned, code: Any) -> None:
    # LiteLLM's proxy answers {"error": {"message": ..., "code": "400"}}: the line said "(HTTP 400, 400)"
    canned.answer(400, {"error": {"message": "litellm.BadRequestError: model not found", "code": code}})
    error = _turn(canned.url + "/v1")
    assert str(error).endswith("litellm.BadRequestError: model not found (HTTP 400)")


def test_a_secret_the_server_echoes_is_hidden(canned: Canned) -> None:
    canned.answer(401, {"detail": f"key {SECRET} is not valid here"})
    error = _turn(canned.url + "/v1")
    assert SECRET not in str(error)
    assert "is not valid here" in str(error)


def test_a_404_on_the_first_request_hints_at_a_missing_v1(canned: Canned) -> None:
    canned.answer(404, {"detail": "Not Found"})
    error = _turn(canned.url)  # no /v1
    assert isinstance(error, NotFoundError)
    assert "Not Found" in str(error)
    assert f"is the base URL missing /v1? it is {canned.url}" in str(error)
    with_v1 = _turn(canned.url + "/v1")
    assert "missing /v1" not in str(with_v1)


def test_connection_refused_names_the_url_and_the_cause() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = _turn(f"http://127.0.0.1:{port}/v1")
    assert isinstance(error, ServerUnavailableError)
    assert f"could not reach http://127.0.0.1:{port}/v1 (connection refused)" in str(error)


def test_an_unresolvable_host_is_named() -> None:
    error = _turn("http://no-such-host.invalid/v1")
    assert isinstance(error, ServerUnavailableError)
    assert "could not reach http://no-such-host.invalid/v1 (the host name could not be resolved)" in str(error)


@pytest.mark.parametrize(
    ("backend", "thread_id", "other"),
    [("responses", "thread_abc123", "assistants"), ("assistants", "conv_abc123", "responses")],
)
def test_an_id_of_the_other_backend_says_which_backend_it_belongs_to(
    emulator: Any, backend: str, thread_id: str, other: str
) -> None:
    import openai

    spec: dict[str, Any] = {"model": "gpt-4o-mini"}
    if backend == "assistants":
        client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key)
        spec["assistant_id"] = client.beta.assistants.create(model="gpt-4o-mini").id
    assistant = Assistant(
        connection=ConnectionSettings(api_key=SECRET, base_url=emulator.base_url, max_retries=0),
        spec=AssistantSpec(backend=backend, **spec),
    )
    with pytest.raises(APIError) as caught:
        assistant.run_turn("hi", thread_id=thread_id, timeout=10)
    assert f"it belongs to the {other} backend (set backend: {other})" in str(caught.value)
