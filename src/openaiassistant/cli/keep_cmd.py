"""``openaiassistant keep install|uninstall|status|start|run``: the provider shim inside the installed
Keep (``start`` re-installs it at a container's start-up), and running a workflow in Keep's engine
(:mod:`.keep_run_cmd`).

Run it with the Python of the environment Keep runs in (the shim goes into that Keep's
``keep/providers`` directory). Nothing of Keep's is changed besides the one directory we add.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "keep",
        help="install the openaiassistant provider into the installed Keep",
        description="Make Keep find the `openaiassistant` provider type (UI provider list, "
        "providers installed in Keep's database, workflow files).",
    )
    sub = parser.add_subparsers(dest="keep_command", metavar="ACTION")
    install = sub.add_parser("install", help="write the provider shim into Keep (idempotent)")
    install.set_defaults(func=run_install)
    uninstall = sub.add_parser("uninstall", help="remove only what `install` wrote")
    uninstall.add_argument("--force", action="store_true", help="also remove shim files changed since install")
    uninstall.set_defaults(func=run_uninstall)
    status = sub.add_parser("status", help="where Keep is and whether (which version of) the shim is installed")
    status.set_defaults(func=run_status)
    start = sub.add_parser(
        "start",
        help="container start-up: re-install the shim if it is missing or outdated, then run COMMAND",
        description="For Keep's container image: a rebuilt or upgraded Keep has lost the shim, so "
        "install it again when it is missing or outdated, then replace this process with COMMAND "
        "(Keep's own entrypoint and server). Fails, without running COMMAND, when it cannot install it.",
    )
    start.add_argument("start_command", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    start.set_defaults(func=run_start)
    from openaiassistant.cli import keep_run_cmd

    keep_run_cmd.register(sub)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_install(args: argparse.Namespace) -> int:
    from openaiassistant.errors import ConfigError
    from openaiassistant.keep import installer

    try:
        state = installer.install()
    except ConfigError as err:
        print(f"openaiassistant keep install: {err}", file=sys.stderr)
        return 1
    print(f"openaiassistant provider {state.describe()}")
    print('Keep lists it as type `openaiassistant` (display name "OpenAI Assistant").')
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    from openaiassistant.errors import ConfigError
    from openaiassistant.keep import installer

    try:
        removed = installer.uninstall(force=args.force)
    except ConfigError as err:
        print(f"openaiassistant keep uninstall: {err}", file=sys.stderr)
        return 1
    if not removed:
        print("openaiassistant provider was not installed; nothing removed")
        return 0
    for path in removed:
        print(f"removed {path}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    """Exit 0 when installed and current, 1 otherwise (so scripts can check)."""
    from openaiassistant.errors import ConfigError
    from openaiassistant.keep import installer

    try:
        state = installer.status()
    except ConfigError as err:
        print(f"openaiassistant keep status: {err}", file=sys.stderr)
        return 1
    print(f"openaiassistant provider {state.describe()}")
    print(f"Keep providers directory: {state.keep_providers_dir}")
    return 0 if state.installed and state.current else 1


def run_start(args: argparse.Namespace) -> int:
    """Make sure the shim is there and current, then exec the command (if any)."""
    from openaiassistant.errors import ConfigError
    from openaiassistant.keep import installer

    command = list(args.start_command)
    if command[:1] == ["--"]:
        command = command[1:]
    try:
        state = installer.status()
        if not (state.installed and state.current):
            state = installer.install()
            print(f"openaiassistant keep start: provider {state.describe()}", file=sys.stderr, flush=True)
    except (ConfigError, OSError) as err:
        print(f"openaiassistant keep start: cannot install the provider into Keep: {err}", file=sys.stderr)
        return 1
    if not command:
        return 0
    try:
        os.execvp(command[0], command)
    except OSError as err:
        print(f"openaiassistant keep start: cannot run {command[0]}: {err.strerror or err}", file=sys.stderr)
        return 127
    return 0  # not reached: exec replaced this process
