"""The backend edge: one cached SDK client per connection, our own retries, SDK errors mapped.

The SDK's retries are switched off (``max_retries=0``): it would retry a 429
``insufficient_quota`` that can never succeed, and it knows nothing of the turn's deadline.
:func:`call` retries 408/409/429/5xx and dropped connections with backoff honouring
``retry-after-ms`` / ``retry-after``, never past the deadline, and maps every SDK exception to
the package's error tree. Server lock errors become the backend-internal ``ConversationBusy``,
which the sessions turn into a ``Busy`` outcome.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import openai

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

log = logging.getLogger("openaiassistant.backends")
T = TypeVar("T")
RAW = {"X-Stainless-Raw-Response": "true"}  # the SDK's own switch for raw responses (headers)
_RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}
_RUN_ID = re.compile(r"\brun_[A-Za-z0-9_-]+")
_clients: dict[ConnectionSettings, openai.OpenAI] = {}
_clients_lock = threading.Lock()


class ConversationBusy(Exception):
    """Backend-internal: the server says the conversation has an active run (``run_id`` if it
    named one). The session turns it into a ``Busy`` outcome; it never reaches the engine."""

    def __init__(self, thread_id: str, run_id: str | None) -> None:
        super().__init__(f"conversation {thread_id} has an active run {run_id or '(unknown id)'}")
        self.thread_id = thread_id
        self.run_id = run_id


class MaybeLanded(ServerUnavailableError):
    """A request that must not land twice lost its connection: it may or may not have landed."""


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
    common: dict[str, Any] = {
        "api_key": settings.resolved_api_key(),
        "organization": settings.organization,
        "max_retries": 0,
        "timeout": settings.request_timeout,
    }
    if settings.is_azure:
        return openai.AzureOpenAI(
            azure_endpoint=settings.azure_endpoint,
            api_version=settings.api_version,
            azure_deployment=settings.azure_deployment,
            **common,
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
    ``idempotent`` (submitting tool outputs) is not repeated after a dropped connection, where
    it may have landed; it is after a 429/5xx, where the server refused it.
    """
    attempt = 0
    while True:
        timeout, bounded = deadline.request_timeout(settings.request_timeout)
        try:
            return fn(timeout)
        except openai.APIStatusError as exc:
            error = map_status_error(exc, what=what, thread_id=thread_id)
            retryable = exc.status_code in _RETRY_STATUSES and not isinstance(
                error, (QuotaExceededError, ConversationBusy)
            )
            if not (retryable and attempt < settings.max_retries):
                raise error from None
            delay = retry_delay(exc.response.headers, attempt)
        except Exception as exc:
            if not is_transport_error(exc):
                raise from_sdk_error(exc, what=what, thread_id=thread_id)
            if is_timeout(exc) and (bounded or deadline.expired):
                raise TurnTimeoutError(f"{what}: the turn's deadline passed") from None
            if idempotent and attempt >= settings.max_retries:
                raise ServerUnavailableError(
                    f"{what}: could not reach the server ({type(exc).__name__})", thread_id=thread_id
                ) from None
            if not idempotent:
                raise MaybeLanded(
                    f"{what}: the connection broke ({type(exc).__name__}); the request may have landed",
                    thread_id=thread_id,
                ) from None
            delay = backoff(attempt)
        left = deadline.remaining()
        if left is not None and delay >= left:
            raise ServerUnavailableError(f"{what}: server busy and the turn's deadline leaves no time to retry")
        log.info("retrying %s in %.2fs (attempt %d)", what, delay, attempt + 1)
        deadline.sleep(delay)
        attempt += 1


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


def map_status_error(exc: openai.APIStatusError, *, what: str, thread_id: str | None) -> Exception:
    status, code = exc.status_code, getattr(exc, "code", None)
    message = _server_message(exc)
    if thread_id and _is_lock_error(status, code, message):
        match = _RUN_ID.search(message)
        return ConversationBusy(thread_id, match.group(0) if match else None)
    text = f"{what}: {message}"
    kwargs: dict[str, Any] = {"http_status": status, "code": code, "thread_id": thread_id}
    if status in (401, 403):
        return AuthenticationError(f"{what}: the server rejected the API key or its permissions ({message})", **kwargs)
    if status == 404:
        return NotFoundError(text, **kwargs)
    if status == 429 and (code == "insufficient_quota" or "insufficient_quota" in message):
        return QuotaExceededError(
            f"{what}: the account's quota is used up (insufficient_quota); check plan and billing", **kwargs
        )
    if status in _RETRY_STATUSES:
        return ServerUnavailableError(f"{text} (HTTP {status}, retries used up)", **kwargs)
    return APIError(f"{text} (HTTP {status}{', ' + code if code else ''})", **kwargs)


def _is_lock_error(status: int, code: str | None, message: str) -> bool:
    if code == "conversation_locked":
        return True
    return status == 400 and (
        "already has an active run" in message or ("while a run" in message and "is active" in message)
    )


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        if isinstance(inner.get("message"), str):
            return inner["message"]
    return str(getattr(exc, "message", "") or exc)
