"""Assistants v2 runs and run steps: create (also streamed), list, retrieve, cancel,
``submit_tool_outputs``; the run's life itself is in :mod:`run_lifecycle`.

A run is driven by a :class:`Timeline` (polled: catch-up on reads; streamed: real time).
Every run response carries ``openai-poll-after-ms``.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator import request_rules as rules
from openaiassistant.emulator.assistants_api import (
    ACTIVE,
    _wire_tools,
    active_run,
    assistant_of,
    new_message,
    new_thread,
    settle,
    thread_of,
)
from openaiassistant.emulator.clock import Clock
from openaiassistant.emulator.http import (
    ApiProblem,
    check_metadata,
    check_number,
    emulator_of,
    new_id,
    not_found,
    ok,
    paginate,
    raw_body,
    read_json,
    require,
    sse_response,
)
from openaiassistant.emulator.model import Context, Plan, decide, forced_tool
from openaiassistant.emulator.models_api import check_model
from openaiassistant.emulator.run_lifecycle import after_tool_outputs, lifecycle, message_text, visible_messages
from openaiassistant.emulator.state import PendingCall, RunRecord, ThreadRecord
from openaiassistant.emulator.timeline import Timeline, snapshot
from openaiassistant.emulator.vector_stores_api import indexed_files

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES"]


def _headers(emulator: Emulator) -> dict[str, str]:
    return emulator.poll_headers("assistants")


# -- create ----------------------------------------------------------------------------------
async def create_run(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await read_json(request)
    _check_numbers(body)
    record = thread_of(request)
    running = active_run(emulator.state, record)
    if running:
        raise ApiProblem(400, f"Thread {record.obj['id']} already has an active run {running}.")
    assistant = assistant_of(emulator.state, str(require(body, "assistant_id")))  # refused before any message lands
    if body.get("model"):
        check_model(emulator, body["model"])
    messages = [
        new_message(record.obj["id"], raw, state=emulator.state, created_at=emulator.clock.now())
        for raw in body.get("additional_messages") or []
    ]
    _check_run_rules(body, assistant, [*record.messages, *messages])
    record.messages.extend(messages)
    return _start(request, emulator, record, body)


async def create_thread_and_run(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await read_json(request)
    _check_numbers(body)
    thread_body = dict(body.get("thread") or {})
    if body.get("tool_resources") and not thread_body.get("tool_resources"):
        thread_body["tool_resources"] = body["tool_resources"]
    require(body, "assistant_id")
    assistant = assistant_of(emulator.state, str(body["assistant_id"]))
    given = thread_body.get("messages")
    raw_messages: list[Any] = given if isinstance(given, list) else []
    drafts = [new_message("thread_", raw, created_at=0) for raw in raw_messages]  # checked, not kept
    _check_run_rules(body, assistant, drafts)
    record = new_thread(emulator, thread_body)
    return _start(request, emulator, record, body, thread_created=True)


def _check_run_rules(body: dict[str, Any], assistant: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    """What the live API refuses about a run given its assistant's defaults: reasoning on a
    model that does not reason, a tool_choice naming a function the run does not have, a strict
    format that cannot be strict, json_object without "json" in instructions or messages."""
    model = body.get("model") or assistant.get("model")
    rules.check_reasoning(model, body.get("reasoning_effort"), param="reasoning_effort")
    tools = body["tools"] if body.get("tools") is not None else assistant.get("tools") or []
    functions = [t["function"]["name"] for t in tools if t.get("type") == "function"]
    rules.check_tool_choice(body.get("tool_choice"), functions)
    fmt = body.get("response_format") or assistant.get("response_format")
    if not isinstance(fmt, dict):
        return
    rules.check_strict_format(fmt.get("json_schema"), param="response_format.json_schema")
    instructions = body.get("instructions") or assistant.get("instructions")
    texts = [instructions, body.get("additional_instructions"), *(message_text(m) for m in messages)]
    rules.check_json_mention(fmt.get("type"), texts, api="assistants")


def _check_numbers(body: dict[str, Any]) -> None:
    rules.check_tools(body, nested_function=True)
    check_number(body, "max_prompt_tokens", minimum=256, integer=True)
    check_number(body, "max_completion_tokens", minimum=256, integer=True)
    check_number(body, "temperature", minimum=0, maximum=2)
    check_number(body, "top_p", minimum=0, maximum=1)


def _start(
    request: Request, emulator: Emulator, record: ThreadRecord, body: dict[str, Any], *, thread_created: bool = False
) -> Response:
    assistant = assistant_of(emulator.state, str(require(body, "assistant_id")))
    if body.get("model"):
        check_model(emulator, body["model"])
    instructions = body.get("instructions") or assistant.get("instructions") or ""
    if body.get("additional_instructions"):
        instructions = f"{instructions}\n{body['additional_instructions']}".strip()
    created = emulator.clock.now()
    obj = {
        "id": new_id("run_"),
        "object": "thread.run",
        "created_at": created,
        "thread_id": record.obj["id"],
        "assistant_id": assistant["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": created + max(1, math.ceil(emulator.script.run_expires_ms / 1000)),
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": str(body.get("model") or assistant["model"]),
        "instructions": instructions,
        "tools": _wire_tools(body["tools"]) if body.get("tools") is not None else assistant["tools"],
        "metadata": check_metadata(body),
        "usage": None,
        "temperature": body.get("temperature", assistant.get("temperature", 1.0)),
        "top_p": body.get("top_p", assistant.get("top_p", 1.0)),
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": body.get("truncation_strategy") or {"type": "auto", "last_messages": None},
        "response_format": body.get("response_format") or assistant.get("response_format") or "auto",
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
    }
    run = RunRecord(obj=obj, expires_mono=emulator.clock.monotonic() + emulator.script.run_expires_ms / 1000)
    emulator.state.runs[obj["id"]] = run
    record.runs.append(obj["id"])
    plan = _plan(emulator, record, run, request, outputs=None)
    run.timeline = Timeline(lifecycle(emulator, record, run, plan), clock=emulator.clock, sink=run.events)
    prelude = [("thread.created", record.obj)] if thread_created else []
    prelude.append(("thread.run.created", obj))
    run.events.append(("thread.run.created", snapshot(obj)))
    return _respond(request, emulator, run, stream=bool(body.get("stream")), prelude=prelude)


def _respond(
    request: Request, emulator: Emulator, run: RunRecord, *, stream: bool, prelude: list[tuple[str, dict[str, Any]]]
) -> Response:
    if not stream:
        return ok(run.obj, headers=_headers(emulator))
    cut = emulator.stream_cut("POST", request.url.path, raw_body(request))
    first = [(name, snapshot(obj)) for name, obj in prelude]  # as they are now, before the run advances
    return sse_response(
        request, _stream(run, first, clock=emulator.clock), api="assistants", cut_after=cut, headers=_headers(emulator)
    )


async def _stream(
    run: RunRecord, prelude: list[tuple[str, dict[str, Any]]], *, clock: Clock
) -> AsyncGenerator[tuple[str, Any], None]:
    for name, data in prelude:
        yield name, data
    assert run.timeline is not None
    async with contextlib.aclosing(run.timeline.events()) as steps:
        async for name, data in steps:
            yield name, data
    if run.obj["status"] == "cancelling":  # cancelled while streaming: say so before done
        yield "thread.run.cancelling", snapshot(run.obj)
        settle(run, clock=clock)
        yield "thread.run.cancelled", snapshot(run.obj)
    yield "done", "[DONE]"


def _plan(
    emulator: Emulator,
    record: ThreadRecord,
    run: RunRecord,
    request: Request,
    *,
    outputs: list[tuple[str, str]] | None,
    pending: PendingCall | None = None,
) -> Plan:
    fault = emulator.model_fault("POST", request.url.path, raw_body(request))
    user_text = next((message_text(m) for m in reversed(record.messages) if m["role"] == "user"), "")
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
        parallel=run.obj["parallel_tool_calls"] is not False,
        forced_tool=forced_tool(run.obj["tool_choice"]),
        seen=[message_text(m) for m in visible_messages(record, run)],
        code_interpreter=any(t.get("type") == "code_interpreter" for t in run.obj["tools"]),
        sandbox_files=_sandbox(emulator, record, run),
        attached=_attached(emulator, record),
    )
    plan = decide(emulator.script, context)
    if fault is not None:
        plan.kind, plan.fault = "fault", fault
    return plan


def _file_names(emulator: Emulator, file_ids: list[str]) -> list[str]:
    files = emulator.state.files
    return [str(files[f].obj["filename"]) for f in file_ids if f in files]


def _attached(emulator: Emulator, record: ThreadRecord) -> list[str]:
    """Names of the files and images the latest user message carries."""
    latest = next((m for m in reversed(record.messages) if m["role"] == "user"), None)
    if latest is None:
        return []
    ids = [str(a.get("file_id")) for a in latest.get("attachments") or []]
    ids += [str(p["image_file"]["file_id"]) for p in latest.get("content") or [] if p.get("type") == "image_file"]
    return _file_names(emulator, ids)


def _sandbox(emulator: Emulator, record: ThreadRecord, run: RunRecord) -> list[str]:
    """Names of the files code_interpreter can read: the thread's and assistant's
    ``tool_resources.code_interpreter`` and messages' attachments for code_interpreter."""
    assistant = emulator.state.assistants.get(run.obj["assistant_id"]) or {}
    ids: list[str] = []
    for resources in (record.obj.get("tool_resources") or {}, assistant.get("tool_resources") or {}):
        ids += (resources.get("code_interpreter") or {}).get("file_ids") or []
    for message in record.messages:
        for attachment in message.get("attachments") or []:
            if any(t.get("type") == "code_interpreter" for t in attachment.get("tools") or []):
                ids.append(str(attachment.get("file_id")))
    return _file_names(emulator, list(dict.fromkeys(ids)))


