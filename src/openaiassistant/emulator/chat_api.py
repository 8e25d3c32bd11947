"""``POST /v1/chat/completions``: the Chat Completions API, driven by the same scripted model.

A chat completion is stateless: the whole conversation comes in ``messages`` (system /
developer / user / assistant with ``tool_calls`` / tool). The model reads the latest user
message; when the messages end with ``tool`` messages answering the last assistant message's
``tool_calls``, they are that round's tool outputs and the step that asked for them continues
(``then``), exactly as on Responses and Assistants. Answers are plain (one JSON body) or
streamed (``stream: true``: ``chat.completion.chunk`` objects as ``data:`` lines, tool-call
arguments in pieces, then ``data: [DONE]``; ``stream_options.include_usage`` adds a last chunk
with ``usage`` and no choices). ``response_format`` ``json_object`` / ``json_schema`` shape the
answer; ``max_completion_tokens`` (or the older ``max_tokens``) cuts it with
``finish_reason: length``.

Faults: model-level ``run_failed`` answers HTTP 500 (429 for ``rate_limit_exceeded``) in
OpenAI's error shape, ``run_incomplete`` ends with ``finish_reason`` ``length`` (or
``content_filter``), ``stuck`` holds the request until the client leaves; ``stream_cut`` and
``stream_error`` (a ``data: {"error": ...}`` line, then the stream ends) act on streams; HTTP
faults act in the middleware like everywhere. Every body and chunk is checked against the spec.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from openaiassistant.emulator import request_rules as rules
from openaiassistant.emulator.http import StreamCut, check_number, emulator_of, new_id, ok, read_json, require
from openaiassistant.emulator.model import Context, Plan, decide, forced_tool
from openaiassistant.emulator.models_api import check_model
from openaiassistant.emulator.problems import ApiProblem
from openaiassistant.emulator.script import chunks_of, count_tokens, cut_tokens, tokens_of
from openaiassistant.emulator.state import PendingCall

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES"]

_ROLES = {"system", "developer", "user", "assistant", "tool"}


@dataclass(kw_only=True)
class _Answer:
    """What the completion says: text (possibly cut) or tool calls, and why it stopped."""

    text: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int  # reasoning included, as live
    reasoning_tokens: int = 0  # the step's reasoning_tokens (usage details)
    cached_tokens: int = 0  # the prompt's prefix an earlier completion read (emulator/prompt_cache.py)


# -- reading the request ---------------------------------------------------------------------
def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message: a string, or its ``text`` parts joined."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = require(body, "messages")
    if not isinstance(messages, list) or not messages:
        raise ApiProblem(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param="messages",
            code="empty_array",
        )
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise ApiProblem(
                400,
                f"Invalid value for 'messages[{index}].role': expected one of {', '.join(sorted(_ROLES))}.",
                param=f"messages[{index}].role",
                code="invalid_value",
            )
    _check_tool_pairs(messages)
    return messages


def _check_tool_pairs(messages: list[dict[str, Any]]) -> None:
    """Tool messages answer the assistant message right before them, each call exactly once, in
    the live API's words."""
    open_calls: list[str] = []
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in open_calls:
                raise ApiProblem(
                    400,
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
                    "with 'tool_calls'.",
                    param=f"messages.[{index}].role",
                )
            open_calls.remove(call_id)
            continue
        if open_calls:
            raise ApiProblem(
                400,
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(open_calls)}",
                param=f"messages.[{index}].role",
            )
        if role == "assistant":
            open_calls = [str(call.get("id")) for call in message.get("tool_calls") or [] if isinstance(call, dict)]
    if open_calls:
        raise ApiProblem(
            400,
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(open_calls)}",
            param="messages",
        )


def _text_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """``response_format`` in the model's terms (``{type, schema}``), after the live API's checks."""
    fmt = body.get("response_format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise ApiProblem(
            400,
            "Invalid value for 'response_format.type': expected one of 'text', 'json_object' or 'json_schema'.",
            param="response_format.type",
            code="invalid_value",
        )
    if fmt["type"] != "json_schema":
        return {"type": fmt["type"]}
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict) or not spec.get("name"):
        raise ApiProblem(
            400,
            "Missing required parameter: 'response_format.json_schema'.",
            param="response_format.json_schema",
            code="missing_required_parameter",
        )
    rules.check_strict_format(spec, param="response_format.json_schema")
    return {"type": "json_schema", "name": spec.get("name"), "schema": spec.get("schema") or {}}


def _tool_outputs(emulator: Emulator, messages: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], Any]:
    """The trailing tool messages (this round's outputs) by tool name, and the step that asked."""
    outputs: list[tuple[str, str]] = []
    pending = None
    index = len(messages)
    while index > 0 and messages[index - 1]["role"] == "tool":
        index -= 1
    if index == len(messages) or index == 0:
        return outputs, pending
    names = {
        str(call.get("id")): str((call.get("function") or {}).get("name"))
        for call in messages[index - 1].get("tool_calls") or []
    }
    for message in messages[index:]:
        call_id = str(message.get("tool_call_id"))
        call = emulator.state.calls.get(call_id)
        outputs.append((call.name if call else names.get(call_id, "unknown"), message_text(message)))
        if call and pending is None:
            pending = (call.step, call.variables)
    return outputs, pending


