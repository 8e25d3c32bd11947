"""What the inspector shows, as plain data: the emulator's world read at one moment.

Conversations with their responses, threads with their runs, and for each response or run its
timeline condensed from the events it produced (the same events a stream sends, recorded for
polled work too): status changes, text deltas (merged), tool calls with their arguments and
outputs, usage. Then the request log, each request with its spec verdict. Reading changes
nothing (polled work is not advanced).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator
    from openaiassistant.emulator.state import ResponseRecord, RunRecord

__all__ = ["inspect_world"]

_DELTAS = {
    "response.output_text.delta": "text",
    "thread.message.delta": "text",
    "response.function_call_arguments.delta": "arguments",
    "thread.run.step.delta": "arguments",
}
_STATUS_PREFIXES = ("response.", "thread.run.")
_STATUS_SKIP = ("response.output_", "response.content_part", "response.function_call", "thread.run.step")


def inspect_world(emulator: Emulator) -> dict[str, Any]:
    """Everything the inspector page renders."""
    state = emulator.state
    responses = sorted(state.responses.values(), key=lambda r: r.obj.get("created_at") or 0)
    outputs = _response_tool_outputs(responses)
    by_conversation: dict[str, list[dict[str, Any]]] = {}
    alone: list[dict[str, Any]] = []
    for record in responses:
        view = _response_view(record, outputs)
        if record.conversation_id:
            by_conversation.setdefault(record.conversation_id, []).append(view)
        else:
            alone.append(view)
    conversations = [
        {
            "id": cid,
            "metadata": conversation.obj.get("metadata") or {},
            "items": len(conversation.items),
            "responses": by_conversation.get(cid, []),
        }
        for cid, conversation in state.conversations.items()
    ]
    threads = [
        {
            "id": tid,
            "metadata": thread.obj.get("metadata") or {},
            "messages": [_message_view(m) for m in thread.messages],
            "runs": [_run_view(state.runs[rid]) for rid in thread.runs if rid in state.runs],
        }
        for tid, thread in state.threads.items()
    ]
    requests = emulator.requests()
    return {
        "conversations": conversations,
        "threads": threads,
        "responses": alone,
        "requests": [_request_view(i, entry) for i, entry in enumerate(requests)],
        "violations": emulator.violations(),
        "script_rules": [rule.name for rule in emulator.script.rules],
    }


def _response_tool_outputs(responses: Iterable[ResponseRecord]) -> dict[str, Any]:
    """call_id -> output, from the function_call_output items later responses carried."""
    found: dict[str, Any] = {}
    for record in responses:
        for item in record.input_items:
            if item.get("type") == "function_call_output":
                found[str(item.get("call_id"))] = item.get("output")
    return found


def _response_view(record: ResponseRecord, outputs: dict[str, Any]) -> dict[str, Any]:
    obj = record.obj
    calls = [
        {"call_id": item.get("call_id"), "name": item.get("name"), "arguments": item.get("arguments")}
        for item in obj.get("output") or []
        if item.get("type") == "function_call"
    ]
    for call in calls:
        call["output"] = outputs.get(str(call["call_id"]))
    return {
        "id": obj.get("id"),
        "status": obj.get("status"),
        "model": obj.get("model"),
        "background": obj.get("background"),
        "input": [_input_view(item) for item in record.input_items],
        "timeline": condense(record.events),
        "text": _response_text(obj),
        "tool_calls": calls,
        "usage": obj.get("usage"),
        "error": obj.get("error") or obj.get("incomplete_details"),
    }


def _run_view(run: RunRecord) -> dict[str, Any]:
    obj = run.obj
    calls = []
    for step in run.steps:
        details = step.get("step_details") or {}
        for call in details.get("tool_calls") or []:
            function = call.get("function") or {}
            calls.append(
                {
                    "call_id": call.get("id"),
                    "name": function.get("name") or call.get("type"),
                    "arguments": function.get("arguments"),
                    "output": function.get("output"),
                }
            )
    return {
        "id": obj.get("id"),
        "status": obj.get("status"),
        "model": obj.get("model"),
        "assistant_id": obj.get("assistant_id"),
        "timeline": condense(run.events),
        "tool_calls": calls,
        "usage": obj.get("usage"),
        "error": obj.get("last_error") or obj.get("incomplete_details"),
    }


def condense(events: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Events as rows: a status change, a run of deltas merged into one row, a tool call, the
    usage at the end. Other events (parts added, items done ...) are counted, not listed."""
    rows: list[dict[str, Any]] = []
    for name, data in events:
        kind = _DELTAS.get(name)
        if kind is not None:
            piece = _delta_text(name, data)
            last = rows[-1] if rows else None
            if last is not None and last["kind"] == kind:
                last["text"] += piece
                last["count"] += 1
            else:
                rows.append({"kind": kind, "event": name, "text": piece, "count": 1})
            continue
        status = _status(name, data)
        if status is not None:
            if rows and rows[-1]["kind"] == "status" and rows[-1]["text"] == status and "usage" not in rows[-1]:
                continue  # created + queued, or created + in_progress: one change, not two
            row: dict[str, Any] = {"kind": "status", "event": name, "text": status, "count": 1}
            usage = (data.get("response") or data).get("usage") if isinstance(data, dict) else None
            if usage:
                row["usage"] = usage
            rows.append(row)
        elif name in ("response.output_item.done",) and (data.get("item") or {}).get("type") == "function_call":
            item = data["item"]
            rows.append(
                {"kind": "tool_call", "event": name, "text": f"{item.get('name')}({item.get('arguments')})", "count": 1}
            )
        elif name == "error":
            rows.append({"kind": "error", "event": name, "text": _short(data), "count": 1})
    return rows


