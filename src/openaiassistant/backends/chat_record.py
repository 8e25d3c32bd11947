"""A chat conversation kept in our own record, for servers that keep none (``backend: chat``).

The conversation lives in the thread registry's database as a
:class:`~openaiassistant.registry.conversation_log.ConversationLog` (its id is ours:
``oachat_...``); every request sends it as ``messages``. Items are written as they happen, each
under a key that makes a repeated write a no-op:

* the user's message under ``<turn>:user`` before the first request that carries it (a retried
  request, or a new run after a retryable failure, never doubles it);
* a completion's answer text under ``<turn>:<round>:message`` and each tool call it asked for
  under ``<turn>:<round>:call:<i>`` (``run_id`` ``<turn>:<round>``), in one transaction, when the
  completion has ended; before the tools run;
* each tool output under ``<turn>:<round>:output:<call id>`` before the request that carries it.

``<round>`` counts the completions the turn accepted, so keys never depend on ids a server
makes up (some reuse tool call ids such as ``call_0`` in every answer). A turn that ends with
calls unanswered (a failure, the deadline, an approval) closes them with an error output
(:meth:`ChatRecord.close_calls`); and a conversation left with an unanswered call by a process
that died is still sent whole: :func:`chat_messages` answers such a call with an error output
in the request, so the server never sees an orphan tool call.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from openaiassistant.content.inputs import UserInput
from openaiassistant.errors import ConfigError, NotFoundError, RegistryError
from openaiassistant.redaction import redact
from openaiassistant.tools.base import ToolCall, ToolOutput

if TYPE_CHECKING:
    from openaiassistant.backends.chat_wire import Completion
    from openaiassistant.registry.conversation_log import ConversationLog, LogItem

__all__ = [
    "CHAT_PREFIX",
    "ChatRecord",
    "Window",
    "chat_messages",
    "close_unanswered",
    "estimate_tokens",
    "is_chat_thread",
    "registry_errors",
]

CHAT_PREFIX = "oachat_"
UNANSWERED = json.dumps({"error": "the turn ended before this call was answered"})
_MESSAGE_OVERHEAD = 4  # tokens a chat template adds around each message (an estimate)
F = TypeVar("F", bound=Callable[..., Any])


def registry_errors(fn: F) -> F:
    """A database error of the thread registry as one line naming the setting (no SQL, no
    traceback): the conversation cannot be read or written, so the turn cannot go on."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            cause = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            raise RegistryError(
                f"the thread registry (registry_url) that keeps the chat conversation failed: "
                f"{type(getattr(exc, 'orig', None) or exc).__name__}: {redact(cause)}"
            ) from None

    return wrapper  # type: ignore[return-value]


def is_chat_thread(thread_id: str | None) -> bool:
    """Whether a conversation id is one the chat backend made."""
    return bool(thread_id) and str(thread_id).startswith(CHAT_PREFIX)


@dataclass(frozen=True, kw_only=True)
class Window:
    """Which earlier messages a request carries: ``last_messages`` N messages before this turn
    (tool traffic of earlier turns dropped), and/or as many earlier turns as fit
    ``max_prompt_tokens`` (estimated). This turn's own items are always sent whole."""

    last_messages: int | None = None
    max_prompt_tokens: int | None = None


def user_parts(user_input: UserInput) -> tuple[str, list[dict[str, Any]] | None]:
    """The user's message as chat content: its text, and parts when it has images."""
    if user_input.attachments:
        raise ConfigError(
            "attachments",
            "file attachments need a server with Files and file_search; the chat backend sends text and images",
        )
    if not user_input.images:
        return user_input.text, None
    parts: list[dict[str, Any]] = [{"type": "text", "text": user_input.text}]
    for image in user_input.images:
        if image.file_id:
            raise ConfigError("images", "the chat backend sends images by URL (http(s) or data:), not by file_id")
        url = image.url
        if image.source is not None:  # a local or inline image goes inline (chat servers keep no files)
            url = f"data:{image.source.mime};base64,{base64.b64encode(image.source.read()).decode('ascii')}"
        parts.append({"type": "image_url", "image_url": {"url": url, "detail": image.detail}})
    return user_input.text, parts


