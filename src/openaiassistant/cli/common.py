"""What several sub-commands share: connection flags, accepted before or after the action.

``openaiassistant threads --registry URL list`` and ``openaiassistant threads list --registry URL``
mean the same: each shared option is declared on the command and on every action with a
suppressed default, and :func:`option` reads it (falling back to its environment variable).
Errors print one line and give the exit code: 2 for bad input (nothing was sent), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "CONNECTION",
    "EXIT_ERROR",
    "add_registry_flags",
    "check_registry_url",
    "connection",
    "guarded",
    "option",
    "shared_parent",
]

EXIT_ERROR, EXIT_CONFIG, EXIT_INTERRUPTED = 1, 2, 130

# name -> (flags, environment variable, help)
CONNECTION: dict[str, tuple[str, str | None, str]] = {
    "base_url": ("--base-url", "OPENAI_BASE_URL", "OpenAI-compatible server (default: OpenAI; env OPENAI_BASE_URL)"),
    "api_key": (
        "--api-key",
        "OPENAI_API_KEY",
        "API key (prefer the env OPENAI_API_KEY: a key on the command line is visible in the process list)",
    ),
    "organization": ("--organization", None, "OpenAI organization id"),
    "project": ("--project", None, "OpenAI project id"),
}
REGISTRY = ("--registry", "OPENAIASSISTANT_REGISTRY", "thread registry (SQLAlchemy URL; env OPENAIASSISTANT_REGISTRY)")


def shared_parent(*, registry: bool = False, backend: bool = False) -> argparse.ArgumentParser:
    """A parent parser with the connection flags (defaults suppressed: see :func:`option`)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("connection")
    for name, (flag, _, text) in CONNECTION.items():
        group.add_argument(flag, dest=name, default=argparse.SUPPRESS, help=text)
    if backend:
        group.add_argument(
            "--backend",
            choices=("responses", "assistants", "chat"),
            default=argparse.SUPPRESS,
            help="API of conversations not in the registry (default responses; env OPENAI_ASSISTANT_BACKEND)",
        )
    if registry:
        add_registry_flags(group)
    return parent


def add_registry_flags(group: argparse._ActionsContainer) -> None:
    """``--registry URL`` and ``--create``, defaults suppressed: given before or after the action,
    the value survives (a subparser's own default would overwrite the one given before it)."""
    flag, _, text = REGISTRY
    group.add_argument(flag, dest="registry", metavar="URL", default=argparse.SUPPRESS, help=text)
    group.add_argument(
        "--create",
        action="store_true",
        default=argparse.SUPPRESS,
        help="create the sqlite registry file if it does not exist",
    )


_ENV = {
    **{name: env for name, (_, env, _) in CONNECTION.items()},
    "registry": REGISTRY[1],
    "backend": "OPENAI_ASSISTANT_BACKEND",
}


def option(args: argparse.Namespace, name: str, default: Any = None) -> Any:
    """A shared option's value: given (anywhere on the line), else its env variable, else default."""
    value = getattr(args, name, None)
    if value is None and _ENV.get(name):
        value = os.environ.get(str(_ENV[name]))
    return default if value is None else value


def connection(args: argparse.Namespace) -> Any:
    from openaiassistant.settings import ConnectionSettings

    settings = ConnectionSettings(
        api_key=option(args, "api_key"),
        base_url=option(args, "base_url"),
        organization=option(args, "organization"),
        project=option(args, "project"),
    )
    settings.validate()
    return settings


def check_registry_url(url: str | None, *, create: bool) -> str:
    """The registry URL, refused when missing, or naming a sqlite file that does not exist
    (a typo would otherwise silently create an empty registry) unless ``create``."""
    from sqlalchemy.engine import make_url

    from openaiassistant.errors import ConfigError

    if not url:
        raise ConfigError("--registry", "give the registry's SQLAlchemy URL (or set OPENAIASSISTANT_REGISTRY)")
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - SQLAlchemy's own message says what is wrong
        raise ConfigError("--registry", f"not an SQLAlchemy URL: {url!r}") from None
    database = parsed.database or ""
    local = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if local and not create and not os.path.exists(database):
        raise ConfigError(
            "--registry", f"{database} does not exist (a mistyped path?); give --create to start a new registry"
        )
    return url


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def guarded(
    fn: Callable[[], int], *, console: Any | None = None, registry_errors: tuple[type[BaseException], ...] = ()
) -> int:
    """Run a command body; our errors become one line on stderr and an exit code
    (``registry_errors``: other exception types reported as the registry failing, e.g. a
    missing database driver)."""
    from sqlalchemy.exc import SQLAlchemyError

    from openaiassistant.errors import AssistantError, ConfigError
    from openaiassistant.redaction import redact

    def say(text: str) -> None:
        if console is not None:
            console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr)

    try:
        return fn()
    except ConfigError as exc:
        say(f"error: {one_line(str(exc))} (nothing was sent)")
        return EXIT_CONFIG
    except AssistantError as exc:
        say(f"error: {exc.kind}: {one_line(str(exc))}")
        return EXIT_ERROR
    except (SQLAlchemyError, *registry_errors) as exc:  # type: ignore[misc]  # a broken database: one line
        first = (redact(str(exc)).splitlines() or [""])[0][:300]
        say(f"error: the thread registry failed: {type(exc).__name__}: {first}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_INTERRUPTED
