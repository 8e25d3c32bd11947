"""A Responses conversation kept in our own record, for servers without ``/v1/conversations``.

The conversation's id is the log's (``oaconv_...``); each response gets the whole conversation
as ``input`` (no ``conversation``, no ``previous_response_id``: LiteLLM's proxy without its
database accepts the latter and silently drops the history). Items are written to the
:class:`~openaiassistant.registry.conversation_log.ConversationLog` as they happen, each under
a key that makes a retried write a no-op:

* the user's message under ``<turn key>:user`` before the request that carries it;
* each ``function_call`` under its call id, each answer message under ``<response id>:<index>``,
  when the response that made them ends;
* each tool output under ``<call id>:output`` before the request that carries it.

So a failed turn leaves what happened, a retried turn never doubles its message, and the next
alert's turn sees every earlier turn.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from openaiassistant.errors import NotFoundError

if TYPE_CHECKING:
    from openaiassistant.registry.conversation_log import ConversationLog, LogItem

__all__ = ["LocalConversation", "history", "is_local"]

ID_PREFIX = "oaconv_"


def is_local(thread_id: str | None) -> bool:
    """Whether this conversation id is one of our log's (not the server's)."""
    return bool(thread_id) and str(thread_id).startswith(ID_PREFIX)


class LocalConversation:
    """One turn's view of a logged conversation (a new ``turn_key`` per turn)."""

    def __init__(self, *, log: ConversationLog, conversation_id: str) -> None:
        if not log.exists(conversation_id):
            raise NotFoundError(
                f"conversation {conversation_id} is not in this conversation log (it was kept by another "
                "registry, or deleted); check registry_url",
                http_status=None,
                thread_id=conversation_id,
            )
        self.log = log
        self.conversation_id = conversation_id
        self.turn_key = "turn_" + secrets.token_hex(8)

    def record_user(self, message: dict[str, Any]) -> None:
        from openaiassistant.registry.conversation_log import LogItem

        parts = message.get("content")
        text = (
            parts
            if isinstance(parts, str)
            else " ".join(str(p.get("text") or "") for p in parts or [] if p.get("type") == "input_text")
        )
        content = parts if isinstance(parts, list) and any(p.get("type") != "input_text" for p in parts) else None
        self.log.append(
            self.conversation_id,
            [LogItem.message(key=f"{self.turn_key}:user", role="user", text=text, content=content)],
        )

    def record_response(self, response: dict[str, Any]) -> None:
        """The function calls and answer messages of a response that ended."""
        from openaiassistant.registry.conversation_log import LogItem

        run_id = str(response.get("id"))
        items: list[LogItem] = []
        for index, item in enumerate(response.get("output") or []):
            kind = item.get("type")
            if kind == "function_call":
                call_id = str(item.get("call_id"))
                items.append(
                    LogItem.function_call(
                        key=call_id,
                        call_id=call_id,
                        name=str(item.get("name")),
                        arguments=str(item.get("arguments") or "{}"),
                        run_id=run_id,
                    )
                )
            elif kind == "message" and item.get("role") == "assistant":
                text = "".join(
                    str(p.get("text") or p.get("refusal") or "")
                    for p in item.get("content") or []
                    if isinstance(p, dict)
                )
                items.append(LogItem.message(key=f"{run_id}:{index}", role="assistant", text=text, run_id=run_id))
        if items:
            self.log.append(self.conversation_id, items)

    def record_outputs(self, outputs: list[tuple[str, str]]) -> None:
        """Tool outputs as ``(call_id, output)``."""
        from openaiassistant.registry.conversation_log import LogItem

        self.log.append(
            self.conversation_id,
            [
                LogItem.function_call_output(key=f"{call_id}:output", call_id=call_id, output=output)
                for call_id, output in outputs
            ],
        )

    def close_calls(self, call_ids: list[str]) -> None:
        """Calls a failing turn leaves unanswered get an error output, so the conversation stays
        usable (every call has its output)."""
        error = json.dumps({"error": "the turn ended before this call was answered"})
        self.record_outputs([(call_id, error) for call_id in call_ids])

    def input(self, *, last_messages: int | None = None) -> list[dict[str, Any]]:
        """The conversation as Responses input; with ``last_messages`` N, only the items from
        the N-th last message before this turn on (this turn's items always)."""
        items = self.log.items(self.conversation_id)
        if last_messages is not None:
            items = _window(items, self.turn_key, last_messages)
        return [item.as_responses_input() for item in items]


def _window(items: list[LogItem], turn_key: str, count: int) -> list[LogItem]:
    start = next((i for i, item in enumerate(items) if item.key == f"{turn_key}:user"), len(items))
    earlier = [i for i, item in enumerate(items[:start]) if item.kind == "message"]
    first = earlier[-count] if len(earlier) >= count else 0
    kept = [item for item in items[first:start] if item.kind == "message"]
    return kept + items[start:]


def history(log: ConversationLog, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's messages as history entries (``{id, role, text}``), oldest first."""
    return [
        {"id": f"{conversation_id}:{item.seq}", "role": item.role, "text": item.text or ""}
        for item in log.items(conversation_id)
        if item.kind == "message"
    ]
