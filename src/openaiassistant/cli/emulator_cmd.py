"""``openaiassistant emulator``: serve the local OpenAI-compatible emulator until interrupted."""

from __future__ import annotations

import argparse
import sys
import threading

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="serve a local OpenAI-compatible API (Responses, Conversations, Assistants v2, Files)",
        description="Serve the emulator under /v1 with control endpoints under /_emulator (see docs/emulator.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free port)")
    parser.add_argument("--script", default=None, help="YAML script for the scripted model")
    parser.add_argument("--api-key", default=None, help="require this bearer key (default: any non-empty key)")
    parser.add_argument("--no-validate", action="store_true", help="do not check responses against OpenAI's spec")
    parser.add_argument(
        "--inspect",
        action="store_true",
        help="serve the inspector page at /_emulator/ui: conversations, runs, their timelines, the request log",
    )
    parser.add_argument("--rpm", type=int, default=None, help="account limit: requests per minute (429s as live)")
    parser.add_argument("--tpm", type=int, default=None, help="account limit: tokens per minute (429s as live)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Start the server, print its base URL, serve until Ctrl-C (or until ``stop`` is set)."""
    from openaiassistant.emulator.faults import FaultError
    from openaiassistant.emulator.script import ScriptError
    from openaiassistant.emulator.server import EmulatorServer, EmulatorStartError

    try:
        server = EmulatorServer(
            script=args.script,
            host=args.host,
            port=args.port,
            validate=not args.no_validate,
            required_api_key=args.api_key,
            inspect=args.inspect,
            limits={"rpm": args.rpm, "tpm": args.tpm},
        )
    except (ScriptError, FaultError) as exc:  # one line naming what to fix, no traceback
        print(f"error: the script {args.script!r} is not usable: {exc}", file=sys.stderr)
        return 2
    try:
        server.start()
    except EmulatorStartError as exc:
        print(f"error: {exc} (use --port 0 for any free port)", file=sys.stderr)
        return 1
    print(f"OpenAI emulator serving at {server.base_url} (control: {server.url}/_emulator)", flush=True)
    if args.inspect:
        print(f"Inspector: {server.url}/_emulator/ui", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        # the control routes and the request log (prompts, tool outputs) have no authentication
        print(
            f"warning: listening on {args.host}: anyone who can reach it can read the request log and "
            "change the script; bind 127.0.0.1 unless that is what you want",
            file=sys.stderr,
            flush=True,
        )
    waiter = stop or threading.Event()
    try:
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
