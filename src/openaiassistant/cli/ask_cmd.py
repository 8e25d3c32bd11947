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

from openaiassistant.cli.connection_flags import add_coordination_flags, coordination_settings

EXIT_ERROR, EXIT_CONFIG, EXIT_INTERRUPTED = 1, 2, 130


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="run one turn against an assistant and print the answer",
        description="Run one turn (Responses + Conversations by default, or Assistants v2) and print the answer.",
    )
    parser.add_argument("prompt", help="what to ask")
    parser.add_argument(
        "--backend",
        choices=("responses", "assistants"),
        default=os.environ.get("OPENAI_ASSISTANT_BACKEND", "responses"),
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("OPENAI_BASE_URL"),
        help="OpenAI-compatible server (default: OpenAI; env OPENAI_BASE_URL)",
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help="API key (prefer the env OPENAI_API_KEY: a key on the command line is visible in the process list)",
    )
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
        help="model (required on the responses backend; env OPENAI_MODEL)",
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
    add_coordination_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the turn; returns the exit code."""
    from rich.console import Console

    from openaiassistant.errors import AssistantError, ConfigError

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        assistant, params, metadata = _build(args)
        return _ask(args, assistant, params, metadata, err)
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {_one_line(str(exc))} (nothing was sent)")
        return EXIT_CONFIG
    except AssistantError as exc:
        err.print(f"[bold red]error:[/] {exc.kind}: {_one_line(str(exc))}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/] (any active run was cancelled on the server)")
        return EXIT_INTERRUPTED


def _build(args: argparse.Namespace) -> tuple[Any, dict[str, Any], dict[str, str]]:
    from openaiassistant.assistant import Assistant
    from openaiassistant.errors import ConfigError
    from openaiassistant.settings import AssistantSpec, ConnectionSettings, is_azure_url

    args.timeout = timeout_of(args.timeout) if isinstance(args.timeout, str) else args.timeout
    params = dict(_pairs(args.param, "--param"))
    if args.response_format:
        params["response_format"] = args.response_format
    metadata = dict(_pairs(args.metadata, "--metadata"))
    endpoint = args.azure_endpoint or (
        args.base_url if args.base_url and (is_azure_url(args.base_url) or args.api_version) else None
    )
    connection = ConnectionSettings(
        api_key=args.api_key
        or (os.environ.get("AZURE_OPENAI_API_KEY") if endpoint else None)
        or os.environ.get("OPENAI_API_KEY"),
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
    if args.backend == "responses" and not (args.model or connection.azure_deployment):
        raise ConfigError("--model", "required with the responses backend (or set OPENAI_MODEL)")
    spec = AssistantSpec(
        backend=args.backend, model=args.model, instructions=args.instructions, assistant_id=args.assistant_id
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


def _ask(args: argparse.Namespace, assistant: Any, params: dict[str, Any], metadata: dict[str, str], err: Any) -> int:
    streamed = args.stream and not args.json

    def on_text(delta: str) -> None:
        sys.stdout.write(delta)
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
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    if not streamed:
        sys.stdout.write(result.text)
    sys.stdout.write("\n")
    sys.stdout.flush()
    if args.history:
        _print_history(result, err)
    if result.refusal:
        err.print(f"[yellow]refused:[/] {result.refusal}")
    if result.status == "incomplete":
        err.print(f"[yellow]incomplete:[/] the answer stopped early ({result.incomplete_reason})")
    err.print(f"[dim]thread {result.thread_id} · {result.usage.total_tokens} tokens · {result.duration_ms:.0f} ms[/]")
    return 0


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
