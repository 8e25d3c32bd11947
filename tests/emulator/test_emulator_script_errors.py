"""A script or a start that cannot work says so in one line (issue 10): a missing script file,
a bad regex, unknown keys, a port in use; no traceback from the CLI."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from openaiassistant.cli.main import main
from openaiassistant.emulator.script import ScriptError, load_script


@pytest.mark.parametrize(
    ("script", "says"),
    [
        ("/no/such/script.yaml", "no script file"),
        ("tirage", "no script file"),  # a typo of the bundled "triage"
        ({"rules": [{"match": "(unclosed", "reply": "x"}]}, "bad regex"),
        ({"rulez": []}, "script: unknown field 'rulez'; known fields:"),
        ({"rules": [{"mach": "x", "reply": "x"}]}, "script.rules[0]: unknown field 'mach'"),
        ({"rules": [{"default": True, "then": {"replly": "x"}}]}, "script.rules[0].then: unknown field 'replly'"),
        (
            {"rules": [{"match": "x", "tool_calls": [{"name": "f", "args": {}}]}]},
            "script.rules[0].tool_calls[0]: unknown field 'args'",
        ),
        ({"latency": {"first_token": 5}}, "script.latency: unknown field 'first_token'; known fields: first_token_ms"),
        ({"latency": {"run_ms": "soon"}}, "must be a number"),
        ({"context_window": "big"}, "context_window"),
        ("rules: [unclosed", "not valid YAML"),
        ({"rules": {"match": "x"}}, "script.rules: must be a list"),
    ],
)
def test_bad_scripts_are_script_errors(script: Any, says: str) -> None:
    with pytest.raises(ScriptError) as info:
        load_script(script)
    assert says in str(info.value)


def test_raw_arguments_reach_the_client_as_written(emulator: Any) -> None:
    import openai

    emulator.load_script(
        {
            "rules": [
                {"match": "x", "tool_calls": [{"name": "f", "raw_arguments": "{not json"}], "then": {"reply": "ok"}}
            ]
        }
    )
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}, "strict": False}]
    response = client.post("/responses", body={"model": "m", "input": "x", "tools": tools}, cast_to=object)
    (call,) = [item for item in response["output"] if item["type"] == "function_call"]
    assert call["arguments"] == "{not json"


def _cli(capsys: Any, *argv: str) -> tuple[int, str]:
    code = main(["emulator", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def test_cli_bad_script_is_one_line(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('rules:\n  - match: "(oops"\n    reply: x\n')
    for script in (str(tmp_path / "missing.yaml"), str(bad)):
        code, err = _cli(capsys, "--port", "0", "--script", script)
        assert code == 2
        assert len(err.strip().splitlines()) == 1 and err.startswith("error:")


def test_cli_port_in_use_is_one_line(capsys: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = _cli(capsys, "--port", str(port))
    assert code == 1
    assert f"127.0.0.1:{port}" in err and "in use" in err
