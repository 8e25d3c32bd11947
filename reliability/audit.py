"""What a cell left on the server, read through the server's own API (the SDK over HTTP).

Neither API lists conversations or threads, so the one question the API cannot answer (how many
conversations hold this turn's message) is asked of the emulator's state, which is the server.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import openai

warnings.filterwarnings("ignore", category=DeprecationWarning)

_ACTIVE_RUN = {"queued", "in_progress", "requires_action", "cancelling"}
_ACTIVE_RESPONSE = {"queued", "in_progress"}


@dataclass(kw_only=True)
class Audit:
    threads_with_message: int = 0  # conversations/threads holding the turn's user message
    empty_threads: int = 0  # conversations/threads made during the cell that hold nothing
    message_copies: int = 0  # copies of the user's message in the turn's conversation
    active_runs: list[str] = field(default_factory=list)  # runs/responses of the cell still active
    dangling_calls: list[str] = field(default_factory=list)  # function calls without an output
    model_runs: int = 0  # runs/responses started on the turn's conversation

    def to_dict(self) -> dict[str, Any]:
        return {
            "threads_with_message": self.threads_with_message,
            "empty_threads": self.empty_threads,
            "message_copies": self.message_copies,
            "active_runs": list(self.active_runs),
            "dangling_calls": list(self.dangling_calls),
            "model_runs": self.model_runs,
        }


def _texts(content: Any) -> list[str]:
    """The texts of a message's content, both APIs' shapes."""
    if isinstance(content, str):
        return [content]
    out = []
    for part in content or []:
        text = part.get("text") if isinstance(part, dict) else None
        if isinstance(text, dict):
            text = text.get("value")
        if isinstance(text, str):
            out.append(text)
    return out


class Auditor:
    """Reads a cell's traces from the server: ``client`` has no retries, so it sees what is."""

    def __init__(self, server: Any, client: openai.OpenAI) -> None:
        self.server = server
        self.client = client
        self._known: set[str] = set()

    def mark(self) -> None:
        """Remember the conversations/threads that exist now (made before the cell ran)."""
        state = self.server.emulator.state
        self._known = set(state.conversations) | set(state.threads)

    def audit(self, *, backend: str, thread_id: str | None, prompt: str) -> Audit:
        audit = Audit()
        holding, empty = self._threads_holding(backend, prompt)
        audit.threads_with_message, audit.empty_threads = len(holding), empty
        if thread_id is None and len(holding) == 1:
            thread_id = holding[0]
        if thread_id is None:
            return audit
        if backend == "responses":
            self._responses(thread_id, prompt, audit)
        else:
            self._assistants(thread_id, prompt, audit)
        return audit

    def only_thread(self, backend: str, prompt: str) -> str | None:
        """The one conversation/thread holding ``prompt``, if exactly one does."""
        holding, _ = self._threads_holding(backend, prompt)
        return holding[0] if len(holding) == 1 else None

    def _threads_holding(self, backend: str, prompt: str) -> tuple[list[str], int]:
        state = self.server.emulator.state
        holding, empty = [], 0
        if backend == "responses":
            records = {cid: rec.items for cid, rec in state.conversations.items()}
        else:
            records = {tid: rec.messages for tid, rec in state.threads.items()}
        for thread_id, items in list(records.items()):
            texts = [t for item in items if item.get("role") == "user" for t in _texts(item.get("content"))]
            if prompt in texts:  # the prompt is unique to the cell: older threads never hold it
                holding.append(thread_id)
            elif not items and thread_id not in self._known:
                empty += 1
        return holding, empty

    def _responses(self, conversation_id: str, prompt: str, audit: Audit) -> None:
        items = self._items(conversation_id)
        audit.message_copies = sum(
            _texts(i.get("content")).count(prompt)
            for i in items
            if i.get("type") == "message" and i.get("role") == "user"
        )
        outputs = {i.get("call_id") for i in items if i.get("type") == "function_call_output"}
        audit.dangling_calls = [
            str(i.get("call_id")) for i in items if i.get("type") == "function_call" and i.get("call_id") not in outputs
        ]
        state = self.server.emulator.state
        ours = [rid for rid, rec in list(state.responses.items()) if rec.conversation_id == conversation_id]
        audit.model_runs = len(ours)
        for response_id in ours:
            status = self.client.get(f"/responses/{response_id}", cast_to=object)["status"]
            if status in _ACTIVE_RESPONSE:
                audit.active_runs.append(f"{response_id} ({status})")

    def _items(self, conversation_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            query: dict[str, Any] = {"order": "asc", "limit": 100, **({"after": after} if after else {})}
            page = self.client.get(f"/conversations/{conversation_id}/items", cast_to=object, options={"params": query})
            items.extend(page.get("data") or [])
            if not page.get("has_more"):
                return items
            after = page["data"][-1]["id"]

    def _assistants(self, thread_id: str, prompt: str, audit: Audit) -> None:
        threads = self.client.beta.threads
        messages = list(threads.messages.list(thread_id=thread_id, limit=100))
        audit.message_copies = sum(
            _texts([_plain(p) for p in m.content]).count(prompt) for m in messages if m.role == "user"
        )
        runs = list(threads.runs.list(thread_id=thread_id, limit=100))
        audit.model_runs = len(runs)
        audit.active_runs = [f"{r.id} ({r.status})" for r in runs if r.status in _ACTIVE_RUN]


def _plain(part: Any) -> Any:
    for method in ("model_dump", "dict"):
        dump = getattr(part, method, None)
        if callable(dump):
            return dump()
    return part
