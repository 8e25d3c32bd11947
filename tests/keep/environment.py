"""Keep in this process, for the tests that run workflows in its real engine (tests/keep and
tests/compat): the provider's shim installed, and Keep's secrets and database in a work
directory, each undone afterwards."""

from __future__ import annotations

import os
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
