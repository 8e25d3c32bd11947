"""What a server said when it refused a request, and why a connection failed, in one line.

Servers word their errors in many shapes; a message that reads only OpenAI's
``{"error": {"message": ...}}`` shows nothing useful for the others:

* OpenAI / Azure: ``{"error": {"message", "type", "code", "param"}}`` (the SDK hands over the
  inner object);
* FastAPI (llama-stack, LiteLLM's proxy, vLLM): ``{"detail": "..."}`` or, for a request that
  fails validation, ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``;
* ``{"error": "text"}`` or ``{"message": "..."}`` (many gateways), plain text, and HTML error
  pages from a proxy or load balancer (trimmed to their title or first words).

:func:`server_words` returns ``(message, code)``; :func:`connection_cause` names why a
connection failed (``connection refused``, ``name not resolved``, ``TLS certificate
verify failed``, ...) from the exception chain the HTTP library raised.
"""

from __future__ import annotations

import html
import json
import re
import socket
import ssl
from typing import Any

__all__ = ["connection_cause", "server_words"]

_LIMIT = 300
_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"(?is)<(script|style)\b.*?</\1>")
_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title>")
_H1 = re.compile(r"(?is)<h1[^>]*>(.*?)</h1>")


def server_words(body: Any, text: str | None = None, *, status: int | None = None) -> tuple[str, str | None]:
    """The server's own message (and its error code, when it gave one) from a parsed ``body``
    or, when that says nothing, the raw response ``text``."""
    message, code = _from_body(body)
    if not message and text:
        message, code = _from_body(_parsed(text))
    if not message:
        message = f"HTTP {status} with an empty body" if status else "no message from the server"
    return _trim(message), code


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _from_body(body: Any) -> tuple[str, str | None]:
    if isinstance(body, str):
        return _from_text(body), None
    if not isinstance(body, dict):
        return ("" if body is None else _compact(body)), None
    error = body.get("error")
    if isinstance(error, dict):
        return _from_body(error)
    code = _code(body)
    if isinstance(error, str) and error.strip():
        return error.strip(), code
    for key in ("message", "detail", "msg", "title", "description"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip(), code
        if key == "detail" and isinstance(value, list) and value:
            return _validation_details(value), code or "validation_error"
        if key == "detail" and isinstance(value, dict):
            inner, inner_code = _from_body(value)
            return inner, code or inner_code
    return (_compact(body) if body else ""), code


def _code(body: dict[str, Any]) -> str | None:
    for key in ("code", "type"):
        value = body.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _validation_details(details: list[Any]) -> str:
    """FastAPI/pydantic validation errors: ``body.input: Field required; ...``."""
    parts = []
    for detail in details[:5]:
        if not isinstance(detail, dict):
            parts.append(str(detail))
            continue
        where = ".".join(str(p) for p in detail.get("loc") or [])
        what = str(detail.get("msg") or detail.get("message") or detail.get("type") or "invalid")
        parts.append(f"{where}: {what}" if where else what)
    more = f" (+{len(details) - 5} more)" if len(details) > 5 else ""
    return "; ".join(parts) + more


def _from_text(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if "<" in text and re.search(r"(?i)<(html|body|head|title|h1|!doctype)", text):
        title = _TITLE.search(text) or _H1.search(text)
        if title and _clean(title.group(1)):
            return _clean(title.group(1))
        return _clean(_SCRIPT.sub(" ", text))
    return " ".join(text.split())


def _clean(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(value)


def _trim(text: str) -> str:
    return text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"


# -- connections -----------------------------------------------------------------------------
def connection_cause(exc: BaseException) -> str:
    """Why a connection failed, in a few words, from the innermost cause the library kept."""
    chain = _chain(exc)
    for cause in chain:
        known = _known_cause(cause)
        if known:
            return known
    for cause in chain:  # httpx's own words ("[Errno 111] Connection refused", "Server disconnected ...")
        worded = _worded_cause(cause)
        if worded:
            return worded
    return type(exc).__name__


def _known_cause(cause: BaseException) -> str | None:
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, socket.gaierror):
        return "the host name could not be resolved"
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate verify failed: {cause.verify_message or cause}"
    if isinstance(cause, ssl.SSLError):
        return f"TLS error: {cause.reason or cause}"
    if isinstance(cause, ConnectionResetError):
        return "the connection was reset"
    if isinstance(cause, TimeoutError) or type(cause).__name__ in ("ConnectTimeout", "ReadTimeout", "APITimeoutError"):
        return "timed out"
    return None


def _worded_cause(cause: BaseException) -> str | None:
    words = str(cause).strip()
    lowered = words.lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "the host name could not be resolved"
    if "disconnected" in lowered or "incomplete" in lowered or "peer closed" in lowered:
        return "the server closed the connection before it answered"
    if words and type(cause).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "httpcore2"):
        return _trim(words)
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        pending.extend([current.__cause__, current.__context__])
        pending.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
    return seen
