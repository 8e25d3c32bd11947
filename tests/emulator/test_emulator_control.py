"""Auth, the request log, control endpoints, a required key, the CLI command."""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import httpx
import openai
import pytest

from openaiassistant.cli import emulator_cmd
from openaiassistant.cli.main import build_parser
from openaiassistant.emulator.server import EmulatorServer


def _control(
    emulator: Any, path: str, *, method: str = "GET", data: bytes | None = None, content_type: str = "application/json"
) -> Any:
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/{path}", method=method, data=data, headers={"content-type": content_type}
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def test_missing_key_is_401_in_the_real_shape(emulator: Any) -> None:
    answer = httpx.post(f"{emulator.base_url}/responses", json={"model": "m", "input": "x"})
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and "You didn't provide an API key" in error["message"]
    assert emulator.violations() == []  # the error body fits ErrorResponse


def test_required_key() -> None:
    with EmulatorServer(required_api_key="sk-right-key-123456") as server:
        wrong = openai.OpenAI(base_url=server.base_url, api_key="sk-wrong-key-999999", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as refused:
            wrong.beta.assistants.create(model="m")
        assert refused.value.code == "invalid_api_key"
        assert "sk-wrong-key-999999" not in str(refused.value)  # never echo a key in full
        right = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        assert right.beta.assistants.create(model="m").object == "assistant"
        assert server.violations() == []


def test_request_log_counts(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="m")
    client.beta.assistants.retrieve(assistant.id)
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve("asst_missing")
    log = emulator.requests()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/v1/assistants", 200),
        ("GET", f"/v1/assistants/{assistant.id}", 200),
        ("GET", "/v1/assistants/asst_missing", 404),
    ]
    assert all(r["duration_ms"] >= 0 for r in log)
    assert log[0]["body"] == {"model": "m"} and log[1]["body"] is None  # what the client sent
    assert _control(emulator, "requests")["requests"] == log  # control calls are not logged
    emulator.clear_requests()
    assert emulator.requests() == []


def test_unknown_route_is_404_in_the_real_shape(emulator: Any, client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.get("/nothing/here", cast_to=object)
    assert "Invalid URL (GET /v1/nothing/here)" in str(missing.value)


def test_script_reset_and_violations_over_http(emulator: Any, api: Any) -> None:
    yaml_script = "rules:\n  - match: ping\n    reply: pong {{ input }}\n"
    assert _control(emulator, "script", method="POST", data=yaml_script.encode(), content_type="text/yaml")["ok"]
    assert api.create_response(model="m", input="ping")["output"][0]["content"][0]["text"] == "pong ping"
    _control(
        emulator,
        "script",
        method="POST",
        data=json.dumps({"rules": [{"match": "ping", "reply": "json pong"}]}).encode(),
    )
    assert api.create_response(model="m", input="ping")["output"][0]["content"][0]["text"] == "json pong"
    with pytest.raises(urllib.error.HTTPError) as bad:
        _control(emulator, "script", method="POST", data=b"rules:\n  - match: '('\n", content_type="text/yaml")
    assert bad.value.code == 400
    assert _control(emulator, "violations") == {"violations": [], "request_violations": []}
    _control(emulator, "reset", method="POST")
    assert emulator.requests() == []
    assert api.create_response(model="m", input="ping")["output"][0]["content"][0]["text"] == "Echo: ping"


def test_reset_forgets_objects(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="m")
    emulator.reset()
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve(assistant.id)


def test_cli_serves_until_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["emulator", "--port", "0", "--no-validate"])
    assert args.func is emulator_cmd.run
    stop = threading.Event()
    worker = threading.Thread(target=emulator_cmd.run, args=(args,), kwargs={"stop": stop})
    worker.start()
    try:
        printed = ""
        for _ in range(500):
            printed += capsys.readouterr().out
            if "serving at" in printed:
                break
            time.sleep(0.01)
        base_url = printed.split("serving at ")[1].split()[0]
        client = openai.OpenAI(base_url=base_url, api_key="sk-any-local-key", max_retries=0)
        assert client.beta.assistants.create(model="m").object == "assistant"
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()


def test_cli_parser_defaults() -> None:
    args = build_parser().parse_args(["emulator"])
    assert isinstance(args, argparse.Namespace)
    assert (args.host, args.port, args.script, args.no_validate) == ("127.0.0.1", 8765, None, False)


def test_missing_spec_warns_and_serves_unvalidated(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", str(tmp_path / "absent.json"))
    monkeypatch.delenv("OPENAI_EMULATOR_REQUIRE_SPEC", raising=False)
    with pytest.warns(RuntimeWarning, match="spec not found"):
        server = EmulatorServer()
    assert server.emulator.validator is None
    monkeypatch.setenv("OPENAI_EMULATOR_REQUIRE_SPEC", "1")
    with pytest.raises(FileNotFoundError):
        EmulatorServer()


def test_an_emulator_crash_is_recorded_as_a_violation(
    emulator: Any, client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openaiassistant.emulator import assistants_api

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(assistants_api, "_wire_tools", broken)
    with pytest.raises(openai.InternalServerError):
        client.beta.assistants.create(model="m", tools=[])
    problems = emulator.violations()
    assert len(problems) == 1 and "the emulator crashed: RuntimeError: bug" in problems[0]
    emulator.reset()  # the crash was on purpose: do not fail this test at teardown


def test_a_stream_is_logged_before_its_last_event(emulator: Any, client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="m")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    for _ in range(20):  # a client that stops at the final event always finds its request logged
        with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
            stream.until_done()
        runs = [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/runs")]
        assert runs[-1]["status"] == 200
        assert len(runs) == _ + 1


def test_a_request_from_before_a_clear_is_not_logged_after_it(emulator: Any) -> None:
    """A stream the server finishes after the log was cleared (a test's leftover) must not land
    in the next test's log."""
    import json

    import httpx

    emulator.add_fault(kind="stuck")
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    body = {"model": "gpt-4o-mini", "input": "hi", "stream": True, "background": True}
    with httpx.stream("POST", f"{emulator.base_url}/responses", json=body, headers=headers, timeout=10) as response:
        lines = response.iter_lines()
        created = next(json.loads(line[6:]) for line in lines if line.startswith("data: "))
        emulator.clear_requests()
        # the server ends the stream only now (the response is cancelled), and logs its request
        # before the stream's last byte leaves: read to the end
        httpx.post(f"{emulator.base_url}/responses/{created['response']['id']}/cancel", headers=headers, timeout=10)
        list(lines)
    assert [r["path"] for r in emulator.requests()] == [f"/v1/responses/{created['response']['id']}/cancel"]
