"""``openaiassistant knowledge``: vector stores of runbooks from the terminal.

    openaiassistant knowledge create runbooks
    openaiassistant knowledge sync runbooks ./runbooks      # again: 0 uploaded, N unchanged
    openaiassistant knowledge show runbooks
    openaiassistant ask --vector-store runbooks "What does the runbook say about DiskFull?"

A store is named by its id or its exact name. ``sync`` adds new files, replaces changed ones (by
content hash) and removes deleted ones; ``upload`` only adds. Progress bars go to stderr while
files upload and index, then one summary line; ``--json`` prints the result on stdout instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from openaiassistant.cli.common import EXIT_ERROR, connection, guarded, shared_parent

__all__ = ["register"]

FILE_EXPIRY = (3600, 30 * 86400)


def register(subparsers: argparse._SubParsersAction) -> None:
    shared = shared_parent()
    parser = subparsers.add_parser(
        "knowledge",
        parents=[shared],
        help="manage vector stores (knowledge bases): create, list, show, upload, sync, delete",
        description="Vector stores (knowledge bases) of runbooks: create, list, show, upload, sync, delete. "
        "A store is named by its id or its exact name.",
    )
    sub = parser.add_subparsers(dest="knowledge_command", metavar="ACTION", required=True)

    def action(name: str, text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[shared], help=text, description=text)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        return p

    create = action("create", "create a vector store")
    create.add_argument("name")
    create.add_argument("--expire-after", metavar="AGE", help="delete the store after AGE unused (e.g. 30d)")
    create.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE")
    action("list", "every vector store, newest first")
    show = action("show", "a store's status, size and files")
    show.add_argument("store", metavar="STORE", help="id or name")
    for name, text in (("upload", "add files (changed ones replace their earlier version)"), ("sync", None)):
        p = action(name, text or "make the store hold exactly a folder's files (add, replace, remove)")
        p.add_argument("store", metavar="STORE", help="id or name")
        if name == "upload":
            p.add_argument("paths", nargs="+", metavar="PATH")
        else:
            p.add_argument("directory", metavar="DIR")
            p.add_argument("--pattern", default="**/*", help="which files of DIR (glob, default **/*)")
            p.add_argument("--create", action="store_true", help="create the store (by name) if there is none")
        p.add_argument("--expire-after", metavar="AGE", help="uploaded files expire AGE after upload (1h to 30d)")
        p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for indexing (default 600)")
        p.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="progress bars on stderr (default: when stderr is a terminal)",
        )
    delete = action("delete", "delete a store and the files uploaded into it")
    delete.add_argument("store", metavar="STORE", help="id or name")
    delete.add_argument("--keep-files", action="store_true", help="delete the store only, not its files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    return guarded(lambda: _dispatch(args, err), console=err)


def _dispatch(args: argparse.Namespace, err: Any) -> int:
    from openaiassistant.knowledge import KnowledgeBase

    kb = KnowledgeBase.connect(connection(args))
    command = args.knowledge_command
    if command == "create":
        return _create(args, kb)
    if command == "list":
        return _list(args, kb)
    if command == "show":
        return _show(args, kb)
    if command == "delete":
        store = kb.get(args.store)
        deleted = kb.delete(store.id, delete_files=not args.keep_files)
        _out(args, {"vector_store_id": store.id, "deleted": deleted}, f"deleted {store.id} ({store.name})")
        return 0
    return _fill(args, kb, err)


def _out(args: argparse.Namespace, data: Any, line: str) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else line)


def _expiry(args: argparse.Namespace, *, days: bool = False) -> float | None:
    from openaiassistant.values import parse_duration

    if not args.expire_after:
        return None
    if days:
        return parse_duration("--expire-after", args.expire_after, minimum=86400, maximum=365 * 86400) / 86400
    low, high = FILE_EXPIRY
    return parse_duration("--expire-after", args.expire_after, minimum=low, maximum=high)


def _create(args: argparse.Namespace, kb: Any) -> int:
    from openaiassistant.cli.ask_cmd import _pairs

    days = _expiry(args, days=True)
    store = kb.create(
        args.name, metadata=dict(_pairs(args.metadata, "--metadata")) or None, expire_after_days=days and int(days)
    )
    _out(args, store.to_dict(), f"created {store.id} ({store.name})")
    return 0


def _list(args: argparse.Namespace, kb: Any) -> int:
    stores = kb.stores()
    if args.json:
        _out(args, [s.to_dict() for s in stores], "")
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    table.add_column("store", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("files", justify="right")
    table.add_column("bytes", justify="right")
    table.add_column("status")
    for s in stores:
        table.add_row(s.id, s.name, str(s.file_counts.get("total", 0)), _size(s.usage_bytes), s.status or "")
    Console(width=min(Console().width, 80)).print(table if stores else "no vector stores")
    return 0


def _show(args: argparse.Namespace, kb: Any) -> int:
    store = kb.get(args.store)
    files = kb.files(store.id)
    if args.json:
        _out(args, {**store.to_dict(), "files": [f.to_dict() for f in files]}, "")
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console(width=min(Console().width, 80))
    counts = ", ".join(f"{v} {k}" for k, v in store.file_counts.items() if v and k != "total") or "no files"
    console.print(f"{store.id} · {store.name} · {store.status} · {_size(store.usage_bytes)} · {counts}", markup=False)
    table = Table(box=None, pad_edge=False)
    table.add_column("file", overflow="fold")
    table.add_column("status")
    table.add_column("bytes", justify="right")
    table.add_column("id", no_wrap=True)
    for f in files:
        table.add_row(f.name or "", f.status or "", _size(f.bytes), f.file_id)
        if f.last_error:
            table.add_row(f"  {f.last_error}", "", "", "")
    if files:
        console.print(table)
    return 0


def _fill(args: argparse.Namespace, kb: Any, err: Any) -> int:
    from openaiassistant.content.sources import local_file
    from openaiassistant.errors import ConfigError, IndexingError

    expire = _expiry(args)
    if args.knowledge_command == "sync" and not Path(args.directory).expanduser().is_dir():
        raise ConfigError("DIR", f"{args.directory} is not a directory")
    for i, path in enumerate(getattr(args, "paths", None) or []):
        local_file(f"PATH {i + 1}", path)  # every local file exists before anything is sent
    store = kb.resolve(args.store, create=getattr(args, "create", False))
    started = time.monotonic()
    show = args.progress if args.progress is not None else (err.is_terminal and not args.json)
    bars = RichProgress(err) if show else None
    try:
        with bars if bars is not None else _nothing():
            if args.knowledge_command == "sync":
                report = kb.sync(
                    store.id,
                    args.directory,
                    expire_after=expire,
                    progress=bars,
                    timeout=args.timeout,
                    pattern=args.pattern,
                )
            else:
                report = kb.upload(store.id, args.paths, expire_after=expire, progress=bars, timeout=args.timeout)
    except IndexingError as exc:
        report = getattr(exc, "report", None)
        if report is None:
            raise
        _summary(args, report, store, time.monotonic() - started, err)
        for name, why in exc.failures.items():
            err.print(f"failed: {name}: {why}", markup=False)
        return EXIT_ERROR
    _summary(args, report, store, time.monotonic() - started, err)
    return 0


def _summary(args: argparse.Namespace, report: Any, store: Any, seconds: float, err: Any) -> None:
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    failed = f", {len(report.failed)} failed" if report.failed else ""
    print(
        f"{args.knowledge_command} {store.id} ({store.name}): {report.uploaded} uploaded, {report.replaced} replaced, "
        f"{report.removed} removed, {report.unchanged} unchanged{failed} ({seconds:.1f} s)"
    )
    sys.stdout.flush()


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} B"


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


class RichProgress:
    """Progress bars (rich) for a knowledge base's phases: bytes uploaded, files indexed, removed."""

    _LABELS = {"upload": "uploading", "index": "indexing", "remove": "removing"}

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bytes = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[name]}"),
            console=console,
            transient=False,
        )
        self._files = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, tuple[Any, Any, int]] = {}
        from rich.console import Group
        from rich.live import Live

        self._live = Live(Group(self._bytes, self._files), console=console, refresh_per_second=8)

    def __enter__(self) -> RichProgress:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._live.__exit__(*exc)

    def begin(self, phase: str, total: int) -> None:
        bars = self._bytes if phase == "upload" else self._files
        task = bars.add_task(self._LABELS.get(phase, phase), total=total, name="")
        self._tasks[phase] = (bars, task, total)

    def advance(self, phase: str, amount: int = 1, *, name: str | None = None) -> None:
        bars, task, _ = self._tasks[phase]
        bars.update(task, advance=amount, name=name or "")

    def end(self, phase: str) -> None:
        bars, task, total = self._tasks[phase]
        bars.update(task, completed=total, name="")
