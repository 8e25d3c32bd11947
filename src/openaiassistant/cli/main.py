"""``openaiassistant`` command line: a thin dispatcher over sub-command modules.

Each sub-command lives in its own module exposing ``register(subparsers)`` which adds its parser
and sets ``func(args) -> int``. ``main(argv) -> int`` is what tests call; ``run()`` is the
console-script entry point.
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["build_parser", "main", "run"]

# (module, required) — a sub-command module that is missing an optional dependency still lets
# the others work; its import error is reported only when it is used.
_SUBCOMMANDS = (
    "openaiassistant.cli.ask_cmd",
    "openaiassistant.cli.emulator_cmd",
    "openaiassistant.cli.keep_cmd",
    "openaiassistant.cli.demo_cmd",
    "openaiassistant.cli.threads_cmd",
    "openaiassistant.cli.knowledge_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openaiassistant",
        description="OpenAI assistant provider for Keep: run turns, the local emulator, the Keep installer.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _SUBCOMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # sub-command not written yet
                continue
            raise
        module.register(sub)
    return parser


def _version() -> str:
    from openaiassistant import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


def run() -> None:  # console script
    sys.exit(main())