def _context(emulator: Emulator, body: dict[str, Any], messages: list[dict[str, Any]]) -> Context:
    outputs, pending = _tool_outputs(emulator, messages)
    tools = {
        str((t.get("function") or {}).get("name"))
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "function"
    }
    if body.get("tool_choice") == "none":
        tools = set()
    user = [m for m in messages if m["role"] == "user"]
    return Context(
        user_text=message_text(user[-1]) if user else "",
        tools=tools,
        text_format=_text_format(body),
        tool_outputs=outputs or None,
        pending=pending,
        parallel=body.get("parallel_tool_calls") is not False,
        forced_tool=forced_tool(body.get("tool_choice")),
        seen=[message_text(m) for m in messages if m["role"] in ("user", "assistant") and message_text(m)],
    )


def _check_body(emulator: Emulator, body: dict[str, Any]) -> list[dict[str, Any]]:
    model = require(body, "model")
    check_model(emulator, model)
    messages = _messages(body)
    functions = rules.check_tools(body, nested_function=True)
    rules.check_tool_choice(body.get("tool_choice"), functions)
    fmt = _text_format(body)
    rules.check_json_mention((fmt or {}).get("type"), [message_text(m) for m in messages], api="chat")
    if body.get("reasoning_effort") is not None:
        rules.check_reasoning(model, body.get("reasoning_effort"), param="reasoning_effort")
    check_number(body, "temperature", minimum=0, maximum=2)
    check_number(body, "top_p", minimum=0, maximum=1)
    check_number(body, "max_tokens", minimum=1, integer=True)
    check_number(body, "max_completion_tokens", minimum=1, integer=True)
    if body.get("n") not in (None, 1):
        raise ApiProblem(400, "The emulator answers one choice per request ('n' must be 1).", param="n")
    return messages


# -- answering -------------------------------------------------------------------------------
def _answer(emulator: Emulator, plan: Plan, body: dict[str, Any], messages: list[dict[str, Any]]) -> _Answer:
    answer = _answered(emulator, plan, body, messages)
    units = [(f"message:{m.get('role')}", message_text(m)) for m in messages]
    answer.cached_tokens = emulator.state.prompt_cache.read(units)
    answer.reasoning_tokens = plan.step.reasoning_tokens if plan.step is not None else 0
    answer.completion_tokens += answer.reasoning_tokens
    said = answer.text if answer.text is not None else json.dumps(answer.tool_calls)
    emulator.state.prompt_cache.write([*units, ("message:assistant", said)])
    return answer


def _answered(emulator: Emulator, plan: Plan, body: dict[str, Any], messages: list[dict[str, Any]]) -> _Answer:
    prompt_tokens = sum(count_tokens(message_text(m)) for m in messages)
    if plan.kind == "tool_calls":
        calls: list[dict[str, Any]] = []
        for call in plan.tool_calls:
            calls.append(
                {"id": call.call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            )
            if plan.step is not None:
                emulator.state.calls[call.call_id] = PendingCall(
                    name=call.name, step=plan.step, variables=plan.variables
                )
        used = sum(count_tokens(call.arguments) for call in plan.tool_calls)
        return _Answer(
            text=None, tool_calls=calls, finish_reason="tool_calls", prompt_tokens=prompt_tokens, completion_tokens=used
        )
    text, reason = plan.text, "stop"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    fault = plan.fault or {}
    if plan.kind == "fault" and fault.get("kind") == "run_incomplete":
        reason = "content_filter" if fault.get("reason") == "content_filter" else "length"
        text = "".join(cut_tokens(tokens_of(text or "I was cut short"), 3))
    elif isinstance(limit, int) and count_tokens(text) > limit:
        text, reason = "".join(cut_tokens(tokens_of(text), limit)), "length"
    return _Answer(
        text=text,
        tool_calls=[],
        finish_reason=reason,
        prompt_tokens=prompt_tokens,
        completion_tokens=count_tokens(text),
    )


def _usage(answer: _Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.prompt_tokens + answer.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": answer.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": answer.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _failure(fault: dict[str, Any]) -> ApiProblem:
    """A model-level failure as the HTTP error a chat completion answers with."""
    code = fault.get("code") or "server_error"
    if code == "rate_limit_exceeded":
        return ApiProblem(
            429,
            fault.get("message") or "Rate limit reached for requests. Please try again later.",
            type="requests",
            code=code,
        )
    message = fault.get("message") or "The server had an error while processing your request. Sorry about that!"
    return ApiProblem(500, message, type="server_error", code=None if code == "server_error" else code)


async def _hold(request: Request) -> None:
    """A stuck model: nothing comes until the client gives up."""
    while not await request.is_disconnected():
        await asyncio.sleep(0.05)


async def create_chat_completion(request: Request) -> Response:
    """``POST /chat/completions``: one answer, as a JSON body or a stream of chunks."""
    emulator = emulator_of(request)
    body = await read_json(request)
    messages = _check_body(emulator, body)
    plan = decide(emulator.script, _context(emulator, body, messages))
    fault = emulator.model_fault("POST", request.url.path)
    if fault is not None:
        plan.kind, plan.fault = "fault", fault
    if plan.kind == "fault" and (plan.fault or {}).get("kind") in ("run_failed", "run_expired"):
        await asyncio.sleep(plan.latency.duration(0))
        raise _failure(plan.fault or {})
    meta = {"id": new_id("chatcmpl-"), "created": emulator.clock.now(), "model": str(body["model"])}
    stuck = plan.kind == "fault" and (plan.fault or {}).get("kind") == "stuck"
    answer = None if stuck else _answer(emulator, plan, body, messages)
    if body.get("stream"):
        return _stream(request, emulator, plan, answer, body, meta)
    if answer is None:
        await _hold(request)
        return Response(status_code=499)  # nobody is listening any more
    await asyncio.sleep(plan.latency.duration(answer.completion_tokens))
    message: dict[str, Any] = {"role": "assistant", "content": answer.text, "refusal": None, "annotations": []}
    if answer.tool_calls:
        message["tool_calls"] = answer.tool_calls
    obj = {
        **meta,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason, "logprobs": None}],
        "usage": _usage(answer),
        "service_tier": "default",
        "system_fingerprint": "fp_emulator",
    }
    return ok(obj)


