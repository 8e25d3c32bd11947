"""The scripted model: YAML/dict rules that decide what the emulated model answers.

A turn starts from the latest user input text. The first rule whose ``match`` regex is found in
it (and whose tools were offered, if it calls tools) decides the answer: a ``reply`` text, a
``json`` answer, ``tool_calls`` (several = one parallel round) or a ``fault``. When tool outputs
come back, the step's ``then`` decides the next answer (a step, or a list of rules matched
against the tool outputs); without ``then``, top-level rules with ``match_tool_outputs`` are
tried. ``{{ input }}``, ``{{ match.1 }}`` / ``{{ match.name }}`` (groups of the input match),
``{{ output_match.1 }}`` (groups of a tool-output match), ``{{ tool_outputs.NAME }}`` and
``{{ tool_outputs }}`` (all outputs as JSON) are templated into texts and tool arguments.
The format is documented in ``docs/emulator.md``.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from openaiassistant.emulator.schema_gen import instance_for

_TOKEN = re.compile(r"\S+\s*|\s+")
_WORD = re.compile(r"\S+")
_TEMPLATE = re.compile(r"\{\{\s*([\w.\-]+)\s*\}\}")
_MISSING = object()
_BUNDLED_NAME = re.compile(r"^[A-Za-z][\w-]*$")
BUNDLED = Path(__file__).parent / "scripts"  # scripts shipped with the package


def tokens_of(text: str) -> list[str]:
    """Split text into stream chunks; joining them gives the text back."""
    return _TOKEN.findall(text)


def cut_tokens(tokens: list[str], limit: int) -> list[str]:
    """The leading chunks of ``tokens`` holding at most ``limit`` words (for token limits)."""
    kept, words = [], 0
    for token in tokens:
        if token.strip():
            if words >= limit:
                break
            words += 1
        kept.append(token)
    return kept


def count_tokens(text: str) -> int:
    """The emulator's token count (whitespace-separated words), used for usage and limits."""
    return len(_WORD.findall(text or ""))


@dataclass(frozen=True, kw_only=True)
class Latency:
    """Timing knobs in milliseconds; 0 means instant."""

    first_token_ms: float = 0
    tokens_per_second: float = 0
    run_ms: float = 0
    queue_ms: float = 0

    def merged(self, override: dict[str, Any] | None) -> "Latency":
        if not override:
            return self
        known = {k: float(v) for k, v in override.items() if k in self.__dataclass_fields__}
        return replace(self, **known)

    def token_delay(self) -> float:
        """Seconds between streamed tokens."""
        return 1.0 / self.tokens_per_second if self.tokens_per_second > 0 else 0.0

    def duration(self, n_tokens: int) -> float:
        """Seconds from start to the final answer (``run_ms`` wins when set)."""
        if self.run_ms > 0:
            return self.run_ms / 1000.0
        return self.first_token_ms / 1000.0 + n_tokens * self.token_delay()


@dataclass(kw_only=True)
class Step:
    """What the model does at one point of a turn."""

    reply: str | None = None
    json: Any = _MISSING
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    then: "Step | list[Rule] | None" = None
    fault: dict[str, Any] | None = None
    latency: dict[str, Any] | None = None
    file_search: Any = None  # True, or {match: regex}: search the offered vector stores and cite


@dataclass(kw_only=True)
class Rule:
    name: str
    step: Step
    match: re.Pattern[str] | None = None
    match_tool_outputs: re.Pattern[str] | None = None
    default: bool = False


@dataclass(kw_only=True)
class Script:
    """A parsed script. ``faults`` are fault specs loaded into the server's fault book."""

    latency: Latency = field(default_factory=Latency)
    poll_after_ms: int | None = 20  # the openai-poll-after-ms header; None: never sent
    poll_hint_apis: tuple[str, ...] = ("assistants",)  # which APIs send it (live: Assistants runs)
    context_window: int = 100_000
    indexing_ms: float = 0
    run_expires_ms: float = 600_000  # an unfinished Assistants run expires after this (10 min, as live)
    models: tuple[str, ...] | None = None  # a strict model catalogue; None: every model exists
    rules: list[Rule] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class PlannedCall:
    call_id: str
    name: str
    arguments: str


