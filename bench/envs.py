"""Contender virtual environments, built by the harness itself from bench/requirements/*.txt.

Each contender whose dependencies clash with ours (or with each other) gets its own venv at
``<repo>/.venv-bench-<name>/``. A venv is (re)built when its requirements file changed since
the last successful install (the file's hash is kept in ``.bench-stamp``), so a fresh machine
gets everything from ``make bench`` alone and a second run costs nothing.

An install that fails is not fatal: the contender is reported as "could not be installed"
together with the tail of pip's output, which is the measured reason.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
REQUIREMENTS = BENCH_DIR / "requirements"


@dataclass(kw_only=True)
class VenvResult:
    """Where a contender's interpreter is, or why there is none."""

    name: str
    python: Path | None
    error: str | None = None


def venv_dir(name: str) -> Path:
    return REPO / f".venv-bench-{name}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_venv(*, name: str, log=print) -> VenvResult:
    """Create or refresh ``.venv-bench-<name>`` from ``bench/requirements/<name>.txt``.

    A lock file keeps two harnesses (or `python bench/envs.py`) from building one venv at once.
    """
    locks = REPO / ".venv-bench-locks"  # git-ignored like every .venv*/ directory
    locks.mkdir(exist_ok=True)
    with open(locks / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked(name=name, log=log)


def _ensure_locked(*, name: str, log) -> VenvResult:
    req = REQUIREMENTS / f"{name}.txt"
    target = venv_dir(name)
    python = target / "bin" / "python"
    stamp = target / ".bench-stamp"
    want = _digest(req)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == want:
        return VenvResult(name=name, python=python)
    log(f"[bench] building {target.name} from {req.relative_to(REPO)} (first run only)")
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(target)],
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(req)],
    ]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if not ln.startswith("WARNING")]
            tail = lines[-6:]
            return VenvResult(name=name, python=None, error="pip install failed: " + " | ".join(tail))
    stamp.write_text(want + "\n")
    return VenvResult(name=name, python=python)


if __name__ == "__main__":
    # `python bench/envs.py NAME...`: build venvs ahead of a run (handy on a slow network).
    for arg in sys.argv[1:] or [p.stem for p in sorted(REQUIREMENTS.glob("*.txt"))]:
        result = ensure_venv(name=arg)
        print(arg, "ok" if result.python else result.error)
