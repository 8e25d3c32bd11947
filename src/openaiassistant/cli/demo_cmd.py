"""``openaiassistant demo``: the alert-triage example in Keep's real workflow engine, offline.

Starts the emulator (with the examples' script) and a small local monitoring service on
127.0.0.1, then runs ``examples/keep/alert-triage.yaml`` through Keep's parser and workflow
engine in this process, showing the alert, each tool call, the streamed note and the final JSON.
Needs Keep installed (the ``.venv-keep`` environment); installs the provider shim if missing.
Keep's work directory (its secrets, database and the providers file) is removed on exit.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import warnings
from pathlib import Path

__all__ = ["quiet_keep", "register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from openaiassistant.demo.triage import ALERTS

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
    from openaiassistant.demo.triage import ALERTS, TriageDemo
    from openaiassistant.harness.runner import prepare_environment, work_directory

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
    with work_directory(prefix="openaiassistant-demo-") as work:
        prepare_environment(work, database=False)
        quiet_keep()
        return TriageDemo(examples=examples, work=work, backend=args.backend, alert=ALERTS[args.host]).run()


def quiet_keep() -> None:
    """Keep logs a lot at INFO and warns about its own setup; show only the run's story."""
    warnings.filterwarnings("ignore")
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.ERROR)
