"""``openaiassistant ask --backend chat`` through ``main(argv)``, against the emulator's chat
completions over real HTTP: the issue's walkthrough (an answer, ``--thread-id`` with the history
resent, a ``--tools`` round, ``--response-format json_object``, an unreachable server as one
clear line) and the registry it needs. No API key is given: a local chat server needs none."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from openaiassistant.backends.capabilities import BOOK
from openaiassistant.cli.main import main


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAIASSISTANT_REGISTRY", raising=False)
    BOOK.forget()
    yield
    BOOK.forget()


def chat(url: str, registry: str, *argv: str) -> int:
    return main(
        ["ask", "--backend", "chat", "--base-url", url, "--model", "gpt-4o-mini", "--registry", registry, *argv]
    )


def _sent(emulator: Any) -> list[dict[str, Any]]:
    return [r["body"] for r in emulator.requests() if r["path"].endswith("/chat/completions")]


def test_the_walkthrough_answer_continue_json(emulator: Any, capsys: Any, tmp_path: Path) -> None:
    emulator.load_script(
        {
            "rules": [
                {"match": "(?i)what did I say", "reply": "You said: {{ context }}"},
                {"match": "(?i)verdict", "json": {"severity": "critical"}},
            ]
        }
    )
    registry = f"sqlite:///{tmp_path}/threads.db"
    assert chat(emulator.base_url, registry, "disk full on db-1") == 0
    out, err = capsys.readouterr()
    assert out == "Echo: disk full on db-1\n"
    thread_id = err.split("thread ", 1)[1].split()[0]
    assert thread_id.startswith("oachat_")
    emulator.clear_requests()
    assert chat(emulator.base_url, registry, "--thread-id", thread_id, "what did I say?") == 0
    assert "disk full on db-1" in capsys.readouterr().out
    (body,) = _sent(emulator)
    assert [m["content"] for m in body["messages"]] == [
        "disk full on db-1",
        "Echo: disk full on db-1",
        "what did I say?",
    ]
    assert (
        chat(
            emulator.base_url,
            registry,
            "--thread-id",
            thread_id,
            "--response-format",
            "json_object",
            "--json",
            "the verdict",
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["response"] == {"severity": "critical"} and result["backend"] == "chat"
    assert result["thread_id"] == thread_id


@pytest.fixture
def disk_api() -> Iterator[str]:
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


def test_a_tools_file_runs_a_round(emulator: Any, capsys: Any, tmp_path: Path, disk_api: str) -> None:
    emulator.load_script(
        {
            "rules": [
                {
                    "match": r"disk on (?P<host>\S+)",
                    "tool_calls": [{"name": "get_disk", "arguments": {"host": "{{ match.host }}"}}],
                    "then": {"reply": "Disk: {{ tool_outputs.get_disk }}"},
                }
            ]
        }
    )
    tools = tmp_path / "tools.yaml"
    tools.write_text(
        "tools:\n"
        "  - name: get_disk\n"
        "    description: Disk usage of a host.\n"
        "    parameters: {type: object, properties: {host: {type: string}}, required: [host]}\n"
        f"    url: {disk_api}/disk/{{host}}\n"
    )
    assert chat(emulator.base_url, f"sqlite:///{tmp_path}/t.db", "disk on db-7", "--tools", str(tools)) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Disk: ") and "/disk/db-7" in out and "93%" in out
    assert "tool get_disk" in err


def test_an_unreachable_server_is_one_clear_line(capsys: Any, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    assert chat(url, f"sqlite:///{tmp_path}/t.db", "--timeout", "1", "anyone there?") == 1
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert out == "" and len(errors) == 1
    assert f"ServerUnavailableError: create chat completion: could not reach {url}" in errors[0]
    assert "Traceback" not in err


def test_the_registry_and_the_model_are_required(emulator: Any, capsys: Any) -> None:
    assert main(["ask", "--backend", "chat", "--base-url", emulator.base_url, "--model", "m", "hi"]) == 2
    err = capsys.readouterr().err
    assert "--registry" in err and "required with the chat backend" in err and "nothing was sent" in err
    assert main(["ask", "--backend", "chat", "--base-url", emulator.base_url, "--registry", "sqlite://", "hi"]) == 2
    assert "--model" in capsys.readouterr().err
    assert _sent(emulator) == []


@pytest.mark.parametrize(
    ("thread_id", "says", "never"),
    [
        ("conv_abc", ["not a chat conversation", "belongs to the responses backend"], "registry_url"),
        ("oachat_0000", ["not in this thread registry", "check registry_url"], "check backend"),
    ],
    ids=["another-backends-id", "ours-elsewhere"],
)
def test_an_unknown_thread_id_says_the_one_thing_to_check(
    emulator: Any, capsys: Any, tmp_path: Path, thread_id: str, says: list[str], never: str
) -> None:
    registry = f"sqlite:///{tmp_path}/threads.db"
    assert chat(emulator.base_url, registry, "first") == 0
    capsys.readouterr()
    assert chat(emulator.base_url, registry, "--thread-id", thread_id, "hi") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and all(words in err[0] for words in says) and never not in err[0]
    assert not [body for body in _sent(emulator) if "hi" in json.dumps(body)]  # nothing sent for it
