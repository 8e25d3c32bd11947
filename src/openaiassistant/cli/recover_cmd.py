"""``openaiassistant threads recover``: end or adopt the runs that dead workers left behind.

Takes the connection flags of ``ask`` (``--base-url``, ``--api-key``, ...) and
``--coordination-url``; ``--thread-id`` limits it to one conversation. Prints what it did with
each orphaned run (adopted its answer, cancelled it, closed its open tool calls, or found it
ended) and exits 0, or 1 when a run could not be recovered (it stays listed; run it again).
``threads list`` shows orphaned runs under the conversations (see :func:`print_orphans`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from openaiassistant.cli.common import add_registry_flags
from openaiassistant.cli.connection_flags import add_connection_flags, connection_settings

__all__ = ["orphans_of", "print_orphans", "register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    recover = sub.add_parser(
        "recover",
        help="end or adopt runs left by workers that died mid-turn",
        description=(__doc__ or "").split("\n\n")[1],
    )
    add_connection_flags(recover)
    add_registry_flags(recover)
    recover.add_argument("--thread-id", default=None, help="only this conversation")
    recover.add_argument("--timeout", type=float, default=60.0, help="deadline for each run's recovery (s)")
    recover.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, registry: Any) -> int:
    from openaiassistant.recovery import recover

    connection = connection_settings(args)
    connection.validate()
    done = recover(
        connection=connection,
        registry=registry,
        thread_id=args.thread_id,
        backend=args.backend,
        timeout=args.timeout,
    )
    if args.json:
        print(json.dumps([r.to_dict() for r in done], indent=2, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.table import Table

        if not done:
            Console().print("no orphaned runs")
        else:
            table = Table()
            for name in ("conversation", "run", "worker (dead)", "action", "detail"):
                table.add_column(name, no_wrap=name in ("conversation", "run"))
            for r in done:
                table.add_row(r.thread_id or "", r.run_id or "", r.owner, r.action, _short(r.detail))
            Console().print(table)
    return 1 if any(r.action == "failed" for r in done) else 0


def orphans_of(registry: Any, thread_ids: list[str] | None = None) -> list[Any]:
    from openaiassistant.registry.runs import RunLog

    return [run for run in RunLog(registry.engine).open_runs(thread_ids=thread_ids) if run.orphaned]


def print_orphans(registry: Any, thread_ids: list[str] | None = None) -> None:
    """Under ``threads list``: the orphaned runs of the listed conversations, if any."""
    orphans = orphans_of(registry, thread_ids)
    if not orphans:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="orphaned runs: their worker died mid-turn (openaiassistant threads recover ends them)")
    for name in ("conversation", "run", "backend", "worker (dead)", "started"):
        table.add_column(name, no_wrap=name in ("conversation", "run"))
    for run in orphans:
        started = run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else ""
        table.add_row(run.thread_id or "(new)", run.run_id or "(not named yet)", run.backend, run.owner, started)
    Console().print(table)


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
