"""The package as it was at another commit, for the benches' `--before REF` runs.

:func:`exported_source` writes the ``src`` tree of git ``REF`` into a temporary directory
(``git archive``); a process started with :func:`source_first` on its ``PYTHONPATH`` imports
that ``openaiassistant`` instead of the working tree's (the editable install of ``make setup``
is found after ``PYTHONPATH``), with the current venv's dependencies. :func:`imported_from`
checks afterwards that it really did.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def exported_source(ref: str) -> Iterator[str]:
    """The package's ``src`` as it was at git ``ref``, in a temporary directory."""
    root = tempfile.mkdtemp(prefix="oa-before-")
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True)
        if archive.returncode != 0:  # e.g. a shallow clone without the commit
            raise RuntimeError(f"git archive {ref} src failed: {archive.stderr.decode(errors='replace').strip()}")
        subprocess.run(["tar", "-x", "-C", root], input=archive.stdout, check=True)
        yield os.path.join(root, "src")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def source_first(env: Mapping[str, str], source: str) -> dict[str, str]:
    """``env`` with ``source`` first on ``PYTHONPATH`` (anything already there stays after it)."""
    rest = env.get("PYTHONPATH")
    return {**env, "PYTHONPATH": source + (os.pathsep + rest if rest else "")}


def imported_from(module_file: str | None, source: str) -> bool:
    """Whether a module whose ``__file__`` is ``module_file`` was imported from ``source``."""
    if not module_file:
        return False
    return Path(module_file).resolve().is_relative_to(Path(source).resolve())


def describe_ref(ref: str) -> dict[str, str]:
    """``ref`` as the report names it: the commit it resolves to, its date and subject."""
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", "-s", "--format=%H%n%cs%n%s", ref], capture_output=True, text=True
    )
    if shown.returncode != 0:
        raise RuntimeError(f"git show {ref} failed: {shown.stderr.strip()}")
    commit, date, subject = (shown.stdout.splitlines() + ["", "", ""])[:3]
    return {"ref": ref, "commit": commit, "date": date, "subject": subject}
