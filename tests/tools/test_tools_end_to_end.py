"""HTTP tools in real turns: the real Assistant and openai SDK against the emulator's scripted
tool calls, on both backends, streamed and polled. The model's arguments try to leave the tool's
origin; a redirect tries to send the call elsewhere; the secret header must stay out of
everything the model, the result and the logs see."""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any

import openai
import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools import Toolbox

pytestmark = pytest.mark.timeout(60)
warnings.filterwarnings("ignore", category=DeprecationWarning)

SECRET = "e2e-header-secret-7f3a9c"


def script(evil_host: str) -> dict[str, Any]:
    return {
        "rules": [
            {
                "match": "look up",
                "tool_calls": [
                    {"name": "get_item", "arguments": {"item": f"../admin@{evil_host}"}},
                    {"name": "bounce", "arguments": {"item": "x"}},
                ],
                "then": {"reply": "Done: {{ tool_outputs_json }}"},
            },
            {"default": True, "reply": "Echo: {{ input }}"},
        ]
    }


def tool_spec(name: str, url: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"The {name} tool.",
        "parameters": {
            "type": "object",
            "properties": {"item": {"type": "string"}},
            "required": ["item"],
            "additionalProperties": False,
        },
        "strict": True,
        "url": url,
        "headers": {"Authorization": "Bearer ${secret:api}"},
    }


@pytest.mark.parametrize("backend", ["responses", "assistants"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "poll"])
def test_http_tools_in_a_turn_stay_on_their_origin_and_keep_secrets(
    emulator: Any,
    tool_server: Any,
    evil_server: Any,
    backend: str,
    stream: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    evil_host = evil_server.url.removeprefix("http://")
    tool_server.redirect_target = f"{evil_server.url}/steal"
    emulator.load_script(script(evil_host))
    registry = Toolbox()
    registry.add_http_tool(tool_spec("get_item", f"{tool_server.url}/items/{{item}}"), secrets={"api": SECRET})
    registry.add_http_tool(tool_spec("bounce", f"{tool_server.url}/redirect/other/{{item}}"), secrets={"api": SECRET})

    spec: dict[str, Any] = {"backend": backend, "model": "gpt-4o-mini"}
    if backend == "assistants":
        client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
        spec["assistant_id"] = client.beta.assistants.create(model="gpt-4o-mini", instructions="You help.").id
    assistant = Assistant(
        connection=ConnectionSettings(api_key="sk-test-tools-e2e-key", base_url=emulator.base_url),
        spec=AssistantSpec(**spec),
        tools=registry,
    )
    with caplog.at_level(logging.DEBUG):
        result = assistant.run_turn("look up the item", stream=stream, timeout=30)

    assert result.status == "completed" and result.text.startswith("Done: ")
    fetched, bounced = result.tool_calls
    assert fetched.error is None
    assert json.loads(fetched.output)["body"]["path"] == f"/items/..%2Fadmin%40{evil_host.replace(':', '%3A')}"
    assert bounced.error is not None and "redirect to another origin" in bounced.error
    assert evil_server.requests == []
    assert all(r.headers.get("Authorization") == f"Bearer {SECRET}" for r in tool_server.requests)

    # What the model was sent (tool definitions and outputs), the result and the logs.
    sent_to_model = json.dumps(emulator.requests(), default=str)
    assert '"get_item"' in sent_to_model and "redirect to another origin" in sent_to_model
    for text in (sent_to_model, json.dumps(result.to_dict(), default=str), caplog.text):
        assert SECRET not in text
