"""The scripted model's script: YAML/dict rules, parsed and checked (deciding is in ``model``).

A script holds global knobs (latency, poll hint, context window, indexing and run expiry
times, an optional model catalogue), ``faults`` armed at load, and ``rules``: a ``match`` regex
on the latest user input (or ``match_tool_outputs`` on tool outputs), and a step: ``reply``,
``json``, ``tool_calls`` with ``then``, ``file_search`` or ``fault``. The format is documented
in ``docs/emulator.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from openaiassistant.emulator import hosted_script

__all__ = [
    "Latency",
    "MISSING",
    "Script",
    "ScriptError",
    "Step",
    "chunks_of",
    "count_tokens",
    "cut_tokens",
    "load_script",
    "tokens_of",
]

_TOKEN = re.compile(r"\S+\s*|\s+")
_WORD = re.compile(r"\S+")
MISSING = object()  # a step without ``json``
_BUNDLED_NAME = re.compile(r"^[A-Za-z][\w-]*$")
BUNDLED = Path(__file__).parent / "scripts"  # scripts shipped with the package


def tokens_of(text: str) -> list[str]:
    """Split text into stream chunks; joining them gives the text back."""
    return _TOKEN.findall(text)


def chunks_of(text: str, size: int = 12) -> list[str]:
    """Fixed-size pieces (tool-call arguments stream like this); joining them gives the text."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


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

    def merged(self, override: dict[str, Any] | None) -> Latency:
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
    json: Any = MISSING
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    then: Step | list[Rule] | None = None
    fault: dict[str, Any] | None = None
    latency: dict[str, Any] | None = None
    file_search: Any = None  # True, or {match: regex}: search the offered vector stores and cite
    code_interpreter: dict[str, Any] | None = None  # {code, files: [{name, content}]}: run code, write files
    reasoning_tokens: int = 0  # tokens the model "reasoned" for this step (Responses usage)
    web_search: dict[str, Any] | None = None  # {query, sources: [{url, title}]}: a scripted web_search_call
    mcp: dict[str, Any] | None = None  # {tool, arguments, server_label}: call the request's remote MCP server


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
    indexing_fails: str | None = None  # regex on a file name: its indexing fails (invalid_file)
    run_expires_ms: float = 600_000  # an unfinished Assistants run expires after this (10 min, as live)
    models: tuple[str, ...] | None = None  # a strict model catalogue; None: every model exists
    rules: list[Rule] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)


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
    source = _as_mapping(source)
    _check_format(source)
    rules = [_parse_rule(raw, index) for index, raw in enumerate(source.get("rules") or [])]
    if not any(rule.default for rule in rules):
        rules.append(Rule(name="default", default=True, step=Step(reply="Echo: {{ input }}")))
    faults = source.get("faults") or []
    return Script(
        latency=Latency().merged(source.get("latency")),
        poll_after_ms=None if source.get("poll_after_ms", 20) is None else int(source.get("poll_after_ms", 20)),
        poll_hint_apis=tuple(source.get("poll_hint_apis") or ()) if "poll_hint_apis" in source else ("assistants",),
        context_window=int(source.get("context_window", 100_000)),
        indexing_ms=float(source.get("indexing_ms", 0)),
        indexing_fails=_regex_text(source.get("indexing_fails"), "indexing_fails"),
        run_expires_ms=float(source.get("run_expires_ms", 600_000)),
        models=tuple(str(m) for m in source["models"]) if source.get("models") is not None else None,
        rules=rules,
        faults=[dict(f) for f in faults],
    )


def _regex_text(raw: Any, where: str) -> str | None:
    if raw is None:
        return None
    _compile(raw, where)
    return str(raw)


def _poll_hint_apis(raw: Any) -> tuple[str, ...]:
    apis = tuple(str(a) for a in (raw or []))
    unknown = set(apis) - {"assistants", "responses"}
    if unknown:
        raise ScriptError(f"poll_hint_apis: unknown {sorted(unknown)}; use assistants and/or responses")
    return apis


def _as_mapping(source: Any) -> dict[str, Any]:
    """The script as a mapping, from a dict, YAML text, a file path or a bundled script's name."""
    named = source if isinstance(source, str) and "\n" not in source.strip() else None
    if isinstance(source, str) and _BUNDLED_NAME.match(source) and (BUNDLED / f"{source}.yaml").is_file():
        source = BUNDLED / f"{source}.yaml"  # a bundled script by name, e.g. "triage"
    if isinstance(source, Path) or (isinstance(source, str) and _is_file(source)):
        try:
            source = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScriptError(f"the script file {str(source)!r} cannot be read: {exc}") from None
    if isinstance(source, (str, bytes)):
        try:
            source = yaml.safe_load(source) or {}
        except yaml.YAMLError as exc:
            raise ScriptError(f"the script is not valid YAML: {' '.join(str(exc).split())}") from None
    if isinstance(source, dict):
        return source
    if named is not None and isinstance(source, str):  # one word or a path, but no such file
        bundled = sorted(p.stem for p in BUNDLED.glob("*.yaml"))
        raise ScriptError(
            f"no script file {named!r} (and no bundled script of that name: {', '.join(bundled)}); "
            "give a path to a YAML file, YAML text or a mapping"
        )
    raise ScriptError(f"script: must be a mapping, got {type(source).__name__}")


def _check_format(source: Any) -> None:
    """The script's format is described once, as a JSON Schema (schemas/emulator_script.py,
    published as docs/schemas/emulator-script.schema.json); its first problem is refused."""
    from openaiassistant.schemas.check import path_text, problems
    from openaiassistant.schemas.emulator_script import EMULATOR_SCRIPT_DOCUMENT

    found = problems(source, EMULATOR_SCRIPT_DOCUMENT)
    if found:
        path, problem = found[0]
        raise ScriptError(f"{path_text('script', path)}: {problem}")


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
    return Step(
        reply=None if raw.get("reply") is None else str(raw["reply"]),
        json=raw.get("json", MISSING),
        tool_calls=list(calls),
        then=parsed_then,
        fault=raw.get("fault"),
        latency=raw.get("latency"),
        file_search=raw.get("file_search"),
        code_interpreter=hosted_script.parse_code_interpreter(raw.get("code_interpreter"), where, ScriptError),
        reasoning_tokens=int(raw.get("reasoning_tokens", 0)),  # checked by the script's schema
        web_search=hosted_script.parse_web_search(raw.get("web_search"), where, ScriptError),
        mcp=hosted_script.parse_mcp(raw.get("mcp"), where, ScriptError),
    )
