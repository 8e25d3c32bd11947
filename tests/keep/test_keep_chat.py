"""backend: chat in Keep's real parser and workflow engine, against the emulator's chat
completions: examples/keep/self-hosted-triage.yaml (a tool round through Keep's http provider,
a bare JSON schema in structured_output_format, system_prompt, max_tokens) and its follow-up
step continuing the conversation from the thread registry; a missing registry_url refused at
parse time; an unreachable server failing the step with one clear line."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.keep.conftest import API_KEY, EXAMPLES
from tests.keep.samples import FIRING_DISK_ALERT

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)


def _providers(tmp_path: Path, **auth: Any) -> Path:
    providers = yaml.safe_load((EXAMPLES / "providers.yaml").read_text())
    providers["local-llm"]["authentication"].update(auth)
    path = tmp_path / "providers.yaml"
    path.write_text(yaml.safe_dump(providers))
    return path


def _run(workflow: dict, providers_file: Path, alert: dict = FIRING_DISK_ALERT) -> Any:
    from openaiassistant.harness import runner

    return runner.run_workflow(workflow, alert=runner.make_alert(alert), providers_file=providers_file)


def _chat_requests(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]


def test_self_hosted_triage_example_with_its_follow_up_step(
    keep_env: Path, example_emulator: Any, services: Any, example: Any, tmp_path: Path
) -> None:
    registry_url = f"sqlite:///{tmp_path}/threads.db"
    providers = _providers(tmp_path, api_key=API_KEY, base_url=example_emulator.base_url, registry_url=registry_url)
    example_emulator.clear_requests()

    run = _run(example("self-hosted-triage.yaml", metrics_url=services.url), providers)

    assert run.error is None
    triage = run.results("triage")
    assert triage["backend"] == "chat" and triage["status"] == "completed"
    assert triage["thread_id"].startswith("oachat_")
    assert triage["response"]["severity"] == "critical"
    assert {c["name"] for c in triage["tool_calls"]} == {"get_host_metrics", "get_runbook"}
    first, second, third = _chat_requests(example_emulator)
    body = first["body"]
    assert body["messages"][0] == {
        "role": "system",
        "content": "You are an SRE assistant. Use the tools you are given; be brief and concrete.",
    }
    assert body["max_tokens"] == 512
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["severity", "action", "reason"]
    assert [m["role"] for m in second["body"]["messages"]] == ["system", "user", "assistant", "tool", "tool"]
    # the follow-up step: the same conversation, resent from the registry with its tool round
    brief = run.results("brief")
    assert brief["thread_id"] == triage["thread_id"]
    assert brief["text"].startswith("On-call note:")
    # (system_prompt was the triage step's: this step sends none)
    roles = [m["role"] for m in third["body"]["messages"]]
    assert roles == ["user", "assistant", "tool", "tool", "assistant", "user"]
    assert json.loads(third["body"]["messages"][4]["content"])["severity"] == "critical"
    assert "PAGE on-call: DiskFull on db-1 is critical." in run.results("page-on-call")
    # the registry files it under the alert's fingerprint
    from openaiassistant.registry import ThreadRegistry

    (found,) = ThreadRegistry(registry_url).find(fingerprint="diskfull-db-1")
    assert found.thread_id == triage["thread_id"] and found.backend == "chat"


def test_backend_chat_without_registry_url_is_refused_naming_it(
    keep_env: Path, example_emulator: Any, example: Any, tmp_path: Path
) -> None:
    providers = yaml.safe_load((EXAMPLES / "providers.yaml").read_text())
    del providers["local-llm"]["authentication"]["registry_url"]
    path = tmp_path / "providers.yaml"
    path.write_text(yaml.safe_dump(providers))

    from keep.exceptions.provider_exception import ProviderException

    example_emulator.clear_requests()
    with pytest.raises(ProviderException, match="local-llm: invalid registry_url: required with backend chat"):
        _run(example("self-hosted-triage.yaml"), path)  # when Keep parses the workflow
    assert _chat_requests(example_emulator) == []


def test_an_unreachable_server_fails_the_step_with_one_clear_line(
    keep_env: Path, example_emulator: Any, example: Any, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    providers = _providers(
        tmp_path, base_url=f"http://127.0.0.1:{port}/v1", registry_url=f"sqlite:///{tmp_path}/threads.db"
    )

    run = _run(example("self-hosted-triage.yaml"), providers)

    message = str(run.error)
    assert f"could not reach http://127.0.0.1:{port}/v1" in message
    assert "ServerUnavailableError" in message and "oachat_" in message
    assert "Traceback" not in message and "\n" not in message.strip()


def test_install_checks_the_chat_servers_key_and_model(keep_env: Path, example_emulator: Any, tmp_path: Path) -> None:
    from keep.contextmanager.contextmanager import ContextManager
    from keep.providers.providers_factory import ProvidersFactory

    example_emulator.load_script({"models": ["llama3.1:8b"], "rules": [{"default": True, "reply": "ok"}]})
    auth = {
        "api_key": API_KEY,
        "backend": "chat",
        "base_url": example_emulator.base_url,
        "model": "llama3.1:8b",
        "registry_url": f"sqlite:///{tmp_path}/threads.db",
    }

    def scopes(**overrides: Any) -> dict:
        config = {"authentication": {**auth, **overrides}}
        provider = ProvidersFactory.get_provider(ContextManager(tenant_id="keep"), "check", "openaiassistant", config)
        return provider.validate_scopes()

    assert scopes() == {"authenticated": True, "assistant_available": True}
    missing = scopes(model="mistral:7b")
    assert missing["authenticated"] is True
    assert (
        "'mistral:7b' is not served" in missing["assistant_available"]
        and "llama3.1:8b" in missing["assistant_available"]
    )