class ChatRecord:
    """One turn's view of a logged chat conversation (see the module docstring)."""

    def __init__(self, *, log: ConversationLog, conversation_id: str) -> None:
        self.log = log
        self.conversation_id = conversation_id
        self.turn_key = "turn_" + secrets.token_hex(8)
        self.rounds = 0  # completions accepted by this turn
        self._open: list[tuple[str, ToolCall]] = []  # (round key, call) waiting for outputs

    @classmethod
    @registry_errors
    def create(cls, log: ConversationLog, *, metadata: dict[str, str] | None) -> ChatRecord:
        conversation_id = log.create(metadata=metadata, conversation_id=CHAT_PREFIX + secrets.token_hex(16))
        return cls(log=log, conversation_id=conversation_id)

    @classmethod
    @registry_errors
    def open(cls, log: ConversationLog, conversation_id: str) -> ChatRecord:
        if not log.exists(conversation_id):
            raise NotFoundError(
                f"conversation {conversation_id} is not in this thread registry (made with another registry_url, "
                "or deleted); the chat backend keeps its conversations there: check registry_url",
                http_status=None,
                thread_id=conversation_id,
            )
        return cls(log=log, conversation_id=conversation_id)

    # -- writing, as it happens ---------------------------------------------------------------
    @registry_errors
    def record_user(self, user_input: UserInput) -> None:
        from openaiassistant.registry.conversation_log import LogItem

        text, parts = user_parts(user_input)
        item = LogItem.message(key=f"{self.turn_key}:user", role="user", text=text, content=parts)
        self.log.append(self.conversation_id, [item])

    @registry_errors
    def record_completion(self, completion: Completion) -> None:
        """An ended completion's text and tool calls, in one write."""
        from openaiassistant.backends.chat_wire import CONTENT_FILTERED
        from openaiassistant.registry.conversation_log import LogItem

        self.rounds += 1
        run = f"{self.turn_key}:{self.rounds}"
        items: list[LogItem] = []
        text = completion.text or completion.refusal or ""
        if completion.finish_reason == "content_filter" and not completion.calls:
            # what the turn said (a refusal), not the filtered words the server had begun: sent
            # again with every later turn they could trip the filter each time
            text = completion.refusal or CONTENT_FILTERED
        if text:
            items.append(LogItem.message(key=f"{run}:message", role="assistant", text=text, run_id=run))
        for index, call in enumerate(completion.calls):
            items.append(
                LogItem.function_call(
                    key=f"{run}:call:{index}",
                    call_id=call.call_id,
                    name=call.name,
                    arguments=call.arguments,
                    run_id=run,
                )
            )
        if items:
            self.log.append(self.conversation_id, items)
        self._open = [(run, call) for call in completion.calls]

    def record_outputs(self, outputs: list[ToolOutput]) -> None:
        """This round's outputs (one per open call; a call without one is closed as unanswered)."""
        by_id = {o.call_id: o.output for o in outputs}
        self._write_outputs([(run, call.call_id, by_id.get(call.call_id, UNANSWERED)) for run, call in self._open])

    def close_calls(self) -> None:
        """Calls this turn leaves unanswered get an error output (the conversation stays usable)."""
        self._write_outputs([(run, call.call_id, UNANSWERED) for run, call in self._open])

    @registry_errors
    def _write_outputs(self, outputs: list[tuple[str, str, str]]) -> None:
        from openaiassistant.registry.conversation_log import LogItem

        self._open = []
        if not outputs:
            return
        items = [
            LogItem.function_call_output(key=f"{run}:output:{call_id}", call_id=call_id, output=output, run_id=run)
            for run, call_id, output in outputs
        ]
        self.log.append(self.conversation_id, items)

    @property
    def open_calls(self) -> list[ToolCall]:
        return [call for _, call in self._open]

    # -- reading ------------------------------------------------------------------------------
    @registry_errors
    def messages(self, *, system: str | None, window: Window | None = None) -> list[dict[str, Any]]:
        """The conversation as a request's ``messages`` (system first), windowed."""
        items = self.log.items(self.conversation_id)
        start = next((i for i, item in enumerate(items) if item.key == f"{self.turn_key}:user"), len(items))
        earlier, current = items[:start], items[start:]
        if window is not None and window.last_messages is not None:
            kept = [item for item in earlier if item.kind == "message"]
            earlier = kept[-window.last_messages :] if window.last_messages else []
        head = [{"role": "system", "content": system}] if system else []
        now = chat_messages(current)
        before = chat_messages(earlier)
        if window is not None and window.max_prompt_tokens is not None:
            before = _fit(before, budget=window.max_prompt_tokens - estimate_tokens(head + now))
        return head + _merge_users(before + now)


