"""``openaiassistant threads``: the conversations this provider created, from the thread registry.

Neither the Assistants API nor the Conversations API can list conversations; the registry
(``--registry URL``, env ``OPENAIASSISTANT_REGISTRY``) records every one a turn used, when turns run
with a registry (``ask --registry``, or ``registry_url`` in the Keep provider's configuration).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta

from openaiassistant.cli import recover_cmd

_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "threads", help="list or forget recorded conversations (thread registry)", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument(
        "--registry",
        default=os.environ.get("OPENAIASSISTANT_REGISTRY"),
        help="SQLAlchemy URL of the registry, e.g. sqlite:///threads.db (env OPENAIASSISTANT_REGISTRY)",
    )
    sub = parser.add_subparsers(dest="threads_command", metavar="ACTION", required=True)
    lister = sub.add_parser("list", help="conversations, most recently used first")
    for name in ("tenant", "workflow", "fingerprint", "backend"):
        lister.add_argument(f"--{name}", default=None)
    lister.add_argument(
        "--idle", default=None, metavar="AGE", help="only those idle for longer than AGE (e.g. 30m, 12h, 7d)"
    )
    lister.add_argument("--all", action="store_true", help="include forgotten (deleted) conversations")
    lister.add_argument("--limit", type=int, default=100)
    lister.add_argument("--json", action="store_true")
    forget = sub.add_parser("forget", help="mark conversations deleted in the registry")
    forget.add_argument("thread_ids", nargs="+")
    recover_cmd.register(sub)
    parser.set_defaults(func=run)


def parse_age(text: str) -> timedelta:
    from openaiassistant.errors import ConfigError

    unit = _AGE_UNITS.get(text[-1:]) if text else None
    try:
        amount = float(text[:-1])
    except ValueError:
        unit = None
    if unit is None or amount < 0:
        raise ConfigError("--idle", f"expected a number with s, m, h or d (e.g. 7d), got {text!r}")
    return timedelta(**{unit: amount})


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from openaiassistant.errors import ConfigError
    from openaiassistant.redaction import redact

    try:
        if not args.registry:
            raise ConfigError("--registry", "give the registry's SQLAlchemy URL (or set OPENAIASSISTANT_REGISTRY)")
        from openaiassistant.registry import ThreadRegistry

        registry = ThreadRegistry(args.registry)
        if args.threads_command == "recover":
            return recover_cmd.run(args, registry)
        return _list(args, registry) if args.threads_command == "list" else _forget(args, registry)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError, ValueError, ImportError) as exc:
        # an unreachable or broken database, a driver that is not installed: one line, no traceback
        lines = redact(str(exc)).splitlines() or [""]
        print(f"error: the thread registry failed: {type(exc).__name__}: {lines[0][:300]}", file=sys.stderr)
        return 1


def _list(args: argparse.Namespace, registry) -> int:
    if args.idle:
        threads = registry.stale(older_than=parse_age(args.idle), tenant=args.tenant)
    else:
        threads = registry.find(
            tenant=args.tenant,
            workflow=args.workflow,
            fingerprint=args.fingerprint,
            backend=args.backend,
            include_deleted=args.all,
            limit=args.limit,
        )
    if args.json:
        orphans: dict[str, list] = {}
        for run in recover_cmd.orphans_of(registry, [t.thread_id for t in threads]):
            orphans.setdefault(run.thread_id or "", []).append(run.to_dict())
        print(json.dumps([{**t.to_dict(), "orphaned_runs": orphans.get(t.thread_id, [])} for t in threads], indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table()
    table.add_column("thread", no_wrap=True)  # ids are copied from here: never wrap them
    for name in ("backend", "tenant", "workflow", "fingerprint", "turns", "last used"):
        table.add_column(name)
    for t in threads:
        last = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else ""
        table.add_row(
            t.thread_id + (" (deleted)" if t.deleted_at else ""),
            t.backend,
            t.tenant or "",
            t.workflow or "",
            t.fingerprint or "",
            str(t.turns),
            last,
        )
    Console().print(table if threads else "no conversations recorded")
    filtered = args.tenant or args.workflow or args.fingerprint or args.idle
    recover_cmd.print_orphans(registry, [t.thread_id for t in threads] if filtered else None)
    return 0


def _forget(args: argparse.Namespace, registry) -> int:
    missing = [tid for tid in args.thread_ids if not registry.forget(tid)]
    for tid in missing:
        print(f"not in the registry: {tid}", file=sys.stderr)
    return 1 if missing else 0
