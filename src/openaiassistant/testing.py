"""A scripted backend: the engine's state machine without a server (the emulator is the wire's).

:class:`ScriptedBackend` answers each session call (``start``, ``retry``, ``poll``, ``submit``)
with the next entry of its script, and records every call, cancels included:

    from openaiassistant import Assistant, AssistantSpec, ConnectionSettings
    from openaiassistant.backends.base import Completed, NeedsToolOutputs, Pending, TurnOutput
    from openaiassistant.testing import ScriptedBackend
    from openaiassistant.tools.base import ToolCall

    backend = ScriptedBackend([
        Pending(),
        NeedsToolOutputs(calls=[ToolCall(call_id="c1", name="get_disk_usage", arguments='{"host": "db-1"}')]),
        Completed(output=TurnOutput(texts=["db-1 is 93% full"])),
    ])
    assistant = Assistant(
        connection=ConnectionSettings(api_key="sk-test-not-used"),
        spec=AssistantSpec(model="test"),
        tools=my_tools,
        backend=backend,
        sleep=lambda seconds: None,
    )
    assert assistant.run_turn("Disk full on db-1").text == "db-1 is 93% full"
    assert [c.method for c in backend.calls] == ["start", "poll", "submit"]

An entry is an outcome (it becomes a :class:`Step` of the session's current run), a
:class:`Step`, a :class:`Busy` (from ``start`` / ``retry`` only), an exception (raised), or a
callable taking the :class:`Call` and returning one of those. Instead of a list the script can
be one such callable, answering every call (like pydantic-ai's ``FunctionModel``).
``start`` and ``retry`` begin a new run (``run_1``, ``run_2``, ...) on the turn's conversation
(``thread_1`` when the turn has none). :class:`ScriptedOtherRun` stands for someone else's run
in a ``Busy`` entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from openaiassistant.backends.base import Busy, Outcome, Pending, RunRef, Started, Step, TurnRequest
from openaiassistant.deadline import Deadline
from openaiassistant.tools.base import ToolOutput

__all__ = ["Call", "ScriptedBackend", "ScriptedOtherRun", "ScriptedSession"]

Method = Literal["start", "retry", "poll", "submit", "cancel"]


@dataclass(frozen=True, kw_only=True)
class Call:
    """One call the engine made on a scripted session."""

    method: Method
    run_id: str | None  # the session's run when the call was made (the new one for start/retry)
    thread_id: str
    request: TurnRequest
    outputs: list[ToolOutput] | None = None  # submit's tool outputs


Entry = Any  # Outcome | Step | Busy | BaseException | Callable[[Call], ...]; checked when used


class ScriptedBackend:
    """A :class:`~openaiassistant.backends.base.Backend` that plays a script (see the module)."""

    def __init__(
        self,
        script: Iterable[Entry] | Callable[[Call], Entry],
        *,
        name: str = "scripted",
        kind: Literal["run", "response"] = "run",
    ) -> None:
        self.name = name
        self.kind = kind  # what the result calls the run's id: run_id or response_id
        self._handler = script if callable(script) else None
        self._entries = [] if callable(script) else list(script)
        self.calls: list[Call] = []
        self.sessions: list[ScriptedSession] = []
        self.deleted: list[str] = []
        self._runs = 0
        self._threads = 0

    def begin(self, request: TurnRequest, *, deadline: Deadline) -> ScriptedSession:
        session = ScriptedSession(backend=self, request=request, deadline=deadline)
        self.sessions.append(session)
        return session

    @property
    def remaining(self) -> int:
        """Entries not played yet (0 when the script is a callable)."""
        return len(self._entries)

    def delete_thread(self, thread_id: str) -> bool:
        self.deleted.append(thread_id)
        return True

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        return []

    def validate(self) -> None:
        return None

    # -- for the sessions ---------------------------------------------------------------------
    def new_run_id(self) -> str:
        self._runs += 1
        return f"run_{self._runs}"

    def new_thread_id(self) -> str:
        self._threads += 1
        return f"thread_{self._threads}"

    def answer(self, call: Call) -> Step | Busy:
        self.calls.append(call)
        if self._handler is not None:
            entry = self._handler(call)
        elif self._entries:
            entry = self._entries.pop(0)
        else:
            raise AssertionError(f"the script ran out at {call.method} (calls so far: {len(self.calls)})")
        if callable(entry) and not isinstance(entry, type):
            entry = entry(call)
        if isinstance(entry, BaseException):
            raise entry
        if isinstance(entry, (Step, Busy)):
            return entry
        ref = RunRef(thread_id=call.thread_id, run_id=call.run_id or "run_0", kind=self.kind)
        outcome: Outcome = entry
        return Step(ref=ref, outcome=outcome)


class ScriptedSession:
    """One turn on a :class:`ScriptedBackend`; tracks its run like a real session does."""

    def __init__(self, *, backend: ScriptedBackend, request: TurnRequest, deadline: Deadline) -> None:
        self.backend = backend
        self.request = request
        self.deadline = deadline
        self._thread_id = request.thread_id
        self._run_id: str | None = None
        self._active: RunRef | None = None
        self.cancelled: list[str] = []  # run ids cancel() was called for

    @property
    def thread_id(self) -> str | None:
        return self._thread_id

    def start(self) -> Started:
        return self._begin("start")

    def retry(self) -> Started:
        return self._begin("retry")

    def poll(self) -> Step:
        return self._step("poll")

    def submit(self, outputs: list[ToolOutput]) -> Step:
        return self._step("submit", outputs=outputs)

    def cancel(self) -> None:
        if self._active is None:
            return
        self.cancelled.append(self._active.run_id)
        self.backend.calls.append(
            Call(method="cancel", run_id=self._active.run_id, thread_id=self._active.thread_id, request=self.request)
        )

    def _begin(self, method: Method) -> Started:
        if self._thread_id is None:
            self._thread_id = self.backend.new_thread_id()
        run_id = self.backend.new_run_id()
        answer = self.backend.answer(self._call(method, run_id))
        if isinstance(answer, Busy):
            return answer
        return self._track(answer)

    def _step(self, method: Method, outputs: list[ToolOutput] | None = None) -> Step:
        answer = self.backend.answer(self._call(method, self._run_id, outputs))
        if isinstance(answer, Busy):
            raise AssertionError(f"Busy is an answer to start or retry, not to {method}")
        return self._track(answer)

    def _call(self, method: Method, run_id: str | None, outputs: list[ToolOutput] | None = None) -> Call:
        return Call(
            method=method, run_id=run_id, thread_id=self._thread_id or "", request=self.request, outputs=outputs
        )

    def _track(self, step: Step) -> Step:
        self._run_id = step.ref.run_id
        self._active = step.ref if step.active else None
        return step


@dataclass(kw_only=True)
class ScriptedOtherRun:
    """Someone else's run for a ``Busy`` entry: it holds the conversation for ``polls`` polls
    (each answered ``Pending(poll_after)``), or until cancelled when ``ends_on_cancel``."""

    run_id: str = "run_other"
    polls: int = 1
    poll_after: float | None = None
    ends_on_cancel: bool = True
    polled: int = field(default=0, init=False)
    cancelled: bool = field(default=False, init=False)

    def poll(self) -> Pending | None:
        self.polled += 1
        if (self.cancelled and self.ends_on_cancel) or self.polled > self.polls:
            return None
        return Pending(poll_after=self.poll_after)

    def cancel(self) -> None:
        self.cancelled = True
