"""Whether a SQLite registry file can be used, told without opening it as a database.

Keep checks a provider's configuration when it parses a workflow; a registry that can never be
written (its directory missing, a directory where the file should be, a file that is not a
SQLite database, no write permission) is then refused naming ``registry_url``, instead of
failing every later step with a raw SQLAlchemy error.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["sqlite_file_problem"]

_HEADER = b"SQLite format 3\x00"


def sqlite_file_problem(database: str | None) -> str | None:
    """What is wrong with the SQLite database file at ``database`` (a path), or None.

    In-memory databases (``None``, ``""``, ``:memory:``, ``file:`` URIs) are not checked.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    if path.is_dir():
        return f"{path} is a directory, not a SQLite database file"
    if path.exists():
        problem = _existing_file_problem(path)
        if problem:
            return problem
    directory = path.parent
    if not directory.is_dir():
        return f"the directory {directory} of the SQLite file {path.name} does not exist"
    # SQLite writes its journal beside the database file
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"the directory {directory} is not writable (SQLite keeps its journal beside {path.name})"
    return None


def _existing_file_problem(path: Path) -> str | None:
    if not os.access(path, os.R_OK | os.W_OK):
        return f"the SQLite file {path} is not readable and writable by this process"
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_HEADER))
    except OSError as exc:
        return f"the SQLite file {path} cannot be read ({exc.strerror or exc})"
    if header and header != _HEADER:
        return f"{path} is not a SQLite database (its first bytes are not a SQLite header)"
    return None
