"""What every backend's session does the same way: track our run, free the conversation of it,
turn a busy refusal into a ``Busy`` outcome, and stand for someone else's run.

A backend's session (``ResponsesSession``, ``AssistantsSession``) subclasses :class:`SessionBase`
and adds the requests; what the engine sees is the ``RunSession`` protocol of ``base.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from openaiassistant.backends.base import Busy, OtherRun, Outcome, Pending, RunRef, Step, waiting
from openaiassistant.backends.signals import ConversationBusy

__all__ = ["OtherRunOnServer", "SessionBase", "busy"]


class SessionBase:
    """The run bookkeeping of a session: the conversation, our newest run, whether it is active."""

    def __init__(self, *, thread_id: str | None) -> None:
        self._thread_id = thread_id
        self._ref: RunRef | None = None  # our newest run
        self._active: RunRef | None = None  # ... while it occupies the conversation

    @property
    def thread_id(self) -> str | None:
        return self._thread_id

    def cancel(self) -> None:
        """Best effort: cancel our run if it still occupies the conversation; never raises."""
        if self._active is not None:
            self._cancel(self._active)

    def _cancel(self, ref: RunRef) -> None:
        raise NotImplementedError

    def _current(self) -> RunRef:
        if self._ref is None:
            raise RuntimeError("no run has been started in this session")
        return self._ref

    def _track(self, step: Step) -> Step:
        """Every step the session hands out passes here: it names our run and its conversation."""
        self._ref = step.ref
        self._active = step.ref if step.active else None
        self._thread_id = step.ref.thread_id
        return step


class OtherRunOnServer:
    """Someone else's run: ``look`` fetches its outcome (its answer is never read)."""

    def __init__(self, *, run_id: str, look: Callable[[], Outcome], cancel: Callable[[], None]) -> None:
        self.run_id = run_id
        self._look = look
        self._cancel = cancel

    def poll(self) -> Pending | None:
        return waiting(self._look())

    def cancel(self) -> None:
        self._cancel()


def busy(signal: ConversationBusy, other: Callable[[RunRef], OtherRun], *, kind: Literal["run", "response"]) -> Busy:
    """The ``Busy`` outcome of a lock refusal; ``other`` makes the handle of the run it named."""
    if signal.run_id is None:
        return Busy(thread_id=signal.conversation, other=None)
    ref = RunRef(thread_id=signal.conversation, run_id=signal.run_id, kind=kind)
    return Busy(thread_id=signal.conversation, other=other(ref))
