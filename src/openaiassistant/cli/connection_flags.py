"""Connection flags shared by the commands that talk to a server (``ask``, ``threads recover``).

``add_coordination_flags`` adds ``--coordination-url`` (env ``OPENAIASSISTANT_COORDINATION_URL``),
``--coordination-pool``, ``--rpm``, ``--tpm`` and ``--max-concurrent-turns``;
``add_connection_flags`` adds those plus the server flags of ``ask`` (``--backend``,
``--base-url``, ``--api-key``, ``--organization``, ``--project``, ``--transport``, ``--model``,
``--assistant-id``), with the same names and environment variables.
"""

from __future__ import annotations

import argparse
import os
from typing import Any


def add_coordination_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("coordination across workers (see docs/coordination.md)")
    group.add_argument(
        "--coordination-url",
        default=os.environ.get("OPENAIASSISTANT_COORDINATION_URL"),
        metavar="URL",
        help="share rate limits, back-off, conversation locks and turn slots with other workers: redis://HOST:PORT/DB "
        "or a PostgreSQL URL (env OPENAIASSISTANT_COORDINATION_URL; default: this process only)",
    )
    group.add_argument("--coordination-pool", default=None, metavar="NAME", help="pool name (default: server + key)")
    group.add_argument("--rpm", type=int, default=None, help="requests per minute of the pool (default: the server's)")
    group.add_argument("--tpm", type=int, default=None, help="tokens per minute of the pool (default: the server's)")
    group.add_argument("--max-concurrent-turns", type=int, default=None, metavar="N", help="turns at once in the pool")


def coordination_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ``ConnectionSettings`` keywords of the coordination flags."""
    return {
        "coordination_url": args.coordination_url or None,
        "coordination_pool": args.coordination_pool or None,
        "rpm": args.rpm,
        "tpm": args.tpm,
        "max_concurrent_turns": args.max_concurrent_turns,
    }


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """The server flags of ``ask``, for commands that act on runs rather than ask."""
    parser.add_argument(
        "--backend",
        choices=("responses", "assistants"),
        default=os.environ.get("OPENAI_ASSISTANT_BACKEND"),
        help="only runs of this backend (default: both)",
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
    parser.add_argument("--organization", default=None)
    parser.add_argument("--project", default=None)
    parser.add_argument("--transport", choices=("sse", "poll"), default="sse", help=argparse.SUPPRESS)
    parser.add_argument("--model", default=os.environ.get("OPENAI_MODEL"), help=argparse.SUPPRESS)
    parser.add_argument("--assistant-id", default=None, help=argparse.SUPPRESS)
    add_coordination_flags(parser)


def connection_settings(args: argparse.Namespace) -> Any:
    from openaiassistant.settings import ConnectionSettings

    return ConnectionSettings(
        api_key=args.api_key or os.environ.get("OPENAI_API_KEY"),
        base_url=args.base_url,
        organization=args.organization,
        project=args.project,
        transport=args.transport,
        **coordination_settings(args),
    )
