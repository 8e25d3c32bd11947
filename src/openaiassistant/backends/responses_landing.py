"""Whether a Responses request that may have landed did land, told from the conversation.

A request carrying input (the user's message, or a round's ``function_call_output`` items) that
broke on the way (a dropped connection, a 5xx, a stream cut before it named the response) may
have been processed anyway. Conversations list no responses, but a response that ended leaves
its input and output items in the conversation, so the conversation tells:

* our input is not there: the request did not land (or its response was cancelled): send it
  again;
* it is there, with output items after it: adopt them (an answer, or calls that want outputs);
* it is there, with nothing after it: the response failed (or is still to end); a response
  without new input answers what is there.

A user message is told from an older identical one by where the conversation stood before the
request was sent (``before``: the id of its newest item then, ``None`` for an empty one); tool
outputs by their call ids, which are unique.

Pure functions over item dicts, newest first as ``GET /conversations/{id}/items?order=desc``
lists them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NEWEST", "Landing", "NewestItems", "find_landing", "input_key", "unanswered_calls"]

_EMPTY: tuple[Any, ...] = ()


def _content_key(item: dict[str, Any]) -> tuple[Any, ...]:
    parts = item.get("content")
    if isinstance(parts, str):
        return (("input_text", parts, None, None),)
    return tuple(
        (p.get("type"), p.get("text"), p.get("file_id"), p.get("image_url")) for p in parts or [] if isinstance(p, dict)
    )


def input_key(items: list[dict[str, Any]]) -> tuple[str, tuple[Any, ...]]:
    """What identifies input we sent: ("outputs", call ids) or ("message", its content)."""
    calls = tuple(str(i.get("call_id")) for i in items if i.get("type") == "function_call_output")
    if calls:
        return "outputs", calls
    messages = [i for i in items if i.get("type") == "message" and i.get("role") == "user"]
    return "message", _content_key(messages[-1]) if messages else _EMPTY


@dataclass(frozen=True, kw_only=True)
class Landing:
    landed: bool
    after: list[dict[str, Any]] = field(default_factory=list)  # items newer than our input, oldest first

    @property
    def answered(self) -> bool:
        """Whether a response to our input has ended with output (a message or calls)."""
        return any(i.get("type") in ("message", "function_call") for i in self.after)


def find_landing(
    newest_first: list[dict[str, Any]], *, key: tuple[str, tuple[Any, ...]], before: str | None
) -> Landing:
    """Where our input (``key``, from :func:`input_key`) stands in the conversation."""
    kind, value = key
    newer: list[dict[str, Any]] = []
    for item in newest_first:
        if kind == "message" and before is not None and item.get("id") == before:
            break  # older than the request: an identical message there is not ours
        if kind == "outputs" and item.get("type") == "function_call_output" and str(item.get("call_id")) in value:
            return Landing(landed=True, after=list(reversed(newer)))
        if (
            kind == "message"
            and item.get("type") == "message"
            and item.get("role") == "user"
            and _content_key(item) == value
        ):
            return Landing(landed=True, after=list(reversed(newer)))
        newer.append(item)
    return Landing(landed=False)


def unanswered_calls(newest_first: list[dict[str, Any]], call_ids: list[str]) -> list[str]:
    """The ``call_ids`` whose ``function_call`` items in the conversation have no output."""
    answered = {str(i.get("call_id")) for i in newest_first if i.get("type") == "function_call_output"}
    present = {str(i.get("call_id")) for i in newest_first if i.get("type") == "function_call"}
    return [c for c in call_ids if c in present and c not in answered]


class NewestItems:
    """The newest item of conversations whose last turn this process ran to its answer.

    Telling our message from an identical older one needs to know where the conversation stood
    before the request (``before``); a turn that follows one of ours in this process knows it
    from that turn's answer (its last output item is the conversation's newest item), so it does
    not ask the server. Bounded; an entry is used once.
    """

    def __init__(self, size: int = 4096) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._items: OrderedDict[tuple[str, str], str] = OrderedDict()

    def remember(self, server: str, conversation_id: str, item_id: str) -> None:
        with self._lock:
            self._items[(server, conversation_id)] = item_id
            self._items.move_to_end((server, conversation_id))
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def take(self, server: str, conversation_id: str) -> str | None:
        with self._lock:
            return self._items.pop((server, conversation_id), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


NEWEST = NewestItems()
