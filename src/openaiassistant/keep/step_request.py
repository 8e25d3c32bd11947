"""From a Keep step's ``with:`` values to one ``Assistant.run_turn`` call, and back.

Nothing here imports Keep. Values arrive the way Keep's parser leaves them: YAML floats are
dropped (so numbers come as strings), templated values are strings, a missing template value is
``""``. Run controls are handed to the engine's parameter parser, which accepts numeric strings
and names the offending parameter; the few values the engine takes outside ``params`` are
converted here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, cast

from openaiassistant.content.footnotes import check_mode
from openaiassistant.content.uploads import parse_upload_policy
from openaiassistant.errors import ConfigError
from openaiassistant.params import PARAM_ALIASES, PARAM_NAMES
from openaiassistant.turn_options import ACTIVE_RUN_POLICIES, NAMES, TurnOptions
from openaiassistant.values import parse_bool, parse_mapping, positive_seconds

__all__ = ["TURN_KEYS", "build_step_request", "id_list", "result_for_keep"]


@dataclass(kw_only=True)
class StepRequest:
    """Everything one step asks for, converted and checked (nothing has been sent): its run
    controls (``params``), what only the step knows (``functions``, ``vector_store_ids``), and
    the rest of ``Assistant.run_turn``'s keywords under their own names."""

    prompt: str
    thread_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    functions: Any = None
    metadata: dict[str, Any] | None = None
    timeout: float | None = None
    stream: bool = False
    on_active_run: str = "wait"
    include_history: bool = False
    images: Any = None
    attachments: Any = None
    vector_store_ids: tuple[str, ...] | None = None
    approvals: Any = None
    knowledge_sync: Any = None  # checked by keep/knowledge_step.py
    citations: str = "raw"
    upload_policy: Any = None
    hosted_tools: tuple[Any, ...] = ()  # HostedTool records (tools/hosted.py), for the spec

    def turn_options(self) -> TurnOptions:
        """The step's ``run_turn`` keywords (a timeout left out: run_turn's default)."""
        options = {f: getattr(self, f) for f in _TURN_OPTION_FIELDS if f != "timeout" or self.timeout is not None}
        return cast(TurnOptions, options)


# the step's parameters that are not run controls; those that run_turn takes are passed by name
TURN_KEYS = tuple(f.name for f in fields(StepRequest) if f.name != "params")
_TURN_OPTION_FIELDS = tuple(f.name for f in fields(StepRequest) if f.name in NAMES)


def build_step_request(values: Mapping[str, Any], *, default_timeout: float | None) -> StepRequest:
    """Split the step's values into the turn's arguments and its run controls."""
    # Keep's own LLM providers' names (system_prompt, max_tokens, structured_output_format) too
    unknown = [k for k in values if k not in TURN_KEYS and k not in PARAM_NAMES and k not in PARAM_ALIASES]
    if unknown:
        allowed = ", ".join(TURN_KEYS + tuple(p for p in PARAM_NAMES + PARAM_ALIASES if p not in TURN_KEYS))
        raise ConfigError(
            ", ".join(sorted(unknown)), f"unknown parameter of the openaiassistant step; allowed: {allowed}"
        )
    prompt = values.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise ConfigError(
            "prompt", f"must be a string (the message to send), got {type(prompt).__name__}; quote it in YAML"
        )
    approvals = _json_or_value("approvals", values.get("approvals")) or None
    syncing = values.get("knowledge_sync") not in (None, "")
    if (not prompt or not prompt.strip()) and approvals is None and not syncing:
        raise ConfigError("prompt", "required: the message to send to the assistant (or give knowledge_sync)")
    on_active_run = _text(values.get("on_active_run")) or "wait"
    if on_active_run not in ACTIVE_RUN_POLICIES:
        raise ConfigError("on_active_run", f"{on_active_run!r} is not one of {', '.join(ACTIVE_RUN_POLICIES)}")
    timeout = positive_seconds("timeout", values.get("timeout"))
    return StepRequest(
        prompt=prompt or "",
        thread_id=_text(values.get("thread_id")) or None,
        params={k: v for k, v in values.items() if k not in TURN_KEYS and v is not None and v != ""},
        functions=values.get("functions"),
        metadata=parse_mapping(
            "metadata", values.get("metadata"), expected="must be a mapping of string keys to string values"
        ),
        timeout=timeout if timeout is not None else default_timeout,
        stream=parse_bool("stream", values.get("stream"), default=False),
        on_active_run=on_active_run,
        include_history=parse_bool("include_history", values.get("include_history"), default=False),
        images=_json_or_value("images", values.get("images")),
        attachments=_json_or_value("attachments", values.get("attachments")),
        vector_store_ids=id_list("vector_store_ids", values.get("vector_store_ids")),
        approvals=approvals,
        knowledge_sync=values.get("knowledge_sync"),
        citations=check_mode(_text(values.get("citations")) or "raw"),
        upload_policy=parse_upload_policy(_json_or_value("upload_policy", values.get("upload_policy"))),
        hosted_tools=_hosted_tools(values.get("hosted_tools")),
    )


def _hosted_tools(value: Any) -> tuple[Any, ...]:
    """The step's ``hosted_tools`` (a YAML list or JSON text); ``${env:X}`` reads only the
    environment a step's tools may read."""
    from openaiassistant.keep.http_functions import allowed_environment
    from openaiassistant.tools.hosted import parse_hosted_tools

    return parse_hosted_tools(
        _json_or_value("hosted_tools", value), where="hosted_tools", secrets={}, environ=allowed_environment()
    )


def id_list(name: str, value: Any) -> tuple[str, ...] | None:
    """Ids given as a YAML list, a JSON list in a string, or comma-separated text (None: not given)."""
    value = _json_or_value(name, value)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(name, "expected a list of ids or comma-separated ids")
    return tuple(v.strip() for v in value if v.strip())


def _json_or_value(name: str, value: Any) -> Any:
    """A list/dict templated in as JSON text becomes data again; anything else is kept."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            raise ConfigError(name, f"looks like JSON but does not parse: {value[:80]!r}") from None
    return value


def result_for_keep(result: Any) -> dict[str, Any]:
    """The engine's result as plain data, plus JSON-text twins of the structured fields.

    Keep inserts a dict or list used in ``{{ }}`` as its Python repr; the ``*_json`` fields are
    for ``keep.json_loads('{{ steps.x.results.tool_calls_json }}')`` in later steps.
    """
    data = result.to_dict()
    for name in ("tool_calls", "citations", "usage", "pending_approvals", "hosted_calls", "files"):
        data[f"{name}_json"] = json.dumps(data.get(name), ensure_ascii=False, default=str)
    data["approval_request"] = approval_request(data)
    return data


def approval_request(data: Mapping[str, Any]) -> str:
    """What a Slack/Teams action shows a person: each waiting call, and how to answer it."""
    pending = data.get("pending_approvals") or []
    if not pending:
        return ""
    lines = [f"The assistant asks to run {len(pending)} action(s) on thread {data.get('thread_id')}:"]
    for call in pending:
        arguments = json.dumps(call.get("arguments"), ensure_ascii=False, default=str)
        lines.append(f"- {call.get('tool')}({arguments})  call_id: {call.get('call_id')}")
    lines.append("Answer with approvals: [{call_id: ..., approve: true|false, note: ...}] on the same thread_id.")
    return "\n".join(lines)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()