@dataclass(kw_only=True)
class Plan:
    """The model's decision for one step: ``message`` text, ``tool_calls`` or a ``fault``."""

    kind: str
    latency: Latency
    text: str = ""
    tool_calls: list[PlannedCall] = field(default_factory=list)
    fault: dict[str, Any] | None = None
    step: Step | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    citations: list[tuple[str, str]] = field(default_factory=list)  # (file_id, filename) searched and cited


class ScriptError(ValueError):
    """The script does not follow the documented format."""


# -- parsing ---------------------------------------------------------------------------------
def load_script(source: Any = None) -> Script:
    """Parse a script from a dict, YAML text, a file path or a bundled script's name (e.g.
    ``"triage"``, see ``emulator/scripts/``); ``None`` is the default echo script."""
    if source is None:
        return Script(rules=[Rule(name="default", default=True, step=Step(reply="Echo: {{ input }}"))])
    if isinstance(source, Script):
        return source
    if isinstance(source, str) and _BUNDLED_NAME.match(source) and (BUNDLED / f"{source}.yaml").is_file():
        source = BUNDLED / f"{source}.yaml"  # a bundled script by name, e.g. "triage"
    if isinstance(source, Path) or (isinstance(source, str) and _is_file(source)):
        source = Path(source).read_text(encoding="utf-8")
    if isinstance(source, (str, bytes)):
        source = yaml.safe_load(source) or {}
    if not isinstance(source, dict):
        raise ScriptError("a script must be a mapping")
    rules = [_parse_rule(raw, index) for index, raw in enumerate(source.get("rules") or [])]
    if not any(rule.default for rule in rules):
        rules.append(Rule(name="default", default=True, step=Step(reply="Echo: {{ input }}")))
    faults = source.get("faults") or []
    if not isinstance(faults, list):
        raise ScriptError("faults must be a list")
    return Script(
        latency=Latency().merged(source.get("latency")),
        poll_after_ms=None if source.get("poll_after_ms", 20) is None else int(source.get("poll_after_ms", 20)),
        poll_hint_apis=_poll_hint_apis(source.get("poll_hint_apis", ["assistants"])),
        context_window=int(source.get("context_window", 100_000)),
        indexing_ms=float(source.get("indexing_ms", 0)),
        run_expires_ms=float(source.get("run_expires_ms", 600_000)),
        models=tuple(str(m) for m in source["models"]) if source.get("models") is not None else None,
        rules=rules,
        faults=[dict(f) for f in faults],
    )


def _poll_hint_apis(raw: Any) -> tuple[str, ...]:
    apis = tuple(str(a) for a in (raw or []))
    unknown = set(apis) - {"assistants", "responses"}
    if unknown:
        raise ScriptError(f"poll_hint_apis: unknown {sorted(unknown)}; use assistants and/or responses")
    return apis


def _is_file(text: str) -> bool:
    if "\n" in text or len(text) > 1024:
        return False
    try:
        return Path(text).is_file()
    except OSError:
        return False


def _compile(pattern: Any, where: str) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(str(pattern))
    except re.error as exc:
        raise ScriptError(f"{where}: bad regex {pattern!r}: {exc}") from exc


def _parse_rule(raw: Any, index: int) -> Rule:
    if not isinstance(raw, dict):
        raise ScriptError(f"rule {index} must be a mapping")
    name = str(raw.get("name") or f"rule{index}")
    return Rule(
        name=name,
        step=_parse_step(raw, name),
        match=_compile(raw.get("match"), name),
        match_tool_outputs=_compile(raw.get("match_tool_outputs"), name),
        default=bool(raw.get("default", False)),
    )