def _status(name: str, data: Any) -> str | None:
    if not name.startswith(_STATUS_PREFIXES) or name.startswith(_STATUS_SKIP) or not isinstance(data, dict):
        return None
    obj = data.get("response") if name.startswith("response.") else data
    if not isinstance(obj, dict):
        return None
    status = obj.get("status")
    if name == "thread.run.requires_action":
        wanted = ((obj.get("required_action") or {}).get("submit_tool_outputs") or {}).get("tool_calls") or []
        names = ", ".join(f"{c['function']['name']}({c['function']['arguments']})" for c in wanted if "function" in c)
        return f"{status}: {names}" if names else str(status)
    return str(status) if status else None


def _delta_text(name: str, data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    if name.startswith("response."):
        return str(data.get("delta") or "")
    delta = data.get("delta") or {}
    if name == "thread.message.delta":
        return "".join(((part.get("text") or {}).get("value") or "") for part in delta.get("content") or [])
    calls = (delta.get("step_details") or {}).get("tool_calls") or []
    return "".join(((call.get("function") or {}).get("arguments") or "") for call in calls)


def _response_text(obj: dict[str, Any]) -> str:
    texts: list[str] = []
    for item in obj.get("output") or []:
        if item.get("type") == "message":
            texts.extend(
                part.get("text", "") for part in item.get("content") or [] if part.get("type") == "output_text"
            )
    return "".join(texts)


def _input_view(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type")
    if kind == "function_call_output":
        return {"kind": "tool output", "text": f"{item.get('call_id')}: {_short(item.get('output'))}"}
    if kind == "message":
        return {"kind": str(item.get("role")), "text": _content_text(item.get("content"))}
    return {"kind": str(kind), "text": _short(item)}


def _message_view(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": str(message.get("role")),
        "text": _content_text(message.get("content")),
        "run_id": message.get("run_id"),
    }


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        if isinstance(part, dict):
            text = part.get("text")
            parts.append(text.get("value", "") if isinstance(text, dict) else str(text or f"[{part.get('type')}]"))
    return "\n".join(parts)


def _request_view(index: int, entry: dict[str, Any]) -> dict[str, Any]:
    problems = entry.get("violations") or []
    return {
        "n": index + 1,
        "method": entry.get("method"),
        "path": entry.get("path"),
        "query": entry.get("query"),
        "status": entry.get("status"),
        "duration_ms": entry.get("duration_ms"),
        "body": entry.get("body"),
        "verdict": "conforms to the spec" if not problems else f"{len(problems)} spec problem(s)",
        "violations": problems,
    }


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
