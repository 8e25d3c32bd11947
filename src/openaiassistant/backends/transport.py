"""The backend edge: one cached SDK client per connection, our own retries, SDK errors mapped.

The SDK's retries are switched off (``max_retries=0``): it would retry a 429
``insufficient_quota`` that can never succeed, and it knows nothing of the turn's deadline.
:func:`call` retries 408/409/429/5xx and dropped connections with backoff honouring
``retry-after-ms`` / ``retry-after``, never past the deadline, and maps every SDK exception to
the package's error tree. Server lock errors become the signal ``ConversationBusy`` and a
broken non-idempotent request the signal ``MaybeLanded`` (see :mod:`.signals`).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import openai

from openaiassistant import progress
from openaiassistant.backends.answers import UNREADABLE, unreadable
from openaiassistant.backends.server_errors import connection_cause, server_words
from openaiassistant.backends.signals import ConversationBusy, MaybeLanded
from openaiassistant.coordination import gate_for
from openaiassistant.coordination.gate import observe_response, watching
from openaiassistant.deadline import Deadline, backoff
from openaiassistant.errors import (
    APIError,
    AuthenticationError,
    NotFoundError,
    QuotaExceededError,
    ServerUnavailableError,
    TurnTimeoutError,
)
from openaiassistant.observability.requests import traced_request
from openaiassistant.settings import ConnectionSettings

__all__ = [
    "Caller",
    "RAW",
    "best_effort",
    "call",
    "from_sdk_error",
    "get_client",
    "is_timeout",
    "is_transport_error",
    "map_status_error",
    "poll_hint",
    "server_url",
    "wait_before_resend",
    "with_hint",
]

log = logging.getLogger("openaiassistant.backends")
T = TypeVar("T")
RAW = {"X-Stainless-Raw-Response": "true"}  # the SDK's own switch for raw responses (headers)
_RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}
# a request that may have landed although it failed with these (a gateway's answer after the work)
_MAYBE_LANDED_STATUSES = {408, 500, 502, 503, 504}
_MAX_WAIT = 3600.0  # seconds: the longest server retry hint waited out
_MAX_POLL_HINT = 60.0  # seconds: the longest poll hint taken
_RUN_ID = re.compile(r"\brun_[A-Za-z0-9_-]+")
_clients: dict[ConnectionSettings, openai.OpenAI] = {}
_clients_lock = threading.Lock()
_answered: set[str] = set()  # servers that answered a request in this process (for the /v1 hint)


def get_client(settings: ConnectionSettings) -> openai.OpenAI:
    """The SDK client for these settings, built once and reused (connection pooling)."""
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            client = _build_client(settings)
            _clients[settings] = client
        return client


def _build_client(settings: ConnectionSettings) -> openai.OpenAI:
    settings.validate()
    key = settings.resolved_api_key()
    common: dict[str, Any] = {
        "api_key": key,
        "organization": settings.organization,
        "max_retries": 0,
        "timeout": settings.request_timeout,
        # every answer's x-ratelimit-* headers reach the rate gate (coordination/gate.py)
        "http_client": openai.DefaultHttpxClient(event_hooks={"response": [observe_response]}),
    }
    if settings.azure_v1:  # Azure's v1 endpoint is the plain API under /openai/v1, key in api-key
        return openai.OpenAI(base_url=settings.azure_v1_url(), default_headers={"api-key": key}, **common)
    if settings.is_azure:
        # no azure_deployment here: the SDK would then route every path (/responses too) under
        # /deployments/NAME; the deployment is the request's model instead
        return openai.AzureOpenAI(
            azure_endpoint=str(settings.azure_endpoint), api_version=settings.api_version, **common
        )
    if settings.project:
        common["project"] = settings.project
    return openai.OpenAI(base_url=settings.base_url, **common)


def is_timeout(exc: BaseException) -> bool:
    """A transport timeout, whichever HTTP library raised it (openai 3.x uses httpx2)."""
    if isinstance(exc, openai.APITimeoutError):
        return True
    return any(cls.__name__ in ("TimeoutException", "ReadTimeout") for cls in type(exc).__mro__)


def is_transport_error(exc: BaseException) -> bool:
    """A broken connection or stream (httpx / httpx2 / the SDK's wrapper of them)."""
    if isinstance(exc, openai.APIConnectionError):
        return True
    return any(cls.__name__ in ("TransportError", "HTTPError", "StreamError") for cls in type(exc).__mro__)


@traced_request  # one span per request, each retry an event (observability/requests.py)
def call(
    fn: Callable[[float], T],
    *,
    settings: ConnectionSettings,
    deadline: Deadline,
    what: str,
    thread_id: str | None = None,
    idempotent: bool = True,
) -> T:
    """Run ``fn(timeout)`` with retries; SDK errors come out as the package's errors.

    ``what`` names the operation for messages ("create response", ...). With ``thread_id``,
    lock errors from the server become ``ConversationBusy``. A request that is not
    ``idempotent`` (one carrying the user's message or tool outputs) is never repeated here
    after a dropped connection or a 5xx, where it may have landed: that is ``MaybeLanded``, and
    the caller looks at the server before sending it again. A 429 is repeated: the server
    refused it. A ``retry-after`` beyond the deadline fails at once, saying when to retry. A
    wait that makes the request take longer than a couple of seconds is reported
    (:mod:`openaiassistant.progress`).

    Every attempt passes the pool's rate gate (``coordination/``): it waits while the pool is
    out of requests or tokens per minute, or backing off after someone's 429, and learns from
    every response's ``x-ratelimit-*`` headers. A 429 (rate limit, not quota) is waited out as
    the server says (``retry-after``, ``Please try again in 12.6s``) as often as the turn's
    deadline allows, not just ``max_retries`` times (that bound holds for turns without one).
    """
    attempt, started = 0, deadline.clock()
    url = server_url(settings)
    gate, refused = gate_for(settings, clock=deadline.clock), False
    while True:
        ticket = gate.admit(deadline, what=what, after_refusal=refused)
        timeout, bounded = deadline.request_timeout(settings.request_timeout)
        try:
            with watching(gate):
                result = fn(timeout)
            _answered.add(url)
            return result
        except openai.APIStatusError as exc:
            error = map_status_error(exc, what=what, thread_id=thread_id, settings=settings)
            if exc.status_code != 404:  # it answered: the URL reaches a server's API
                _answered.add(url)
            refused = exc.status_code == 429 and not isinstance(error, QuotaExceededError)
            seen = gate.observe(exc.response.headers, message=_server_message(exc)[0], refused=refused, ticket=ticket)
            waits_out = refused and deadline.remaining() is not None  # bounded by the deadline instead
            retryable = _retryable(exc, error, idempotent=idempotent, thread_id=thread_id)
            if not (retryable and (attempt < settings.max_retries or waits_out)):
                raise error from None
            delay = (
                seen.retry_after
                if refused and seen.retry_after is not None
                else retry_delay(exc.response.headers, attempt)
            )
            why = str(exc.status_code)
            _check_wait(delay, deadline, what=what, status=exc.status_code, thread_id=thread_id)
        except UnicodeEncodeError as exc:  # our request, not the server's answer
            raise APIError(f"{what}: the request holds text that cannot be sent ({exc.reason})") from None
        except UNREADABLE as exc:  # the SDK could not read the answer (HTML, garbage, too deep)
            raise unreadable(what, exc, thread_id=thread_id) from None
        except Exception as exc:
            cause = _connection_failure(
                exc, what=what, url=url, thread_id=thread_id, idempotent=idempotent, deadline_hit=bounded
            )
            if idempotent and attempt >= settings.max_retries:
                raise ServerUnavailableError(
                    f"{what}: could not reach {url} ({cause}); gave up after {attempt + 1} attempts",
                    thread_id=thread_id,
                ) from None
            error, delay, why, refused = None, backoff(attempt), cause, False
        _wait_to_retry(deadline, delay, error=error, what=f"{what}: could not reach {url} ({why})", thread_id=thread_id)
        if deadline.clock() - started + delay >= progress.NOTABLE_SECONDS:
            progress.note(
                f"waiting for the server ({why}: rate limited, {delay:.1f} s as the server asks)"
                if refused
                else f"waiting for the server ({why}, retry {attempt + 1} of {settings.max_retries} in {delay:.1f} s)"
            )
        log.info("retrying %s in %.2fs (attempt %d)", what, delay, attempt + 1)
        deadline.sleep(delay)
        attempt += 1


def _retryable(exc: openai.APIStatusError, error: Exception, *, idempotent: bool, thread_id: str | None) -> bool:
    """Whether an HTTP error is worth another attempt here. A 5xx on a request that must not
    land twice raises ``MaybeLanded`` instead: its caller looks at the server first."""
    retryable = exc.status_code in _RETRY_STATUSES and not isinstance(error, (QuotaExceededError, ConversationBusy))
    if retryable and not idempotent and exc.status_code in _MAYBE_LANDED_STATUSES:
        raise MaybeLanded(
            f"{error}; the request may have landed",
            thread_id=thread_id,
            http_status=exc.status_code,
            code=getattr(error, "code", None),
            retry_after=server_retry_hint(exc.response.headers),
        ) from None
    return retryable


def _connection_failure(
    exc: Exception, *, what: str, url: str, thread_id: str | None, idempotent: bool, deadline_hit: bool
) -> str:
    """Why a request raised something other than an HTTP error. Raised here: what is not a
    broken connection (in our tree), a timeout the turn's deadline set (``deadline_hit``: the
    request timeout was cut to what the deadline left) and a broken request that may have
    landed. Otherwise the cause, in a few words."""
    if not is_transport_error(exc):
        raise from_sdk_error(exc, what=what, thread_id=thread_id) from None
    if is_timeout(exc) and deadline_hit:
        raise TurnTimeoutError(f"{what}: the turn's deadline passed") from None
    cause = connection_cause(exc)
    if not idempotent:
        raise MaybeLanded(
            f"{what}: the connection to {url} broke ({cause}); the request may have landed", thread_id=thread_id
        ) from None
    return cause


def _wait_to_retry(
    deadline: Deadline, delay: float, *, error: Exception | None, what: str, thread_id: str | None
) -> None:
    """Raise when the turn's deadline leaves no time for the wait before the next attempt."""
    left = deadline.remaining()
    if left is None or delay < left:
        return
    if isinstance(error, APIError):
        raise ServerUnavailableError(
            f"{error.message}; the turn's deadline leaves no time to retry",
            http_status=error.http_status,
            code=error.code,
            thread_id=thread_id,
        ) from None
    raise ServerUnavailableError(f"{what}; the turn's deadline leaves no time to retry", thread_id=thread_id)


def server_url(settings: ConnectionSettings) -> str:
    """The server these settings reach, as a person would write it (for messages)."""
    if settings.azure_v1:
        return settings.azure_v1_url()
    return (settings.base_url or settings.azure_endpoint or "https://api.openai.com/v1").rstrip("/")


@dataclass(frozen=True)
class Caller:
    """:func:`call` bound to one connection's settings: ``caller(fn, deadline, what, ...)``
    (SDK objects come back as ``Any``: the generic request methods are typed ``object``)."""

    settings: ConnectionSettings

    def __call__(
        self,
        fn: Callable[[float], Any],
        deadline: Deadline,
        what: str,
        *,
        thread_id: str | None = None,
        idempotent: bool = True,
    ) -> Any:
        return call(
            fn, settings=self.settings, deadline=deadline, what=what, thread_id=thread_id, idempotent=idempotent
        )


def from_sdk_error(exc: Exception, *, what: str, thread_id: str | None) -> Exception:
    """Any other SDK error (a malformed body, an ``error`` event in a stream) in our tree;
    anything that is not the SDK's is returned unchanged."""
    if isinstance(exc, openai.APIError):
        return APIError(f"{what}: {exc.message}", thread_id=thread_id, code=getattr(exc, "code", None))
    return exc


def retry_delay(headers: Any, attempt: int) -> float:
    """The server's retry hint (``retry-after-ms``, then ``retry-after`` seconds), else backoff.

    Any finite hint is honoured, however long (the caller checks it against the deadline);
    one that is not a number (an HTTP date, garbage) falls back to backoff."""
    hint = server_retry_hint(headers)
    return backoff(attempt) if hint is None else hint


def server_retry_hint(headers: Any) -> float | None:
    """``retry-after-ms``, else ``retry-after``, in seconds, when the server sent a usable one."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name) if headers is not None else None
        if raw:
            try:
                value = float(raw) * scale
            except (ValueError, OverflowError):
                continue
            if 0 <= value < float("inf"):
                return value
    return None


def wait_before_resend(landed: Exception, attempt: int, deadline: Deadline, *, what: str) -> None:
    """Before sending again a request that did not land: the server's hint, else backoff, or
    fail now when the deadline cannot wait that long."""
    hint = getattr(landed, "retry_after", None)
    delay = backoff(attempt) if hint is None else hint
    status = getattr(landed, "http_status", None)
    if hint is not None and status is not None:
        _check_wait(delay, deadline, what=what, status=status, thread_id=getattr(landed, "thread_id", None))
    left = deadline.remaining()
    if left is not None and delay >= left:
        raise ServerUnavailableError(
            f"{what}: the request did not land and the turn's deadline leaves no time to send it again",
            thread_id=getattr(landed, "thread_id", None),
            http_status=status,
        )
    log.info("retrying %s in %.2fs (attempt %d): the server shows it did not land", what, delay, attempt + 1)
    deadline.sleep(delay)


def _check_wait(delay: float, deadline: Deadline, *, what: str, status: int, thread_id: str | None) -> None:
    """A server's retry hint that the deadline cannot wait out (or longer than an hour) fails
    now, saying when to retry, instead of retrying early against the server's word."""
    left = deadline.remaining()
    if delay <= _MAX_WAIT and (left is None or delay < left):
        return
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=min(delay, 10**7))
    room = "the turn's deadline" if left is not None and left <= _MAX_WAIT else "an hour"
    raise ServerUnavailableError(
        f"{what}: the server is busy (HTTP {status}) and asks to retry after {delay:g} s, longer than {room} "
        f"allows; retry after {when:%Y-%m-%d %H:%M:%S} UTC",
        http_status=status,
        thread_id=thread_id,
    )


