"""The MCP client against real servers: mcp-server-time (Python SDK) and server-everything
(TypeScript SDK), over stdio and Streamable HTTP, through the registry's real executor."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from typing import Any

import httpx
import pytest

from openaiassistant.redaction import register_secret
from openaiassistant.tools import Toolbox, ToolCall
from openaiassistant.tools.loader import add_mcp_server
from openaiassistant.tools.mcp import McpServerError, McpServers, McpServerSpec, mcp_tools

pytestmark = pytest.mark.timeout(90)


def registry_with(entry: dict[str, Any], servers: McpServers, **limits: Any) -> Toolbox:
    registry = Toolbox(**limits)
    add_mcp_server(registry, entry, where="test", servers=servers)
    return registry


def call(registry: Toolbox, name: str, arguments: dict[str, Any], call_id: str = "call_1") -> Any:
    [output] = registry.execute_round([ToolCall(call_id=call_id, name=name, arguments=json.dumps(arguments))])
    return output


def test_time_server_tools_are_listed_strict_and_called(time_command: list[str], servers: McpServers) -> None:
    registry = registry_with({"mcp": {"command": time_command}}, servers)
    definitions = {d.name: d for d in registry.definitions()}
    assert set(definitions) == {"get_current_time", "convert_time"}
    current = definitions["get_current_time"]
    assert current.strict is True
    assert current.parameters["required"] == ["timezone"]
    assert current.parameters["additionalProperties"] is False

    output = call(registry, "get_current_time", {"timezone": "Asia/Tokyo"})
    assert output.error is None
    data = json.loads(output.output)
    assert data["timezone"] == "Asia/Tokyo"
    assert data["datetime"].endswith("+09:00")


def test_allow_filters_the_tools_and_an_unknown_name_is_an_error(time_command: list[str], servers: McpServers) -> None:
    registry = registry_with({"mcp": {"command": time_command}, "allow": ["convert_time"]}, servers)
    assert registry.names() == ["convert_time"]
    with pytest.raises(McpServerError) as err:
        registry_with({"mcp": {"command": time_command}, "allow": ["get_weather"]}, servers)
    assert "get_weather" in str(err.value) and "convert_time, get_current_time" in str(err.value)


def test_prefix_and_mcp_names_become_valid_function_names(everything_command: list[str], servers: McpServers) -> None:
    registry = registry_with({"mcp": {"command": everything_command}, "allow": ["get-sum"], "prefix": "ev_"}, servers)
    assert registry.names() == ["ev_get-sum"]
    output = call(registry, "ev_get-sum", {"a": 2, "b": 40})
    assert "42" in json.loads(output.output)


def test_one_session_serves_every_registry_of_the_process(time_command: list[str], servers: McpServers) -> None:
    entry = {"mcp": {"command": time_command}, "allow": ["get_current_time"]}
    first = registry_with(entry, servers)
    second = registry_with(entry, servers)
    for registry in (first, second):
        assert call(registry, "get_current_time", {"timezone": "UTC"}).error is None
    assert servers.started == 1


def test_a_server_that_died_between_calls_is_restarted(time_command: list[str], servers: McpServers) -> None:
    entry = {"mcp": {"command": time_command}, "allow": ["get_current_time"]}
    registry = registry_with(entry, servers)
    session = servers.session(McpServerSpec.from_dict(entry))
    os.kill(session.transport.pid, signal.SIGKILL)  # type: ignore[attr-defined]
    session.transport._process.wait()  # type: ignore[attr-defined]

    output = call(registry, "get_current_time", {"timezone": "Europe/Berlin"})
    assert output.error is None, output.error
    assert json.loads(output.output)["timezone"] == "Europe/Berlin"
    assert servers.started == 2


def test_a_server_dying_during_a_call_is_an_error_output_and_not_sent_again(
    everything_command: list[str], servers: McpServers
) -> None:
    entry = {"mcp": {"command": everything_command}, "allow": ["trigger-long-running-operation", "echo"]}
    registry = registry_with(entry, servers)
    session = servers.session(McpServerSpec.from_dict(entry))
    pid = session.transport.pid  # type: ignore[attr-defined]

    def kill_when_called() -> None:
        # the call is in flight once the server has an unanswered request from us
        while not session._pending._waiting:  # noqa: SLF001
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_when_called)
    killer.start()
    output = call(registry, "trigger-long-running-operation", {"duration": 30, "steps": 3})
    killer.join()
    assert output.error is not None
    assert "may have run, so it was not sent again" in output.error
    assert "exited" in output.error
    assert servers.started == 1  # nothing was re-sent on a new session
    assert json.loads(call(registry, "echo", {"message": "again"}).output) == "Echo: again"
    assert servers.started == 2


def test_a_call_that_times_out_is_cancelled_and_the_session_stays_usable(
    everything_command: list[str], servers: McpServers
) -> None:
    entry = {"mcp": {"command": everything_command}, "allow": ["trigger-long-running-operation", "echo"]}
    registry = registry_with(entry, servers, call_timeout=1.0)
    output = call(registry, "trigger-long-running-operation", {"duration": 20, "steps": 2})
    assert output.error == "tool 'trigger-long-running-operation' timed out after 1 s"
    assert json.loads(call(registry, "echo", {"message": "still here"}).output) == "Echo: still here"
    assert servers.started == 1


def test_the_server_process_gets_its_env_and_not_ours(
    everything_command: list[str], servers: McpServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKER_DATABASE_PASSWORD", "hunter2-do-not-leak")
    monkeypatch.setenv("MCP_TEST_TOKEN", "tok-0123456789")
    entry = {"mcp": {"command": everything_command, "env": {"GREETING": "hello", "TOKEN": "${env:MCP_TEST_TOKEN}"}}}
    registry = registry_with({**entry, "allow": ["get-env"]}, servers)
    output = call(registry, "get-env", {})
    assert "hunter2-do-not-leak" not in output.output
    assert "WORKER_DATABASE_PASSWORD" not in output.output
    assert "hello" in output.output
    assert "tok-0123456789" not in output.output  # resolved into the server's env, redacted in what comes back
    assert "PATH" in output.output


def test_a_server_that_cannot_start_is_an_error_naming_it(servers: McpServers, tmp_path: Any) -> None:
    with pytest.raises(McpServerError) as err:
        registry_with({"mcp": {"command": ["no-such-mcp-server-xyz"]}, "name": "pager"}, servers)
    assert "MCP server 'pager' (stdio: no-such-mcp-server-xyz) could not start" in str(err.value)
    assert "not found on PATH" in str(err.value)

    crash = tmp_path / "crash.py"
    crash.write_text("import sys\nsys.stderr.write('missing GRAFANA_URL\\n')\nsys.exit(3)\n")
    import sys

    with pytest.raises(McpServerError) as err:
        registry_with({"mcp": {"command": [sys.executable, str(crash)]}}, servers)
    assert "exited with status 3" in str(err.value)
    assert "missing GRAFANA_URL" in str(err.value)


def test_streamable_http_lists_calls_and_returns_structured_content(everything_url: str, servers: McpServers) -> None:
    entry = {"mcp": {"url": everything_url}, "allow": ["echo", "get-structured-content", "get-sum"]}
    registry = registry_with(entry, servers)
    assert registry.names() == ["echo", "get-structured-content", "get-sum"]
    assert json.loads(call(registry, "echo", {"message": "over http"}).output) == "Echo: over http"
    weather = json.loads(call(registry, "get-structured-content", {"location": "Chicago"}).output)
    assert set(weather) == {"temperature", "conditions", "humidity"}
    session = servers.session(McpServerSpec.from_dict(entry))
    assert session.transport.session_id  # type: ignore[attr-defined]
    assert session.protocol_version == "2025-11-25"


def test_streamable_http_parallel_calls_share_one_session(everything_url: str, servers: McpServers) -> None:
    registry = registry_with({"mcp": {"url": everything_url}, "allow": ["get-sum"]}, servers)
    calls = [ToolCall(call_id=f"c{i}", name="get-sum", arguments=json.dumps({"a": i, "b": 100})) for i in range(6)]
    outputs = registry.execute_round(calls)
    assert [o.call_id for o in outputs] == [c.call_id for c in calls]
    for i, output in enumerate(outputs):
        assert f"is {i + 100}" in json.loads(output.output)
    assert servers.started == 1


def test_a_session_the_server_dropped_is_replaced_and_the_call_sent_once(
    everything_url: str, servers: McpServers
) -> None:
    entry = {"mcp": {"url": everything_url}, "allow": ["echo"]}
    registry = registry_with(entry, servers)
    session = servers.session(McpServerSpec.from_dict(entry))
    old = session.transport.session_id  # type: ignore[attr-defined]
    ended = httpx.delete(everything_url, headers={"Mcp-Session-Id": old, "MCP-Protocol-Version": "2025-11-25"})
    assert ended.status_code == 200

    output = call(registry, "echo", {"message": "after the drop"})
    assert output.error is None, output.error
    assert json.loads(output.output) == "Echo: after the drop"
    assert servers.started == 2
    assert servers.session(McpServerSpec.from_dict(entry)).transport.session_id != old  # type: ignore[attr-defined]


def test_credential_headers_never_show(everything_url: str, servers: McpServers) -> None:
    token = "mcp-bearer-secret-5d1e2f"
    spec = McpServerSpec.from_dict(
        {"mcp": {"url": everything_url, "headers": {"Authorization": "Bearer ${secret:tok}"}}, "allow": ["echo"]},
        secrets={"tok": token},
    )
    assert token not in repr(spec)
    [tool] = mcp_tools(spec, servers)
    register_secret(token)  # registered by the spec already; idempotent
    output = call(_registry(tool), "echo", {"message": f"say {token}"})
    assert token not in output.output and "***" in output.output


def _registry(*tools: Any) -> Toolbox:
    registry = Toolbox()
    for tool in tools:
        registry.add(tool)
    return registry
