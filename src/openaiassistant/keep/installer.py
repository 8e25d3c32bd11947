"""Put the provider where an installed Keep finds it, and take it away again.

Keep has no plugin entry point: it finds a provider of type ``openaiassistant`` only as the
module ``keep.providers.openaiassistant_provider.openaiassistant_provider`` (and lists
providers by walking the ``keep/providers`` directory). So we place a two-file shim directory
there whose module re-exports our classes. A manifest beside it records what we wrote, which
version wrote it and each file's hash, so that ``uninstall`` removes exactly our files (and
refuses to delete files somebody changed) and ``status`` can say what is installed.

This module never imports Keep itself (importing it is slow and has side effects): it only
locates the ``keep.providers`` package directory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from openaiassistant import __version__
from openaiassistant.errors import ConfigError

__all__ = ["MANIFEST_NAME", "SHIM_DIR_NAME", "install", "status", "uninstall"]

SHIM_DIR_NAME = "openaiassistant_provider"
MANIFEST_NAME = ".openaiassistant-shim.json"
# installed file name -> template name inside openaiassistant/keep/shim/
_TEMPLATES = {
    "__init__.py": "__init__.py.txt",
    "openaiassistant_provider.py": "openaiassistant_provider.py.txt",
}


@dataclass(kw_only=True)
class ShimStatus:
    """What ``status`` reports: where Keep is, whether our shim is there, and which version."""

    keep_providers_dir: Path
    shim_dir: Path
    installed: bool
    version: str | None = None
    current: bool = False
    modified_files: list[str] = field(default_factory=list)
    foreign: bool = False  # a directory of that name exists but we did not write it

    def describe(self) -> str:
        if self.foreign:
            return f"{self.shim_dir} exists but was not installed by openaiassistant (no manifest); left alone"
        if not self.installed:
            return f"not installed (Keep providers directory: {self.keep_providers_dir})"
        state = "up to date" if self.current else f"outdated: package is {__version__}"
        text = f"installed at {self.shim_dir} by openaiassistant {self.version} ({state})"
        if self.modified_files:
            text += f"; modified since install: {', '.join(self.modified_files)}"
        return text


def find_keep_providers_dir() -> Path:
    """The ``keep/providers`` directory of the Keep installed in this interpreter."""
    try:
        spec = importlib.util.find_spec("keep.providers")
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "Python environment",
            "Keep (keep-mirror) is not installed here; run this command with the Python of the "
            "environment Keep runs in (e.g. .venv-keep/bin/openaiassistant)",
        )
    return Path(list(spec.submodule_search_locations)[0])


def _render(template: str) -> str:
    text = resources.files("openaiassistant.keep").joinpath("shim", template).read_text(encoding="utf-8")
    return text.replace("{version}", __version__)


def _sha256(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def _read_manifest(shim_dir: Path) -> dict | None:
    path = shim_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def status(*, providers_dir: Path | None = None) -> ShimStatus:
    """Report whether (and which version of) the shim is installed; changes nothing."""
    providers_dir = providers_dir or find_keep_providers_dir()
    shim_dir = providers_dir / SHIM_DIR_NAME
    manifest = _read_manifest(shim_dir)
    if manifest is None:
        return ShimStatus(
            keep_providers_dir=providers_dir, shim_dir=shim_dir, installed=False, foreign=shim_dir.exists()
        )
    modified = []
    for name, digest in manifest.get("files", {}).items():
        path = shim_dir / name
        if not path.is_file() or _sha256(path.read_bytes()) != digest:
            modified.append(name)
    expected = {name: _sha256(_render(template)) for name, template in _TEMPLATES.items()}
    return ShimStatus(
        keep_providers_dir=providers_dir,
        shim_dir=shim_dir,
        installed=True,
        version=manifest.get("version"),
        current=manifest.get("files") == expected and not modified,
        modified_files=modified,
    )


def install(*, providers_dir: Path | None = None) -> ShimStatus:
    """Write (or refresh) the shim. Idempotent: a second run rewrites the same bytes.

    Refuses to overwrite a directory of that name that we did not create.
    """
    providers_dir = providers_dir or find_keep_providers_dir()
    shim_dir = providers_dir / SHIM_DIR_NAME
    if shim_dir.exists() and _read_manifest(shim_dir) is None:
        raise ConfigError(
            "keep install", f"{shim_dir} exists and was not installed by openaiassistant; remove it first"
        )
    shim_dir.mkdir(exist_ok=True)
    files = {}
    for name, template in _TEMPLATES.items():
        text = _render(template)
        _write_atomic(shim_dir / name, text)
        files[name] = _sha256(text)
    manifest = {"package": "openaiassistant", "version": __version__, "files": files}
    _write_atomic(shim_dir / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
    return status(providers_dir=providers_dir)


def uninstall(*, providers_dir: Path | None = None, force: bool = False) -> list[Path]:
    """Remove the files we installed (and the directory if nothing else is left in it).

    A file changed since install is kept unless ``force``: it is somebody's edit. Returns the
    paths removed (empty when nothing was installed).
    """
    providers_dir = providers_dir or find_keep_providers_dir()
    shim_dir = providers_dir / SHIM_DIR_NAME
    manifest = _read_manifest(shim_dir)
    if manifest is None:
        return []
    removed: list[Path] = []
    kept: list[str] = []
    for name, digest in manifest.get("files", {}).items():
        path = shim_dir / name
        if not path.is_file():
            continue
        if not force and _sha256(path.read_bytes()) != digest:
            kept.append(name)
            continue
        path.unlink()
        removed.append(path)
    if kept:
        raise ConfigError("keep uninstall", f"kept files changed since install: {', '.join(kept)} (use --force)")
    (shim_dir / MANIFEST_NAME).unlink()
    removed.append(shim_dir / MANIFEST_NAME)
    _remove_our_caches(shim_dir / "__pycache__")
    if not any(shim_dir.iterdir()):
        shim_dir.rmdir()
        removed.append(shim_dir)
    return removed


def _remove_our_caches(cache: Path) -> None:
    """Python leaves compiled caches of our modules behind; they are ours too."""
    if not cache.is_dir():
        return
    for child in cache.iterdir():
        if child.name.split(".")[0] in {Path(n).stem for n in _TEMPLATES}:
            child.unlink()
    if not any(cache.iterdir()):
        cache.rmdir()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
