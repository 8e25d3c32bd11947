"""Shared by the chat-backend tests: an Assistant on the emulator's chat completions with a
real thread registry, the script they use, and an audit of a logged conversation."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from openaiassistant.assistant import Assistant
from openaiassistant.registry import ThreadRegistry
from openaiassistant.registry.conversation_log import ConversationLog
from openaiassistant.settings import AssistantSpec, ConnectionSettings

SCRIPT: dict[str, Any] = {
    "rules": [
        {
            "name": "disk",
            "match": "(?i)disk on (?P<host>[\\w-]+)",
            "tool_calls": [
                {"name": "get_disk_usage", "arguments": {"host": "{{ match.host }}"}},
                {"name": "get_load", "arguments": {"host": "{{ match.host }}"}},
            ],
            "then": {"reply": "Disk of {{ match.host }}: {{ tool_outputs.get_disk_usage }}"},
        },
        {"name": "recall", "match": "(?i)what did I say", "reply": "You said: {{ context }}"},
        {"name": "verdict", "match": "(?i)verdict", "json": {"severity": "critical", "reason": "disk full"}},
        {"name": "long", "match": "(?i)tell a long story", "reply": "one two three four five six seven eight nine ten"},
        {
            "name": "filtered",
            "match": "(?i)say something bad",
            "fault": {"kind": "run_incomplete", "reason": "content_filter"},
        },
        {"name": "hang", "match": "(?i)hang forever", "fault": {"kind": "stuck"}},
    ]
}


def make_chat(
    emulator: Any,
    registry: ThreadRegistry,
    *,
    tools: Any = None,
    transport: str = "sse",
    clock: Any = None,
    connection: dict[str, Any] | None = None,
    **spec: Any,
) -> Assistant:
    settings = ConnectionSettings(
        api_key="sk-test-chat-backend-key", base_url=emulator.base_url, transport=transport, **(connection or {})
    )
    spec.setdefault("model", "gpt-4o-mini")
    extra = {"sleep": clock.sleep, "clock": clock.clock} if clock is not None else {}
    return Assistant(
        connection=settings, spec=AssistantSpec(backend="chat", **spec), tools=tools, registry=registry, **extra
    )


def completions(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/chat/completions")]


def audit(registry: ThreadRegistry, thread_id: str) -> dict[str, Any]:
    """What a logged conversation holds, and every way it could be inconsistent: a user message
    or an answer stored twice, a tool call without exactly one output, an output of no call."""
    items = ConversationLog(engine=registry.engine).items(thread_id)
    calls = [(i.run_id, i.call_id) for i in items if i.kind == "function_call"]
    outputs = Counter((i.run_id, i.call_id) for i in items if i.kind == "function_call_output")
    messages = [(i.role, i.text) for i in items if i.kind == "message"]
    return {
        "messages": messages,
        "users": [text for role, text in messages if role == "user"],
        "doubled": [m for m, n in Counter(messages).items() if n > 1],
        "orphan_calls": [c for c in calls if outputs[c] != 1],
        "stray_outputs": [o for o in outputs if o not in calls],
        "calls": calls,
        "keys": [i.key for i in items],
    }


class Tools:
    """A minimal Toolset counting how often each call id ran."""

    def __init__(self, *, on_run: Any = None) -> None:
        self.ran: Counter[str] = Counter()
        self.on_run = on_run

    def definitions(self) -> list[Any]:
        from openaiassistant.tools.base import ToolDefinition

        params = {"type": "object", "properties": {"host": {"type": "string"}}, "additionalProperties": True}
        return [
            ToolDefinition(name=name, description=f"the {name} tool", parameters=params, strict=False)
            for name in ("get_disk_usage", "get_load")
        ]

    def execute_round(self, calls: list[Any], *, deadline: float | None = None) -> list[Any]:
        from openaiassistant.tools.base import ToolOutput

        if self.on_run is not None:
            self.on_run(calls)
        outputs = []
        for call in calls:
            self.ran[call.call_id] += 1
            host = json.loads(call.arguments or "{}").get("host")
            value = {"host": host, "used": 97} if call.name == "get_disk_usage" else {"load": 0.5}
            outputs.append(ToolOutput(call_id=call.call_id, name=call.name, output=json.dumps(value), duration_ms=1.0))
        return outputs
