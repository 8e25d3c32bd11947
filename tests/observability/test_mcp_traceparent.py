"""An MCP server over Streamable HTTP receives the tool call's trace context: the real
server-everything (npm) reports the ``traceparent`` of each request it gets (a header-logging
wrapper, serve_http_traced.mjs); it names our ``execute_tool`` span."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.tools.mcp.real_servers import everything_package, mcp_dir, served_over_http  # noqa: F401

from openaiassistant.observability.testing import SpanCapture
from openaiassistant.tools import Toolbox
from openaiassistant.tools.loader import add_mcp_server
from openaiassistant.tools.mcp import McpServers

HERE = Path(__file__).resolve().parent


@pytest.fixture
def traced_everything(everything_package: Path) -> Iterator[tuple[str, list[str]]]:  # noqa: F811
    seen: list[str] = []

    def note(line: str) -> None:
        if line.startswith("TRACEPARENT "):
            seen.append(line.split()[1])

    with served_over_http(HERE / "serve_http_traced.mjs", everything_package, on_line=note) as url:
        yield url, seen


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
