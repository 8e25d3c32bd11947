"""Which HTTP tool values become secrets, and what the model then receives.

Only values from sensitive sources are registered: ``${env:...}``/``${secret:...}`` references
and the values of credential headers (Authorization, Proxy-Authorization, Cookie, ``*-Token``,
``*-Key``, ``*-Secret``, ``*api-key*``). Headers that merely mention "auth" or "key"
(``X-Auth-Mode: passthrough``) are configuration, not credentials; registering them would
replace those words in every later output of the process.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import openai
import pytest

from openaiassistant import redaction
from openaiassistant.assistant import Assistant
from openaiassistant.redaction import redact
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools import Toolbox

pytestmark = pytest.mark.timeout(60)
warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture(autouse=True)
def _isolated_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    # The registered secrets are process-wide: give each test its own copy.
    monkeypatch.setattr(redaction, "_extra_secrets", set(redaction._extra_secrets))


NOT_SECRET_HEADERS = {
    "X-Auth-Mode": "passthrough-mode",
    "X-Api-Key-Enabled": "true",  # names an API key, but 'true' is too short to be one
    "X-Keyboard-Layout": "colemak-layout",
    "X-Authored-By": "platform-team",
    "Accept": "application/json",
}
SECRET_HEADERS = {
    "Authorization": "Basic dXNlcjpwYXNzd29yZA==",
    "Proxy-Authorization": "Bearer proxy-credential-1",
    "Cookie": "session=cookie-session-0042",
    "X-Vault-Token": "vault-literal-token-123",
    "X-Goog-Api-Key": "goog-literal-key-456",
    "X-Client-Secret": "client-literal-secret-789",
    "Private-Key": "private-literal-key-000",
}


def http_spec(url: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "name": "metrics",
        "description": "Read metrics.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
        "url": url,
        "headers": headers,
    }


def test_only_credential_headers_and_references_are_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OA_TEST_REDACTION_ENV", "from-the-environment-1")
    registry = Toolbox()
    registry.add_http_tool(
        http_spec(
            "http://127.0.0.1:9/metrics",
            {
                **NOT_SECRET_HEADERS,
                **SECRET_HEADERS,
                "X-Team": "${secret:team}",
                "X-Region": "${env:OA_TEST_REDACTION_ENV}",
            },
        ),
        secrets={"team": "team-from-secret-store"},
    )
    for value in NOT_SECRET_HEADERS.values():
        assert redact(f"value: {value}") == f"value: {value}"
    for value in (
        "dXNlcjpwYXNzd29yZA==",
        "proxy-credential-1",
        "session=cookie-session-0042",
        "vault-literal-token-123",
        "goog-literal-key-456",
        "client-literal-secret-789",
        "private-literal-key-000",
        "team-from-secret-store",
        "from-the-environment-1",
    ):
        assert redact(f"value: {value}") == "value: ***", value
    # The scheme word alone is not a secret (it is shorter than 8 characters anyway).
    assert redact("Basic and Bearer") == "Basic and Bearer"


SCRIPT = {
    "rules": [
        {
            "match": "health",
            "tool_calls": [{"name": "health", "arguments": {}}],
            "then": {"reply": "Health: {{ tool_outputs.health }}"},
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}

HEALTH = {
    "ok": True,
    "degraded": False,
    "auth_type": "none",
    "mode": "passthrough-mode",
    "layout": "colemak-layout",
    "job": "disk-usage-report-db1",
    "runner": "task-runner-nightly-2026",
}


@pytest.mark.parametrize("backend", ["responses", "assistants"])
def test_the_model_gets_tool_results_unchanged_and_valid_json(emulator: Any, tool_server: Any, backend: str) -> None:
    """The review's probe: after an HTTP tool with harmless 'auth'/'key' headers is loaded, a
    Python tool's ``{"ok": true}`` reached the model as ``{"ok": ***}``."""
    emulator.load_script(SCRIPT)
    registry = Toolbox()
    registry.add_http_tool(http_spec(f"{tool_server.url}/metrics", NOT_SECRET_HEADERS))

    @registry.tool
    def health() -> dict:
        """Health of the platform."""
        return HEALTH

    spec: dict[str, Any] = {"backend": backend, "model": "gpt-4o-mini"}
    if backend == "assistants":
        client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
        spec["assistant_id"] = client.beta.assistants.create(model="gpt-4o-mini", instructions="You help.").id
    assistant = Assistant(
        connection=ConnectionSettings(api_key="sk-test-redaction-e2e-key", base_url=emulator.base_url),
        spec=AssistantSpec(**spec),
        tools=registry,
    )
    result = assistant.run_turn("health please", stream=True, timeout=30)

    assert result.status == "completed"
    [record] = result.tool_calls
    assert record.error is None and json.loads(record.output) == HEALTH
    # What the model was given, as the emulator saw it.
    assert json.loads(result.text.removeprefix("Health: ")) == HEALTH
