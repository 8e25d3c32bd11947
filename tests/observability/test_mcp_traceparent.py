"""An MCP server over Streamable HTTP receives the tool call's trace context: the real
server-everything (npm) reports the ``traceparent`` of each request it gets (a header-logging
wrapper, serve_http_traced.mjs); it names our ``execute_tool`` span."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.tools.mcp.real_servers import everything_package, mcp_dir  # noqa: F401

from openaiassistant.observability.testing import SpanCapture
from openaiassistant.tools import Toolbox
from openaiassistant.tools.loader import add_mcp_server
from openaiassistant.tools.mcp import McpServers

HERE = Path(__file__).resolve().parent


@pytest.fixture
def traced_everything(everything_package: Path) -> Iterator[tuple[str, list[str]]]:  # noqa: F811
    process = subprocess.Popen(
        ["node", str(HERE / "serve_http_traced.mjs"), str(everything_package)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        port = None
        for line in process.stderr:
            if line.startswith("LISTENING "):
                port = int(line.split()[1])
                break
        if port is None:
            pytest.fail(f"server-everything did not start over HTTP (exit {process.wait()})")
        stderr = process.stderr

        def drain() -> None:
            for line in stderr:
                if line.startswith("TRACEPARENT "):
                    seen.append(line.split()[1])

        threading.Thread(target=drain, daemon=True).start()
        yield f"http://127.0.0.1:{port}/mcp", seen
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("backend", ["responses"])
def test_an_mcp_http_call_carries_the_tool_spans_traceparent(
    emulator: Any, make_assistant: Any, spans: SpanCapture, traced_everything: tuple[str, list[str]]
) -> None:
    url, seen = traced_everything
    emulator.load_script(
        {
            "rules": [
                {
                    "match": "say hi",
                    "tool_calls": [{"name": "echo", "arguments": {"message": "hi"}}],
                    "then": {"reply": "It said: {{ tool_outputs.echo }}"},
                }
            ]
        }
    )
    pool = McpServers()
    try:
        registry = Toolbox()
        add_mcp_server(registry, {"mcp": {"url": url}, "allow": ["echo"]}, where="test", servers=pool)
        assert seen == []  # the session was opened outside any span: nothing to propagate
        result = make_assistant(tools=registry).run_turn("say hi")
    finally:
        pool.close()
    assert result.status == "completed" and "Echo: hi" in result.text
    tool = spans.one("execute_tool echo")
    ours = [t for t in seen if int(t.split("-")[1], 16) == tool.context.trace_id]
    assert ours and all(int(t.split("-")[2], 16) == tool.context.span_id for t in ours)
