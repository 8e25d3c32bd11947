"""The scripted model's decisions: which rule answers, rendered into a :class:`Plan`.

A turn starts from the latest user input text. The first rule whose ``match`` regex is found in
it (and whose tools were offered, if it calls tools) decides the answer: a ``reply`` text, a
``json`` answer, ``tool_calls`` (several = one parallel round) or a ``fault``. When tool outputs
come back, the step's ``then`` decides the next answer (a step, or a list of rules matched
against the tool outputs); without ``then``, top-level rules with ``match_tool_outputs`` are
tried. ``{{ input }}``, ``{{ match.1 }}`` / ``{{ match.name }}`` (groups of the input match),
``{{ output_match.1 }}`` (groups of a tool-output match), ``{{ tool_outputs.NAME }}`` and
``{{ tool_outputs_json }}`` (all outputs as JSON) are templated into texts and tool arguments.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeAlias

from openaiassistant.emulator import hosted_script
from openaiassistant.emulator.schema_gen import instance_for
from openaiassistant.emulator.script import MISSING, Latency, Script, Step

__all__ = ["Context", "Plan", "decide", "forced_tool", "place", "template"]

_TEMPLATE = re.compile(r"\{\{\s*([\w.\-]+)\s*\}\}")
CITE = "\x00"  # what ``{{ cite }}`` renders to until the lifecycle puts a citation there


@dataclass(kw_only=True)
class PlannedCall:
    call_id: str
    name: str
    arguments: str


PlanKind: TypeAlias = Literal["message", "tool_calls", "fault"]


@dataclass(kw_only=True)
class Plan:
    """The model's decision for one step: ``message`` text, ``tool_calls`` or a ``fault``."""

    kind: PlanKind
    latency: Latency
    text: str = ""
    tool_calls: list[PlannedCall] = field(default_factory=list)
    fault: dict[str, Any] | None = None
    step: Step | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    citations: list[tuple[str, str]] = field(default_factory=list)  # (file_id, filename) searched and cited
    cite_at: list[int] = field(default_factory=list)  # where the reply's {{ cite }} marks stood in ``text``
    code: str | None = None  # code_interpreter ran this
    written: list[tuple[str, bytes]] = field(default_factory=list)  # (name, content) it wrote
    hosted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # web_search / mcp calls (hosted_script)


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
    forced_tool: str | None = None  # tool_choice: "required" = "*" (any tool), or one tool's name
    seen: list[str] | None = None  # texts of the messages the model sees (after truncation), oldest first
    code_interpreter: bool = False  # the code_interpreter tool is offered
    sandbox_files: list[str] | None = None  # names of the files code_interpreter can read
    attached: list[str] | None = None  # names of the files and images the latest user message carries
    hosted: frozenset[str] = frozenset()  # types of the hosted tools offered (web_search, mcp)


def decide(script: Script, ctx: Context) -> Plan:
    """Pick the rule/step for this point of the turn and render it into a :class:`Plan`.

    Without parallel tool calls, a step's calls go out one per round; their outputs are
    collected and the step's ``then`` sees them all once the last one is back.
    """
    queued = ctx.pending[1].get("_queued") if ctx.pending else None
    if ctx.tool_outputs is not None and ctx.pending and (queued or ctx.pending[1].get("_collected")):
        collected = [*ctx.pending[1].get("_collected", []), *ctx.tool_outputs]
        if queued:
            return _one_call(
                script, ctx.pending[0], {**ctx.pending[1], "_queued": queued[1:], "_collected": collected}, queued[0]
            )
        ctx = replace(ctx, tool_outputs=collected, pending=(ctx.pending[0], {**ctx.pending[1], "_collected": []}))
    if ctx.tool_outputs is not None:
        step, variables = _continue(script, ctx)
    else:
        step, variables = _forced(_first_step(script, ctx), ctx)
    variables["tool_outputs"] = _outputs_map(ctx.tool_outputs or [])
    variables["context"] = " | ".join(ctx.seen or [])
    variables["tool_outputs_json"] = json.dumps(variables["tool_outputs"])
    variables["attachments"] = ", ".join(ctx.attached or [])
    variables["sandbox"] = {"files": ", ".join(ctx.sandbox_files or [])}
    variables["cite"] = CITE
    variables["mcp"] = {"output": hosted_script.MCP_OUTPUT}
    return _render(script, step, variables, ctx)


