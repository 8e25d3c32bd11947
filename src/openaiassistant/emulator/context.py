"""The shared context of every handler: :class:`Emulator` holds the world (state), the script,
the armed faults, this emulator's clock, the request log and the spec violations seen.

The API modules depend on this module; :mod:`~openaiassistant.emulator.app` only assembles
their routes around one instance.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import warnings
from typing import Any

from openaiassistant.emulator.account_limits import AccountLimits
from openaiassistant.emulator.clock import Clock
from openaiassistant.emulator.faults import MODEL_KINDS, STREAM_KINDS, Fault, FaultBook
from openaiassistant.emulator.request_rules import check_unknown_params
from openaiassistant.emulator.script import Script, load_script
from openaiassistant.emulator.state import State
from openaiassistant.emulator.validation import SpecValidator, load_validator

__all__ = ["EXCHANGE_PROBLEMS", "Emulator", "spec_required"]

# The spec problems of the request being served (the middleware sets a list per request, which
# its request-log entry carries): the inspector shows each request's verdict.
EXCHANGE_PROBLEMS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "emulator_exchange_problems", default=None
)


class Emulator:
    """Everything the handlers share: state, script, faults, request log, spec violations."""

    def __init__(
        self,
        *,
        script: Any = None,
        validate: bool = True,
        required_api_key: str | None = None,
        clock: Clock | None = None,
        limits: Any = None,
    ) -> None:
        self._lock = threading.Lock()
        self.clock = clock or Clock()  # this emulator's own time (tests move it forward)
        # account-level requests/tokens per minute (off unless ``limits`` sets them)
        self.account_limits = AccountLimits(clock=self.clock, initial=limits)
        self._initial_script = script
        self.required_api_key = required_api_key
        self.validator: SpecValidator | None = _spec_validator() if validate else None
        self.faults = FaultBook()
        self.state = State()
        self._requests: list[dict[str, Any]] = []
        # bumped by reset/clear_requests: a request that began before is not logged after (a
        # stream the server finishes late must not land in the next test's log)
        self.log_generation = 0
        self._violations: list[str] = []
        self._request_violations: list[str] = []
        self.script: Script = load_script(None)
        self.load_script(script)

    # -- control ---------------------------------------------------------------------------
    def load_script(self, script: Any) -> None:
        """Replace the script; its ``faults:`` replace the armed faults."""
        parsed = load_script(script)
        self.faults.clear()
        for spec in parsed.faults:
            self.faults.add(spec)
        self.script = parsed

    def reset(self) -> None:
        """Back to the state the server started in: empty world, initial script, no log."""
        self.state = State()
        self.clock.reset()
        self.account_limits.reset()
        self.load_script(self._initial_script)
        with self._lock:
            self._requests.clear()
            self.log_generation += 1
            self._violations.clear()
            self._request_violations.clear()

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**entry, "violations": list(entry.get("violations") or [])} for entry in self._requests]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self.log_generation += 1

    def violations(self) -> list[str]:
        with self._lock:
            return list(self._violations)

    def request_violations(self) -> list[str]:
        """Request bodies (from clients) that do not fit the spec's request schemas. Recorded,
        not enforced: the emulator answers them like the real API would (often a 400)."""
        with self._lock:
            return list(self._request_violations)

    def log_request(self, entry: dict[str, Any], *, generation: int | None = None) -> None:
        """Log a request, unless the log was cleared since it began (``generation``)."""
        with self._lock:
            if generation is None or generation == self.log_generation:
                self._requests.append(entry)

    def add_violations(self, problems: list[str]) -> None:
        if problems:
            logging.getLogger("openaiassistant.emulator").warning("spec violations: %s", problems)
            with self._lock:
                self._violations.extend(problems)
                _note_for_exchange(problems)

    # -- used by handlers ------------------------------------------------------------------
    def check_event(self, api: str, name: str, data: Any) -> None:
        if self.validator is not None:
            self.add_violations(self.validator.check_event(api, name, data))

    def check_body(self, method: str, path: str, status: int, body: Any) -> None:
        if self.validator is not None:
            self.add_violations(self.validator.check_response(method, path, status, body))

    def check_request(self, method: str, path: str, body: dict[str, Any]) -> None:
        """Record where ``body`` breaks the spec's request schema; refuse (400) top-level
        parameters the operation does not take, as the live API does."""
        if self.validator is None:
            return
        problems = self.validator.check_request(method, path, body)
        if problems:
            with self._lock:
                self._request_violations.extend(problems)
                _note_for_exchange(problems)
        check_unknown_params(self.validator.allowed_params(method, path), path, body)

    def model_fault(self, method: str, path: str, body: str | None = None) -> dict[str, Any] | None:
        """An armed run/response-level fault for this request, as a step ``fault`` dict."""
        fault = self.faults.take(MODEL_KINDS, method, path, body)
        if fault is None:
            return None
        return {"kind": fault.kind, "code": fault.code, "message": fault.message, "reason": fault.reason}

    def stream_cut(self, method: str, path: str, body: str | None = None) -> Fault | None:
        """The armed stream fault for this request (``stream_cut`` / ``stream_error``), if any."""
        return self.faults.take(STREAM_KINDS, method, path, body)

    def poll_headers(self, api: str) -> dict[str, str]:
        """``openai-poll-after-ms`` for responses of ``api`` (``assistants`` | ``responses``), if
        the script sends it there."""
        if self.script.poll_after_ms is None or api not in self.script.poll_hint_apis:
            return {}
        return {"openai-poll-after-ms": str(self.script.poll_after_ms)}


def _note_for_exchange(problems: list[str]) -> None:
    current = EXCHANGE_PROBLEMS.get()
    if current is not None:
        current.extend(problems)


def spec_required() -> bool:
    """``OPENAI_EMULATOR_REQUIRE_SPEC``: unset, empty or ``0``/``false``/``no`` means not required."""
    return os.environ.get("OPENAI_EMULATOR_REQUIRE_SPEC", "").strip().lower() not in ("", "0", "false", "no")


def _spec_validator() -> SpecValidator | None:
    """The spec validator; without the spec file (e.g. a plain ``pip install``) warn and go on
    unvalidated, unless ``OPENAI_EMULATOR_REQUIRE_SPEC`` is set (the pytest fixture requires it
    unless it is ``0``)."""
    try:
        return load_validator()
    except FileNotFoundError as exc:
        if spec_required():
            raise
        warnings.warn(
            f"emulator: OpenAI spec not found ({exc.filename}); responses are not validated. "
            "Set OPENAI_OPENAPI_SPEC to its path.",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
