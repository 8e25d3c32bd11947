"""Translation between the Chat Completions wire format and the engine's normalized records.

Pure functions over plain dicts: a run's controls and tool definitions to the request body's
fields, a completion (or the chunks of a streamed one, through :class:`ChunkReader`) to an
outcome. Servers differ in small ways the reader absorbs: a tool call without an ``index``
(Ollama) or without an ``id``, ``arguments`` sent as an object instead of JSON text, tool calls
ending with ``finish_reason: stop``, usage in the last chunk or nowhere.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from openaiassistant.backends.base import Completed, Incomplete, NeedsToolOutputs, Outcome, TurnOutput
from openaiassistant.params import ResponseFormat, RunParams
from openaiassistant.result import Usage
from openaiassistant.tools.base import ToolCall, ToolDefinition

__all__ = [
    "CONTENT_FILTERED",
    "ChunkReader",
    "Completion",
    "chat_controls",
    "chat_response_format",
    "chat_tool",
    "completion_from_body",
    "json_instruction",
]

CONTENT_FILTERED = "the server's content filter stopped the answer (finish_reason: content_filter)"


@dataclass(kw_only=True)
class Completion:
    """One chat completion, whichever way it came (one body, or the chunks of a stream)."""

    id: str
    model: str | None = None
    text: str = ""
    refusal: str | None = None
    calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None

    def outcome(self) -> Outcome:
        """The engine's outcome: tool calls whatever the finish reason says (some servers end
        a tool-calling answer with ``stop``); ``length`` is an incomplete answer;
        ``content_filter`` a refusal."""
        if self.calls:
            return NeedsToolOutputs(calls=list(self.calls), output=self.output())
        if self.finish_reason == "length":
            return Incomplete(reason="max_output_tokens", output=self.output())
        if self.finish_reason == "content_filter":
            return Completed(output=TurnOutput(refusals=[self.refusal or CONTENT_FILTERED]))
        return Completed(output=self.output())

    def output(self) -> TurnOutput:
        return TurnOutput(texts=[self.text] if self.text else [], refusals=[self.refusal] if self.refusal else [])


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    prompt, completion = int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0)
    return Usage(input_tokens=prompt, output_tokens=completion, total_tokens=int(raw.get("total_tokens") or 0))


def _arguments(value: Any) -> str:
    """Arguments as JSON text (a few servers send an object)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _content_text(content: Any) -> str:
    """A message's content: a string, or (a few servers) a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _call_id(value: Any) -> str:
    return str(value) if value else "call_" + secrets.token_hex(12)  # a server that names no id


def completion_from_body(body: dict[str, Any]) -> Completion:
    """A non-streamed ``chat.completion`` body."""
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    calls = [
        ToolCall(
            call_id=_call_id(call.get("id")),
            name=str((call.get("function") or {}).get("name") or ""),
            arguments=_arguments((call.get("function") or {}).get("arguments")) or "{}",
        )
        for call in message.get("tool_calls") or []
        if isinstance(call, dict)
    ]
    return Completion(
        id=str(body.get("id") or "chatcmpl-" + secrets.token_hex(12)),
        model=body.get("model"),
        text=_content_text(message.get("content")),
        refusal=message.get("refusal") or None,
        calls=calls,
        finish_reason=choice.get("finish_reason"),
        usage=_usage(body.get("usage")),
    )


@dataclass(kw_only=True)
class _CallParts:
    id: str | None = None
    name: str = ""
    arguments: str = ""


class ChunkReader:
    """Accumulates ``chat.completion.chunk`` objects into one :class:`Completion`.

    ``feed`` returns the text delta the chunk carried (for ``on_text``); ``error`` is set when
    the server sent an ``{"error": ...}`` line instead of a chunk; ``finished`` once a choice
    named its finish reason (the usage chunk may still follow)."""

    def __init__(self) -> None:
        self.id: str | None = None
        self.model: str | None = None
        self._text: list[str] = []
        self._refusal: list[str] = []
        self._calls: dict[int, _CallParts] = {}
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.error: dict[str, Any] | None = None
        self.chunks = 0

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    @property
    def text(self) -> str:
        return "".join(self._text)

    def feed(self, chunk: Any) -> str:
        if not isinstance(chunk, dict):
            return ""
        if isinstance(chunk.get("error"), dict) or (chunk.get("object") == "error"):
            self.error = chunk.get("error") if isinstance(chunk.get("error"), dict) else chunk
            return ""
        self.chunks += 1
        self.id = self.id or (str(chunk["id"]) if chunk.get("id") else None)
        self.model = self.model or chunk.get("model")
        if isinstance(chunk.get("usage"), dict):
            self.usage = _usage(chunk["usage"])
        return "".join(self._choice(choice) for choice in chunk.get("choices") or [] if isinstance(choice, dict))

    def _choice(self, choice: dict[str, Any]) -> str:
        """One choice's delta (only the first choice is read: we ask for one)."""
        if choice.get("index", 0) != 0:
            return ""
        delta = choice.get("delta") or {}
        content = delta.get("content")
        if isinstance(delta.get("refusal"), str):
            self._refusal.append(delta["refusal"])
        for call in delta.get("tool_calls") or []:
            if isinstance(call, dict):
                self._call_delta(call)
        if choice.get("finish_reason"):
            self.finish_reason = str(choice["finish_reason"])
        if isinstance(content, str) and content:
            self._text.append(content)
            return content
        return ""

    def _call_delta(self, call: dict[str, Any]) -> None:
        index = call.get("index")
        if not isinstance(index, int):
            # no index (some servers send whole calls): a new id is a new call, else the last goes on
            call_id = call.get("id")
            known = next((i for i, parts in self._calls.items() if call_id and parts.id == call_id), None)
            if known is not None:
                index = known
            elif call_id or not self._calls:
                index = len(self._calls)
            else:
                index = max(self._calls)
        parts = self._calls.setdefault(index, _CallParts())
        parts.id = parts.id or (str(call["id"]) if call.get("id") else None)
        function = call.get("function") or {}
        if function.get("name"):
            parts.name = parts.name or str(function["name"])
        parts.arguments += _arguments(function.get("arguments"))

    def completion(self) -> Completion:
        calls = [
            ToolCall(call_id=_call_id(parts.id), name=parts.name, arguments=parts.arguments or "{}")
            for _, parts in sorted(self._calls.items())
        ]
        return Completion(
            id=self.id or "chatcmpl-" + secrets.token_hex(12),
            model=self.model,
            text=self.text,
            refusal="".join(self._refusal) or None,
            calls=calls,
            finish_reason=self.finish_reason,
            usage=self.usage,
        )


