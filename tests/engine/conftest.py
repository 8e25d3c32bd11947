"""Engine tests: the real Assistant, the real openai SDK, real HTTP to the emulator.

``make_assistant`` builds an Assistant for the parametrized ``backend`` (responses | assistants)
against the emulator, with a fake clock whose ``sleep`` only advances time, so polling, backoff
and deadlines never wait on the wall clock. ``Tools`` is a tiny Toolset for these tests.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from typing import Any

import openai
import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.registry import ThreadRegistry
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools.base import ToolCall, ToolDefinition, ToolOutput

warnings.filterwarnings("ignore", category=DeprecationWarning)


# "disk" asks for one call of disk() and quotes its output; anything else is echoed
DISK_ROUND_SCRIPT: dict[str, Any] = {
    "rules": [
        {
            "match": "disk",
            "tool_calls": [{"name": "disk", "arguments": {}}],
            "then": {"reply": "Disk: {{ tool_outputs.disk }}"},
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}


class FakeClock:
    """``clock()`` for the deadline; ``sleep(s)`` records the wait and advances time at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], None] | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)


def scripted_assistant(backend: Any, *, clock: FakeClock | None = None, tools: Any = None) -> Assistant:
    """An Assistant over a ScriptedBackend (openaiassistant.testing) on a FakeClock: the
    engine's state machine with no server under it."""
    clock = clock or FakeClock()
    return Assistant(
        connection=ConnectionSettings(api_key="sk-test-scripted-key"),
        spec=AssistantSpec(model="test-model"),
        tools=tools,
        backend=backend,
        sleep=clock.sleep,
        clock=clock.clock,
    )


class Tools:
    """A minimal Toolset: named Python functions taking the parsed arguments dict."""

    def __init__(self, **functions: Callable[[dict[str, Any]], Any]) -> None:
        self.functions = functions
        self.rounds: list[list[ToolCall]] = []

    def definitions(self) -> list[ToolDefinition]:
        return [
            ToolDefinition(
                name=name,
                description=f"the {name} tool",
                parameters={"type": "object", "properties": {}, "additionalProperties": True},
                strict=False,
            )
            for name in self.functions
        ]

    def execute_round(self, calls: list[ToolCall], *, deadline: float | None = None) -> list[ToolOutput]:
        self.rounds.append(list(calls))
        outputs = []
        for call in calls:
            start = time.monotonic()
            value = self.functions[call.name](json.loads(call.arguments or "{}"))
            outputs.append(
                ToolOutput(
                    call_id=call.call_id,
                    name=call.name,
                    output=json.dumps(value),
                    duration_ms=(time.monotonic() - start) * 1000,
                )
            )
        return outputs


@pytest.fixture(params=["responses", "assistants"])
def backend(request: Any) -> str:
    return request.param


@pytest.fixture(params=[True, False], ids=["stream", "poll"])
def stream(request: Any) -> bool:
    return request.param


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(emulator: Any) -> openai.OpenAI:
    """A plain SDK client for checking server state (no retries)."""
    return openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)


@pytest.fixture
def make_assistant(
    emulator: Any, backend: str, fake_clock: FakeClock, client: openai.OpenAI, request: Any
) -> Callable[..., Assistant]:
    """In a test parametrized by ``stream``, the "poll" case also polls on the wire
    (``transport="poll"``); elsewhere the default transport (event streams) is used."""
    polled = "stream" in request.fixturenames and request.getfixturevalue("stream") is False

    def make(*, tools: Any = None, connection: dict[str, Any] | None = None, **spec: Any) -> Assistant:
        options = {"transport": "poll"} if polled else {}
        options.update(connection or {})
        settings = ConnectionSettings(api_key="sk-test-engine-key", base_url=emulator.base_url, **options)
        spec.setdefault("model", "gpt-4o-mini")
        if backend == "assistants" and "assistant_id" not in spec:
            stored = client.beta.assistants.create(
                model=spec["model"], instructions=spec.get("instructions") or "You help."
            )
            spec["assistant_id"] = stored.id
        return Assistant(
            connection=settings,
            spec=AssistantSpec(backend=backend, **spec),
            tools=tools,
            sleep=fake_clock.sleep,
            clock=fake_clock.clock,
        )

    return make


def run_status(client: openai.OpenAI, backend: str, thread_id: str, run_id: str) -> str:
    """The run's/response's status as the server sees it now."""
    if backend == "assistants":
        return client.beta.threads.runs.retrieve(run_id, thread_id=thread_id).status
    return client.get(f"/responses/{run_id}", cast_to=object)["status"]


def posts(emulator: Any, pattern: str) -> list[dict[str, Any]]:
    """POSTs in the emulator's request log whose path matches ``pattern``.

    A streamed request is logged when the server has finished it, which can be a moment after
    the client has read the last event: re-read until the log stops changing (bounded).
    """
    import re

    log = emulator.requests()
    for _ in range(20):
        time.sleep(0.02)
        again = emulator.requests()
        if again == log:
            break
        log = again
    return [r for r in log if r["method"] == "POST" and re.search(pattern, r["path"])]


RUN_CREATE = {"responses": r"/responses$", "assistants": r"/runs$"}


@pytest.fixture
def registry(tmp_path: Any) -> ThreadRegistry:
    """A thread registry in a SQLite file of this test's own (the chat backend keeps its
    conversations there)."""
    return ThreadRegistry(f"sqlite:///{tmp_path}/threads.db")