# -- streaming -------------------------------------------------------------------------------
def _chunks(answer: _Answer, meta: dict[str, Any], *, include_usage: bool) -> list[dict[str, Any]]:
    """Every chunk of a streamed answer, in order (the role first, the finish reason last)."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        out = {**meta, "object": "chat.completion.chunk", "choices": [choice], "system_fingerprint": "fp_emulator"}
        if include_usage:
            out["usage"] = None
        return out

    chunks = [chunk({"role": "assistant", "content": "" if answer.text is not None else None, "refusal": None})]
    for token in tokens_of(answer.text or ""):
        chunks.append(chunk({"content": token}))
    for index, call in enumerate(answer.tool_calls):
        first = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [first]}))
        for piece in chunks_of(call["function"]["arguments"]):
            chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    chunks.append(chunk({}, answer.finish_reason))
    if include_usage:
        chunks.append(
            {
                **meta,
                "object": "chat.completion.chunk",
                "choices": [],
                "usage": _usage(answer),
                "system_fingerprint": "fp_emulator",
            }
        )
    return chunks


def _stream(
    request: Request, emulator: Emulator, plan: Plan, answer: _Answer | None, body: dict[str, Any], meta: dict[str, Any]
) -> StreamingResponse:
    options = body.get("stream_options") or {}
    include_usage = bool(isinstance(options, dict) and options.get("include_usage"))
    cut = emulator.stream_cut("POST", request.url.path)
    delay = 0.0 if plan.latency.run_ms else plan.latency.token_delay()

    async def chunks() -> AsyncIterator[bytes]:
        if answer is None:  # stuck: the role chunk, then nothing until the client leaves
            first = _chunks(
                _Answer(text="", tool_calls=[], finish_reason="stop", prompt_tokens=0, completion_tokens=0),
                meta,
                include_usage=include_usage,
            )[0]
            emulator.check_event("chat", "chunk", first)
            yield f"data: {json.dumps(first)}\n\n".encode()
            await _hold(request)
            return
        # on schedule: each token's sleep ends where the schedule says, so many short sleeps do
        # not fall behind by the event loop's overshoot on each one (as emulator/timeline.py)
        loop = asyncio.get_running_loop()
        due = loop.time() + (
            plan.latency.run_ms / 1000.0 if plan.latency.run_ms else plan.latency.first_token_ms / 1000.0
        )
        await asyncio.sleep(due - loop.time())
        all_chunks = _chunks(answer, meta, include_usage=include_usage)
        for sent, data in enumerate(all_chunks):
            if cut is not None and sent >= cut.after_events:
                if cut.kind == "stream_cut":
                    raise StreamCut(f"stream cut after {sent} chunks")
                error = {
                    "error": {
                        "message": cut.message or "The server had an error while processing your request.",
                        "type": "server_error",
                        "param": None,
                        "code": cut.code,
                    }
                }
                yield f"data: {json.dumps(error)}\n\n".encode()
                return
            emulator.check_event("chat", "chunk", data)
            yield f"data: {json.dumps(data)}\n\n".encode()
            if delay and data["choices"] and data["choices"][0]["delta"].get("content"):
                due += delay
                await asyncio.sleep(max(due - loop.time(), 0.0))
        if "emulator.log" in request.scope:  # logged before the end leaves (see middleware)
            request.scope["emulator.log"]()
        yield b"data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")


ROUTES = [Route("/v1/chat/completions", create_chat_completion, methods=["POST"])]
