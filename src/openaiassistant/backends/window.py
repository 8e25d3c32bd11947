"""``truncation_strategy: last_messages N`` on Responses: a context of the last N messages.

Responses has no "last N messages" mode: with ``conversation`` the server always uses the
whole conversation. The closest faithful behaviour is what Assistants does with it: the model
sees only the conversation's last N messages, and the conversation still records the whole
turn. So such a turn runs *beside* the conversation:

* the first response's input is ``item_reference``s to the last N message items, then the new
  user message (no ``conversation`` parameter);
* tool rounds chain with ``previous_response_id``;
* when the turn ends (completed or incomplete) its items (the user message, function calls,
  their outputs, the answer) are appended to the conversation, 20 per request (the API's
  limit), in order.

The conversation is not locked on the server during such a turn (in-process turns are still
serialized); this is documented in docs/engine.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["WindowTurn", "window_input"]

_BATCH = 20
_KEPT_KEYS = {
    "message": ("type", "role", "content"),
    "function_call": ("type", "call_id", "name", "arguments"),
    "function_call_output": ("type", "call_id", "output"),
}


@dataclass
class WindowTurn:
    """The items one windowed turn produced, to append to its conversation at the end."""

    thread_id: str
    items: list[dict[str, Any]] = field(default_factory=list)

    def record_input(self, items: list[dict[str, Any]]) -> None:
        self.items.extend(_portable(i) for i in items if i.get("type") != "item_reference")

    def record_output(self, response: dict[str, Any]) -> None:
        self.items.extend(_portable(i) for i in response.get("output") or [] if i.get("type") in _KEPT_KEYS)

    def flush(self, post: Callable[[str, dict[str, Any]], Any]) -> None:
        for start in range(0, len(self.items), _BATCH):
            post(f"/conversations/{self.thread_id}/items", {"items": self.items[start : start + _BATCH]})
        self.items.clear()


def window_input(recent: list[dict[str, Any]], count: int, new_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """References to the last ``count`` messages of ``recent`` (newest first), then the new items."""
    messages = [item for item in recent if item.get("type") == "message"][:count]
    return [{"type": "item_reference", "id": item["id"]} for item in reversed(messages)] + new_items


def _portable(item: dict[str, Any]) -> dict[str, Any]:
    """An item in the shape conversations.items.create takes (no ids or statuses).

    An answer (an output message: ``output_text`` parts, which as input need their id and
    status) goes in as an input message of the assistant role with its text."""
    if item.get("type") == "message" and item.get("role") == "assistant":
        parts = item.get("content") or []
        text = (
            parts
            if isinstance(parts, str)
            else "".join(str(p.get("text") or p.get("refusal") or "") for p in parts if isinstance(p, dict))
        )
        return {"type": "message", "role": "assistant", "content": text}
    keys = _KEPT_KEYS.get(str(item.get("type")), tuple(item))
    return {key: item[key] for key in keys if key in item}
