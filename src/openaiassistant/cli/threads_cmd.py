"""``openaiassistant threads``: the conversations this provider created, from the thread registry.

Neither the Assistants API nor the Conversations API can list conversations; the registry
(``--registry URL``, env ``OPENAIASSISTANT_REGISTRY``) records every one a turn used, when turns run
with a registry (``ask --registry``, or ``registry_url`` in the Keep provider's configuration).
``show`` reads a conversation from the server, ``delete`` and ``cleanup`` delete on the server
and in the registry; they take the same connection flags as ``ask``. A chat-backend conversation
(``oachat_...``) is kept whole in the registry: it is shown and deleted there, without a server
or a key. Options go before or after the action.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from typing import Any

from openaiassistant.cli import recover_cmd
from openaiassistant.cli.common import EXIT_ERROR, check_registry_url, connection, guarded, option, shared_parent

__all__ = ["parse_age", "register"]

WIDTH = 80
_NO_KEY = "no-key"  # a chat conversation is ours: showing or deleting it asks no server


def register(subparsers: argparse._SubParsersAction) -> None:
    shared = shared_parent(registry=True, backend=True)
    parser = subparsers.add_parser(
        "threads",
        parents=[shared],
        help="list, show, delete or clean up recorded conversations (thread registry)",
        description=" ".join(__doc__.split("\n\n")[1].split()),
    )
    sub = parser.add_subparsers(dest="threads_command", metavar="ACTION", required=True)

    def action(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[shared], help=text, description=text)

    lister = action("list", "conversations, most recently used first")
    for name in ("tenant", "workflow", "fingerprint"):
        lister.add_argument(f"--{name}", default=None)
    lister.add_argument(
        "--idle", default=None, metavar="AGE", help="only those idle for longer than AGE (e.g. 30m, 12h, 7d)"
    )
    lister.add_argument("--all", action="store_true", help="include deleted conversations")
    lister.add_argument("--limit", type=int, default=100)
    lister.add_argument("--json", action="store_true")
    show = action("show", "a conversation's metadata and messages, read from the server (chat: the registry)")
    show.add_argument("thread_id")
    show.add_argument("--json", action="store_true")
    delete = action("delete", "delete conversations on the server and in the registry")
    delete.add_argument("thread_ids", nargs="+", metavar="THREAD_ID")
    delete.add_argument("--json", action="store_true")
    cleanup = action("cleanup", "delete every conversation idle for longer than an age (server and registry)")
    cleanup.add_argument("--idle", required=True, metavar="AGE", help="e.g. 30d, 12h")
    cleanup.add_argument("--tenant", default=None)
    cleanup.add_argument("--dry-run", action="store_true", help="only say which would be deleted")
    cleanup.add_argument("--json", action="store_true")
    forget = action("forget", "mark conversations deleted in the registry only (the server keeps them)")
    forget.add_argument("thread_ids", nargs="+", metavar="THREAD_ID")
    recover_cmd.register(sub)
    parser.set_defaults(func=run)


def parse_age(text: str) -> timedelta:
    from openaiassistant.values import parse_duration

    return timedelta(seconds=parse_duration("--idle", text, unit_required=True))


def run(args: argparse.Namespace) -> int:
    return guarded(lambda: _dispatch(args), registry_errors=(OSError, ValueError, ImportError))


def _registry(args: argparse.Namespace) -> Any:
    from openaiassistant.registry import ThreadRegistry

    url = check_registry_url(option(args, "registry"), create=bool(getattr(args, "create", False)))
    return ThreadRegistry(url)


def _dispatch(args: argparse.Namespace) -> int:
    command = args.threads_command
    registry = (
        _registry(args) if command in ("list", "forget", "cleanup", "recover") or option(args, "registry") else None
    )
    if command == "recover":  # runs that dead workers left behind (cli/recover_cmd.py)
        return int(recover_cmd.run(args, registry))
    if command == "list":
        return _list(args, registry)
    if command == "forget":
        return _forget(args, registry)
    from openaiassistant.conversations import Conversations

    if option(args, "api_key") is None and _only_chat(args, registry):
        args.api_key = _NO_KEY
    conversations = Conversations(
        connection=connection(args), registry=registry, default_backend=option(args, "backend", "responses")
    )
    backend = getattr(args, "backend", None)
    if command == "show":
        return _show(args, conversations.show(args.thread_id, backend=backend))
    if command == "delete":
        return _delete(args, conversations, backend)
    report = conversations.cleanup(idle=parse_age(args.idle), tenant=args.tenant, dry_run=args.dry_run)
    return _cleaned(args, report)


def _only_chat(args: argparse.Namespace, registry: Any) -> bool:
    """Whether the command touches chat conversations only (kept in the registry, not on a server)."""
    from openaiassistant.backends.chat_record import is_chat_thread

    if option(args, "backend") == "chat":
        return True
    ids = [args.thread_id] if args.threads_command == "show" else list(getattr(args, "thread_ids", None) or [])

    def chat(thread_id: str) -> bool:
        row = registry.get(thread_id) if registry is not None else None
        return is_chat_thread(thread_id) or (row is not None and row.backend == "chat")

    return bool(ids) and all(chat(t) for t in ids)


def _console() -> Any:
    from rich.console import Console

    return Console(width=min(Console().width, WIDTH), highlight=False)


def _list(args: argparse.Namespace, registry: Any) -> int:
    if args.idle:
        threads = registry.stale(older_than=parse_age(args.idle), tenant=args.tenant)
    else:
        threads = registry.find(
            tenant=args.tenant,
            workflow=args.workflow,
            fingerprint=args.fingerprint,
            backend=getattr(args, "backend", None),
            include_deleted=args.all,
            limit=args.limit,
        )
    if args.json:
        orphans: dict[str, list] = {}
        for run in recover_cmd.orphans_of(registry, [t.thread_id for t in threads]):
            orphans.setdefault(run.thread_id or "", []).append(run.to_dict())
        print(json.dumps([{**t.to_dict(), "orphaned_runs": orphans.get(t.thread_id, [])} for t in threads], indent=2))
        return 0
    console = _console()
    if not threads:
        console.print("no conversations recorded")
    for t in threads:
        for line, style in _entry(t):
            console.print(line, style=style, markup=False, no_wrap=True, overflow="ellipsis", crop=True)
    filtered = args.tenant or args.workflow or args.fingerprint or args.idle
    recover_cmd.print_orphans(registry, [t.thread_id for t in threads] if filtered else None)
    return 0


def _entry(t: Any) -> list[tuple[str, str | None]]:
    """Two lines per conversation, within 80 columns: the id (never cut: it is copied from
    here) with its turns and last use, then how it is filed."""
    last = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never"
    usage = f"{t.turns} turn{'s' if t.turns != 1 else ''} · {last}"
    filing = [t.backend, *(f"{k} {v}" for k, v in _filing(t) if v)] + (["deleted"] if t.deleted_at else [])
    if len(t.thread_id) + 2 + len(usage) <= WIDTH:
        first = t.thread_id + " " * (WIDTH - len(t.thread_id) - len(usage)) + usage
        return [(first, "bold"), ("  " + " · ".join(filing), "dim")]
    return [(t.thread_id, "bold"), ("  " + " · ".join([usage, *filing]), "dim")]


def _filing(t: Any) -> list[tuple[str, str | None]]:
    return [("tenant", t.tenant), ("workflow", t.workflow), ("fingerprint", t.fingerprint)]


def _show(args: argparse.Namespace, view: dict[str, Any]) -> int:
    if args.json:
        print(json.dumps(view, indent=2, ensure_ascii=False, default=str))
        return 0
    console = _console()
    console.print(f"[bold]{view['thread_id']}[/] ({view['backend']})")
    for key, value in sorted(view["metadata"].items()):
        console.print(f"  {key}: {value}", markup=False)
    row = view.get("registry")
    if row:
        filing = " · ".join(f"{k} {row[k]}" for k in ("tenant", "workflow", "fingerprint") if row.get(k))
        console.print(f"  [dim]registry: {row['turns']} turns · last used {row['last_used_at']} {filing}[/]")
    for message in view["messages"]:
        console.print(f"\n[bold]{message.get('role')}[/]")
        console.print(message.get("text") or "", markup=False)
    return 0


def _delete(args: argparse.Namespace, conversations: Any, backend: str | None) -> int:
    from openaiassistant.errors import AssistantError

    outcome: dict[str, str] = {}
    for thread_id in args.thread_ids:
        try:
            found = conversations.delete(thread_id, backend=backend)
            outcome[thread_id] = "deleted" if found else "not on the server (forgotten)"
        except AssistantError as exc:
            outcome[thread_id] = f"failed: {exc.kind}: {exc.message}"
    if args.json:
        print(json.dumps(outcome, indent=2))
    else:
        for thread_id, what in outcome.items():
            print(f"{thread_id}: {what}", file=sys.stderr if what.startswith("failed") else sys.stdout)
    return EXIT_ERROR if any(v.startswith("failed") for v in outcome.values()) else 0


def _cleaned(args: argparse.Namespace, report: Any) -> int:
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    elif args.dry_run:
        for thread_id in report.idle:
            print(thread_id)
        print(f"{len(report.idle)} conversations idle for more than {args.idle} would be deleted (dry run)")
    else:
        gone = len(report.deleted) + len(report.missing)
        extra = f" ({len(report.missing)} were already gone from the server)" if report.missing else ""
        print(f"deleted {gone} conversations idle for more than {args.idle}{extra}")
        if report.elsewhere:
            print(f"{len(report.elsewhere)} recorded for another server were left alone")
    for thread_id, why in report.failed.items():
        print(f"failed: {thread_id}: {why}", file=sys.stderr)
    return EXIT_ERROR if report.failed else 0


def _forget(args: argparse.Namespace, registry: Any) -> int:
    missing = [tid for tid in args.thread_ids if not registry.forget(tid)]
    for tid in missing:
        print(f"not in the registry: {tid}", file=sys.stderr)
    return 1 if missing else 0
