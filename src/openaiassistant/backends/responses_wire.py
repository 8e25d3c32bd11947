"""Translation between the Responses wire format and the engine's normalized records.

Pure functions over plain dicts (what the generic SDK methods return): a response object to an
outcome, its output, usage and history entries; a tool definition and the run controls to the
request body's fields.
"""

from __future__ import annotations

from typing import Any

from openaiassistant.backends import base
from openaiassistant.backends.hosted_wire import hosted_records
from openaiassistant.content import responses_format
from openaiassistant.params import RunParams
from openaiassistant.result import Usage
from openaiassistant.tools.base import ToolCall, ToolDefinition

__all__ = [
    "responses_controls",
    "responses_message",
    "responses_outcome",
    "responses_output",
    "responses_tool",
    "responses_usage",
    "unwrap_event",
]

# a response that failed with one of these may succeed as a new response
RETRYABLE_CODES = frozenset({"rate_limit_exceeded"})


def unwrap_event(event: Any) -> dict[str, Any]:
    """openai 1.37.1 wraps events that carry an ``event:`` line as ``{data, event}``."""
    if isinstance(event, dict) and set(event) == {"data", "event"} and isinstance(event["data"], dict):
        return event["data"]
    return event if isinstance(event, dict) else {}


def responses_output(obj: dict[str, Any]) -> tuple[base.TurnOutput, list[ToolCall]]:
    output, calls = base.TurnOutput(hosted=hosted_records(obj)), []
    for item in obj.get("output") or []:
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or []:
                if part.get("type") == "output_text":
                    output.texts.append(part.get("text") or "")
                    output.citations.extend(
                        responses_format.citations(part.get("annotations") or [], part=len(output.texts) - 1)
                    )
                elif part.get("type") == "refusal":
                    output.refusals.append(part.get("refusal") or "")
        elif kind == "function_call":
            calls.append(
                ToolCall(
                    call_id=str(item.get("call_id")),
                    name=str(item.get("name")),
                    arguments=item.get("arguments") or "{}",
                )
            )
    return output, calls


def responses_outcome(obj: dict[str, Any], hint: float | None = None) -> base.Outcome:
    status = obj.get("status")
    if status in ("queued", "in_progress"):
        return base.Pending(poll_after=hint)
    output, calls = responses_output(obj)
    if status == "completed":
        return base.NeedsToolOutputs(calls=calls, output=output) if calls else base.Completed(output=output)
    if status == "incomplete":
        return base.Incomplete(reason=(obj.get("incomplete_details") or {}).get("reason"), output=output)
    if status == "cancelled":
        return base.Cancelled()
    error = obj.get("error") or {}
    code, message = error.get("code"), error.get("message") or f"response ended with status {status}"
    return (
        base.Retryable(code=code, message=message)
        if code in RETRYABLE_CODES
        else base.Failed(code=code, message=message)
    )


def responses_usage(obj: dict[str, Any]) -> Usage | None:
    usage = obj.get("usage")
    if not usage or obj.get("status") in ("queued", "in_progress"):
        return None
    return Usage.from_wire(usage)  # with cached and reasoning tokens where the server reports them


def responses_message(item: dict[str, Any]) -> dict[str, Any]:
    """A conversation message item as a history entry."""
    texts = [p.get("text") or p.get("refusal") or "" for p in item.get("content") or [] if isinstance(p, dict)]
    return {"id": item.get("id"), "role": item.get("role"), "text": "".join(t for t in texts if t)}


def responses_tool(definition: ToolDefinition) -> dict[str, Any]:
    # ``strict`` is sent explicitly: the spec marks it required on Responses function tools
    return {
        "type": "function",
        "name": definition.name,
        "description": definition.description,
        "parameters": definition.parameters,
        "strict": definition.strict,
    }


def responses_controls(params: RunParams) -> dict[str, Any]:
    """Run controls in the Responses API's own names (see docs/engine.md for the mapping)."""
    body = params.given("temperature", "top_p", "parallel_tool_calls", "metadata")
    if params.max_completion_tokens is not None:
        body["max_output_tokens"] = params.max_completion_tokens
    truncation = params.truncation_strategy
    if truncation is not None:
        # last_messages N is done by the backend itself (backends/window.py); "auto" on top
        # keeps even that window fitting the model's context
        body["truncation"] = "disabled" if truncation.kind == "disabled" else "auto"
    if params.max_prompt_tokens is not None and "truncation" not in body:
        body["truncation"] = "auto"  # no prompt-token cap on Responses: keep the prompt fitting
    if params.reasoning_effort is not None:
        body["reasoning"] = {"effort": params.reasoning_effort}
    choice = params.tool_choice
    if choice is not None:
        body["tool_choice"] = {"type": "function", "name": choice.name} if choice.mode == "function" else choice.mode
    fmt = params.response_format
    if fmt is not None:
        shape = {"type": "json_schema", **fmt.schema_fields()} if fmt.kind == "json_schema" else {"type": fmt.kind}
        body["text"] = {"format": shape}
    return body