def _searchable(emulator: Emulator, record: ThreadRecord, run: RunRecord) -> list[tuple[str, str, bytes]] | None:
    """Files a ``file_search`` step may cite: the thread's and assistant's vector stores (when
    the run has the file_search tool) and files attached to messages for file_search."""
    state = emulator.state
    found: list[tuple[str, str, bytes]] = []
    if any(t.get("type") == "file_search" for t in run.obj["tools"]):
        assistant = state.assistants.get(run.obj["assistant_id"]) or {}
        store_ids: list[str] = []
        for resources in (record.obj.get("tool_resources") or {}, assistant.get("tool_resources") or {}):
            store_ids += (resources.get("file_search") or {}).get("vector_store_ids") or []
        found += indexed_files(emulator, store_ids)
    for message in record.messages:
        for attachment in message.get("attachments") or []:
            upload = state.files.get(str(attachment.get("file_id")))
            wants_search = any(t.get("type") == "file_search" for t in attachment.get("tools") or [])
            if upload is not None and wants_search:
                found.append((upload.obj["id"], str(upload.obj["filename"]), upload.content))
    return found or None


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
        run.obj["metadata"] = check_metadata(body)
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
    if run.obj["status"] != "requires_action":
        raise ApiProblem(400, f'Runs in status "{run.obj["status"]}" do not accept tool outputs.')
    outputs = body.get("tool_outputs")
    if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
        raise ApiProblem(400, "Missing required parameter: 'tool_outputs'.", param="tool_outputs")
    expected = [c["id"] for c in run.obj["required_action"]["submit_tool_outputs"]["tool_calls"]]
    given = [str(o.get("tool_call_id")) for o in outputs]
    if sorted(given) != sorted(expected):
        raise ApiProblem(
            400,
            f"Expected tool outputs for call_ids {json.dumps(expected)}, got {json.dumps(given)}",
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
    run.timeline = Timeline(
        after_tool_outputs(emulator, record, run, step, plan), clock=emulator.clock, sink=run.events
    )
    return _respond(request, emulator, run, stream=bool(body.get("stream")), prelude=[])


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
