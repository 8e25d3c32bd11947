"""Answers a backend cannot read, as the package's errors.

A compatible server (or a gateway in front of one) can answer with anything: an HTML error page
with status 200, an empty body, ``[]``, an object without an ``id``, JSON nested 5 000 deep.
Reading such an answer raises whatever the parser or a field access raises (JSONDecodeError,
RecursionError, KeyError, AttributeError, TypeError); none of that may reach the caller. Each
request's parse (:func:`readable`, :func:`parse_raw`) and each session method (:func:`guarded`)
turns it into :class:`~openaiassistant.errors.APIError` saying which request got an answer it
could not read and what was wrong with it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from openaiassistant.errors import APIError

__all__ = ["UNREADABLE", "guarded", "parse_raw", "require_object", "unreadable"]

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger("openaiassistant.backends")
# what reading a malformed answer raises (JSONDecodeError and UnicodeDecodeError are ValueErrors)
UNREADABLE = (ValueError, RecursionError, TypeError, AttributeError, KeyError, IndexError)


def unreadable(what: str, exc: BaseException, *, thread_id: str | None = None) -> APIError:
    detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, RecursionError) else "nested too deeply"
    log.debug("unreadable answer to %s", what, exc_info=exc)
    return APIError(
        f"{what}: the server's answer is not what the API returns ({detail[:200]}); is base_url an "
        "OpenAI-compatible API?",
        thread_id=thread_id,
    )


def parse_raw(raw: Any, what: str, *, thread_id: str | None = None) -> Any:
    """A raw response's parsed body, or APIError when it cannot be read."""
    try:
        return raw.parse()
    except UNREADABLE as exc:
        raise unreadable(what, exc, thread_id=thread_id) from None


def require_object(obj: Any, what: str, *, thread_id: str | None = None) -> dict[str, Any]:
    """``obj`` when it is a JSON object with a string ``id``, else APIError."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
        shown = repr(obj)[:120]
        raise APIError(
            f"{what}: the server's answer has no object id ({shown}); is base_url an OpenAI-compatible API?",
            thread_id=thread_id,
        )
    return obj


def guarded(what: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """A session method whose unreadable answers (anything in :data:`UNREADABLE` escaping it)
    come out as APIError naming ``what``."""

    def decorate(method: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return method(*args, **kwargs)
            except UNREADABLE as exc:
                session = args[0] if args else None
                raise unreadable(what, exc, thread_id=getattr(session, "thread_id", None)) from None

        return wrapper

    return decorate
