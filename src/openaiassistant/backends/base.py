"""The backend seam: a backend begins one session per turn; the session's steps carry typed outcomes.

    session = backend.begin(request, deadline=deadline)   # no request sent yet
    session.start()  -> Step | Busy    post the user's input and start a run
    session.retry()  -> Step | Busy    a new run for the same input, after a Retryable outcome
    session.poll()   -> Step           look at the run again (or resume its broken stream)
    session.submit(outputs) -> Step    hand the round's tool outputs over; the run goes on
    session.cancel()                   best effort: free the conversation of our run; never raises

The session holds everything that lives as long as the run (stream positions, the calls that
wait for outputs, a windowed turn's items, messages already read from a stream); the backend
holds only what outlives a turn (the SDK client, cached tools, the newest run seen per thread).

Every backend maps its wire statuses to exactly one of the outcomes below; the engine
dispatches on them and never sees a status string or an error code:

    Pending           the run/response is still working; poll again (``poll_after`` is the
                      server's hint in seconds, if it sent one)
    NeedsToolOutputs  the model asked for function calls (Assistants ``requires_action``;
                      Responses ``function_call`` items in a finished response)
    Completed         the answer is there (``output``)
    Incomplete        it stopped early (``reason``: max_output_tokens, max_prompt_tokens, ...);
                      ``output`` holds the partial answer
    Retryable         it failed in a way a new run may not (``rate_limit_exceeded`` inside a
                      finished run): the engine starts a new one, a bounded number of times
    Failed            ``code`` / ``message`` from the server
    Cancelled, Expired

Starting can also meet :class:`Busy`: the conversation is held by a run that is not ours
(``other``, when the server named it, can be polled and cancelled); the engine applies its
``on_active_run`` policy and starts again.

Each step is a :class:`Step`: the run reference, the outcome and the usage of what just
finished (``None`` while nothing finished), so the engine can sum usage over rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from openaiassistant.content.inputs import UserInput
from openaiassistant.deadline import Deadline
from openaiassistant.params import RunParams
from openaiassistant.result import Usage
from openaiassistant.tools.base import ToolCall, ToolDefinition, ToolOutput

__all__ = [
    "Backend",
    "Busy",
    "Cancelled",
    "Completed",
    "Expired",
    "Failed",
    "Incomplete",
    "NeedsToolOutputs",
    "OtherRun",
    "Outcome",
    "Pending",
    "Retryable",
    "RunRef",
    "RunSession",
    "Started",
    "Step",
    "TextSink",
    "TurnOutput",
    "TurnRequest",
    "waiting",
]

TextSink = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class RunRef:
    """Where a run lives: the conversation/thread and the run (Assistants) or response id.

    ``kind`` is what the server calls it, hence which of the result's ``run_id`` /
    ``response_id`` names it."""

    thread_id: str
    run_id: str
    kind: Literal["run", "response"]

    @property
    def result_run_id(self) -> str | None:
        """What ``TurnResult.run_id`` says: the id of a run."""
        return self.run_id if self.kind == "run" else None

    @property
    def result_response_id(self) -> str | None:
        """What ``TurnResult.response_id`` says: the id of a response."""
        return self.run_id if self.kind == "response" else None


@dataclass(kw_only=True)
class TurnOutput:
    """What the assistant said in one round, normalized across the APIs."""

    texts: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    citations: list[Any] = field(default_factory=list)
    hosted: list[dict[str, Any]] = field(default_factory=list)  # what the server's own tools did

    def extend(self, other: TurnOutput) -> None:
        self.texts.extend(other.texts)
        self.refusals.extend(other.refusals)
        self.citations.extend(other.citations)
        self.hosted.extend(other.hosted)


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
class Retryable:
    """The run failed, and the backend knows a new run may succeed (e.g. rate_limit_exceeded)."""

    code: str | None
    message: str


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


Outcome = Pending | NeedsToolOutputs | Completed | Incomplete | Retryable | Failed | Cancelled | Expired
_ENDED = (Completed, Incomplete, Retryable, Failed, Cancelled, Expired)


@dataclass(frozen=True, kw_only=True)
class Step:
    ref: RunRef
    outcome: Outcome
    usage: Usage | None = None
    model: str | None = None

    @property
    def active(self) -> bool:
        """True while the run may occupy the conversation (it must be finished or cancelled):
        every outcome but those that end a run, so an outcome nobody knows is cancelled too."""
        return not isinstance(self.outcome, _ENDED)


def waiting(outcome: Outcome) -> Pending | None:
    """Someone else's run as a turn waiting for it sees it: ``Pending`` while it holds the
    conversation (one waiting for tool outputs that nobody here will send ends only by cancel or
    expiry), else None."""
    if isinstance(outcome, Pending):
        return outcome
    return Pending() if isinstance(outcome, NeedsToolOutputs) else None


class OtherRun(Protocol):
    """A run that is not ours and holds the conversation: only waited for, or cancelled."""

    run_id: str

    def poll(self) -> Pending | None:
        """``Pending`` (with the server's hint) while it still holds the conversation, else None."""
        ...

    def cancel(self) -> None:
        """Best effort: ask the server to cancel it; never raises."""
        ...


@dataclass(frozen=True, kw_only=True)
class Busy:
    """The conversation has an active run that is not ours; ``other`` when the server named it."""

    thread_id: str
    other: OtherRun | None


Started = Step | Busy


@dataclass(frozen=True, kw_only=True)
class TurnRequest:
    """Everything a backend needs to run this turn."""

    user_input: UserInput
    params: RunParams
    tools: list[ToolDefinition]
    thread_id: str | None = None  # the conversation to continue; None: the turn makes one
    thread_metadata: dict[str, str] | None = None  # for the conversation the turn makes
    on_text: TextSink | None = None  # text deltas as they arrive (None: the caller wants none)


class RunSession(Protocol):
    """One turn's runs on one conversation (see the module docstring). ``deadline`` (given to
    ``begin``) bounds every request."""

    @property
    def thread_id(self) -> str | None:
        """The conversation, once known (a new one is known after the first request)."""
        ...

    def start(self) -> Started: ...

    def retry(self) -> Started: ...

    def poll(self) -> Step: ...

    def submit(self, outputs: list[ToolOutput]) -> Step: ...

    def cancel(self) -> None:
        """Best effort: cancel our run if it still occupies the conversation; never raises."""
        ...


class Backend(Protocol):
    """What the engine needs from an API."""

    name: str

    def begin(self, request: TurnRequest, *, deadline: Deadline) -> RunSession:
        """A session for one turn; sends nothing."""
        ...

    def delete_thread(self, thread_id: str) -> bool: ...

    def history(self, thread_id: str) -> list[dict[str, Any]]: ...

    def validate(self) -> None: ...