@registry_errors
def close_unanswered(log: ConversationLog, conversation_id: str, *, output: str) -> list[str]:
    """Give every call of the conversation that has no output ``output`` (what crash recovery
    does for a worker that died mid-round); the ids of the calls closed."""
    from openaiassistant.registry.conversation_log import LogItem

    items = log.items(conversation_id)
    answered = {(i.run_id, i.call_id) for i in items if i.kind == "function_call_output"}
    open_calls = [i for i in items if i.kind == "function_call" and (i.run_id, i.call_id) not in answered]
    if open_calls:
        log.append(
            conversation_id,
            [
                LogItem.function_call_output(
                    key=f"{i.run_id}:output:{i.call_id}", call_id=str(i.call_id), output=output, run_id=i.run_id
                )
                for i in open_calls
            ],
        )
    return [str(i.call_id) for i in open_calls]


def chat_messages(items: list[LogItem]) -> list[dict[str, Any]]:
    """Logged items as chat ``messages``: an answer and the calls of the same completion are one
    assistant message; each call's output follows it as a ``tool`` message (wherever it was
    logged); a call without an output gets an error output, an output without its call is
    left out. So every request holds complete tool rounds."""
    outputs = {(item.run_id, item.call_id): item.output for item in items if item.kind == "function_call_output"}
    messages: list[dict[str, Any]] = []
    pending: list[tuple[str | None, str]] = []  # calls of the last assistant message, in order

    def close_round() -> None:
        for run, call_id in pending:
            output = outputs.get((run, call_id))
            messages.append(
                {"role": "tool", "tool_call_id": call_id, "content": UNANSWERED if output is None else output}
            )
        pending.clear()

    last_run: str | None = None
    for item in items:
        if item.kind == "function_call_output":
            continue
        if item.kind == "function_call":
            if not (messages and messages[-1]["role"] == "assistant" and last_run == item.run_id and item.run_id):
                close_round()
                messages.append({"role": "assistant", "content": None})
                last_run = item.run_id
            call = {
                "id": item.call_id,
                "type": "function",
                "function": {"name": item.name, "arguments": item.arguments},
            }
            messages[-1].setdefault("tool_calls", []).append(call)
            pending.append((item.run_id, str(item.call_id)))
            continue
        close_round()
        if item.role == "user":
            content: Any = item.content if isinstance(item.content, list) else (item.text or "")
            messages.append({"role": "user", "content": content})
            last_run = None
        else:
            messages.append({"role": item.role or "assistant", "content": item.text or ""})
            last_run = item.run_id
    close_round()
    return messages


def _merge_users(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adjacent plain user messages (a turn that failed before its answer, then the next one)
    become one: many chat templates require user and assistant to alternate."""
    merged: list[dict[str, Any]] = []
    for message in messages:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous["role"] == message["role"] == "user"
            and isinstance(previous["content"], str)
            and isinstance(message["content"], str)
        ):
            merged[-1] = {"role": "user", "content": f"{previous['content']}\n\n{message['content']}"}
        else:
            merged.append(message)
    return merged


def estimate_tokens(messages: list[dict[str, Any]]) -> int:
    """About four characters a token: an estimate (the models behind a chat server have their
    own tokenizers, none of which is at hand); the server's usage says the truth afterwards."""
    total = 0
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content or "", ensure_ascii=False)
        calls = json.dumps(message.get("tool_calls") or "", ensure_ascii=False)
        total += _MESSAGE_OVERHEAD + (len(text) + len(calls) + 3) // 4
    return total


def _fit(messages: list[dict[str, Any]], *, budget: int) -> list[dict[str, Any]]:
    """The newest earlier turns that fit ``budget`` tokens, dropped whole from the oldest (a
    turn starts at a user message, so a tool round is never split)."""
    starts = [i for i, m in enumerate(messages) if m["role"] == "user"] or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    for start in starts + [len(messages)]:
        kept = messages[start:]
        if estimate_tokens(kept) <= budget:
            return kept
    return []
