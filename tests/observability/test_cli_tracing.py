"""``openaiassistant ask`` with the standard OTEL_* environment, as a user runs it (a separate
process): OTEL_TRACES_EXPORTER=console prints the turn's spans on stderr (stdout keeps only the
answer); OTEL_TRACES_EXPORTER=otlp exports them to a real OTLP/HTTP receiver (Arize Phoenix),
which stores them as one trace we read back through its REST API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

SCRIPT = {
    "rules": [
        {
            "match": "fetch the runbook",
            "tool_calls": [{"name": "runbook", "arguments": {"alert": "DiskFull"}}],
            "then": {"reply": "Runbook fetched: {{ tool_outputs.runbook }}"},
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}
CLI = Path(sys.executable).with_name("openaiassistant")


def tools_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "tools.yaml"
    path.write_text(
        "tools:\n"
        "  - name: runbook\n"
        "    description: The runbook of an alert.\n"
        "    parameters: {type: object, properties: {alert: {type: string}}, required: [alert]}\n"
        f"    url: {url}/runbooks/{{alert}}\n"
    )
    return path


def ask(emulator: Any, tmp_path: Path, tool_url: str, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    emulator.load_script(SCRIPT)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    environ.update(OPENAI_API_KEY="sk-test-cli-tracing-key", **env)
    command = [str(CLI), "ask", "fetch the runbook", "--base-url", emulator.base_url, "--model", "gpt-4o-mini"]
    command += ["--tools", str(tools_file(tmp_path, tool_url)), *extra]
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def console_spans(stderr: str) -> list[dict[str, Any]]:
    """The JSON objects ConsoleSpanExporter wrote, among the CLI's own stderr lines."""
    decoder, spans, at = json.JSONDecoder(), [], 0
    while (at := stderr.find('{\n    "name": ', at)) != -1:
        span, end = decoder.raw_decode(stderr, at)
        spans.append(span)
        at = end
    return spans


def test_console_exporter_prints_the_turns_spans_on_stderr(emulator: Any, tmp_path: Path, tool_server: Any) -> None:
    done = ask(emulator, tmp_path, tool_server.url, OTEL_TRACES_EXPORTER="console")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Runbook fetched: ") and '"name"' not in done.stdout
    spans = console_spans(done.stderr)
    names = [s["name"] for s in spans]
    assert names.count("invoke_agent gpt-4o-mini") == 1 and names.count("chat gpt-4o-mini") == 2
    assert "execute_tool runbook" in names
    turn = next(s for s in spans if s["name"].startswith("invoke_agent"))
    assert turn["resource"]["attributes"]["service.name"] == "openaiassistant"
    assert turn["attributes"]["gen_ai.operation.name"] == "invoke_agent"
    assert turn["attributes"]["gen_ai.usage.input_tokens"] > 0
    assert {s["context"]["trace_id"] for s in spans} == {turn["context"]["trace_id"]}
    # the summary line says what the turn cost
    assert "$0.0" in done.stderr.splitlines()[-1]


def test_no_exporter_means_no_spans_and_a_missing_exporter_is_one_warning(
    emulator: Any, tmp_path: Path, tool_server: Any
) -> None:
    quiet = ask(emulator, tmp_path, tool_server.url)
    assert quiet.returncode == 0 and console_spans(quiet.stderr) == []
    odd = ask(emulator, tmp_path, tool_server.url, OTEL_TRACES_EXPORTER="zipkin_json")
    assert odd.returncode == 0 and odd.stdout.startswith("Runbook fetched: ")
    assert "no exporter 'zipkin_json' is installed" in odd.stderr and "Traceback" not in odd.stderr
    off = ask(emulator, tmp_path, tool_server.url, OTEL_TRACES_EXPORTER="console", OTEL_SDK_DISABLED="true")
    assert off.returncode == 0 and console_spans(off.stderr) == []


def test_otlp_export_reaches_a_real_receiver_as_one_trace(
    emulator: Any, tmp_path: Path, tool_server: Any, otlp_receiver: Any
) -> None:
    service = f"oa-test-{uuid.uuid4().hex[:8]}"
    done = ask(
        emulator,
        tmp_path,
        tool_server.url,
        "--json",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp_receiver.url,
        OTEL_SERVICE_NAME=service,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (request,) = tool_server.requests
    trace_id = request.headers["traceparent"].split("-")[1]  # the HTTP tool got the trace's context

    spans = otlp_receiver.spans(trace_id, at_least=5)
    by_name = {s["name"]: s for s in spans}
    turn, tool = by_name["invoke_agent gpt-4o-mini"], by_name["execute_tool runbook"]
    rounds = [s for s in spans if s["name"] == "chat gpt-4o-mini"]
    assert turn["parent_id"] is None and len(rounds) == 2
    turn_id = turn["context"]["span_id"]
    assert {r["parent_id"] for r in rounds} == {turn_id} and tool["parent_id"] == turn_id
    assert request.headers["traceparent"].split("-")[2] == tool["context"]["span_id"]
    requests = [s for s in spans if s not in rounds and s is not turn and s is not tool]
    assert requests and {s["parent_id"] for s in requests} <= {turn_id, *(r["context"]["span_id"] for r in rounds)}
    # what we sent is what it stored
    attributes = turn["attributes"]
    assert attributes["gen_ai.conversation.id"] == result["thread_id"]
    assert attributes["gen_ai.usage.input_tokens"] == result["usage"]["input_tokens"]
    assert attributes["openaiassistant.cost_usd"] == pytest.approx(result["cost_usd"])
    assert tool["attributes"]["gen_ai.tool.name"] == "runbook"
    # Phoenix read the GenAI conventions: an agent turn, LLM rounds, a tool call
    assert (turn["span_kind"], rounds[0]["span_kind"], tool["span_kind"]) == ("AGENT", "LLM", "TOOL")
