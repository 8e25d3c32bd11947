"""The result of one turn, with a plain-dict form for Keep.

Keep inserts a dict into a template as its Python repr, so ``to_dict()`` also carries
``response_json``: the response as a JSON string, for chaining
(``keep.json_loads('{{ steps.triage.results.response_json }}')``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from openaiassistant.tools.base import ToolRecord

__all__ = ["TurnResult", "Usage"]


@dataclass(kw_only=True)
class Usage:
    """Token counts for the turn, summed over every round (and every retried run).

    ``cached_tokens`` (input read from the server's prompt cache) and ``cache_write_tokens``
    (input written to it) are part of ``input_tokens``; ``reasoning_tokens`` are part of
    ``output_tokens``, as the servers count them. They stay 0 where a server does not report
    them (Assistants runs, most compatible servers).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    def add(self, other: Usage | None) -> None:
        if other is None:
            return
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.total_tokens += other.total_tokens
        self.cached_tokens += other.cached_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.reasoning_tokens += other.reasoning_tokens

    @classmethod
    def from_wire(cls, usage: Any) -> Usage:
        """One reported usage object, in either API's names (Responses ``input_tokens`` with
        ``input_tokens_details`` / ``output_tokens_details``; Assistants and Chat Completions
        ``prompt_tokens`` with ``prompt_tokens_details`` / ``completion_tokens_details``).
        Works on dicts and on the SDK's typed objects (whose details may be None)."""
        inputs = _count(usage, "input_tokens", "prompt_tokens")
        outputs = _count(usage, "output_tokens", "completion_tokens")
        in_details = _field(usage, "input_tokens_details") or _field(usage, "prompt_tokens_details")
        out_details = _field(usage, "output_tokens_details") or _field(usage, "completion_tokens_details")
        return cls(
            input_tokens=inputs,
            output_tokens=outputs,
            total_tokens=_count(usage, "total_tokens") or inputs + outputs,
            cached_tokens=_count(in_details, "cached_tokens"),
            cache_write_tokens=_count(in_details, "cache_write_tokens", "cache_creation_tokens"),
            reasoning_tokens=_count(out_details, "reasoning_tokens"),
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "cached_tokens": self.cached_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _count(obj: Any, *names: str) -> int:
    """The first of ``names`` that is a whole number >= 0 (servers send null, floats, junk)."""
    for name in names:
        value = _field(obj, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if value >= 0 and value == int(value):
            return int(value)
    return 0


@dataclass(kw_only=True)
class TurnResult:
    """What one turn produced.

    ``text`` is every text part this turn's assistant output holds, in order (never an older
    message). ``response`` is the parsed JSON when the answer is JSON (best effort without a
    schema; validated with one), else the text. ``status`` is ``completed``, ``incomplete``
    (then ``incomplete_reason`` says why and ``text`` is the partial answer), ``budget_exceeded``
    (a budget ran out before a further round: ``incomplete_reason`` is ``max_cost_usd`` or
    ``max_total_tokens``; ``text`` is what was said so far) or
    ``requires_approval`` (``pending_approvals`` lists the calls waiting for a person). ``refusal`` holds
    the model's refusal text when it refused.
    """

    text: str
    response: Any
    status: str
    thread_id: str
    backend: str
    model: str | None = None
    incomplete_reason: str | None = None
    run_id: str | None = None
    response_id: str | None = None
    refusal: str | None = None
    messages: list[dict[str, Any]] | None = None
    tool_calls: list[ToolRecord] = field(default_factory=list)
    citations: list[Any] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # files code_interpreter wrote
    # what the server's hosted tools did (web_search, code_interpreter, remote mcp), in order
    hosted_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None  # None: a round's model has no price (see observability/prices.py)
    duration_ms: float = 0.0
    # status "requires_approval": the calls waiting for a person ({call_id, tool, arguments})
    pending_approvals: list[dict[str, Any]] = field(default_factory=list)
    # a turn that answered approvals: {call_id, tool, decision, note} per answered call
    approvals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_json(self) -> bool:
        return not isinstance(self.response, str)

    def to_dict(self) -> dict[str, Any]:
        """Plain data only (JSON-serializable), for Keep's ``steps.<name>.results``."""
        return {
            "response": self.response,
            "text": self.text,
            "response_json": json.dumps(self.response, ensure_ascii=False),
            "status": self.status,
            "incomplete_reason": self.incomplete_reason,
            "refusal": self.refusal,
            "thread_id": self.thread_id,
            "run_id": self.run_id,
            "response_id": self.response_id,
            "backend": self.backend,
            "model": self.model,
            "messages": self.messages,
            "tool_calls": [record.to_dict() for record in self.tool_calls],
            "citations": [c.to_dict() if hasattr(c, "to_dict") else c for c in self.citations],
            "files": [dict(f) for f in self.files],
            "hosted_calls": [dict(c) for c in self.hosted_calls],
            "usage": self.usage.to_dict(),
            "cost_usd": self.cost_usd,
            "duration_ms": round(self.duration_ms, 1),
            "pending_approvals": list(self.pending_approvals),
            "approvals": list(self.approvals),
        }
