"""``openaiassistant keep run WORKFLOW.yaml``: any workflow in Keep's real engine, in this process.

Keep's parser and workflow engine run here (no Keep server); the providers come from
``--providers FILE`` (default: ``KEEP_PROVIDERS_FILE``, else ``./providers.yaml``). With
``--emulator`` every ``openaiassistant`` provider the workflow uses talks to the local emulator
instead (started here, or the one at ``--emulator URL``, e.g. ``openaiassistant emulator
--inspect`` in another terminal, to watch the run in its inspector page). Each tool call and
streamed line is shown as it happens, then each step's results; ``--json`` prints the results as
JSON instead. Exit codes: 0 the workflow ran, 1 a step or action failed, 2 the run could not
start (a file, a provider, Keep missing).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["register"]

EXIT_FAILED, EXIT_CONFIG = 1, 2
START = "start"  # --emulator without a URL: start one here


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a workflow in Keep's workflow engine, in this process",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("workflow", type=Path, help="the workflow YAML")
    parser.add_argument(
        "--alert", default=None, metavar="FILE|JSON", help="the alert that triggers it (YAML/JSON file or JSON text)"
    )
    parser.add_argument("--providers", type=Path, default=None, metavar="FILE", help="Keep's providers file")
    parser.add_argument(
        "--emulator",
        nargs="?",
        const=START,
        default=None,
        metavar="URL",
        help="run offline: start the local emulator here, or use the one at URL (e.g. http://127.0.0.1:8765/v1)",
    )
    parser.add_argument("--script", default=None, metavar="FILE", help="the emulator's script (with --emulator)")
    parser.add_argument(
        "--inspect",
        action="store_true",
        help="with --emulator started here: serve its inspector page and keep it open after the run (Ctrl-C ends)",
    )
    parser.add_argument("--json", action="store_true", help="print the steps' results as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from openaiassistant.errors import ConfigError

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if importlib.util.find_spec("keep.providers") is None:
        err.print(
            "[bold red]error:[/] Keep is not installed in this Python; run `keep run` with the Python of the "
            "environment Keep runs in (e.g. .venv-keep/bin/openaiassistant)"
        )
        return EXIT_CONFIG
    try:
        workflow = _load_workflow(args.workflow)
        alert = _load_alert(args.alert)
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {_escape(str(exc))}")
        return EXIT_CONFIG
    if (args.script or args.inspect) and args.emulator is None:
        err.print("[bold red]error:[/] --script and --inspect go with --emulator")
        return EXIT_CONFIG
    from openaiassistant.cli.demo_cmd import quiet_keep
    from openaiassistant.harness.runner import prepare_environment, work_directory

    with work_directory() as work:
        prepare_environment(work, database=False)
        quiet_keep()
        try:
            return _run(args, workflow, alert, work, err)
        except ConfigError as exc:
            err.print(f"[bold red]error:[/] {_escape(str(exc))}")
            return EXIT_CONFIG
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]")
            return 130


def _run(args: argparse.Namespace, workflow: dict[str, Any], alert: Any, work: Path, err: Any) -> int:
    import yaml
    from rich.console import Console

    from openaiassistant.harness import runner
    from openaiassistant.harness.providers import (
        default_providers_file,
        load_providers,
        our_providers,
        providers_for_run,
    )
    from openaiassistant.harness.report import LiveLog, render_run, run_as_json
    from openaiassistant.keep import installer

    if not installer.status().installed:
        state = installer.install()
        err.print(f"[dim]Installed the provider into Keep: {state.shim_dir}[/dim]")
    source = args.providers or default_providers_file()
    providers = load_providers(source)
    out = Console(file=sys.stdout, highlight=False)
    with _emulator(args, err) as emulator_url:
        chosen = providers_for_run(
            workflow, providers, emulator_url=emulator_url, source=str(source) if source else "no providers file"
        )
        providers_file = work / "providers.yaml"
        providers_file.write_text(yaml.safe_dump(chosen), encoding="utf-8")
        live = LiveLog(err if args.json else out, our_providers(workflow))
        # Keep's console provider prints to stdout: keep it off stdout when it must be JSON
        quiet = contextlib.redirect_stdout(io.StringIO()) if args.json else contextlib.nullcontext()
        with live.attached(), quiet:
            result = runner.run_workflow(
                workflow, alert=runner.make_alert(alert) if alert is not None else None, providers_file=providers_file
            )
        if args.json:
            print(run_as_json(result, workflow))
        else:
            render_run(out, result, workflow)
        if args.inspect:
            err.print("[dim]The run is over; the inspector stays open until Ctrl-C.[/dim]")
            _wait()
    return EXIT_FAILED if result.error or result.action_errors else 0


@contextlib.contextmanager
def _emulator(args: argparse.Namespace, err: Any) -> Iterator[str | None]:
    """The emulator's base URL for the run (None: the providers' own servers)."""
    if args.emulator is None:
        yield None
        return
    if args.emulator != START:
        url = args.emulator.rstrip("/")
        if args.script:
            _load_remote_script(url, args.script)
        err.print(f"[dim]Emulator: {url}[/dim]")
        yield url
        return
    from openaiassistant.emulator.server import EmulatorServer

    with EmulatorServer(script=args.script, inspect=args.inspect) as server:
        where = f"   inspector: {server.url}/_emulator/ui" if args.inspect else ""
        err.print(f"[dim]Emulator (offline OpenAI API): {server.base_url}{where}[/dim]")
        yield server.base_url


def _load_remote_script(url: str, script: str) -> None:
    """POST the script to a running emulator's control endpoint."""
    import httpx

    from openaiassistant.errors import ConfigError

    try:
        text = Path(script).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("--script", f"cannot read {script}: {exc.strerror or exc}") from None
    control = url.removesuffix("/v1") + "/_emulator/script"
    try:
        answer = httpx.post(control, content=text.encode(), headers={"content-type": "application/yaml"}, timeout=10)
    except httpx.HTTPError as exc:
        raise ConfigError("--emulator", f"no emulator answers at {control}: {exc}") from None
    if answer.status_code >= 400:
        raise ConfigError("--script", f"the emulator refused it: {answer.text[:500]}")


def _wait() -> None:
    import threading

    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


def _load_workflow(path: Path) -> dict[str, Any]:
    import yaml

    from openaiassistant.errors import ConfigError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError("WORKFLOW", f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError("WORKFLOW", f"{path} is not valid YAML: {exc}") from None
    body = data.get("workflow", data) if isinstance(data, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("steps") or body.get("actions"), list):
        raise ConfigError(
            "WORKFLOW", f"{path} is not a Keep workflow (a mapping with workflow: {{id, steps, actions}})"
        )
    return data


def _load_alert(given: str | None) -> dict[str, Any] | None:
    """``--alert`` as JSON text, or a YAML/JSON file."""
    import yaml

    from openaiassistant.errors import ConfigError

    if given is None:
        return None
    text = given
    if not given.lstrip().startswith("{"):
        try:
            text = Path(given).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError("--alert", f"neither JSON nor a readable file: {given} ({exc.strerror or exc})") from None
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError("--alert", f"is not valid JSON/YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError("--alert", 'must be a mapping of alert fields, e.g. {"name": "DiskFull", "host": "db-1"}')
    return data


def _escape(text: str) -> str:
    """``text`` printed as written (a message's ``[words]`` are not rich markup)."""
    from rich.markup import escape

    return escape(text)
