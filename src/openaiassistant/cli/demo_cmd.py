"""``openaiassistant demo``: the alert-triage example in Keep's real workflow engine, offline.

Starts the emulator (with the examples' script) and a small local monitoring service on
127.0.0.1, then runs ``examples/keep/alert-triage.yaml`` through Keep's parser and workflow
engine in this process, showing the alert, each tool call, the streamed note and the final JSON.
Needs Keep installed (the ``.venv-keep`` environment); installs the provider shim if missing.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import logging
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

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


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the alert-triage example in Keep's workflow engine against the local emulator",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("--backend", choices=("responses", "assistants"), default="responses")
    parser.add_argument("--host", choices=sorted(ALERTS), default="db-1", help="which sample alert fires")
    parser.add_argument("--examples", type=Path, default=None, help="directory of the example workflows")
    parser.set_defaults(func=run)


def _examples_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    # src/openaiassistant/cli/demo_cmd.py -> repository root
    return Path(__file__).resolve().parents[3] / "examples" / "keep"


def run(args: argparse.Namespace) -> int:
    """Set Keep's environment first (Keep reads it on import), then run the workflow."""
    from openaiassistant.keep.runner import prepare_environment

    examples = _examples_dir(args.examples)
    if not (examples / "alert-triage.yaml").is_file():
        print(f"demo: example workflows not found in {examples} (use --examples DIR)", file=sys.stderr)
        return 2
    if importlib.util.find_spec("keep") is None:
        print(
            "demo: Keep is not installed here; run it with the Keep environment (.venv-keep/bin/openaiassistant demo)",
            file=sys.stderr,
        )
        return 2
    work = Path(tempfile.mkdtemp(prefix="openaiassistant-demo-"))
    prepare_environment(work, database=False)
    _quiet_keep()
    return _Demo(examples=examples, work=work, backend=args.backend, alert=ALERTS[args.host]).run()


def _quiet_keep() -> None:
    """Keep logs a lot at INFO and warns about its own setup; the demo shows only its story."""
    warnings.filterwarnings("ignore")
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.ERROR)


class _Demo:
    def __init__(self, *, examples: Path, work: Path, backend: str, alert: dict[str, Any]) -> None:
        from rich.console import Console

        self.examples = examples
        self.work = work
        self.backend = backend
        self.alert = alert
        self.console = Console(file=sys.stdout, highlight=False)

    def run(self) -> int:
        import yaml
        from rich.panel import Panel

        from openaiassistant.emulator.server import EmulatorServer
        from openaiassistant.keep import installer, runner
        from openaiassistant.keep.sample_services import SampleServices

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
            c.print(f"[dim]Backend: {self.backend}   Keep work directory: {self.work}[/dim]\n")
            providers_file = self._providers_file(emulator, yaml)
            workflow = yaml.safe_load((self.examples / "alert-triage.yaml").read_text())
            workflow["workflow"]["consts"]["metrics_url"] = services.url
            c.print(Panel.fit(self._alert_text(), title="[bold red]Alert fired[/bold red]", border_style="red"))
            c.print("[bold]Step triage[/bold]: the assistant investigates with its tools ...")
            handler = _LiveLog(c)
            logger = logging.getLogger(ASSISTANT)
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
            try:
                # Keep's console provider prints the action's message; the demo shows it itself
                with contextlib.redirect_stdout(io.StringIO()):
                    result = runner.run_workflow(
                        workflow, alert=runner.make_alert(self.alert), providers_file=providers_file
                    )
            finally:
                logger.removeHandler(handler)
        return self._summary(result)

    def _providers_file(self, emulator: Any, yaml: Any) -> Path:
        providers = yaml.safe_load((self.examples / "providers.yaml").read_text())
        auth = providers[ASSISTANT]["authentication"]
        auth["base_url"] = emulator.base_url
        auth["backend"] = self.backend
        if self.backend == "assistants":
            import openai

            client = openai.OpenAI(base_url=emulator.base_url, api_key=auth["api_key"])
            created = client.beta.assistants.create(
                model=auth.get("model") or "gpt-4o-mini", instructions=auth.get("instructions"), name="SRE triage"
            )
            auth["assistant_id"] = created.id
        path = self.work / "providers.yaml"
        path.write_text(yaml.safe_dump(providers))
        return path

    def _alert_text(self) -> str:
        a = self.alert
        return f"[bold]{a['name']}[/bold] on [bold]{a['host']}[/bold]  ({a['severity']})\n{a['description']}"

    def _summary(self, result: Any) -> int:
        from rich.panel import Panel
        from rich.table import Table

        c = self.console
        if result.error:
            c.print(Panel(_escape(result.error), title="[bold red]Workflow failed[/bold red]", border_style="red"))
            return 1
        triage = result.results("triage")
        c.print()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold green", no_wrap=True)
        table.add_column(overflow="fold")
        for key, value in triage["response"].items():
            table.add_row(key, str(value))
        table.add_row("", "")
        table.add_row("[dim]response_json[/dim]", f"[dim]{_escape(triage['response_json'])}[/dim]")
        c.print(
            Panel(
                table, title="[bold green]Final JSON: steps.triage.results.response[/bold green]", border_style="green"
            )
        )
        page = result.results("page-on-call")
        if page:
            c.print(
                Panel(
                    _escape(str(page)),
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


class _LiveLog(logging.Handler):
    """Shows the provider's log as it happens: tool calls, then the streamed note."""

    def __init__(self, console: Any) -> None:
        super().__init__(level=logging.INFO)
        self.console = console
        self._streaming = False

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().removeprefix(f"[{ASSISTANT}] ")
        if message.startswith("tool "):
            name, _, rest = message[5:].partition("(")
            arguments, _, output = rest.rpartition(") -> ")
            self.console.print(f"  [cyan]tool call[/cyan] [bold]{name}[/bold]({_escape(arguments)})")
            self.console.print(f"    [dim]-> {_preview(output)}[/dim]")
            return
        if not self._streaming:
            self._streaming = True
            self.console.print("\n[bold]Step brief[/bold]: streamed into the workflow log as it arrives")
        self.console.print(f"  [yellow]│[/yellow] {_escape(message)}")


def _preview(text: str, limit: int = 110) -> str:
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return _escape(text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
