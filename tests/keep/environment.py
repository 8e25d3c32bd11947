"""Keep in this process, for the tests that run workflows in its real engine (tests/keep and
tests/compat): the provider's shim installed, and Keep's secrets and database in a work
directory, each undone afterwards; and the CLI in a process of its own (cli_process)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# what prepare_environment sets, put back as it was when the session ends
_KEEP_VARIABLES = (
    "SECRET_MANAGER_TYPE",
    "SECRET_MANAGER_DIRECTORY",
    "DATABASE_CONNECTION_STRING",
    "PROVIDERS_CACHE_FILE",
)


@contextmanager
def shim_installed() -> Iterator[None]:
    """The provider installed into this Keep with ``openaiassistant keep install``; if it was not
    installed before, it is uninstalled again at the end."""
    from openaiassistant.cli.main import main
    from openaiassistant.keep import installer

    was_installed = installer.status().installed
    assert main(["keep", "install"]) == 0
    try:
        yield
    finally:
        if not was_installed:
            main(["keep", "uninstall"])


@contextmanager
def keep_environment(work: Path) -> Iterator[Path]:
    """Keep's secrets and SQLite database (tables + tenant created) in ``work``, set before any
    keep.* module is imported (Keep reads them at import); the variables restored at the end."""
    from openaiassistant.harness.runner import prepare_environment

    saved = {key: os.environ.get(key) for key in _KEEP_VARIABLES}
    prepare_environment(work, database=True)
    try:
        yield work
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def cli_process(argv: list[str], *, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """``openaiassistant <argv>`` in a fresh Python process, in ``cwd`` with a bare environment
    (no OPENAI_*, no Keep settings: a command that sets Keep's environment itself, as ``demo``
    and ``keep run`` do, is seen doing so)."""
    code = f"from openaiassistant.cli.main import main; raise SystemExit(main({argv!r}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", "HOME": str(cwd), "TMPDIR": str(cwd)},
        timeout=timeout,
    )
