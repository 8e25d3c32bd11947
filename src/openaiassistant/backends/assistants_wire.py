"""Translation between Assistants v2 objects (typed SDK models, pydantic 1 or 2) and the engine's records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openaiassistant.backends.base import (
    Cancelled,
    Completed,
    Expired,
    Failed,
    Incomplete,
    NeedsToolOutputs,
    Outcome,
    Pending,
    Retryable,
    TurnOutput,
)
from openaiassistant.content import assistants_format
from openaiassistant.params import RunParams
from openaiassistant.result import Usage
from openaiassistant.settings import AssistantSpec
from openaiassistant.tools.base import ToolCall, ToolDefinition

__all__ = [
    "delta_texts",
    "function_tool",
    "get",
    "history_entry",
    "plain",
    "run_body",
    "run_outcome",
    "run_output",
    "run_usage",
]

# a run that failed with one of these may succeed as a new run
RETRYABLE_CODES = frozenset({"rate_limit_exceeded"})


def get(obj: Any, key: str, default: Any = None) -> Any:
    """Attribute or key access: SDK models (pydantic 1 or 2) and dicts alike."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def plain(obj: Any) -> dict[str, Any]:
    """An SDK model as a plain dict, dropping unset fields (works on pydantic 1 and 2)."""
    if isinstance(obj, dict):
        return obj
    return obj.to_dict(exclude_unset=True) if hasattr(obj, "to_dict") else obj.model_dump(exclude_unset=True)


def function_tool(definition: ToolDefinition) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": definition.name,
            "description": definition.description,
            "parameters": definition.parameters,
            "strict": definition.strict,
        },
    }


def run_body(params: RunParams, spec: AssistantSpec, tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The JSON body of a run-creating request (see docs/engine.md for the mapping)."""
    body: dict[str, Any] = {"assistant_id": spec.assistant_id}
    if params.model:
        body["model"] = params.model
    instructions = params.instructions if params.instructions is not None else spec.instructions
    if instructions is not None:  # per-turn override of the stored assistant's instructions
        body["instructions"] = instructions
    body.update(
        params.given(
            "additional_instructions",
            "temperature",
            "top_p",
            "max_prompt_tokens",
            "max_completion_tokens",
            "parallel_tool_calls",
            "metadata",
        )
    )
    body.update(_shaping(params))
    if params.reasoning_effort is not None:
        body["reasoning_effort"] = params.reasoning_effort
    if tools is not None:
        body["tools"] = tools
    return body


def _shaping(params: RunParams) -> dict[str, Any]:
    """truncation_strategy, tool_choice and response_format in the Assistants API's shapes."""
    body: dict[str, Any] = {}
    truncation = params.truncation_strategy
    if truncation is not None:
        if truncation.kind == "last_messages":
            body["truncation_strategy"] = {"type": "last_messages", "last_messages": truncation.last_messages}
        else:  # "disabled" has no Assistants equivalent; auto is the API's only other mode
            body["truncation_strategy"] = {"type": "auto"}
    choice = params.tool_choice
    if choice is not None:
        body["tool_choice"] = (
            {"type": "function", "function": {"name": choice.name}} if choice.mode == "function" else choice.mode
        )
    fmt = params.response_format
    if fmt is not None:
        body["response_format"] = (
            {"type": "json_schema", "json_schema": fmt.schema_fields()}
            if fmt.kind == "json_schema"
            else {"type": fmt.kind}
        )
    return body


def run_outcome(run: Any, hint: float | None, fetch_output: Callable[[], TurnOutput]) -> Outcome:
    status = get(run, "status")
    if status in ("queued", "in_progress", "cancelling"):
        return Pending(poll_after=hint)
    if status == "requires_action":
        action = get(get(run, "required_action"), "submit_tool_outputs")
        calls = [
            ToolCall(
                call_id=str(get(c, "id")),
                name=str(get(get(c, "function"), "name")),
                arguments=get(get(c, "function"), "arguments") or "{}",
            )
            for c in get(action, "tool_calls") or []
        ]
        return NeedsToolOutputs(calls=calls)
    if status == "completed":
        return Completed(output=fetch_output())
    if status == "incomplete":
        return Incomplete(reason=get(get(run, "incomplete_details"), "reason"), output=fetch_output())
    if status == "cancelled":
        return Cancelled()
    if status == "expired":
        return Expired()
    error = get(run, "last_error")
    code, message = get(error, "code"), get(error, "message") or f"run ended with status {status}"
    return Retryable(code=code, message=message) if code in RETRYABLE_CODES else Failed(code=code, message=message)


def run_usage(run: Any) -> Usage | None:
    usage = get(run, "usage")
    if usage is None:
        return None
    return Usage.from_wire(usage)  # details (cached, reasoning) where a compatible server sends them


def run_output(messages: list[Any]) -> TurnOutput:
    """Every text part of the run's assistant messages, in order; refusals kept apart."""
    output = TurnOutput()
    for message in messages:
        for part in get(message, "content") or []:
            kind = get(part, "type")
            if kind == "text":
                text = get(part, "text")
                output.texts.append(get(text, "value") or "")
                annotations = [plain(a) for a in get(text, "annotations") or []]
                output.citations.extend(assistants_format.citations(annotations, part=len(output.texts) - 1))
            elif kind == "refusal":
                output.refusals.append(get(part, "refusal") or "")
    return output


def delta_texts(message_delta: Any) -> list[str]:
    """Text fragments of a ``thread.message.delta`` event."""
    out = []
    for part in get(get(message_delta, "delta"), "content") or []:
        if get(part, "type") == "text":
            value = get(get(part, "text"), "value")
            if value:
                out.append(value)
    return out


def history_entry(message: Any) -> dict[str, Any]:
    texts = [get(get(p, "text"), "value") or "" for p in get(message, "content") or [] if get(p, "type") == "text"]
    return {
        "id": get(message, "id"),
        "role": get(message, "role"),
        "text": "".join(texts),
        "run_id": get(message, "run_id"),
    }


# run options that POST /threads/runs does not take (the spec's CreateThreadAndRunRequest)
_NOT_ON_THREAD_AND_RUN = ("additional_instructions", "reasoning_effort")


def fits_thread_and_run(body: dict[str, Any]) -> bool:
    """Whether a run with this ``POST /threads/{id}/runs`` body can be made by ``POST /threads/runs``."""
    return not any(name in body for name in _NOT_ON_THREAD_AND_RUN)
