"""``openaiassistant ask PROMPT``: run one turn from the terminal, with the settings a workflow uses.

The answer streams to stdout as it arrives; tool calls, the conversation id and warnings go to
stderr (styled with rich), so ``ask ... > answer.txt`` keeps only the answer. ``--json`` prints
the result dict (what a Keep step gets) instead. Errors print one line a person can act on and
exit non-zero: 2 for bad settings or parameters (nothing was sent), 1 for everything else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from openaiassistant.cli.connection_flags import add_coordination_flags, add_server_flags, coordination_settings

__all__ = ["register"]

EXIT_ERROR, EXIT_CONFIG, EXIT_INTERRUPTED = 1, 2, 130
_NO_KEY = "no-key"  # sent as the key to a chat server when none is given


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="run one turn against an assistant and print the answer",
        description=(
            "Run one turn (Responses + Conversations by default, Assistants v2, or any chat-completions "
            "server with --backend chat) and print the answer."
        ),
    )
    parser.add_argument("prompt", help="what to ask")
    parser.add_argument(
        "--backend",
        choices=("responses", "assistants", "chat"),
        default=os.environ.get("OPENAI_ASSISTANT_BACKEND", "responses"),
        help="responses (default), assistants, or chat: any /v1/chat/completions server (Ollama, vLLM, "
        "llama.cpp, LiteLLM, ...), the conversation kept in --registry",
    )
    add_server_flags(parser)
    parser.add_argument(
        "--azure-endpoint",
        default=os.environ.get("AZURE_OPENAI_ENDPOINT"),
        metavar="URL",
        help="Azure OpenAI resource, e.g. https://RESOURCE.openai.azure.com (env AZURE_OPENAI_ENDPOINT); "
        "--model is then your deployment name",
    )
    parser.add_argument(
        "--api-version",
        default=os.environ.get("OPENAI_API_VERSION"),
        help="Azure OpenAI api-version: v1 (default: the v1 endpoint) or dated, e.g. 2025-04-01-preview "
        "(env OPENAI_API_VERSION)",
    )
    parser.add_argument(
        "--azure-deployment",
        default=os.environ.get("AZURE_OPENAI_DEPLOYMENT"),
        help="Azure OpenAI deployment (the model when --model is not given; env AZURE_OPENAI_DEPLOYMENT)",
    )
    parser.add_argument("--organization", default=None)
    parser.add_argument("--project", default=None)
    parser.add_argument(
        "--model",
        default=os.environ.get("OPENAI_MODEL"),
        help="model (required on the responses and chat backends; env OPENAI_MODEL)",
    )
    parser.add_argument("--instructions", default=None, help="system instructions for this turn")
    parser.add_argument("--assistant-id", default=None, help="stored assistant (assistants backend)")
    parser.add_argument("--thread-id", default=None, help="continue this conversation/thread")
    parser.add_argument(
        "--response-format", default=None, help="auto | text | json_object | a JSON object such as a json_schema format"
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any run control, e.g. --param temperature=0.2 (repeatable)",
    )
    parser.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="metadata for a new conversation (repeatable)",
    )
    parser.add_argument(
        "--tools", default=None, metavar="FILE", help="tools file (YAML or JSON): HTTP tools and MCP servers"
    )
    parser.add_argument(
        "--timeout",
        default="300",
        metavar="SECONDS|none",
        help="deadline for the whole turn in seconds (default 300); none: no deadline",
    )
    parser.add_argument("--on-active-run", choices=("wait", "cancel", "fail"), default="wait")
    parser.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="print the answer as it comes (default) or when it is complete",
    )
    parser.add_argument(
        "--transport",
        choices=("sse", "poll"),
        default="sse",
        help="follow the run by its event stream (default) or by polling (behind proxies that buffer streams)",
    )
    parser.add_argument(
        "--capabilities",
        default=os.environ.get("OPENAI_CAPABILITIES"),
        metavar="NAME=on|off,...",
        help="pin what the server takes, e.g. conversations=off,stream_background=off (default: learned; "
        "env OPENAI_CAPABILITIES)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--history",
        action="store_true",
        help="also show the conversation's messages (with --json: in the result's messages)",
    )
    parser.add_argument(
        "--registry",
        default=os.environ.get("OPENAIASSISTANT_REGISTRY"),
        metavar="URL",
        help="record the conversation in this thread registry (SQLAlchemy URL; env OPENAIASSISTANT_REGISTRY)",
    )
    _content_flags(parser)
    parser.add_argument(
        "--max-cost-usd",
        default=None,
        metavar="USD",
        help="stop the turn before a further round once it cost this much",
    )
    parser.add_argument(
        "--max-total-tokens",
        default=None,
        metavar="N",
        help="stop the turn before a further round past this many tokens",
    )
    parser.add_argument(
        "--prices",
        default=os.environ.get("OPENAIASSISTANT_PRICES"),
        metavar="JSON|FILE",
        help='per-model prices in USD per 1M tokens, e.g. \'{"my-model": {"input": 1, "output": 4}}\' '
        "(env OPENAIASSISTANT_PRICES)",
    )
    add_coordination_flags(parser)
    parser.set_defaults(func=run)


def _content_flags(parser: argparse.ArgumentParser) -> None:
    """Files, images, knowledge and citations of a turn (see docs/content.md)."""
    group = parser.add_argument_group("files and knowledge")
    group.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH[:TOOL]",
        help="attach a local file (repeatable); TOOL file_search (default) or code_interpreter",
    )
    group.add_argument("--image", action="append", default=[], metavar="PATH|URL", help="an image (repeatable)")
    group.add_argument(
        "--vector-store",
        action="append",
        default=[],
        metavar="ID|NAME",
        help="search this vector store (repeatable; see openaiassistant knowledge)",
    )
    group.add_argument(
        "--citations",
        choices=("raw", "strip", "footnotes"),
        default="footnotes",
        help="how citations appear in the answer (default footnotes: [1] and a list of sources)",
    )
    group.add_argument("--download", metavar="DIR", default=None, help="save files the assistant wrote into DIR")
    group.add_argument(
        "--upload-policy",
        default=None,
        metavar="POLICY",
        help="keep | delete_after_turn | expire_after:AGE for uploaded files (default expire_after:7d)",
    )


def _attachment(text: str) -> dict[str, Any]:
    """``PATH`` or ``PATH:file_search`` / ``PATH:code_interpreter``."""
    path, sep, tool = text.rpartition(":")
    if sep and tool in ("file_search", "code_interpreter"):
        return {"path": path, "tools": [tool]}
    return {"path": text}


def run(args: argparse.Namespace) -> int:
    """Run the turn; returns the exit code."""
    from rich.console import Console

    from openaiassistant.errors import AssistantError, ConfigError
    from openaiassistant.observability.sdk_setup import configure_from_env

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    # OTEL_TRACES_EXPORTER=console|otlp: the turn's spans (console: on stderr)
    shutdown = configure_from_env(warn=lambda message: err.print(f"[yellow]warning:[/] {message}"))
    try:
        assistant, params, metadata = _build(args)
        return _ask(args, assistant, params, metadata, err)
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {_plain(str(exc))} (nothing was sent)")
        return EXIT_CONFIG
    except AssistantError as exc:
        err.print(f"[bold red]error:[/] {exc.kind}: {_plain(str(exc))}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/] (any active run was cancelled on the server)")
        return EXIT_INTERRUPTED
    finally:
        if shutdown is not None:
            shutdown()  # exports what is left


def _build(args: argparse.Namespace) -> tuple[Any, dict[str, Any], dict[str, str]]:
    from openaiassistant.assistant import Assistant
    from openaiassistant.errors import ConfigError
    from openaiassistant.settings import AssistantSpec, ConnectionSettings, is_azure_url

    args.timeout = timeout_of(args.timeout) if isinstance(args.timeout, str) else args.timeout
    params = dict(_pairs(args.param, "--param"))
    if args.response_format:
        params["response_format"] = args.response_format
    metadata = dict(_pairs(args.metadata, "--metadata"))
    for name in ("max_cost_usd", "max_total_tokens"):
        if getattr(args, name, None) is not None:
            params[name] = getattr(args, name)
    endpoint = args.azure_endpoint or (
        args.base_url if args.base_url and (is_azure_url(args.base_url) or args.api_version) else None
    )
    connection = ConnectionSettings(
        api_key=args.api_key
        or (os.environ.get("AZURE_OPENAI_API_KEY") if endpoint else None)
        or os.environ.get("OPENAI_API_KEY")
        # a local chat server (Ollama, vLLM, llama.cpp) wants no key; the SDK wants one
        or (_NO_KEY if args.backend == "chat" else None),
        base_url=None if endpoint else args.base_url,
        azure_endpoint=endpoint,
        api_version=args.api_version if endpoint else None,
        azure_deployment=args.azure_deployment if endpoint else None,
        organization=args.organization,
        project=args.project,
        transport=args.transport,
        capabilities=args.capabilities,
        **coordination_settings(args),
    )
    if args.backend in ("responses", "chat") and not (args.model or connection.azure_deployment):
        raise ConfigError("--model", f"required with the {args.backend} backend (or set OPENAI_MODEL)")
    if args.backend == "chat" and not args.registry:
        raise ConfigError(
            "--registry",
            "required with the chat backend: the conversation is kept in the thread registry's database "
            "(e.g. --registry sqlite:///threads.db; env OPENAIASSISTANT_REGISTRY)",
        )
    spec = AssistantSpec(
        backend=args.backend,
        model=args.model,
        instructions=args.instructions,
        assistant_id=args.assistant_id,
        vector_store_ids=_vector_stores(args.vector_store, connection),
        prices=_prices(args.prices),
    )
    tools = None
    if args.tools:
        from dataclasses import replace

        from openaiassistant.tools import load_tools_file
        from openaiassistant.tools.loader import load_hosted_tools

        tools = load_tools_file(args.tools)
        spec = replace(spec, hosted_tools=load_hosted_tools(args.tools))  # web_search, mcp_remote, ...
    registry = None
    if args.registry:
        from openaiassistant.registry import ThreadRegistry

        try:
            registry = ThreadRegistry(args.registry)
        except Exception as exc:  # a bad URL, a missing driver, an unreachable or broken database
            from openaiassistant.errors import redact

            text = str(exc).removeprefix("invalid registry_url: ") if isinstance(exc, ConfigError) else None
            detail = (text or redact(f"{type(exc).__name__}: {exc}")).splitlines()[0][:300]
            raise ConfigError("--registry", f"the thread registry is not usable ({detail})") from None
    return Assistant(connection=connection, spec=spec, tools=tools, registry=registry), params, metadata


def _vector_stores(refs: list[str], connection: Any) -> tuple[str, ...]:
    """Vector stores by id, or by name (looked up on the server)."""
    if not any(not ref.startswith("vs_") for ref in refs):
        return tuple(refs)
    from openaiassistant.knowledge import KnowledgeBase

    kb = KnowledgeBase.connect(connection)
    return tuple(ref if ref.startswith("vs_") else kb.get(ref).id for ref in refs)


def _ask(args: argparse.Namespace, assistant: Any, params: dict[str, Any], metadata: dict[str, str], err: Any) -> int:
    streamed = args.stream and not args.json

    streamed_parts: list[str] = []
    markers = MarkerFilter(args.citations)

    def on_text(delta: str) -> None:
        shown = markers.feed(delta)
        streamed_parts.append(shown)
        sys.stdout.write(shown)
        sys.stdout.flush()

    def on_tool_call(record: Any) -> None:
        from rich.markup import escape

        mark = f"[red]x {escape(_short(str(record.error)))}[/]" if record.error else "[green]ok[/]"
        arguments = escape(_short(json.dumps(record.arguments, ensure_ascii=False)))
        err.print(f"[cyan]tool[/] {escape(record.name)}({arguments}) {mark} [dim]{record.duration_ms:.0f} ms[/]")

    import logging

    package_log = logging.getLogger("openaiassistant")
    if not package_log.handlers:  # what the log would say reaches stderr as progress lines instead
        package_log.addHandler(logging.NullHandler())

    from rich.markup import escape

    def on_progress(line: str) -> None:
        err.print(f"[dim]… {escape(line)}[/]")

    result = assistant.run_turn(
        args.prompt,
        on_progress=on_progress,
        thread_id=args.thread_id,
        params=params,
        metadata=metadata or None,
        stream=args.stream,
        on_text=on_text if streamed else None,
        timeout=args.timeout,
        on_active_run=args.on_active_run,
        include_history=args.history,
        on_tool_call=None if args.json else on_tool_call,
        images=list(args.image) or None,
        attachments=[_attachment(f) for f in args.file] or None,
        citations=args.citations,
        upload_policy=args.upload_policy,
    )
    saved = [assistant.download(f, args.download) for f in result.files] if args.download else []
    if args.json:
        data = result.to_dict()
        if saved:
            data["downloaded"] = [str(path) for path in saved]
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    if not streamed:
        sys.stdout.write(result.text)
    else:  # what the rendering added after the stream (footnotes: the sources)
        streamed_parts.append(markers.feed("", end=True))
        sys.stdout.write(_rendered_tail("".join(streamed_parts), result.text))
    sys.stdout.write("\n")
    sys.stdout.flush()
    if args.history:
        _print_history(result, err)
    _notes(result, saved, err)
    return 0


def _notes(result: Any, saved: list[Any], err: Any) -> None:
    """What stderr says after the answer: refusal, early stop, files written, the conversation."""
    if result.refusal:
        err.print(f"[yellow]refused:[/] {_plain(str(result.refusal))}")
    if result.status == "incomplete":
        err.print(f"[yellow]incomplete:[/] the answer stopped early ({_plain(str(result.incomplete_reason))})")
    for entry in result.files:
        err.print(f"[cyan]file[/] {_plain(str(entry['filename']))} ({_plain(str(entry['file_id']))})", highlight=False)
    for path in saved:
        err.print(f"[green]saved[/] {_plain(str(path))}")
    if result.status == "budget_exceeded":
        err.print(f"[yellow]stopped:[/] {result.incomplete_reason} reached before the next round (the run was closed)")
    err.print(_summary(result))


class MarkerFilter:
    """Citation markers (``【4:0†runbook.md】``, Assistants) taken out of streamed text as it
    comes: dropped for ``strip``, ``[n]`` (numbered by source, as the final rendering does) for
    ``footnotes``, kept for ``raw``."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._held = ""
        self._numbers: dict[str, int] = {}

    def feed(self, text: str, *, end: bool = False) -> str:
        if self.mode == "raw":
            return text
        out, buffer = [], self._held + text
        while buffer:
            start = buffer.find("【")
            if start < 0:
                out.append(buffer)
                buffer = ""
                break
            out.append(buffer[:start])
            close = buffer.find("】", start)
            if close < 0:
                break
            out.append(self._mark(buffer[start + 1 : close]))
            buffer = buffer[close + 1 :]
        self._held = "" if end else buffer
        if end and buffer:
            out.append(buffer)
        return "".join(out)

    def _mark(self, inner: str) -> str:
        if self.mode != "footnotes":
            return ""
        source = inner.rpartition("†")[2] or inner
        return f"[{self._numbers.setdefault(source, len(self._numbers) + 1)}]"


