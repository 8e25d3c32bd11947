"""What a workflow run looks like in the terminal: the provider's log as it happens (tool calls,
streamed text, warnings), then each step's results. Used by ``keep run`` and ``demo``."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from openaiassistant.harness.runner import WorkflowRun

__all__ = ["LiveLog", "render_run", "run_as_json"]


class LiveLog(logging.Handler):
    """Shows the workflow log of this package's providers as it happens: each tool call with its
    arguments and output (or the reason it failed), streamed text, warnings."""

    def __init__(self, console: Console, provider_ids: Iterable[str]) -> None:
        super().__init__(level=logging.INFO)
        self.console = console
        self.provider_ids = tuple(provider_ids)
        self.prefixes = tuple(f"[{pid}] " for pid in self.provider_ids)
        self._step: str | None = None  # the step whose lines are being shown
        self._streaming = False  # its streamed text has begun

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for prefix in self.prefixes:
            message = message.removeprefix(prefix)
        step = getattr(threading.current_thread(), "step_id", None) or "?"
        if self._step != step:
            self._step, self._streaming = step, False
            self.console.print(f"[bold]Step {escape(step)}[/bold]")
        if record.levelno >= logging.WARNING:
            self.console.print(f"  [yellow]warning[/yellow] {escape(message)}")
        elif message.startswith("tool "):
            self._tool_call(message[5:])
        else:
            if not self._streaming:
                self._streaming = True
                self.console.print("  [dim]streamed into the workflow log as it arrives:[/dim]")
            self.console.print(f"  [yellow]│[/yellow] {escape(message)}")

    def _tool_call(self, text: str) -> None:
        name, _, rest = text.partition("(")
        arguments, _, output = rest.rpartition(") -> ")
        self.console.print(f"  [cyan]tool call[/cyan] [bold]{escape(name)}[/bold]({escape(arguments)})")
        if output.startswith("error: "):
            self.console.print(f"    [red]x {escape(output.removeprefix('error: '))}[/red]")
        else:
            self.console.print(f"    [dim]-> {preview(output)}[/dim]")

    @contextlib.contextmanager
    def attached(self) -> Iterator[None]:
        """Listen to the providers' loggers (``logging.getLogger(provider_id)``, Keep's) only."""
        loggers = [logging.getLogger(pid) for pid in self.provider_ids]
        saved = [(lg.propagate, lg.level) for lg in loggers]
        for lg in loggers:
            lg.addHandler(self)
            lg.setLevel(logging.INFO)
            lg.propagate = False
        try:
            yield
        finally:
            for lg, (propagate, level) in zip(loggers, saved, strict=True):
                lg.removeHandler(self)
                lg.propagate = propagate
                lg.setLevel(level)


def step_names(workflow: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) of every step then every action, in the workflow's order."""
    body = workflow.get("workflow", workflow)
    return [(kind, str(entry.get("name"))) for kind in ("steps", "actions") for entry in body.get(kind) or []]


def render_run(console: Console, run: WorkflowRun, workflow: Mapping[str, Any]) -> None:
    """Each step's results, the failed step's error, the actions' errors, warnings."""
    for message in run.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(message)}")
    for kind, name in step_names(workflow):
        label = "Step" if kind == "steps" else "Action"
        if name != run.failed_step and name in run.steps:
            results = run.steps[name].get("results")
            console.print(
                Panel(_results(results), title=f"[bold green]{label} {escape(name)}[/bold green]", border_style="green")
            )
        elif name == run.failed_step:
            console.print(
                Panel(
                    escape(run.error or "failed"),
                    title=f"[bold red]{label} {escape(name)} failed[/bold red]",
                    border_style="red",
                )
            )
        else:
            console.print(
                f"[dim]{label} {escape(name)}: did not run (its condition was false, or an earlier step failed)[/dim]"
            )
    if run.error and not run.failed_step:
        console.print(Panel(escape(run.error), title="[bold red]Workflow failed[/bold red]", border_style="red"))
    for error in run.action_errors:
        console.print(f"[bold red]action failed:[/bold red] {escape(str(error))}")


def _results(results: Any) -> Any:
    if not isinstance(results, Mapping) or "response" not in results or "status" not in results:
        return Text(preview(_text(results), limit=2000, markup=False))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    response = results.get("response")
    if isinstance(response, Mapping):
        for key, value in response.items():
            table.add_row(escape(str(key)), escape(_text(value)))
    else:
        table.add_row("response", escape(_text(response)))
    usage = results.get("usage") or {}
    facts = [
        f"status {results.get('status')}",
        f"thread {results.get('thread_id')}",
        f"{len(results.get('tool_calls') or [])} tool calls",
        f"{usage.get('total_tokens', 0)} tokens",
    ]
    return Group(table, Text(" · ".join(facts), style="dim"))


def run_as_json(run: WorkflowRun, workflow: Mapping[str, Any]) -> str:
    """The run as JSON: every step's results, and what went wrong where."""
    body = workflow.get("workflow", workflow)
    data = {
        "workflow": body.get("id"),
        "execution_id": run.execution_id,
        "ok": not (run.error or run.action_errors),
        "steps": {
            name: run.steps[name].get("results")
            for _, name in step_names(workflow)
            if name in run.steps and name != run.failed_step
        },
        "failed_step": run.failed_step,
        "error": run.error,
        "action_errors": [str(e) for e in run.action_errors],
        "warnings": run.warnings,
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def preview(text: str, limit: int = 110, *, markup: bool = True) -> str:
    """At most ``limit`` characters (JSON shown compact); escaped for rich markup when ``markup``."""
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return escape(text) if markup else text
