"""Responses/Conversations items: normalizing what clients send, reading what the model sees."""

from __future__ import annotations

from typing import Any

from openaiassistant.emulator.http import ApiProblem, new_id
from openaiassistant.emulator.script import count_tokens
from openaiassistant.emulator.state import State

__all__ = [
    "check_tool_pairs",
    "context_tokens",
    "item_text",
    "latest_user_files",
    "latest_user_text",
    "normalize_input",
    "prompt_units",
    "require_file",
    "unanswered_round_outputs",
]

_TEXT_PARTS = {"input_text", "output_text", "text"}


def normalize_input(raw: Any, *, state: State) -> list[dict[str, Any]]:
    """Turn ``input`` (a string or a list of items) into stored items with ids."""
    if isinstance(raw, str):
        return [_message({"role": "user", "content": raw}, state)]
    if not isinstance(raw, list):
        raise ApiProblem(400, "Invalid type for 'input': expected a string or an array of items.", param="input")
    return [_item(element, index, state) for index, element in enumerate(raw)]


def _item(element: Any, index: int, state: State) -> dict[str, Any]:
    if not isinstance(element, dict):
        raise ApiProblem(400, f"Invalid type for 'input[{index}]': expected an object.", param=f"input[{index}]")
    kind = element.get("type") or ("message" if "role" in element else None)
    if kind == "message":
        return _message(element, state)
    if kind == "function_call_output":
        output = element.get("output")
        if not isinstance(output, str):
            raise ApiProblem(
                400, f"Invalid type for 'input[{index}].output': expected a string.", param=f"input[{index}].output"
            )
        return {
            "id": element.get("id") or new_id("fco_"),
            "type": "function_call_output",
            "call_id": str(element.get("call_id") or ""),
            "output": output,
            "status": "completed",
        }
    if kind == "function_call":
        return {
            "id": element.get("id") or new_id("fc_"),
            "type": "function_call",
            "call_id": str(element.get("call_id") or ""),
            "name": str(element.get("name") or ""),
            "arguments": str(element.get("arguments") or ""),
            "status": "completed",
        }
    if kind == "item_reference":
        found = find_item(state, str(element.get("id")))
        if found is None:
            raise ApiProblem(404, f"Item with id '{element.get('id')}' not found.", param=f"input[{index}]")
        return found
    raise ApiProblem(
        400, f"Invalid value for 'input[{index}].type': {kind!r} is not supported.", param=f"input[{index}].type"
    )


def require_file(state: State, file_id: str, *, param: str) -> None:
    """A referenced upload must exist (the real API refuses unknown file ids)."""
    if file_id not in state.files:
        raise ApiProblem(400, f"Invalid file id '{file_id}': no such file.", param=param, code="invalid_value")


def _message(element: dict[str, Any], state: State) -> dict[str, Any]:
    role = element.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        raise ApiProblem(400, f"Invalid value for 'role': {role!r}.", param="role")
    content = element.get("content")
    part_type = "output_text" if role == "assistant" else "input_text"
    if isinstance(content, str):
        parts: list[dict[str, Any]] = [{"type": part_type, "text": content}]
    elif isinstance(content, list):
        parts = [dict(part) for part in content if isinstance(part, dict)]
    else:
        raise ApiProblem(400, "Invalid type for 'content': expected a string or an array.", param="content")
    for part in parts:
        if part.get("type") in ("input_file", "input_image") and part.get("file_id"):
            require_file(state, str(part["file_id"]), param="input")
        if part.get("type") == "output_text":
            part.setdefault("annotations", [])
            part.setdefault("logprobs", [])
        if part.get("type") == "input_image":
            part.setdefault("detail", "auto")
    return {
        "id": element.get("id") or new_id("msg_"),
        "type": "message",
        "role": role,
        "status": "completed",
        "content": parts,
    }


def find_item(state: State, item_id: str) -> dict[str, Any] | None:
    for conversation in state.conversations.values():
        for item in conversation.items:
            if item.get("id") == item_id:
                return item
    for record in state.responses.values():
        for item in [*record.input_items, *record.obj.get("output", [])]:
            if item.get("id") == item_id:
                return item
    return None


def item_text(item: dict[str, Any]) -> str:
    """All text in one item (message parts, tool arguments and outputs)."""
    if item.get("type") == "message":
        content = item.get("content")
        if isinstance(content, str):
            return content
        return " ".join(str(p.get("text", "")) for p in content or [] if p.get("type") in _TEXT_PARTS)
    if item.get("type") == "function_call":
        return str(item.get("arguments", ""))
    if item.get("type") == "function_call_output":
        return str(item.get("output", ""))
    return ""


def prompt_units(instructions: str | None, items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """A prompt as the prompt cache sees it: the instructions, then each item (kind, text)."""
    units = [("instructions", instructions or "")]
    units.extend((f"{item.get('type')}:{item.get('role', '')}", item_text(item)) for item in items)
    return units


def latest_user_text(items: list[dict[str, Any]]) -> str:
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            return item_text(item)
    return ""


def latest_user_files(items: list[dict[str, Any]]) -> list[str]:
    """File ids the latest user message carries (``input_file`` and ``input_image`` parts)."""
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            content = item.get("content")
            parts = content if isinstance(content, list) else []
            return [str(p["file_id"]) for p in parts if isinstance(p, dict) and p.get("file_id")]
    return []


def context_tokens(items: list[dict[str, Any]], instructions: str | None) -> int:
    return count_tokens(instructions or "") + sum(count_tokens(item_text(item)) for item in items)


def unanswered_round_outputs(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outputs of the tool round the context ends with, when no answer followed it yet (a
    response retried after the one carrying them failed): the model sees them as a real one
    does, in the conversation, not only in the request's own input."""
    tail: list[dict[str, Any]] = []
    for item in reversed(items):
        if item.get("type") not in ("function_call", "function_call_output"):
            break
        tail.append(item)
    return [item for item in reversed(tail) if item.get("type") == "function_call_output"]


def check_tool_pairs(items: list[dict[str, Any]]) -> None:
    """Reject orphan outputs and calls left without output, as the real API does."""
    calls = {i["call_id"] for i in items if i.get("type") == "function_call"}
    outputs = {i["call_id"] for i in items if i.get("type") == "function_call_output"}
    for call_id in outputs - calls:
        raise ApiProblem(400, f"No tool call found for function call output with call_id {call_id}.", param="input")
    for call_id in calls - outputs:
        raise ApiProblem(400, f"No tool output found for function call {call_id}.", param="input")
