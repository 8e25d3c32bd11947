"""The alert-triage story: an alert fires, the assistant investigates with its tools, the
on-call note streams in, the final JSON decides whether to page."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

__all__ = ["ALERTS", "TriageDemo"]

ASSISTANT = "triage-assistant"
ALERTS = {
    "db-1": {
        "name": "DiskFull",
        "host": "db-1",
        "severity": "critical",
        "description": "disk / is 97% full",
        "fingerprint": "diskfull-db-1",
    },
    "web-3": {
        "name": "HighCPU",
        "host": "web-3",
        "severity": "warning",
        "description": "CPU above 85% for 10 minutes",
        "fingerprint": "highcpu-web-3",
    },
}


class TriageDemo:
    """One run of examples/keep/alert-triage.yaml against the emulator and the sample services.
    Keep's environment must already point into ``work`` (runner.prepare_environment)."""

    def __init__(self, *, examples: Path, work: Path, backend: str, alert: dict[str, Any]) -> None:
        self.examples = examples
        self.work = work
        self.backend = backend
        self.alert = alert
        self.console = Console(file=sys.stdout, highlight=False)

    def run(self) -> int:
        import yaml

        from openaiassistant.demo.sample_services import SampleServices
        from openaiassistant.emulator.server import EmulatorServer
        from openaiassistant.harness import runner
        from openaiassistant.harness.providers import providers_for_run
        from openaiassistant.harness.report import LiveLog
        from openaiassistant.keep import installer

        c = self.console
        c.rule("[bold]OpenAI Assistant in Keep: alert triage[/bold]")
        if not installer.status().installed:
            state = installer.install()
            c.print(f"[dim]Installed the provider into Keep: {state.shim_dir}[/dim]")
        with (
            EmulatorServer(script=str(self.examples / "emulator-script.yaml")) as emulator,
            SampleServices() as services,
        ):
            c.print(
                f"[dim]Emulator (offline OpenAI API): {emulator.base_url}   sample monitoring API: {services.url}[/dim]"
            )
            c.print(f"[dim]Backend: {self.backend}   Keep work directory (removed on exit): {self.work}[/dim]\n")
            workflow = yaml.safe_load((self.examples / "alert-triage.yaml").read_text())
            workflow["workflow"]["consts"]["metrics_url"] = services.url
            providers = yaml.safe_load((self.examples / "providers.yaml").read_text())
            providers[ASSISTANT]["authentication"]["backend"] = self.backend
            providers_file = self.work / "providers.yaml"
            providers_file.write_text(
                yaml.safe_dump(
                    providers_for_run(workflow, providers, emulator_url=emulator.base_url, source="providers.yaml")
                )
            )
            c.print(Panel.fit(self._alert_text(), title="[bold red]Alert fired[/bold red]", border_style="red"))
            c.print("The assistant investigates with its tools ...")
            live = LiveLog(c, [ASSISTANT])
            # Keep's console provider prints the action's message; the demo shows it itself
            with live.attached(), contextlib.redirect_stdout(io.StringIO()):
                result = runner.run_workflow(
                    workflow, alert=runner.make_alert(self.alert), providers_file=providers_file
                )
        return self._summary(result)

    def _alert_text(self) -> str:
        a = self.alert
        return f"[bold]{a['name']}[/bold] on [bold]{a['host']}[/bold]  ({a['severity']})\n{a['description']}"

    def _summary(self, result: Any) -> int:
        c = self.console
        if result.error:
            title = f"[bold red]Step {escape(result.failed_step or '?')} failed[/bold red]"
            c.print(Panel(escape(result.error), title=title, border_style="red"))
            return 1
        triage = result.results("triage")
        c.print()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold green", no_wrap=True)
        table.add_column(overflow="fold")
        for key, value in triage["response"].items():
            table.add_row(key, str(value))
        table.add_row("", "")
        table.add_row("[dim]response_json[/dim]", f"[dim]{escape(triage['response_json'])}[/dim]")
        c.print(
            Panel(
                table, title="[bold green]Final JSON: steps.triage.results.response[/bold green]", border_style="green"
            )
        )
        page = result.results("page-on-call")
        if page:
            c.print(
                Panel(
                    escape(str(page)),
                    title="[bold magenta]Action page-on-call ran[/bold magenta]",
                    border_style="magenta",
                )
            )
        else:
            c.print("[bold]Action page-on-call[/bold] skipped: the assistant did not call it critical.")
        usage = triage["usage"]
        c.print(
            f"[dim]conversation {triage['thread_id']}  ·  {len(triage['tool_calls'])} tool calls  ·  "
            f"{usage['total_tokens']} tokens (emulated)[/dim]"
        )
        return 0
