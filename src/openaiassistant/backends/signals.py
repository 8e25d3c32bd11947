"""Backend-internal signals: how one layer of a backend tells another what the server did.

    BackendSignal
    ├── ConversationBusy   the server says the conversation has an active run (``run_id`` if it
    │                      named one); a session's start turns it into a ``Busy`` outcome
    ├── MaybeLanded        a request that must not land twice lost its connection: it may or
    │                      may not have landed (a run request then looks at the thread first)
    └── StreamBrokeEarly   a stream ended before it named the run it started (``made_thread``:
                           it had named the thread its request created)

None of them is an :class:`~openaiassistant.errors.AssistantError` and none leaves a session:
a session method either handles one or, at its edge (:func:`surfaced`), raises the public
error it stands for.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from openaiassistant.errors import ActiveRunError, AssistantError, ServerUnavailableError

__all__ = ["BackendSignal", "ConversationBusy", "MaybeLanded", "StreamBrokeEarly", "surfaced"]

P = ParamSpec("P")
T = TypeVar("T")


class BackendSignal(Exception):
    """Base of the signals; ``public()`` is the error a caller sees when one is not handled."""

    def __init__(self, message: str, *, thread_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.thread_id = thread_id

    def public(self) -> AssistantError:
        return ServerUnavailableError(self.message, thread_id=self.thread_id)


class ConversationBusy(BackendSignal):
    def __init__(self, thread_id: str, run_id: str | None) -> None:
        super().__init__(f"conversation {thread_id} has an active run {run_id or '(unknown id)'}", thread_id=thread_id)
        self.conversation = thread_id  # always known here
        self.run_id = run_id

    def public(self) -> AssistantError:
        return ActiveRunError(self.message, thread_id=self.thread_id, run_id=self.run_id, status="active")


class MaybeLanded(BackendSignal):
    """Also for a 5xx, which a gateway can answer after the server did the work: then
    ``http_status``, ``code`` and the server's retry hint (``retry_after``, seconds) come along."""

    def __init__(
        self,
        message: str,
        *,
        thread_id: str | None = None,
        http_status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, thread_id=thread_id)
        self.http_status, self.code, self.retry_after = http_status, code, retry_after

    def public(self) -> AssistantError:
        return ServerUnavailableError(
            self.message, thread_id=self.thread_id, http_status=self.http_status, code=self.code
        )


class StreamBrokeEarly(BackendSignal):
    def __init__(self, message: str, *, thread_id: str | None = None, made_thread: bool = False) -> None:
        super().__init__(message, thread_id=thread_id)
        self.made_thread = made_thread


def surfaced(method: Callable[P, T]) -> Callable[P, T]:
    """A session method whose unhandled signals come out as the public errors they stand for."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except BackendSignal as signal:
            raise signal.public() from None

    return wrapper
