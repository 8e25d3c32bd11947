"""The backend seam: a few methods, one typed outcome union.

Every backend maps its wire statuses to exactly one of the outcomes below; the engine
dispatches on them and never sees a status string:

    Pending           the run/response is still working; poll again (``poll_after`` is the
                      server's hint in seconds, if it sent one)
    NeedsToolOutputs  the model asked for function calls (Assistants ``requires_action``;
                      Responses ``function_call`` items in a finished response)
    Completed         the answer is there (``output``)
    Incomplete        it stopped early (``reason``: max_output_tokens, max_prompt_tokens, ...);
                      ``output`` holds the partial answer
    Failed            ``code`` / ``message`` from the server (``rate_limit_exceeded`` is retried
                      by the engine as a new run)
    Cancelled, Expired

Each call returns a :class:`Step`: the run reference, the outcome and the usage of what just
finished (``None`` while nothing finished), so the engine can sum usage over rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, Union

from openaiassistant.content.inputs import UserInput
from openaiassistant.params import RunParams
from openaiassistant.result import Usage
from openaiassistant.tools.base import ToolCall, ToolDefinition, ToolOutput

TextSink = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class RunRef:
    """Where a run lives: the conversation/thread and the run (Assistants) or response id."""

    thread_id: str
    run_id: str


@dataclass(kw_only=True)
class TurnOutput:
    """What the assistant said in one round, normalized across the APIs."""

    texts: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    citations: list[Any] = field(default_factory=list)

    def extend(self, other: TurnOutput) -> None:
        self.texts.extend(other.texts)
        self.refusals.extend(other.refusals)
        self.citations.extend(other.citations)


@dataclass(frozen=True)
class Pending:
    poll_after: float | None = None


@dataclass(frozen=True)
class NeedsToolOutputs:
    calls: list[ToolCall]
    output: TurnOutput = field(default_factory=TurnOutput)


@dataclass(frozen=True)
class Completed:
    output: TurnOutput


@dataclass(frozen=True)
class Incomplete:
    reason: str | None
    output: TurnOutput


@dataclass(frozen=True)
class Failed:
    code: str | None
    message: str


@dataclass(frozen=True)
class Cancelled:
    pass


@dataclass(frozen=True)
class Expired:
    pass


Outcome = Union[Pending, NeedsToolOutputs, Completed, Incomplete, Failed, Cancelled, Expired]


@dataclass(frozen=True, kw_only=True)
class Step:
    ref: RunRef
    outcome: Outcome
    usage: Usage | None = None
    model: str | None = None

    @property
    def active(self) -> bool:
        """True while the run occupies the conversation (must be finished or cancelled)."""
        return isinstance(self.outcome, (Pending, NeedsToolOutputs)) and self.ref.run_id != ""


@dataclass(frozen=True, kw_only=True)
class TurnRequest:
    """Everything a backend needs to start a run/response for this turn."""

    user_input: UserInput
    params: RunParams
    tools: list[ToolDefinition]
    stream: bool  # read the run as a server-sent event stream (else poll it)
    on_text: TextSink | None = None
    thread_metadata: dict[str, str] | None = None  # for a conversation the first request creates


class ConversationBusy(Exception):
    """Internal: the server says the conversation has an active run (``run_id`` if it named one).

    Never leaves the engine: it applies the ``on_active_run`` policy instead.
    """

    def __init__(self, thread_id: str, run_id: str | None) -> None:
        super().__init__(f"conversation {thread_id} has an active run {run_id or '(unknown id)'}")
        self.thread_id = thread_id
        self.run_id = run_id


class Backend(Protocol):
    """What the engine needs from an API. ``deadline`` bounds every request."""

    name: str
    run_id_field: str  # what the result calls the run's id: "response_id" or "run_id"

    def open_thread(self, *, thread_id: str | None, metadata: dict[str, str] | None, deadline: Any) -> str:
        """The conversation to run in; ``""`` when ``start`` creates it with the first run (the
        step's ``ref.thread_id`` then names it, and ``request.thread_metadata`` goes on it)."""
        ...

    def start(self, thread_id: str, request: TurnRequest, *, deadline: Any, first: bool) -> Step:
        """Post the user input (when ``first``) and start a run; raises ConversationBusy."""
        ...

    def poll(self, ref: RunRef, request: TurnRequest | None, *, deadline: Any) -> Step: ...

    def submit(self, ref: RunRef, request: TurnRequest, outputs: list[ToolOutput], *, deadline: Any) -> Step: ...

    def cancel(self, ref: RunRef) -> None:
        """Best effort: ask the server to cancel; never raises."""
        ...

    def delete_thread(self, thread_id: str) -> bool: ...

    def history(self, thread_id: str) -> list[dict[str, Any]]: ...

    def validate(self) -> None: ...