def poll_hint(headers: Any) -> float | None:
    """``openai-poll-after-ms`` in seconds, when the server sent a usable one (a finite number
    of at most a minute: ``inf`` or ``nan`` from a compatible server would stall the turn)."""
    raw = headers.get("openai-poll-after-ms") if headers is not None else None
    try:
        value = float(raw) / 1000.0 if raw else None
    except (ValueError, OverflowError):
        return None
    if value is None or not 0 <= value <= _MAX_POLL_HINT:  # also False for nan
        return None
    return value


def with_hint(raw: Any, what: str = "the request") -> tuple[Any, float | None]:
    """A raw response (``RAW`` header) as (its parsed object, the server's poll hint); an
    answer that cannot be read is APIError (see answers)."""
    try:
        return raw.parse(), poll_hint(raw.headers)
    except UNREADABLE as exc:
        raise unreadable(what, exc) from None


def best_effort(request: Callable[[], object]) -> None:
    """Send a request whose failure changes nothing (a cancel while the turn already fails for a
    better reason, closing calls of a run we leave): errors are dropped."""
    with contextlib.suppress(Exception):
        request()


def map_status_error(
    exc: openai.APIStatusError, *, what: str, thread_id: str | None, settings: ConnectionSettings | None = None
) -> Exception:
    """An HTTP error in our tree, in the server's own words (whatever shape its body has) and
    with its code; a 404 from a server that never answered before hints at a base URL missing
    ``/v1``."""
    status = exc.status_code
    message, body_code = _server_message(exc)
    code = getattr(exc, "code", None) or body_code
    if thread_id and _is_lock_error(status, code, message):
        match = _RUN_ID.search(message)
        return ConversationBusy(thread_id, match.group(0) if match else None)
    text = f"{what}: {message}"
    kwargs: dict[str, Any] = {"http_status": status, "code": code, "thread_id": thread_id}
    if status in (401, 403):
        return AuthenticationError(f"{what}: the server rejected the API key or its permissions ({message})", **kwargs)
    if status == 404:
        return NotFoundError(f"{text} (HTTP 404{_v1_hint(settings)})", **kwargs)
    if status == 429 and (code == "insufficient_quota" or "insufficient_quota" in message):
        return QuotaExceededError(
            f"{what}: the account's quota is used up (insufficient_quota); check plan and billing", **kwargs
        )
    if status in _RETRY_STATUSES:
        return ServerUnavailableError(f"{text} ({_status_note(status, code)}, retries used up)", **kwargs)
    return APIError(f"{text} ({_status_note(status, code)})", **kwargs)


