"""Translation between the Responses wire format and the engine's normalized records.

Pure functions over plain dicts (what the generic SDK methods return), plus the few helpers both
backends share (poll hints, stream-break handling).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openaiassistant.backends.base import (
    Cancelled,
    Completed,
    Failed,
    Incomplete,
    NeedsToolOutputs,
    Outcome,
    Pending,
    RunRef,
    Step,
    TurnOutput,
)
from openaiassistant.backends.transport import from_sdk_error, is_timeout, is_transport_error
from openaiassistant.content import responses_format
from openaiassistant.engine.deadline import Deadline, backoff
from openaiassistant.errors import ServerUnavailableError, TurnTimeoutError
from openaiassistant.params import RunParams
from openaiassistant.result import Usage
from openaiassistant.tools.base import ToolCall, ToolDefinition


# -- shared -----------------------------------------------------------------------------------
def poll_hint(headers: Any) -> float | None:
    """``openai-poll-after-ms`` in seconds, when the server sent it."""
    raw = headers.get("openai-poll-after-ms") if headers is not None else None
    try:
        return max(0.0, float(raw) / 1000.0) if raw else None
    except ValueError:
        return None


def pending_step(ref: RunRef) -> Step:
    """What a broken stream leaves: the run goes on on the server; poll (or resume) it."""
    return Step(ref=ref, outcome=Pending(poll_after=0.0))


def deadline_hit(exc: BaseException, deadline: Deadline) -> bool:
    """A stream read that timed out because the turn's deadline was near is the deadline."""
    if not is_timeout(exc):
        return False
    _, bounded = deadline.request_timeout(float("inf"))
    return bounded or deadline.expired


def stream_failure(
    exc: BaseException, deadline: Deadline, *, what: str, ref: RunRef | None, known: bool, cancel: Any
) -> None:
    """Handle an exception while reading a stream; returns only when the stream merely broke.

    A run the engine has not seen yet (``known`` False) is cancelled here before anything else
    leaves, so no exception can strand it on the server.
    """
    broke = is_transport_error(exc)
    hit = (broke and deadline_hit(exc, deadline)) or isinstance(exc, TurnTimeoutError)
    if broke and not hit:
        return
    if ref is not None and not known:
        cancel(ref)
    if hit:
        raise TurnTimeoutError(
            f"{what}: the turn's deadline passed",
            thread_id=ref.thread_id if ref else None,
            run_id=ref.run_id if ref else None,
        ) from None
    mapped = (
        from_sdk_error(exc, what=what, thread_id=ref.thread_id if ref else None) if isinstance(exc, Exception) else exc
    )
    if mapped is exc:
        raise exc
    raise mapped from exc


def until_deadline(stream: Any, deadline: Deadline) -> Iterator[Any]:
    """A stream's events while the turn's deadline holds: a long answer that is still streaming
    when it passes ends the turn there (the read timeout alone only bounds a silent stream)."""
    for event in stream:
        if deadline.expired:
            raise TurnTimeoutError("the turn's deadline passed while its stream was read")
        yield event


class StreamBrokeEarly(ServerUnavailableError):
    """A stream ended before it named the run/response it started; ``made_thread``: it had named
    the thread that request created (so the run exists there too)."""

    def __init__(self, message: str, *, thread_id: str | None = None, made_thread: bool = False) -> None:
        super().__init__(message, thread_id=thread_id)
        self.made_thread = made_thread


def start_streamed(start: Any, *, deadline: Deadline, retries: int, idempotent: bool, recover: bool = False) -> Step:
    """``start()`` (send the request and read its stream) again when the stream broke before
    the server named the run, as for any dropped connection; not for a request that may have
    landed and must not land twice (``idempotent`` False), nor once it named a thread it made.
    Those are re-raised as StreamBrokeEarly when the caller can ``recover`` them, else (and when
    the retries are used up) as a plain ServerUnavailableError."""
    attempt = 0
    while True:
        try:
            return start()
        except StreamBrokeEarly as exc:
            if (not idempotent or exc.made_thread) and recover:
                raise
            delay, left = backoff(attempt), deadline.remaining()
            if not idempotent or exc.made_thread or attempt >= retries or (left is not None and delay >= left):
                raise ServerUnavailableError(exc.message, thread_id=exc.thread_id) from None
            deadline.sleep(delay)
            attempt += 1


def drain(stream: Any) -> None:
    """Read a stream to its end after its last useful event, so the server finishes the
    request cleanly and the connection goes back to the pool."""
    try:
        for _ in stream:
            pass
    except Exception as exc:
        if not is_transport_error(exc):
            raise


def get(obj: Any, key: str, default: Any = None) -> Any:
    """Attribute or key access: SDK models (pydantic 1 or 2) and dicts alike."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


# -- Responses --------------------------------------------------------------------------------
def unwrap_event(event: Any) -> dict[str, Any]:
    """openai 1.37.1 wraps events that carry an ``event:`` line as ``{data, event}``."""
    if isinstance(event, dict) and set(event) == {"data", "event"} and isinstance(event["data"], dict):
        return event["data"]
    return event if isinstance(event, dict) else {}


def responses_output(obj: dict[str, Any]) -> tuple[TurnOutput, list[ToolCall]]:
    output, calls = TurnOutput(), []
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


def responses_outcome(obj: dict[str, Any], hint: float | None = None) -> Outcome:
    status = obj.get("status")
    if status in ("queued", "in_progress"):
        return Pending(poll_after=hint)
    output, calls = responses_output(obj)
    if status == "completed":
        return NeedsToolOutputs(calls=calls, output=output) if calls else Completed(output=output)
    if status == "incomplete":
        return Incomplete(reason=(obj.get("incomplete_details") or {}).get("reason"), output=output)
    if status == "cancelled":
        return Cancelled()
    error = obj.get("error") or {}
    return Failed(code=error.get("code"), message=error.get("message") or f"response ended with status {status}")


def responses_usage(obj: dict[str, Any]) -> Usage | None:
    usage = obj.get("usage")
    if not usage or obj.get("status") in ("queued", "in_progress"):
        return None
    return Usage(
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        total_tokens=int(usage.get("total_tokens") or 0),
    )


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
    body: dict[str, Any] = {}
    for name in ("temperature", "top_p", "parallel_tool_calls", "metadata"):
        value = getattr(params, name)
        if value is not None:
            body[name] = value
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
        if fmt.kind == "json_schema":
            spec: dict[str, Any] = {"type": "json_schema", "name": fmt.name, "schema": fmt.schema}
            if fmt.strict is not None:
                spec["strict"] = fmt.strict
            if fmt.description:
                spec["description"] = fmt.description
            body["text"] = {"format": spec}
        else:
            body["text"] = {"format": {"type": fmt.kind}}
    return body
