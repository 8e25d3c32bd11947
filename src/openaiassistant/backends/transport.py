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
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import openai

from openaiassistant import progress
from openaiassistant.backends.server_errors import connection_cause, server_words
from openaiassistant.backends.signals import ConversationBusy, MaybeLanded
from openaiassistant.deadline import Deadline, backoff
from openaiassistant.errors import (
    APIError,
    AuthenticationError,
    NotFoundError,
    QuotaExceededError,
    ServerUnavailableError,
    TurnTimeoutError,
)
from openaiassistant.settings import ConnectionSettings

log = logging.getLogger("openaiassistant.backends")
T = TypeVar("T")
RAW = {"X-Stainless-Raw-Response": "true"}  # the SDK's own switch for raw responses (headers)
_RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}
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
    ``idempotent`` (submitting tool outputs) is not repeated after a dropped connection, where
    it may have landed; it is after a 429/5xx, where the server refused it. A wait that makes
    the request take longer than a couple of seconds is reported (:mod:`openaiassistant.progress`).
    """
    attempt, started = 0, deadline.clock()
    url = server_url(settings)
    while True:
        timeout, bounded = deadline.request_timeout(settings.request_timeout)
        try:
            result = fn(timeout)
            _answered.add(url)
            return result
        except openai.APIStatusError as exc:
            error = map_status_error(exc, what=what, thread_id=thread_id, settings=settings)
            if exc.status_code != 404:  # it answered: the URL reaches a server's API
                _answered.add(url)
            retryable = exc.status_code in _RETRY_STATUSES and not isinstance(
                error, (QuotaExceededError, ConversationBusy)
            )
            if not (retryable and attempt < settings.max_retries):
                raise error from None
            delay, why = retry_delay(exc.response.headers, attempt), str(exc.status_code)
        except Exception as exc:
            cause = _connection_failure(
                exc, what=what, url=url, thread_id=thread_id, idempotent=idempotent, deadline_hit=bounded
            )
            if idempotent and attempt >= settings.max_retries:
                raise ServerUnavailableError(
                    f"{what}: could not reach {url} ({cause}); gave up after {attempt + 1} attempts",
                    thread_id=thread_id,
                ) from None
            error, delay, why = None, backoff(attempt), cause
        _wait_to_retry(deadline, delay, error=error, what=f"{what}: could not reach {url} ({why})", thread_id=thread_id)
        if deadline.clock() - started + delay >= progress.NOTABLE_SECONDS:
            progress.note(
                f"waiting for the server ({why}, retry {attempt + 1} of {settings.max_retries} in {delay:.1f} s)"
            )
        log.info("retrying %s in %.2fs (attempt %d)", what, delay, attempt + 1)
        deadline.sleep(delay)
        attempt += 1


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
    """The server's retry hint (``retry-after-ms``, then ``retry-after`` seconds), else backoff."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name) if headers is not None else None
        if raw:
            try:
                value = float(raw) * scale
            except ValueError:
                continue
            if 0 <= value <= 120:
                return value
    return backoff(attempt)


def poll_hint(headers: Any) -> float | None:
    """``openai-poll-after-ms`` in seconds, when the server sent it."""
    raw = headers.get("openai-poll-after-ms") if headers is not None else None
    try:
        return max(0.0, float(raw) / 1000.0) if raw else None
    except ValueError:
        return None


def with_hint(raw: Any) -> tuple[Any, float | None]:
    """A raw response (``RAW`` header) as (its parsed object, the server's poll hint)."""
    return raw.parse(), poll_hint(raw.headers)


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
        return ServerUnavailableError(f"{text} (HTTP {status}{', ' + code if code else ''}, retries used up)", **kwargs)
    return APIError(f"{text} (HTTP {status}{', ' + code if code else ''})", **kwargs)


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
