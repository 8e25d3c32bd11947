"""Assistants v2 runs and run steps: create (also streamed), list, retrieve, cancel,
``submit_tool_outputs``, and the run lifecycle.

A run's life is a generator driven by a :class:`Timeline` (polled: catch-up on reads; streamed:
real time). Every run response carries ``openai-poll-after-ms``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator.assistants_api import (
    ACTIVE, _wire_tools, active_run, assistant_of, new_message, new_thread, thread_of,
)
from openaiassistant.emulator.http import (
    ApiProblem, check_number, emulator_of, new_id, not_found, now, ok, paginate, read_json, require, sse_response,
)
from openaiassistant.emulator.script import Context, Plan, count_tokens, decide, tokens_of
from openaiassistant.emulator.state import PendingCall, RunRecord, ThreadRecord
from openaiassistant.emulator.timeline import Action, Timeline, snapshot
from openaiassistant.emulator.vector_stores_api import indexed_files

if TYPE_CHECKING:
    from openaiassistant.emulator.app import Emulator

# Every body field createRun takes; anything else is rejected like the real API does.
RUN_FIELDS = {
    "assistant_id", "model", "reasoning_effort", "instructions", "additional_instructions",
    "additional_messages", "tools", "metadata", "temperature", "top_p", "stream",
    "max_prompt_tokens", "max_completion_tokens", "truncation_strategy", "tool_choice",
    "parallel_tool_calls", "response_format",
}
THREAD_AND_RUN_FIELDS = (RUN_FIELDS - {"additional_instructions", "additional_messages", "reasoning_effort"}) | {
    "thread", "tool_resources",
}


def _headers(emulator: "Emulator") -> dict[str, str]:
    return {"openai-poll-after-ms": str(emulator.poll_after_ms)}


def _reject_unknown(body: dict[str, Any], allowed: set[str]) -> None:
    for name in body:
        if name not in allowed:
            raise ApiProblem(400, f"Unrecognized request argument supplied: {name}", param=name)


# -- create ----------------------------------------------------------------------------------
async def create_run(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await read_json(request)
    _reject_unknown(body, RUN_FIELDS)
    _check_numbers(body)
    record = thread_of(request)
    running = active_run(emulator.state, record)
    if running:
        raise ApiProblem(400, f"Thread {record.obj['id']} already has an active run {running}.")
    for raw in body.get("additional_messages") or []:
        record.messages.append(new_message(record.obj["id"], raw))
    return _start(request, emulator, record, body)


async def create_thread_and_run(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await read_json(request)
    _reject_unknown(body, THREAD_AND_RUN_FIELDS)
    _check_numbers(body)
    thread_body = dict(body.get("thread") or {})
    if body.get("tool_resources") and not thread_body.get("tool_resources"):
        thread_body["tool_resources"] = body["tool_resources"]
    require(body, "assistant_id")
    assistant_of(emulator.state, str(body["assistant_id"]))
    record = new_thread(emulator.state, thread_body)
    return _start(request, emulator, record, body, thread_created=True)


def _check_numbers(body: dict[str, Any]) -> None:
    check_number(body, "max_prompt_tokens", minimum=256, integer=True)
    check_number(body, "max_completion_tokens", minimum=256, integer=True)
    check_number(body, "temperature", minimum=0, maximum=2)
    check_number(body, "top_p", minimum=0, maximum=1)


def _start(request: Request, emulator: "Emulator", record: ThreadRecord, body: dict[str, Any],
           *, thread_created: bool = False) -> Response:
    assistant = assistant_of(emulator.state, str(require(body, "assistant_id")))
    instructions = body.get("instructions") or assistant.get("instructions") or ""
    if body.get("additional_instructions"):
        instructions = f"{instructions}\n{body['additional_instructions']}".strip()
    created = now()
    obj = {
        "id": new_id("run_"), "object": "thread.run", "created_at": created,
        "thread_id": record.obj["id"], "assistant_id": assistant["id"], "status": "queued",
        "required_action": None, "last_error": None, "expires_at": created + 600,
        "started_at": None, "cancelled_at": None, "failed_at": None, "completed_at": None,
        "incomplete_details": None, "model": str(body.get("model") or assistant["model"]),
        "instructions": instructions,
        "tools": _wire_tools(body["tools"]) if body.get("tools") is not None else assistant["tools"],
        "metadata": body.get("metadata") or {}, "usage": None,
        "temperature": body.get("temperature", assistant.get("temperature", 1.0)),
        "top_p": body.get("top_p", assistant.get("top_p", 1.0)),
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": body.get("truncation_strategy") or {"type": "auto", "last_messages": None},
        "response_format": body.get("response_format") or assistant.get("response_format") or "auto",
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
    }
    run = RunRecord(obj=obj)
    emulator.state.runs[obj["id"]] = run
    record.runs.append(obj["id"])
    plan = _plan(emulator, record, run, request, outputs=None)
    run.timeline = Timeline(_lifecycle(emulator, record, run, plan))
    prelude = [("thread.created", record.obj)] if thread_created else []
    prelude.append(("thread.run.created", obj))
    return _respond(request, emulator, run, stream=bool(body.get("stream")), prelude=prelude)


def _respond(request: Request, emulator: "Emulator", run: RunRecord, *, stream: bool,
             prelude: list[tuple[str, dict[str, Any]]]) -> Response:
    if not stream:
        return ok(run.obj, headers=_headers(emulator))
    cut = emulator.stream_cut("POST", request.url.path)
    first = [(name, snapshot(obj)) for name, obj in prelude]  # as they are now, before the run advances
    return sse_response(request, _stream(run, first), api="assistants", cut_after=cut, headers=_headers(emulator))


async def _stream(run: RunRecord, prelude: list[tuple[str, dict[str, Any]]]) -> AsyncIterator[tuple[str, Any]]:
    for name, data in prelude:
        yield name, data
    assert run.timeline is not None
    async for name, data in run.timeline.events():
        yield name, data
    yield "done", "[DONE]"


def _plan(emulator: "Emulator", record: ThreadRecord, run: RunRecord, request: Request,
          *, outputs: list[tuple[str, str]] | None, pending: PendingCall | None = None) -> Plan:
    fault = emulator.model_fault("POST", request.url.path)
    user_text = next((_text(m) for m in reversed(record.messages) if m["role"] == "user"), "")
    tools = {t["function"]["name"] for t in run.obj["tools"] if t.get("type") == "function"}
    if run.obj["tool_choice"] == "none":
        tools = set()
    text_format = run.obj["response_format"]
    if isinstance(text_format, dict) and text_format.get("type") == "json_schema":
        text_format = {"type": "json_schema", "schema": (text_format.get("json_schema") or {}).get("schema") or {}}
    context = Context(
        user_text=user_text,
        tools=tools,
        text_format=text_format if isinstance(text_format, dict) else None,
        tool_outputs=outputs,
        pending=(pending.step, pending.variables) if pending else None,
        files=_searchable(emulator, record, run),
    )
    plan = decide(emulator.script, context)
    if fault is not None:
        plan.kind, plan.fault = "fault", fault
    return plan


def _searchable(emulator: "Emulator", record: ThreadRecord, run: RunRecord) -> list[tuple[str, str, bytes]] | None:
    """Files a ``file_search`` step may cite: the thread's and assistant's vector stores (when
    the run has the file_search tool) and files attached to messages for file_search."""
    state = emulator.state
    found: list[tuple[str, str, bytes]] = []
    if any(t.get("type") == "file_search" for t in run.obj["tools"]):
        assistant = state.assistants.get(run.obj["assistant_id"]) or {}
        store_ids = []
        for resources in (record.obj.get("tool_resources") or {}, assistant.get("tool_resources") or {}):
            store_ids += (resources.get("file_search") or {}).get("vector_store_ids") or []
        found += indexed_files(state, store_ids)
    for message in record.messages:
        for attachment in message.get("attachments") or []:
            upload = state.files.get(str(attachment.get("file_id")))
            wants_search = any(t.get("type") == "file_search" for t in attachment.get("tools") or [])
            if upload is not None and wants_search:
                found.append((upload.obj["id"], str(upload.obj["filename"]), upload.content))
    return found or None


def _text(message: dict[str, Any]) -> str:
    return " ".join(p["text"]["value"] for p in message["content"] if p.get("type") == "text")


# -- the lifecycle ---------------------------------------------------------------------------
def _event(name: str, data: dict[str, Any]) -> Action:
    return ("event", name, snapshot(data))


def _new_step(run: RunRecord, kind: str, details: dict[str, Any]) -> dict[str, Any]:
    step = {
        "id": new_id("step_"), "object": "thread.run.step", "created_at": now(),
        "assistant_id": run.obj["assistant_id"], "thread_id": run.obj["thread_id"], "run_id": run.obj["id"],
        "type": kind, "status": "in_progress", "step_details": details, "last_error": None,
        "expired_at": None, "cancelled_at": None, "failed_at": None, "completed_at": None,
        "metadata": {}, "usage": None,
    }
    run.steps.append(step)
    return step


def _prompt_tokens(record: ThreadRecord, run: RunRecord) -> int:
    return count_tokens(run.obj["instructions"] or "") + sum(count_tokens(_text(m)) for m in record.messages)


def _lifecycle(emulator: "Emulator", record: ThreadRecord, run: RunRecord, plan: Plan) -> Iterator[Action]:
    obj = run.obj
    yield _event("thread.run.queued", obj)
    yield ("sleep", plan.latency.queue_ms / 1000.0)
    obj["status"] = "in_progress"
    obj["started_at"] = obj["started_at"] or now()
    yield _event("thread.run.in_progress", obj)
    if plan.kind == "fault":
        yield from _fault(record, run, plan)
        return
    limit = obj["max_prompt_tokens"]
    if isinstance(limit, int) and _prompt_tokens(record, run) > limit:
        yield from _end(record, run, "incomplete", reason="max_prompt_tokens")
        return
    yield ("sleep", plan.latency.run_ms / 1000.0 if plan.latency.run_ms else plan.latency.first_token_ms / 1000.0)
    if plan.kind == "tool_calls":
        yield from _tool_calls(emulator, run, plan)
        return
    if plan.citations:
        yield from _file_search_step(run)
    status = yield from _message(record, run, plan)
    yield from _end(record, run, status, reason="max_completion_tokens" if status == "incomplete" else None)


def _tool_calls(emulator: "Emulator", run: RunRecord, plan: Plan) -> Iterator[Action]:
    calls = [{"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments, "output": None}}
             for c in plan.tool_calls]
    step = _new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": calls})
    run.tool_step = step
    yield _event("thread.run.step.created", step)
    yield _event("thread.run.step.in_progress", step)
    delta = {"step_details": {"type": "tool_calls", "tool_calls": [{"index": i, **c} for i, c in enumerate(calls)]}}
    yield _event("thread.run.step.delta", {"id": step["id"], "object": "thread.run.step.delta", "delta": delta})
    for call in plan.tool_calls:
        if plan.step is not None:
            emulator.state.calls[call.call_id] = PendingCall(name=call.name, step=plan.step, variables=plan.variables)
    run.obj["status"] = "requires_action"
    run.obj["required_action"] = {
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {"tool_calls": [
            {"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in plan.tool_calls
        ]},
    }
    yield _event("thread.run.requires_action", run.obj)


def _file_search_step(run: RunRecord) -> Iterator[Action]:
    call = {"id": new_id("call_"), "type": "file_search",
            "file_search": {"ranking_options": {"ranker": "default_2024_08_21", "score_threshold": 0.0}, "results": []}}
    step = _new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": [call]})
    yield _event("thread.run.step.created", step)
    yield _event("thread.run.step.in_progress", step)
    step.update(status="completed", completed_at=now())
    yield _event("thread.run.step.completed", step)


def _message(record: ThreadRecord, run: RunRecord, plan: Plan) -> Iterator[Action]:
    """Write the answer into a new assistant message token by token; returns the run status."""
    message = new_message(record.obj["id"], {"role": "assistant", "content": "x"},
                          assistant_id=run.obj["assistant_id"], run_id=run.obj["id"],
                          status="in_progress", completed_at=None, content=[])
    step = _new_step(run, "message_creation", {"type": "message_creation", "message_creation": {"message_id": message["id"]}})
    yield _event("thread.run.step.created", step)
    yield _event("thread.run.step.in_progress", step)
    record.messages.append(message)
    yield _event("thread.message.created", message)
    yield _event("thread.message.in_progress", message)
    tokens = tokens_of(plan.text)
    limit = run.obj["max_completion_tokens"]
    status = "completed"
    if isinstance(limit, int) and count_tokens(plan.text) > limit:
        tokens, status = _cut(tokens, limit), "incomplete"
    part = {"type": "text", "text": {"value": "", "annotations": []}}
    message["content"].append(part)
    delay = 0.0 if plan.latency.run_ms else plan.latency.token_delay()
    for token in tokens:
        part["text"]["value"] += token
        delta = {"content": [{"index": 0, "type": "text", "text": {"value": token, "annotations": []}}]}
        yield _event("thread.message.delta", {"id": message["id"], "object": "thread.message.delta", "delta": delta})
        if delay:
            yield ("sleep", delay)
    for number, (file_id, filename) in enumerate(plan.citations):
        marker = f"【{number}:0†{filename}】"
        start = len(part["text"]["value"])
        part["text"]["value"] += marker
        annotation = {"type": "file_citation", "text": marker, "start_index": start, "end_index": start + len(marker),
                      "file_citation": {"file_id": file_id}}
        part["text"]["annotations"].append(annotation)
        delta = {"content": [{"index": 0, "type": "text", "text": {"value": marker, "annotations": [{"index": number, **annotation}]}}]}
        yield _event("thread.message.delta", {"id": message["id"], "object": "thread.message.delta", "delta": delta})
    completion = count_tokens(part["text"]["value"])
    if status == "completed":
        message.update(status="completed", completed_at=now())
        yield _event("thread.message.completed", message)
    else:
        message.update(status="incomplete", incomplete_at=now(), incomplete_details={"reason": "max_tokens"})
        yield _event("thread.message.incomplete", message)
    prompt = _prompt_tokens(record, run)
    step.update(status="completed", completed_at=now(),
                usage={"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
    yield _event("thread.run.step.completed", step)
    return status


def _cut(tokens: list[str], limit: int) -> list[str]:
    kept, words = [], 0
    for token in tokens:
        if token.strip():
            if words >= limit:
                break
            words += 1
        kept.append(token)
    return kept


def _usage(record: ThreadRecord, run: RunRecord) -> dict[str, int]:
    prompt = _prompt_tokens(record, run)
    completion = sum((s.get("usage") or {}).get("completion_tokens", 0) for s in run.steps)
    completion += sum(count_tokens(c["function"]["arguments"]) for s in run.steps if s["type"] == "tool_calls"
                      for c in s["step_details"]["tool_calls"] if c["type"] == "function")
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _end(record: ThreadRecord, run: RunRecord, status: str, *, reason: str | None = None,
         error: dict[str, Any] | None = None) -> Iterator[Action]:
    obj = run.obj
    stamp = now()
    obj["status"] = status
    obj["usage"] = _usage(record, run)
    if status == "completed":
        obj["completed_at"] = stamp
    elif status == "incomplete":
        obj["incomplete_details"] = {"reason": reason or "max_completion_tokens"}
        obj["completed_at"] = stamp
    elif status == "failed":
        obj["failed_at"] = stamp
        obj["last_error"] = error
    yield _event(f"thread.run.{status}", obj)


def _fault(record: ThreadRecord, run: RunRecord, plan: Plan) -> Iterator[Action]:
    fault = plan.fault or {}
    yield ("sleep", plan.latency.duration(0))
    kind = fault.get("kind")
    if kind == "stuck":
        yield ("stuck",)
        return
    if kind == "run_expired":
        run.obj["expires_at"] = now()
        yield from _end(record, run, "expired")
        return
    if kind == "run_incomplete":
        reason = fault.get("reason")
        reason = reason if reason in ("max_prompt_tokens", "max_completion_tokens") else "max_completion_tokens"
        yield from _end(record, run, "incomplete", reason=reason)
        return
    code = fault.get("code") or "server_error"
    message = fault.get("message") or (
        "Rate limit reached for requests." if code == "rate_limit_exceeded"
        else "Sorry, something went wrong."
    )
    yield from _end(record, run, "failed", error={"code": code, "message": message})


# -- read / list / cancel / submit -----------------------------------------------------------
def _run(request: Request) -> tuple[ThreadRecord, RunRecord]:
    record = thread_of(request)
    run_id = request.path_params["run_id"]
    run = emulator_of(request).state.runs.get(run_id)
    if run is None or run.obj["thread_id"] != record.obj["id"]:
        raise not_found(f"No run found with id '{run_id}'.")
    return record, run


async def retrieve_run(request: Request) -> Response:
    _, run = _run(request)
    return ok(run.obj, headers=_headers(emulator_of(request)))


async def update_run(request: Request) -> Response:
    _, run = _run(request)
    body = await read_json(request)
    if "metadata" in body:
        run.obj["metadata"] = body["metadata"] or {}
    return ok(run.obj, headers=_headers(emulator_of(request)))


async def list_runs(request: Request) -> Response:
    state = emulator_of(request).state
    record = thread_of(request)
    runs = [state.runs[r].obj for r in record.runs if r in state.runs]
    return ok(paginate(runs, request), headers=_headers(emulator_of(request)))


async def cancel_run(request: Request) -> Response:
    _, run = _run(request)
    status = run.obj["status"]
    if status not in ACTIVE or status == "cancelling":
        raise ApiProblem(400, f"Cannot cancel run with status '{status}'.")
    if run.timeline is not None:
        run.timeline.cancel()
    run.obj["status"] = "cancelling"
    return ok(run.obj, headers=_headers(emulator_of(request)))


async def submit_tool_outputs(request: Request) -> Response:
    emulator = emulator_of(request)
    record, run = _run(request)
    body = await read_json(request)
    _reject_unknown(body, {"tool_outputs", "stream"})
    if run.obj["status"] != "requires_action":
        raise ApiProblem(400, f'Runs in status "{run.obj["status"]}" do not accept tool outputs.')
    outputs = body.get("tool_outputs")
    if not isinstance(outputs, list):
        raise ApiProblem(400, "Missing required parameter: 'tool_outputs'.", param="tool_outputs")
    expected = [c["id"] for c in run.obj["required_action"]["submit_tool_outputs"]["tool_calls"]]
    given = [str(o.get("tool_call_id")) for o in outputs]
    if sorted(given) != sorted(expected):
        raise ApiProblem(
            400, f"Expected tool outputs for call_ids {json.dumps(expected)}, got {json.dumps(given)}",
            param="tool_outputs",
        )
    by_id = {str(o["tool_call_id"]): str(o.get("output", "")) for o in outputs}
    step = run.tool_step
    assert step is not None
    named = []
    for call in step["step_details"]["tool_calls"]:
        call["function"]["output"] = by_id[call["id"]]
        named.append((call["function"]["name"], by_id[call["id"]]))
    pending = emulator.state.calls.get(expected[0])
    run.obj.update(status="queued", required_action=None)
    plan = _plan(emulator, record, run, request, outputs=named, pending=pending)
    run.timeline = Timeline(_continue(emulator, record, run, step, plan))
    return _respond(request, emulator, run, stream=bool(body.get("stream")), prelude=[])


def _continue(emulator: "Emulator", record: ThreadRecord, run: RunRecord, step: dict[str, Any], plan: Plan) -> Iterator[Action]:
    step.update(status="completed", completed_at=now())
    run.tool_step = None
    yield _event("thread.run.step.completed", step)
    yield from _lifecycle(emulator, record, run, plan)


async def list_steps(request: Request) -> Response:
    _, run = _run(request)
    return ok(paginate(run.steps, request))


async def retrieve_step(request: Request) -> Response:
    _, run = _run(request)
    step_id = request.path_params["step_id"]
    for step in run.steps:
        if step["id"] == step_id:
            return ok(step)
    raise not_found(f"No run step found with id '{step_id}'.")


ROUTES = [
    Route("/v1/threads/runs", create_thread_and_run, methods=["POST"]),
    Route("/v1/threads/{thread_id}/runs", create_run, methods=["POST"]),
    Route("/v1/threads/{thread_id}/runs", list_runs, methods=["GET"]),
    Route("/v1/threads/{thread_id}/runs/{run_id}", retrieve_run, methods=["GET"]),
    Route("/v1/threads/{thread_id}/runs/{run_id}", update_run, methods=["POST"]),
    Route("/v1/threads/{thread_id}/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    Route("/v1/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", submit_tool_outputs, methods=["POST"]),
    Route("/v1/threads/{thread_id}/runs/{run_id}/steps", list_steps, methods=["GET"]),
    Route("/v1/threads/{thread_id}/runs/{run_id}/steps/{step_id}", retrieve_step, methods=["GET"]),
]