def _rendered_tail(streamed: str, rendered: str) -> str:
    if rendered.startswith(streamed):
        return rendered[len(streamed) :]
    at = rendered.rfind("\n\nSources:\n")
    return rendered[at:] if at >= 0 else ""


def _summary(result: Any) -> str:
    """The last line: conversation, tokens (cached, reasoning), cost, time."""
    usage = result.usage
    details = [
        f"{n} {what}" for n, what in ((usage.cached_tokens, "cached"), (usage.reasoning_tokens, "reasoning")) if n
    ]
    tokens = f"{usage.total_tokens} tokens" + (f" ({', '.join(details)})" if details else "")
    cost = f"${result.cost_usd:.6f}" if result.cost_usd is not None else "cost unknown (no price for the model)"
    return f"[dim]thread {result.thread_id} · {tokens} · {cost} · {result.duration_ms:.0f} ms[/]"


def _prices(value: str | None) -> dict[str, Any]:
    """``--prices``: JSON text, or a JSON/YAML file holding it."""
    from openaiassistant.observability.prices import parse_prices

    if not value:
        return {}
    text = value
    if not value.lstrip().startswith("{") and os.path.isfile(value):
        import yaml

        with open(value, encoding="utf-8") as handle:
            return parse_prices(yaml.safe_load(handle), where="--prices") or {}
    return parse_prices(text, where="--prices") or {}