def _parse_step(raw: dict[str, Any], where: str) -> Step:
    then = raw.get("then")
    if isinstance(then, list):
        parsed_then: Step | list[Rule] | None = [_parse_rule(r, i) for i, r in enumerate(then)]
    elif isinstance(then, dict):
        parsed_then = _parse_step(then, f"{where}.then")
    else:
        parsed_then = None
    calls = raw.get("tool_calls") or []
    for call in calls:
        if not isinstance(call, dict) or "name" not in call:
            raise ScriptError(f"{where}: every tool call needs a name")
    return Step(
        reply=None if raw.get("reply") is None else str(raw["reply"]),
        json=raw["json"] if "json" in raw else _MISSING,
        tool_calls=list(calls),
        then=parsed_then,
        fault=raw.get("fault"),
        latency=raw.get("latency"),
        file_search=raw.get("file_search"),
    )


# -- deciding --------------------------------------------------------------------------------
@dataclass(kw_only=True)
class Context:
    """What the model sees: the latest user text, offered tools, the format, tool outputs."""

    user_text: str
    tools: set[str] | None = None  # names of function tools offered; None = unknown
    text_format: dict[str, Any] | None = None
    tool_outputs: list[tuple[str, str]] | None = None  # (name, output) of the round just done
    pending: tuple[Step, dict[str, Any]] | None = None  # step that asked for those outputs
    files: list[tuple[str, str, bytes]] | None = None  # (file_id, filename, content) searchable now
    parallel: bool = True  # parallel_tool_calls: several calls in one round


def decide(script: Script, ctx: Context) -> Plan:
    """Pick the rule/step for this point of the turn and render it into a :class:`Plan`.

    Without parallel tool calls, a step's calls go out one per round; their outputs are
    collected and the step's ``then`` sees them all once the last one is back.
    """
    queued = ctx.pending[1].get("_queued") if ctx.pending else None
    if ctx.tool_outputs is not None and ctx.pending and (queued or ctx.pending[1].get("_collected")):
        collected = [*ctx.pending[1].get("_collected", []), *ctx.tool_outputs]
        if queued:
            return _one_call(script, ctx.pending[0], {**ctx.pending[1], "_queued": queued[1:], "_collected": collected}, queued[0])
        ctx = replace(ctx, tool_outputs=collected, pending=(ctx.pending[0], {**ctx.pending[1], "_collected": []}))
    if ctx.tool_outputs is not None:
        step, variables = _continue(script, ctx)
    else:
        step, variables = _first_step(script, ctx)
    variables["tool_outputs"] = _outputs_map(ctx.tool_outputs or [])
    variables["tool_outputs_json"] = json.dumps(variables["tool_outputs"])
    return _render(script, step, variables, ctx)


def _first_step(script: Script, ctx: Context) -> tuple[Step, dict[str, Any]]:
    for rule in script.rules:
        if rule.default or rule.match is None:
            continue
        found = rule.match.search(ctx.user_text)
        if found and _tools_available(rule.step, ctx):
            return rule.step, {"input": ctx.user_text, "match": _groups(found)}
    default = next(rule for rule in script.rules if rule.default)
    if not _tools_available(default.step, ctx):
        return Step(reply="Echo: {{ input }}"), {"input": ctx.user_text, "match": {}}
    return default.step, {"input": ctx.user_text, "match": {}}


def _continue(script: Script, ctx: Context) -> tuple[Step, dict[str, Any]]:
    step, variables = ctx.pending or (None, {"input": ctx.user_text, "match": {}})
    outputs_text = json.dumps(_outputs_map(ctx.tool_outputs or []))
    then = step.then if step else None
    if isinstance(then, Step):
        return then, dict(variables)
    candidates = then if isinstance(then, list) else [r for r in script.rules if r.match_tool_outputs]
    for rule in candidates:
        pattern = rule.match_tool_outputs or rule.match
        if rule.default or pattern is None:
            continue
        found = pattern.search(outputs_text)
        if found:
            # keep the groups of the user-input match; the output match gets its own name
            return rule.step, {**variables, "output_match": _groups(found)}
    fallback = next((r for r in candidates if r.default), None)
    if fallback is not None:
        return fallback.step, dict(variables)
    default = next(rule for rule in script.rules if rule.default)
    if not default.step.tool_calls:
        return default.step, dict(variables)
    return Step(reply="Tool results: {{ tool_outputs_json }}"), dict(variables)


