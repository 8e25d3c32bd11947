"""A turn as a trace: invoke_agent > chat per model round (> its requests) + execute_tool per
tool call; GenAI semantic-convention attributes, usage in detail, cost; retries as events;
tool content only when asked for; traceparent into HTTP tools. Both backends, streamed and
polled, through the real openai SDK against the emulator."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from openaiassistant.observability.prices import builtin_table
from openaiassistant.observability.testing import SpanCapture
from openaiassistant.observability.tracing import TRACER_NAME
from openaiassistant.tools import Toolbox

SCRIPT = {
    "rules": [
        {
            "match": r"disk on (?P<host>\S+)",
            "tool_calls": [{"name": "disk", "arguments": {"host": "{{ match.host }}"}}],
            "then": {"reply": "Usage: {{ tool_outputs.disk }}"},
        },
        {
            "match": "fetch the runbook",
            "tool_calls": [{"name": "runbook", "arguments": {"alert": "DiskFull"}}],
            "then": {"reply": "Runbook: {{ tool_outputs.runbook }}"},
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}


def disk_tools() -> Toolbox:
    registry = Toolbox()

    @registry.tool
    def disk(host: str) -> dict[str, str]:
        """Disk usage of a host.

        Args:
            host: the host name
        """
        return {"host": host, "used": "91%", "token": "sk-live-0123456789abcdefghij"}

    return registry


@pytest.fixture(autouse=True)
def _script(emulator: Any) -> None:
    emulator.load_script(SCRIPT)


def _ours(span: Any) -> bool:
    scope = span.instrumentation_scope
    return scope is not None and scope.name == TRACER_NAME


def attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_a_turn_with_a_tool_round_is_one_trace(make_assistant: Any, spans: SpanCapture, stream: bool) -> None:
    result = make_assistant(tools=disk_tools()).run_turn("disk on db-1", stream=stream)
    assert result.status == "completed"

    turn = spans.one("invoke_agent")
    # the capture takes every span the process ends while it is open: ours begun during the turn
    # are the turn's (one that an earlier test's background work began before it, or another
    # library's, such as Keep's own, is not)
    everything = [s for s in spans.spans() if s.start_time >= turn.start_time and _ours(s)]
    strays = [
        (s.name, s.start_time - turn.start_time) for s in everything if s.context.trace_id != turn.context.trace_id
    ]
    assert not strays, f"spans of ours begun during the turn outside its trace: {strays}"
    rounds = [s for s in SpanCapture.children(turn, everything) if s.name.startswith("chat")]
    tools = [s for s in SpanCapture.children(turn, everything) if s.name.startswith("execute_tool")]
    assert [s.name for s in rounds] == ["chat gpt-4o-mini", "chat gpt-4o-mini"]
    assert [attrs(s)["gen_ai.response.finish_reasons"] for s in rounds] == [("tool_calls",), ("stop",)]
    assert rounds[0].end_time <= tools[0].start_time and tools[0].end_time <= rounds[1].start_time
    # every request of ours is inside a round or the turn, named by what it does
    requests = [s for s in everything if s not in rounds and s not in tools and s is not turn]
    assert requests and all(s.parent is not None for s in requests)
    assert any(s.parent.span_id == rounds[0].context.span_id for s in requests)

    t = attrs(turn)
    assert t["gen_ai.operation.name"] == "invoke_agent"
    assert t["gen_ai.provider.name"] == "openai" and t["server.address"] == "127.0.0.1"
    assert t["gen_ai.conversation.id"] == result.thread_id
    assert t["gen_ai.request.model"] == "gpt-4o-mini" and t["openaiassistant.turn.status"] == "completed"
    assert t["gen_ai.usage.input_tokens"] == result.usage.input_tokens > 0
    assert t["gen_ai.usage.output_tokens"] == result.usage.output_tokens > 0
    assert t["openaiassistant.cost_usd"] == result.cost_usd > 0
    # the rounds' usage adds up to the turn's (Assistants report a run's usage when it ends)
    assert sum(attrs(s).get("gen_ai.usage.input_tokens", 0) for s in rounds) == result.usage.input_tokens
    assert {attrs(s).get("gen_ai.response.id") for s in rounds} >= {result.response_id or result.run_id}

    (tool,) = tools
    assert tool.name == "execute_tool disk"
    assert attrs(tool)["gen_ai.tool.name"] == "disk" and attrs(tool)["openaiassistant.tool.outcome"] == "ok"
    assert attrs(tool)["gen_ai.tool.call.id"] == result.tool_calls[0].call_id
    assert "gen_ai.tool.call.arguments" not in attrs(tool) and "gen_ai.tool.call.result" not in attrs(tool)


def test_tool_content_is_recorded_only_when_asked_and_never_a_secret(
    make_assistant: Any, spans: SpanCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    make_assistant(tools=disk_tools()).run_turn("disk on db-7")
    tool = attrs(spans.one("execute_tool"))
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"host": "db-7"}
    recorded = json.loads(tool["gen_ai.tool.call.result"])
    assert recorded["used"] == "91%" and recorded["token"] == "***"
    assert "sk-live" not in json.dumps([attrs(s) for s in spans.spans()], default=str)


def test_a_failing_tool_call_is_a_failed_span_and_the_turn_goes_on(make_assistant: Any, spans: SpanCapture) -> None:
    registry = Toolbox()

    @registry.tool
    def disk(host: str) -> str:
        """Disk usage.

        Args:
            host: the host
        """
        raise RuntimeError(f"{host} is unreachable")

    result = make_assistant(tools=registry).run_turn("disk on db-9")
    assert result.status == "completed" and result.tool_calls[0].error
    tool = spans.one("execute_tool")
    assert tool.status.is_ok is False and attrs(tool)["openaiassistant.tool.outcome"] == "error"
    assert "db-9 is unreachable" in (tool.status.description or "")
    assert spans.one("invoke_agent").status.is_ok  # a tool failure is data for the model


def test_a_retried_request_is_one_span_with_a_retry_event(
    emulator: Any, make_assistant: Any, spans: SpanCapture, backend: str
) -> None:
    path = r"/responses$" if backend == "responses" else r"/runs$"
    emulator.add_fault(kind="http_error", status=429, times=1, method="POST", path=path, retry_after=1)
    assert make_assistant().run_turn("hello there").status == "completed"
    retried = [s for s in spans.spans() if any(e.name == "retry" for e in s.events)]
    assert len(retried) == 1
    (event,) = retried[0].events
    assert event.attributes == {"attempt": 2, "previous_failure": "HTTP 429"}
    assert attrs(retried[0])["http.request.resend_count"] == 1
    assert retried[0].parent is not None  # inside the round that started the run


def test_a_failed_turn_is_a_failed_span_naming_the_error_kind(
    emulator: Any, make_assistant: Any, spans: SpanCapture
) -> None:
    emulator.add_fault(kind="run_failed", code="server_error", message="The model broke.")
    with pytest.raises(Exception, match="The model broke"):
        make_assistant().run_turn("hello there")
    turn = spans.one("invoke_agent")
    assert turn.status.is_ok is False and attrs(turn)["error.type"] == "RunFailedError"
    assert attrs(turn)["gen_ai.conversation.id"]
    (failed,) = [s for s in spans.spans("chat") if not s.status.is_ok]
    assert attrs(failed)["error.type"] == "server_error"


def test_an_http_tool_carries_the_tool_spans_traceparent(
    emulator: Any, make_assistant: Any, spans: SpanCapture, tool_server: Any
) -> None:
    registry = Toolbox()
    registry.add_http_tool(
        {
            "name": "runbook",
            "description": "The runbook of an alert.",
            "parameters": {"type": "object", "properties": {"alert": {"type": "string"}}, "required": ["alert"]},
            "url": f"{tool_server.url}/runbooks/{{alert}}",
        }
    )
    assert make_assistant(tools=registry).run_turn("fetch the runbook").status == "completed"
    (request,) = tool_server.requests
    version, trace_id, parent_id, flags = request.headers["traceparent"].split("-")
    tool = spans.one("execute_tool runbook")
    assert version == "00" and int(flags, 16) & 1  # sampled
    assert int(trace_id, 16) == tool.context.trace_id and int(parent_id, 16) == tool.context.span_id


@pytest.mark.parametrize("backend", ["responses"])  # Assistants run usage has no details in the API
def test_usage_details_are_summed_over_rounds_and_priced(
    emulator: Any, make_assistant: Any, spans: SpanCapture
) -> None:
    emulator.load_script(
        {
            "rules": [
                {
                    "match": r"disk on (?P<host>\S+)",
                    "reasoning_tokens": 7,
                    "tool_calls": [{"name": "disk", "arguments": {"host": "{{ match.host }}"}}],
                    "then": {"reply": "Usage: {{ tool_outputs.disk }}", "reasoning_tokens": 5},
                }
            ]
        }
    )
    assistant = make_assistant(tools=disk_tools(), model="o4-mini", instructions="You watch disks.")
    first = assistant.run_turn("disk on db-1")
    one, two = spans.spans("chat")
    u1, u2 = attrs(one), attrs(two)
    # round 2 re-reads round 1's prompt and output: the server's prompt cache serves them
    assert (
        u2["gen_ai.usage.cache_read.input_tokens"]
        == u1["gen_ai.usage.input_tokens"] + u1["gen_ai.usage.output_tokens"] - 7
    )
    assert "gen_ai.usage.cache_read.input_tokens" not in u1
    assert (u1["gen_ai.usage.reasoning.output_tokens"], u2["gen_ai.usage.reasoning.output_tokens"]) == (7, 5)
    assert first.usage.reasoning_tokens == 12
    assert first.usage.cached_tokens == u2["gen_ai.usage.cache_read.input_tokens"]
    assert first.to_dict()["usage"]["cached_tokens"] == first.usage.cached_tokens
    # o4-mini: 1.1 per 1M input, 0.275 cached, 4.4 output (reasoning is output)
    expected = sum(
        (Decimal(u["gen_ai.usage.input_tokens"] - u.get("gen_ai.usage.cache_read.input_tokens", 0)) * Decimal("1.1")
         + Decimal(u.get("gen_ai.usage.cache_read.input_tokens", 0)) * Decimal("0.275")
         + Decimal(u["gen_ai.usage.output_tokens"]) * Decimal("4.4")) / 1_000_000
        for u in (u1, u2)
    )  # fmt: skip
    assert first.cost_usd == float(round(expected, 8))
    assert builtin_table().price("o4-mini") is not None
    # the next turn on the conversation reads it from the cache too
    second = assistant.run_turn("disk on db-2", thread_id=first.thread_id)
    assert second.usage.cached_tokens > first.usage.cached_tokens


def test_without_a_price_the_cost_is_unknown_not_zero(make_assistant: Any) -> None:
    result = make_assistant(model="house-model-7").run_turn("hello")
    assert result.cost_usd is None and result.to_dict()["cost_usd"] is None
    priced = make_assistant(model="house-model-7", prices={"house-model-7": {"input": 1, "output": 2}}).run_turn("hi")
    usage = priced.usage
    assert priced.cost_usd == float(round(Decimal(usage.input_tokens * 1 + usage.output_tokens * 2) / 1_000_000, 8))


# (an Assistants run waiting for tool outputs has no usage yet: the API reports it when the run ends)
@pytest.mark.parametrize("backend", ["responses"])
def test_a_turn_waiting_for_approval_still_reports_what_it_used(
    emulator: Any, make_assistant: Any, spans: SpanCapture, tool_server: Any
) -> None:
    emulator.load_script(
        {
            "rules": [
                {
                    "match": "restart it",
                    "tool_calls": [{"name": "restart", "arguments": {"host": "db-1"}}],
                    "then": {"reply": "Restarted."},
                }
            ]
        }
    )
    registry = Toolbox()
    registry.add_http_tool(  # a POST tool waits for a person by default
        {
            "name": "restart",
            "description": "Restart a host.",
            "parameters": {"type": "object", "properties": {"host": {"type": "string"}}, "required": ["host"]},
            "method": "POST",
            "url": f"{tool_server.url}/restart/{{host}}",
        }
    )
    result = make_assistant(tools=registry).run_turn("restart it")
    assert result.status == "requires_approval" and tool_server.requests == []
    assert result.usage.total_tokens > 0 and result.cost_usd is not None and result.cost_usd > 0
    turn = attrs(spans.one("invoke_agent"))
    assert turn["openaiassistant.turn.status"] == "requires_approval"
    assert turn["gen_ai.usage.input_tokens"] == result.usage.input_tokens
    assert spans.one("invoke_agent").status.is_ok  # waiting for a person is no failure
