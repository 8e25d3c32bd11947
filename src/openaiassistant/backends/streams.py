"""Following a run's event stream, the same way in every backend.

A stream is read under the turn's deadline (:func:`until_deadline`), drained after its last
useful event (:func:`drain`), and a broken one leaves a ``Pending`` step so the engine polls (or
the backend resumes) the run (:func:`pending_step`). :func:`stream_failure` tells a merely
broken stream from the deadline and from a real error; :func:`start_streamed` sends a
stream-starting request again when the stream broke before the server named the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from openaiassistant.backends.base import Pending, RunRef, Step
from openaiassistant.backends.signals import StreamBrokeEarly
from openaiassistant.backends.transport import from_sdk_error, is_timeout, is_transport_error
from openaiassistant.deadline import Deadline, backoff
from openaiassistant.errors import ServerUnavailableError, TurnTimeoutError

__all__ = ["deadline_hit", "drain", "pending_step", "start_streamed", "stream_failure", "until_deadline"]


def pending_step(ref: RunRef) -> Step:
    """What a broken stream leaves: the run goes on on the server; poll (or resume) it."""
    return Step(ref=ref, outcome=Pending(poll_after=0.0))


def deadline_hit(exc: BaseException, deadline: Deadline) -> bool:
    """A stream read that timed out because the turn's deadline was near is the deadline."""
    if not is_timeout(exc):
        return False
    _, bounded = deadline.request_timeout(float("inf"))
    return bounded or deadline.expired


def stream_failure(
    exc: BaseException,
    deadline: Deadline,
    *,
    what: str,
    ref: RunRef | None,
    known: bool,
    cancel: Callable[[RunRef], None],
) -> None:
    """Handle an exception while reading a stream; returns only when the stream merely broke.

    A run the engine has not seen yet (``known`` False) is cancelled here before anything else
    leaves, so no exception can strand it on the server.
    """
    broke = is_transport_error(exc)
    hit = (broke and deadline_hit(exc, deadline)) or isinstance(exc, TurnTimeoutError)
    if broke and not hit:
        return
    if ref is not None and not known:
        cancel(ref)
    if hit:
        raise TurnTimeoutError(
            f"{what}: the turn's deadline passed",
            thread_id=ref.thread_id if ref else None,
            run_id=ref.run_id if ref else None,
        ) from None
    mapped = (
        from_sdk_error(exc, what=what, thread_id=ref.thread_id if ref else None) if isinstance(exc, Exception) else exc
    )
    if mapped is exc:
        raise exc
    raise mapped from exc


def until_deadline(stream: Any, deadline: Deadline) -> Iterator[Any]:
    """A stream's events while the turn's deadline holds: a long answer that is still streaming
    when it passes ends the turn there (the read timeout alone only bounds a silent stream)."""
    for event in stream:
        if deadline.expired:
            raise TurnTimeoutError("the turn's deadline passed while its stream was read")
        yield event


def start_streamed(
    start: Callable[[], Step], *, deadline: Deadline, retries: int, idempotent: bool, recover: bool = False
) -> Step:
    """``start()`` (send the request and read its stream) again when the stream broke before
    the server named the run, as for any dropped connection; not for a request that may have
    landed and must not land twice (``idempotent`` False), nor once it named a thread it made.
    Those are re-raised as StreamBrokeEarly when the caller can ``recover`` them, else (and when
    the retries are used up) as a plain ServerUnavailableError."""
    attempt = 0
    while True:
        try:
            return start()
        except StreamBrokeEarly as exc:
            if (not idempotent or exc.made_thread) and recover:
                raise
            delay, left = backoff(attempt), deadline.remaining()
            if not idempotent or exc.made_thread or attempt >= retries or (left is not None and delay >= left):
                raise ServerUnavailableError(exc.message, thread_id=exc.thread_id) from None
            deadline.sleep(delay)
            attempt += 1


def drain(stream: Any) -> None:
    """Read a stream to its end after its last useful event, so the server finishes the
    request cleanly and the connection goes back to the pool."""
    try:
        for _ in stream:
            pass
    except Exception as exc:
        if not is_transport_error(exc):
            raise
