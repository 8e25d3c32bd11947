"""``openaiassistant ask`` through ``main(argv)``, against the emulator over real HTTP."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest

from openaiassistant.cli.main import main

warnings.filterwarnings("ignore", category=DeprecationWarning)
KEY = "sk-cli-test-key-0001"


def ask(emulator: Any, *argv: str) -> int:
    return main(["ask", "--base-url", emulator.base_url, "--api-key", KEY, "--model", "gpt-4o-mini", *argv])


def test_streams_the_answer(emulator: Any, capsys: Any) -> None:
    assert ask(emulator, "hello there") == 0
    out, err = capsys.readouterr()
    assert out == "Echo: hello there\n"
    assert "thread conv_" in err


def test_no_stream_and_continue_a_thread(emulator: Any, capsys: Any) -> None:
    assert ask(emulator, "first", "--json") == 0
    thread_id = json.loads(capsys.readouterr().out)["thread_id"]
    assert ask(emulator, "second", "--no-stream", "--thread-id", thread_id, "--json", "--history") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["thread_id"] == thread_id and result["text"] == "Echo: second"
    assert [m["text"] for m in result["messages"]] == ["first", "Echo: first", "second", "Echo: second"]


def test_json_output_and_params(emulator: Any, capsys: Any) -> None:
    emulator.load_script({"rules": [{"match": "triage", "json": {"severity": "high"}}]})
    assert (
        ask(
            emulator,
            "triage db-1",
            "--json",
            "--response-format",
            "json_object",
            "--param",
            "temperature=0.2",
            "--metadata",
            "tenant=t1",
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["response"] == {"severity": "high"}
    assert json.loads(result["response_json"]) == {"severity": "high"}
    assert result["backend"] == "responses" and result["status"] == "completed"


def test_assistants_backend(emulator: Any, capsys: Any) -> None:
    client = openai.OpenAI(base_url=emulator.base_url, api_key=KEY)
    assistant_id = client.beta.assistants.create(model="gpt-4o-mini").id
    assert (
        main(
            [
                "ask",
                "hi",
                "--backend",
                "assistants",
                "--assistant-id",
                assistant_id,
                "--base-url",
                emulator.base_url,
                "--api-key",
                KEY,
                "--no-stream",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == "Echo: hi\n"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--param", "temperature=7"], "temperature"),
        (["--param", "nonsense"], "--param"),
        (["--param", "colour=blue"], "colour"),
        (["--response-format", "xml"], "response_format"),
        (["--timeout", "-3"], "timeout"),
    ],
)
def test_bad_settings_exit_2_with_one_line_and_send_nothing(
    emulator: Any, capsys: Any, argv: list[str], needle: str
) -> None:
    assert ask(emulator, "hi", *argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and err.startswith("error:")
    assert emulator.requests() == []


def test_missing_api_key(emulator: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["ask", "hi", "--base-url", emulator.base_url, "--model", "m"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def test_missing_model(emulator: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    assert main(["ask", "hi", "--base-url", emulator.base_url, "--api-key", KEY]) == 2
    assert "--model" in capsys.readouterr().err


def test_run_failure_exits_1_with_one_line(emulator: Any, capsys: Any) -> None:
    emulator.add_fault(kind="run_failed", code="server_error", message="The model broke.")
    assert ask(emulator, "hi") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "RunFailedError" in err[0] and "The model broke." in err[0] and KEY not in err[0]


def test_the_servers_words_are_printed_as_written(emulator: Any, capsys: Any) -> None:
    # brackets in a server's message are not terminal markup: "[object Object]" and "[bold]"
    # used to vanish from the error line
    words = "Invalid value for 'input': [object Object] is not a [bold]string[/bold]."
    emulator.add_fault(kind="http_error", status=400, code="invalid_value", message=words)
    assert ask(emulator, "hi") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


@pytest.fixture
def disk_api() -> Iterator[str]:
    """A tiny local HTTP API the declarative tool calls."""

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


@pytest.mark.parametrize("stream", ["--stream", "--no-stream"])
def test_tools_file(emulator: Any, capsys: Any, tmp_path: Path, disk_api: str, stream: str) -> None:
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
        "    parameters: {type: object, properties: {host: {type: string}}, required: [host],"
        " additionalProperties: false}\n"
        f"    url: {disk_api}/disk/{{host}}\n"
    )
    assert ask(emulator, "disk on db-7", "--tools", str(tools), stream) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Disk: ") and "/disk/db-7" in out and "93%" in out
    assert "tool get_disk" in err and "ok" in err


def test_history_without_json_is_shown(emulator: Any, capsys: Any) -> None:
    assert ask(emulator, "first", "--json") == 0
    thread_id = json.loads(capsys.readouterr().out)["thread_id"]
    assert ask(emulator, "second", "--thread-id", thread_id, "--history") == 0
    out, err = capsys.readouterr()
    assert out == "Echo: second\n"  # stdout keeps only the answer
    history = err[err.index("history") :]
    assert history.index("user: first") < history.index("assistant: Echo: first") < history.index("user: second")


def test_a_failing_tool_shows_its_reason(emulator: Any, capsys: Any, tmp_path: Path) -> None:
    emulator.load_script(
        {"rules": [{"match": "disk", "tool_calls": [{"name": "get_disk", "arguments": {}}], "then": {"reply": "done"}}]}
    )
    tools = tmp_path / "tools.yaml"
    tools.write_text("- {name: get_disk, url: 'http://127.0.0.1:9/disk'}\n")  # nothing listens on port 9
    assert ask(emulator, "disk please", "--tools", str(tools)) == 0
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "tool get_disk" in line)
    assert "x HTTP request failed: ConnectError" in line


@pytest.mark.parametrize("value", ["0", "soon", "-1", "inf"])
def test_a_bad_timeout_says_what_is_allowed(emulator: Any, capsys: Any, value: str) -> None:
    assert ask(emulator, "hi", "--timeout", value) == 2
    err = capsys.readouterr().err.strip()
    allowed = "must be a number of seconds > 0, or none for no deadline"
    assert err == f"error: invalid --timeout: {allowed}; got {value!r} (nothing was sent)"


def test_timeout_none_means_no_deadline(emulator: Any, capsys: Any) -> None:
    assert ask(emulator, "no deadline", "--timeout", "none") == 0
    assert capsys.readouterr().out == "Echo: no deadline\n"


def test_a_param_error_names_the_parameter_as_typed(emulator: Any, capsys: Any) -> None:
    assert ask(emulator, "hi", "--param", "max_output_tokens=5") == 2
    err = capsys.readouterr().err
    assert "invalid max_output_tokens:" in err and "max_completion_tokens" not in err


def test_version(capsys: Any) -> None:
    from openaiassistant import __version__

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"openaiassistant {__version__}"