def _print_history(result: Any, err: Any) -> None:
    """The conversation so far, oldest first (stderr: stdout keeps only the answer)."""
    from rich.markup import escape

    err.print("[bold]history[/]")
    for message in result.messages or []:
        err.print(f"  [dim]{escape(str(message.get('role')))}:[/] {escape(str(message.get('text') or ''))}")


def timeout_of(text: str) -> float | None:
    """``--timeout``: seconds > 0, or ``none`` for no deadline (a ConfigError names the flag)."""
    from openaiassistant.errors import ConfigError
    from openaiassistant.values import parse_seconds

    if text.strip().lower() in ("none", "off"):
        return None
    try:
        return parse_seconds("--timeout", text)
    except ConfigError:
        raise ConfigError(
            "--timeout", f"must be a number of seconds > 0, or none for no deadline; got {text!r}"
        ) from None


def _pairs(items: list[str], flag: str) -> list[tuple[str, str]]:
    from openaiassistant.errors import ConfigError

    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(flag, f"expected NAME=VALUE, got {item!r}")
        pairs.append((name.strip(), value))
    return pairs


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plain(text: str) -> str:
    """``text`` on one line, printed as written: a server's words such as ``[object Object]`` or
    ``[bold]`` would otherwise be read as rich markup and vanish from the message."""
    from rich.markup import escape

    return escape(_one_line(text))