# -- the request --------------------------------------------------------------------------------
def chat_tool(definition: ToolDefinition) -> dict[str, Any]:
    function: dict[str, Any] = {
        "name": definition.name,
        "description": definition.description,
        "parameters": definition.parameters,
    }
    if definition.strict:  # only where asked: many servers refuse or ignore the field
        function["strict"] = True
    return {"type": "function", "function": function}


def chat_response_format(fmt: ResponseFormat | None) -> dict[str, Any] | None:
    """``response_format`` in the Chat Completions shape (None: send nothing)."""
    if fmt is None or fmt.kind == "text":
        return None
    if fmt.kind == "json_schema":
        spec: dict[str, Any] = {"name": fmt.name or "response", "schema": fmt.schema or {}}
        if fmt.strict is not None:
            spec["strict"] = fmt.strict
        if fmt.description:
            spec["description"] = fmt.description
        return {"type": "json_schema", "json_schema": spec}
    return {"type": "json_object"}


def json_instruction(fmt: ResponseFormat) -> str:
    """What the system message says when the server does not take ``response_format`` itself
    (the answer is then validated against it, see the backend)."""
    if fmt.kind == "json_schema":
        schema = json.dumps(fmt.schema or {}, ensure_ascii=False, sort_keys=True)
        return (
            "Answer with a single JSON value that validates against this JSON schema, and nothing else "
            f"(no prose, no code fence): {schema}"
        )
    return "Answer with a single JSON object and nothing else (no prose, no code fence)."


def chat_controls(params: RunParams, *, has_tools: bool, max_tokens_field: str) -> dict[str, Any]:
    """Run controls in the Chat Completions API's own names (see docs/engine.md).

    ``max_tokens_field`` is ``max_tokens`` (what self-hosted servers read) or
    ``max_completion_tokens`` (what OpenAI's reasoning models require). ``metadata`` is not
    sent: it is stored with the conversation in our own record instead."""
    body: dict[str, Any] = {}
    for name in ("temperature", "top_p"):
        value = getattr(params, name)
        if value is not None:
            body[name] = value
    if params.max_completion_tokens is not None:
        body[max_tokens_field] = params.max_completion_tokens
    if params.reasoning_effort is not None:
        body["reasoning_effort"] = params.reasoning_effort
    if has_tools:
        if params.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = params.parallel_tool_calls
        choice = params.tool_choice
        if choice is not None:
            body["tool_choice"] = (
                {"type": "function", "function": {"name": choice.name}} if choice.mode == "function" else choice.mode
            )
    return body
