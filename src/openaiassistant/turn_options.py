"""What a turn takes besides its prompt: the one list of ``Assistant.run_turn``'s keywords.

``run_turn(prompt, **options)`` is typed by :class:`TurnOptions` (PEP 692: editors and mypy check
the keywords); a Keep step's values are converted into one (``keep/step_request.py``), the CLI
fills one from its flags. :data:`DEFAULTS` says what a keyword left out means.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from openaiassistant.tools.base import ToolRecord

__all__ = ["ACTIVE_RUN_POLICIES", "DEFAULTS", "DEFAULT_TIMEOUT", "NAMES", "TurnOptions", "with_defaults"]

DEFAULT_TIMEOUT = 300.0
ACTIVE_RUN_POLICIES = ("wait", "cancel", "fail")  # on_active_run


class TurnOptions(TypedDict, total=False):
    """The keywords of ``Assistant.run_turn`` (all optional).

    ``thread_id`` continues a conversation (None creates one, with ``metadata``). ``params`` are
    run controls (see :mod:`openaiassistant.params`; numeric strings are fine). With ``stream``
    (default True), ``on_text`` receives the text deltas as they come (how the run is followed
    is the connection's ``transport``: event stream or polling). ``timeout`` (seconds, default
    300; None: no deadline) bounds the whole turn: when it passes the run is cancelled on the
    server and TurnTimeoutError names the conversation and run. ``on_active_run`` (wait |
    cancel | fail, default wait) says what to do when the conversation already has an active
    run. ``include_history`` adds the conversation's messages to the result. ``on_tool_call``
    receives each executed tool call's record as it happens. ``images`` / ``attachments`` go
    with the prompt (see :mod:`openaiassistant.content.inputs`). ``registry_tags`` (tenant,
    workflow, alert_fingerprint) file the conversation in the thread registry without being
    sent to the server; ``metadata`` keys count too. ``approvals`` (a list of ``{call_id,
    approve, note}``) answers the calls an earlier turn of the thread left waiting for a person
    (see :mod:`openaiassistant.approvals`). ``on_progress`` receives a line whenever the turn
    waits for more than a couple of seconds or falls back to a mode the server takes (see
    :mod:`openaiassistant.progress`). ``citations`` (raw | strip | footnotes, default raw)
    renders the answer's citations into its text (:mod:`openaiassistant.content.footnotes`).
    Local and inline images and attachments are uploaded before the turn under
    ``upload_policy`` (keep | delete_after_turn | expire_after: AGE; default expire_after: 7d),
    local paths only inside ``files_dir`` when it is given (see docs/content.md).
    """

    thread_id: str | None
    params: Mapping[str, Any] | None
    metadata: Mapping[str, Any] | None
    stream: bool
    on_text: Callable[[str], None] | None
    timeout: float | str | None
    on_active_run: str
    include_history: bool
    on_tool_call: Callable[[ToolRecord], None] | None
    images: Any
    attachments: Any
    registry_tags: Mapping[str, Any] | None
    approvals: Any
    on_progress: Callable[[str], None] | None
    citations: str
    upload_policy: Any
    files_dir: str | os.PathLike[str] | None


NAMES = frozenset(TurnOptions.__annotations__)
DEFAULTS: TurnOptions = {
    "stream": True,
    "timeout": DEFAULT_TIMEOUT,
    "on_active_run": "wait",
    "include_history": False,
    "citations": "raw",
}


def with_defaults(options: Mapping[str, Any]) -> TurnOptions:
    """``options`` with :data:`DEFAULTS` under them; an unknown keyword is a TypeError, as for
    any Python call."""
    unknown = sorted(set(options) - NAMES)
    if unknown:
        raise TypeError(f"run_turn() got unexpected keyword argument(s): {', '.join(unknown)}")
    merged: TurnOptions = {**DEFAULTS, **options}  # type: ignore[typeddict-item]
    return merged
