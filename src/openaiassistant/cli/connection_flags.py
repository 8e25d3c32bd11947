"""Connection flags shared by the commands that talk to a server (``ask``, ``threads recover``).

``add_coordination_flags`` adds ``--coordination-url`` (env ``OPENAIASSISTANT_COORDINATION_URL``),
``--coordination-pool``, ``--rpm``, ``--tpm`` and ``--max-concurrent-turns``;
``add_server_flags`` adds ``--base-url`` and ``--api-key`` (to ``ask`` too);
``add_connection_flags`` adds all of those plus the other server flags of ``ask``
(``--backend``, ``--organization``, ``--project``, ``--transport``, ``--model``,
``--assistant-id``), with the same names and environment variables.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from openaiassistant.cli.common import CONNECTION

__all__ = [
    "add_connection_flags",
    "add_coordination_flags",
    "add_server_flags",
    "connection_settings",
    "coordination_settings",
]


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


def add_server_flags(parser: argparse.ArgumentParser) -> None:
    """``--base-url`` (default: env ``OPENAI_BASE_URL``) and ``--api-key``, worded as in
    :data:`openaiassistant.cli.common.CONNECTION`. The key's environment variable is read when the
    settings are made, where ``ask`` also looks at ``AZURE_OPENAI_API_KEY``."""
    flag, env, text = CONNECTION["base_url"]
    parser.add_argument(flag, default=os.environ.get(str(env)), help=text)
    flag, _, text = CONNECTION["api_key"]
    parser.add_argument(flag, default=None, help=text)


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """The server flags of ``ask``, for commands that act on runs rather than ask."""
    parser.add_argument(
        "--backend",
        choices=("responses", "assistants"),
        default=os.environ.get("OPENAI_ASSISTANT_BACKEND"),
        help="only runs of this backend (default: both)",
    )
    add_server_flags(parser)
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
