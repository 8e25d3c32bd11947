"""backend: chat against real third-party chat-completions servers, with default settings.

The same servers as the rest of the suite (llama-stack and LiteLLM's proxy, installed from PyPI,
started on 127.0.0.1 in front of the emulator's scripted model): here only their
``/v1/chat/completions`` is used, the conversation being kept in a thread registry. The
upstream's request log shows what reached the model: the earlier turns of a continued
conversation (from the registry, not from the server), a tool round's outputs, the JSON mode.
Each result is a cell of docs/compatibility.md's chat rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.answer_formats import VERDICT_FORMAT
from tests.compat.helpers import disk_usage_tools, model_requests

from openaiassistant.assistant import Assistant
from openaiassistant.cli.main import main
from openaiassistant.errors import AssistantError, ServerUnavailableError
from openaiassistant.registry import ThreadRegistry
from openaiassistant.settings import AssistantSpec, ConnectionSettings

pytestmark = pytest.mark.timeout(180)
Cell = Callable[..., None]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "keep"


def assistant(server: Any, registry: ThreadRegistry, *, tools: Any = None, **connection: Any) -> Assistant:
    settings = ConnectionSettings(api_key=server.api_key, base_url=server.base_url, **connection)
    spec = AssistantSpec(backend="chat", model=server.model, instructions="You help SREs.")
    return Assistant(connection=settings, spec=spec, tools=tools, registry=registry)


@pytest.fixture
def registry(tmp_path: Path) -> ThreadRegistry:
    return ThreadRegistry(f"sqlite:///{tmp_path / 'threads.db'}")


def roles(request: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for message in (request.get("body") or {}).get("messages") or []:
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        out.append((str(message.get("role")), str(content or "")))
    return out


def test_chat_plain_turn(server: Any, upstream: Any, registry: ThreadRegistry, cell: Cell) -> None:
    result = assistant(server, registry, transport="poll").run_turn("hello compat chat", timeout=60)
    assert result.text == "Echo: hello compat chat" and result.backend == "chat"
    assert result.thread_id.startswith("oachat_")
    (sent,) = model_requests(upstream)
    assert roles(sent) == [("system", "You help SREs."), ("user", "hello compat chat")]
    cell("plain turn", "yes", backend="chat")
    usage = result.usage
    cell(
        "usage",
        f"yes ({usage.input_tokens} in, {usage.output_tokens} out)" if usage.total_tokens else "not reported",
        backend="chat",
    )


def test_chat_streamed_turn(server: Any, upstream: Any, registry: ThreadRegistry, cell: Cell) -> None:
    deltas: list[str] = []
    result = assistant(server, registry).run_turn("count slowly", on_text=deltas.append, timeout=60)
    assert result.text == "one two three four five six seven eight"
    assert "".join(deltas) == result.text and len(deltas) > 1
    usage = "usage in the last chunk" if result.usage.total_tokens else "no usage in the stream"
    cell("stream", f"yes ({usage})", backend="chat")


def test_chat_continued_from_the_registry(server: Any, upstream: Any, tmp_path: Path, cell: Cell) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = assistant(server, ThreadRegistry(url)).run_turn("remember: my host is db-7", timeout=60)
    assert first.text == "Noted."
    # another process, in effect: a new registry object on the same database
    second = assistant(server, ThreadRegistry(url)).run_turn("which host did I name?", thread_id=first.thread_id)
    assert second.text.count("remember: my host is db-7") == 1 and second.text.count("Noted.") == 1
    last = model_requests(upstream)[-1]
    assert roles(last) == [
        ("system", "You help SREs."),
        ("user", "remember: my host is db-7"),
        ("assistant", "Noted."),
        ("user", "which host did I name?"),
    ]
    cell(
        "continued (the model sees earlier turns)", "yes (the history resent from the thread registry)", backend="chat"
    )


def test_chat_tool_round(server: Any, upstream: Any, registry: ThreadRegistry, cell: Cell) -> None:
    tools, calls = disk_usage_tools()
    result = assistant(server, registry, tools=tools).run_turn("check disk on db-1", timeout=60)
    assert calls == ["db-1"]
    assert result.text == 'Disk of db-1: {"host": "db-1", "used_percent": 97}'
    first, second = model_requests(upstream)
    assert first["body"]["tools"][0]["function"]["name"] == "get_disk_usage"
    sent = second["body"]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[3]["tool_call_id"] == sent[2]["tool_calls"][0]["id"]
    assert json.loads(sent[3]["content"]) == {"host": "db-1", "used_percent": 97}
    cell("tools", "yes (streamed argument deltas assembled)", backend="chat")


def test_chat_json(server: Any, upstream: Any, registry: ThreadRegistry, cell: Cell) -> None:
    helper = assistant(server, registry)
    result = helper.run_turn("give the verdict as JSON", params={"response_format": "json_object"}, timeout=60)
    assert result.response == {"severity": "critical", "reason": "disk full"}
    assert model_requests(upstream)[-1]["body"].get("response_format") == {"type": "json_object"}
    cell("JSON (json_object)", "yes", backend="chat")
    again = helper.run_turn("give the verdict", params={"response_format": VERDICT_FORMAT}, timeout=60)
    assert again.response == {"severity": "critical", "reason": "disk full"}
    sent = model_requests(upstream)[-1]["body"].get("response_format") or {}
    cell(
        "JSON schema", "yes" if sent.get("type") == "json_schema" else f"answered; the model got {sent}", backend="chat"
    )


def test_chat_a_failing_model_in_the_servers_words(
    server: Any, upstream: Any, registry: ThreadRegistry, cell: Cell
) -> None:
    upstream.add_fault(
        kind="http_error", status=400, path="/chat/completions", message="upstream says: prompt rejected"
    )
    with pytest.raises(AssistantError) as caught:
        assistant(server, registry, max_retries=0).run_turn("hello failing", timeout=60)
    message = str(caught.value)
    assert "prompt rejected" in message and "Traceback" not in message
    assert caught.value.thread_id and caught.value.thread_id.startswith("oachat_")
    words = caught.value.message.split(" (thread_id=")[0]
    cell("error: the model fails", f"`{caught.value.kind}: {words[:110]}`", backend="chat")


def test_chat_a_dead_server(server: Any, registry: ThreadRegistry, cell: Cell) -> None:
    """The server stopped (its port closed): one error naming the URL and the cause."""
    from compat_servers import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = ConnectionSettings(api_key=server.api_key, base_url=url, max_retries=1)
    helper = Assistant(connection=settings, spec=AssistantSpec(backend="chat", model=server.model), registry=registry)
    with pytest.raises(ServerUnavailableError) as caught:
        helper.run_turn("hello", timeout=20)
    assert f"could not reach {url} (connection refused)" in str(caught.value)
    assert caught.value.thread_id and caught.value.thread_id.startswith("oachat_")
    words = caught.value.message.replace(url, "URL").split(";")[0]
    cell("error: the server is down", f"`{caught.value.kind}: {words}`", backend="chat")


def test_chat_cli_walkthrough(
    server: Any, upstream: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: Cell
) -> None:
    registry = f"sqlite:///{tmp_path / 'threads.db'}"

    def ask(*args: str) -> list[str]:
        return ["ask", "--backend", "chat", "--base-url", server.base_url, "--model", server.model,
                "--api-key", server.api_key, "--registry", registry, *args]  # fmt: skip

    assert main(ask("remember: my host is db-9", "--json")) == 0  # plain (the text not streamed)
    first = json.loads(capsys.readouterr().out)
    assert main(ask("which host did I name?", "--thread-id", first["thread_id"])) == 0  # streamed
    assert capsys.readouterr().out.count("remember: my host is db-9") == 1
    assert main(ask("hello polled chat", "--transport", "poll")) == 0
    assert capsys.readouterr().out.strip() == "Echo: hello polled chat"
    assert main(ask("give the verdict as JSON", "--response-format", "json_object", "--json")) == 0
    assert json.loads(capsys.readouterr().out)["response"] == {"severity": "critical", "reason": "disk full"}
    cell(
        "CLI (`ask`: plain, streamed, polled, continued, JSON)",
        "yes (`ask --backend chat --registry ...`)",
        backend="chat",
    )


def test_chat_keep_self_hosted_triage_workflow(
    server: Any, upstream: Any, tmp_path: Path, request: pytest.FixtureRequest, cell: Cell
) -> None:
    request.getfixturevalue("keep_env")
    from openaiassistant.demo.sample_services import SampleServices
    from openaiassistant.harness import runner

    providers = yaml.safe_load((EXAMPLES / "providers.yaml").read_text())
    providers["local-llm"]["authentication"].update(
        api_key=server.api_key,
        base_url=server.base_url,
        model=server.model,
        registry_url=f"sqlite:///{tmp_path / 'threads.db'}",
    )
    providers_file = tmp_path / "providers.yaml"
    providers_file.write_text(yaml.safe_dump(providers))
    workflow = yaml.safe_load((EXAMPLES / "self-hosted-triage.yaml").read_text())
    alert = {"name": "DiskFull", "host": "db-1", "description": "disk / is 97% full", "severity": "critical",
             "status": "firing", "fingerprint": "diskfull-db-1"}  # fmt: skip
    with SampleServices() as services:
        workflow["workflow"]["consts"]["metrics_url"] = services.url
        run = runner.run_workflow(workflow, alert=runner.make_alert(alert), providers_file=providers_file)
        assert sorted(services.requests) == ["/hosts/db-1", "/runbooks/DiskFull"]  # each tool once
    assert run.error is None, run.error
    triage, brief = run.results("triage"), run.results("brief")
    assert triage["backend"] == "chat" and triage["response"]["severity"] == "critical"
    assert brief["thread_id"] == triage["thread_id"] and brief["text"].startswith("On-call note:")
    last = model_requests(upstream)[-1]
    assert [r for r, _ in roles(last)] == ["user", "assistant", "tool", "tool", "assistant", "user"]
    cell("Keep workflow (sse: tools, JSON, continued, streamed)", "yes (self-hosted-triage.yaml)", backend="chat")