def _status_note(status: int, code: object) -> str:
    """``HTTP 400, invalid_value``; a code that only repeats the status (LiteLLM sends ``"400"``)
    is said once."""
    if code is None or code == "" or str(code) == str(status):
        return f"HTTP {status}"
    return f"HTTP {status}, {code}"


def _v1_hint(settings: ConnectionSettings | None) -> str:
    """For a 404 on the first request to a base URL without ``/v1``: say so."""
    if settings is None or not settings.base_url or settings.is_azure:
        return ""
    url = server_url(settings)
    if url in _answered or re.search(r"/v\d+(?:beta)?(?:/|$)", url.split("://", 1)[-1]):
        return ""
    return f"; is the base URL missing /v1? it is {url}, OpenAI-compatible servers usually serve {url}/v1"


def _is_lock_error(status: int, code: str | None, message: str) -> bool:
    if code == "conversation_locked":
        return True
    return status == 400 and (
        "already has an active run" in message or ("while a run" in message and "is active" in message)
    )


def _server_message(exc: openai.APIStatusError) -> tuple[str, str | None]:
    """The server's message and code, whatever shape its body has (see server_errors)."""
    text = None
    if exc.body is None or not isinstance(exc.body, (dict, str)):
        try:
            text = exc.response.text
        except Exception:  # noqa: BLE001 - a streamed body that was never read
            text = None
    return server_words(exc.body, text, status=exc.status_code)
