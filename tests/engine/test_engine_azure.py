"""Azure OpenAI: the v1 endpoint and dated api-versions, deployment names as the model, the
key in the ``api-key`` header; against the emulator playing Azure's URL layout."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.cli.main import main
from openaiassistant.errors import ConfigError
from openaiassistant.settings import AssistantSpec, ConnectionSettings

KEY = "azure-key-0123456789abcdef"


@pytest.fixture
def azure(emulator: Any) -> Any:
    emulator.emulator.required_api_key = KEY
    yield emulator
    emulator.emulator.required_api_key = None


def _turn(settings: ConnectionSettings, model: str | None = "my-gpt4o-deployment") -> Any:
    assistant = Assistant(connection=settings, spec=AssistantSpec(model=model))
    first = assistant.run_turn("hello azure", timeout=30)
    second = assistant.run_turn("and again", thread_id=first.thread_id, timeout=30)
    return first, second


def test_the_v1_endpoint(azure: Any) -> None:
    first, second = _turn(ConnectionSettings(api_key=KEY, azure_endpoint=azure.url))
    assert (first.text, second.text) == ("Echo: hello azure", "Echo: and again")
    asked = [e.get("azure_path") for e in azure.requests()]
    assert "/openai/v1/conversations" in asked and "/openai/v1/responses" in asked
    bodies = [e["body"] for e in azure.requests() if e["path"] == "/v1/responses"]
    assert {b["model"] for b in bodies} == {"my-gpt4o-deployment"}


def test_a_dated_api_version_sends_the_key_in_api_key(azure: Any) -> None:
    settings = ConnectionSettings(api_key=KEY, azure_endpoint=azure.url, api_version="2025-04-01-preview")
    first, second = _turn(settings)
    assert second.thread_id == first.thread_id and second.text == "Echo: and again"
    entries = [e for e in azure.requests() if e["path"] == "/v1/responses"]
    assert {e["azure_path"] for e in entries} == {"/openai/responses"}
    assert all("api-version=2025-04-01-preview" in e["query"] for e in entries)


def test_the_deployment_is_the_model_when_no_model_is_given(azure: Any) -> None:
    settings = ConnectionSettings(api_key=KEY, azure_endpoint=azure.url, azure_deployment="dep-1")
    first, _ = _turn(settings, model=None)
    assert first.model == "dep-1"


def test_azure_paths_without_api_version_are_refused(azure: Any) -> None:
    answer = httpx.post(f"{azure.url}/openai/responses", headers={"api-key": KEY}, json={"model": "m", "input": "x"})
    assert answer.status_code == 404 and "api-version" in answer.json()["error"]["message"]


def test_api_version_checks() -> None:
    with pytest.raises(ConfigError, match="api_version"):
        ConnectionSettings(api_key=KEY, azure_endpoint="https://r.openai.azure.com", api_version="yesterday").validate()
    with pytest.raises(ConfigError, match="azure_endpoint"):
        ConnectionSettings(api_key=KEY, api_version="2025-04-01-preview").validate()
    v1 = ConnectionSettings(api_key=KEY, azure_endpoint="https://r.openai.azure.com/")
    assert v1.azure_v1 and v1.azure_v1_url() == "https://r.openai.azure.com/openai/v1"


def test_the_cli_on_azure(azure: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    argv = ["ask", "hello from azure", "--azure-endpoint", azure.url, "--model", "dep-2", "--no-stream"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == "Echo: hello from azure"
    dated = [*argv, "--api-version", "2025-04-01-preview"]
    assert main(dated) == 0
    assert capsys.readouterr().out.strip() == "Echo: hello from azure"