def _tools_available(step: Step, ctx: Context) -> bool:
    if not step.tool_calls:
        return True
    if ctx.tools is None:
        return True
    return all(str(call["name"]) in ctx.tools for call in step.tool_calls)


def _groups(found: re.Match[str]) -> dict[str, str]:
    groups = {str(i): g or "" for i, g in enumerate([found.group(0), *found.groups()])}
    groups.update({k: v or "" for k, v in found.groupdict().items()})
    return groups


def _outputs_map(outputs: list[tuple[str, str]]) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, output in outputs:
        # two calls of the same tool in one round: keep both, newline separated
        result[name] = f"{result[name]}\n{output}" if name in result else output
    return result


def template(value: Any, variables: dict[str, Any]) -> Any:
    """Fill ``{{ ... }}`` placeholders in strings, recursively through lists and dicts."""
    if isinstance(value, str):
        return _TEMPLATE.sub(lambda m: _lookup(m.group(1), variables), value)
    if isinstance(value, list):
        return [template(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: template(v, variables) for k, v in value.items()}
    return value


def _lookup(path: str, variables: dict[str, Any]) -> str:
    node: Any = variables
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return ""
    return node if isinstance(node, str) else json.dumps(node)


def _render(script: Script, step: Step, variables: dict[str, Any], ctx: Context) -> Plan:
    latency = script.latency.merged(step.latency)
    if step.fault:
        return Plan(kind="fault", latency=latency, fault=dict(step.fault), step=step, variables=variables)
    if step.tool_calls:
        calls = [
            PlannedCall(
                call_id="call_" + secrets.token_hex(12),
                name=str(call["name"]),
                arguments=json.dumps(template(call.get("arguments") or {}, variables)),
            )
            for call in step.tool_calls
        ]
        if not ctx.parallel and len(calls) > 1:
            return _one_call(script, step, {**variables, "_queued": calls[1:], "_collected": []}, calls[0])
        return Plan(kind="tool_calls", latency=latency, tool_calls=calls, step=step, variables=variables)
    citations = _search(step, ctx, variables)
    text = _answer_text(step, variables, ctx)
    return Plan(kind="message", latency=latency, text=text, step=step, variables=variables, citations=citations)


def _one_call(script: Script, step: Step, variables: dict[str, Any], call: PlannedCall) -> Plan:
    latency = script.latency.merged(step.latency)
    return Plan(kind="tool_calls", latency=latency, tool_calls=[call], step=step, variables=variables)


def _search(step: Step, ctx: Context, variables: dict[str, Any]) -> list[tuple[str, str]]:
    """Pick the files a ``file_search`` step cites; expose them as ``{{ search.* }}``."""
    if not step.file_search or not ctx.files:
        variables["search"] = {"filenames": "", "snippet": ""}
        return []
    pattern = step.file_search.get("match") if isinstance(step.file_search, dict) else None
    regex = re.compile(str(pattern)) if pattern else None
    hits = [f for f in ctx.files if regex is None or regex.search(f[2].decode("utf-8", "replace"))]
    snippet = hits[0][2].decode("utf-8", "replace")[:200] if hits else ""
    variables["search"] = {"filenames": ", ".join(name for _, name, _ in hits), "snippet": snippet}
    return [(file_id, name) for file_id, name, _ in hits]


def _answer_text(step: Step, variables: dict[str, Any], ctx: Context) -> str:
    fmt = (ctx.text_format or {}).get("type")
    if step.json is not _MISSING:
        return json.dumps(template(step.json, variables))
    reply = template(step.reply if step.reply is not None else "Echo: {{ input }}", variables)
    if fmt == "json_schema":
        schema = (ctx.text_format or {}).get("schema") or {}
        if _is_json(reply):
            return reply
        return json.dumps(instance_for(schema, hint=reply))
    if fmt == "json_object" and not _is_json(reply):
        return json.dumps({"answer": reply})
    return reply


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