def _forced(chosen: tuple[Step, dict[str, Any]], ctx: Context) -> tuple[Step, dict[str, Any]]:
    """Honour ``tool_choice`` on the first step of a turn: ``required`` makes the model call a
    tool (the rule's, else the first offered one); a named function makes it call that one."""
    step, variables = chosen
    if not ctx.forced_tool or not ctx.tools:
        return chosen
    names = [str(call["name"]) for call in step.tool_calls]
    if ctx.forced_tool == "*":
        return chosen if names else (Step(tool_calls=[{"name": sorted(ctx.tools)[0]}]), variables)
    if ctx.forced_tool not in ctx.tools or names == [ctx.forced_tool]:
        return chosen
    wanted = [call for call in step.tool_calls if call["name"] == ctx.forced_tool][:1] or [{"name": ctx.forced_tool}]
    return Step(tool_calls=wanted, then=step.then), variables


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
    if step.code_interpreter is not None and not ctx.code_interpreter:
        return False
    if not hosted_script.available(step.web_search, step.mcp, ctx.hosted):
        return False
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


def forced_tool(tool_choice: Any) -> str | None:
    """``tool_choice`` of either API as :attr:`Context.forced_tool`."""
    if tool_choice == "required":
        return "*"
    if isinstance(tool_choice, dict) and tool_choice.get("type") == "function":
        name = tool_choice.get("name") or (tool_choice.get("function") or {}).get("name")
        return str(name) if name else None
    return None


def _render(script: Script, step: Step, variables: dict[str, Any], ctx: Context) -> Plan:
    latency = script.latency.merged(step.latency)
    if step.fault:
        return Plan(kind="fault", latency=latency, fault=dict(step.fault), step=step, variables=variables)
    if step.tool_calls:
        calls = [
            PlannedCall(
                call_id="call_" + secrets.token_hex(12),
                name=str(call["name"]),
                # raw_arguments: the text as a model might send it (not JSON, nested too deep...)
                arguments=(
                    template(call["raw_arguments"], variables)
                    if "raw_arguments" in call
                    else json.dumps(template(call.get("arguments") or {}, variables))
                ),
            )
            for call in step.tool_calls
        ]
        if not ctx.parallel and len(calls) > 1:
            return _one_call(script, step, {**variables, "_queued": calls[1:], "_collected": []}, calls[0])
        return Plan(kind="tool_calls", latency=latency, tool_calls=calls, step=step, variables=variables)
    citations = _search(step, ctx, variables)
    text, cite_at = _cite_marks(_answer_text(step, variables, ctx))
    plan = Plan(
        kind="message", latency=latency, text=text, step=step, variables=variables, citations=citations, cite_at=cite_at
    )
    if step.code_interpreter is not None:
        plan.code = str(step.code_interpreter["code"])
        plan.written = [
            (str(f["name"]), str(template(f.get("content") or "", variables)).encode("utf-8"))
            for f in step.code_interpreter["files"]
        ]
    plan.hosted = hosted_script.render(step.web_search, step.mcp, variables, template)
    return plan


def _cite_marks(text: str) -> tuple[str, list[int]]:
    """The text without its ``{{ cite }}`` marks, and where they stood."""
    text = text.replace(json.dumps(CITE)[1:-1], CITE)  # a mark inside a JSON answer
    positions = []
    while CITE in text:
        at = text.index(CITE)
        positions.append(at)
        text = text[:at] + text[at + 1 :]
    return text, positions


def place(text: str, cite_at: list[int], inserts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Put each insert (a citation marker, a file link, or "" for an index-only citation) at
    the next ``{{ cite }}`` mark, the rest at the end; returns the text and each insert's span."""
    out, spans, shift, last = text, [], 0, len(text)
    for i, insert in enumerate(inserts):
        at = (cite_at[i] if i < len(cite_at) else last) + shift
        out = out[:at] + insert + out[at:]
        spans.append((at, at + len(insert)))
        shift += len(insert)
    return out, spans


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
    if step.json is not MISSING:
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
