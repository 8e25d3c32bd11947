"""deploy/docker/Dockerfile, step by step, without a Docker engine.

A fresh virtual environment stands in for Keep's image: its site-packages holds a stand-in
``keep`` package (``keep/providers/`` and an ``entrypoint.sh`` that, like Keep's, looks the
providers up before it starts the server). The Dockerfile's COPY and RUN steps run against it
(paths mapped), then its ENTRYPOINT with a stand-in server command: the provider must be found,
also after the shim was deleted or edited (start-up installs it again). The package's
dependencies come from this test's environment (PIP_NO_DEPS; in the image pip resolves them
against Keep's pins).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
SHIM = Path("keep") / "providers" / "openaiassistant_provider"
IMAGE_SITE = "/venv/lib/python3.11/site-packages"  # where Keep's image has its packages
STAND_IN_ENTRYPOINT = """#!/bin/bash
set -e
# like Keep's entrypoint.sh: the providers are looked up (Keep builds its providers cache) first
module=keep.providers.openaiassistant_provider.openaiassistant_provider
python -c "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('$module') else 'provider missing')"
exec "$@"
"""

pytestmark = pytest.mark.timeout(300)


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not current and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        current += raw.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        lines.append(current)
        current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


class Image:
    """The stand-in image: a venv, its site-packages, the Dockerfile's paths mapped into tmp."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
        self.bin = tmp / "venv" / "bin"
        purelib = subprocess.run(
            [str(self.bin / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        self.site = Path(purelib)
        # the package's dependencies: this test environment's (after the venv's own packages)
        (self.site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        keep = self.site / "keep"
        (keep / "providers").mkdir(parents=True)
        (keep / "__init__.py").write_text("")
        (keep / "providers" / "__init__.py").write_text("")
        (keep / "entrypoint.sh").write_text(STAND_IN_ENTRYPOINT)
        (keep / "entrypoint.sh").chmod(0o755)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
            "PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "VIRTUAL_ENV": str(tmp / "venv"),
            "PIP_NO_DEPS": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }

    def path(self, text: str) -> str:
        """A path of the image, in the stand-in (one pass: a mapped path is not mapped again)."""
        mapping = {IMAGE_SITE: str(self.site), "/tmp/": f"{self.tmp}/root-tmp/"}
        return re.sub("|".join(map(re.escape, mapping)), lambda m: mapping[m.group(0)], text)

    def copy(self, arguments: str) -> None:
        parts = [p for p in shlex.split(arguments) if not p.startswith("--")]
        *sources, target = parts
        dest = Path(self.path(target))
        for source in sources:
            origin = ROOT / source
            where = dest / origin.name if target.endswith("/") else dest
            where.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, where, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            else:
                shutil.copy2(origin, where)

    def run(self, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", self.path(script)], env=self.env, capture_output=True, text=True)

    def start(self, entrypoint: list[str], command: list[str]) -> subprocess.CompletedProcess[str]:
        argv = [self.path(part) for part in entrypoint + command]
        return subprocess.run(argv, env=self.env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Image, list[str]]:
    image = Image(tmp_path_factory.mktemp("image"))
    (image.tmp / "root-tmp").mkdir()
    entrypoint: list[str] = []
    for instruction, arguments in instructions(DOCKERFILE):
        if instruction == "COPY":
            image.copy(arguments)
        elif instruction == "RUN":
            done = image.run(arguments)
            assert done.returncode == 0, f"RUN {arguments}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        elif instruction == "ENTRYPOINT":
            entrypoint = json.loads(arguments)
    assert entrypoint, "the Dockerfile has an ENTRYPOINT"
    return image, entrypoint


SERVER = ["python", "-c", "print('keep server started')"]


def test_the_build_installs_the_package_and_the_shim(built: tuple[Image, list[str]]) -> None:
    image, _ = built
    shim = image.site / SHIM
    assert (shim / "openaiassistant_provider.py").is_file() and (shim / ".openaiassistant-shim.json").is_file()
    assert "from openaiassistant.keep.provider import" in (shim / "openaiassistant_provider.py").read_text()
    installed = list(image.site.glob("openaiassistant-*.dist-info"))
    assert installed, "the package is installed into the image's site-packages"
    assert not (image.tmp / "root-tmp" / "openaiassistant").exists()  # the build cleans up


def test_start_up_runs_keeps_entrypoint_with_the_provider_in_place(built: tuple[Image, list[str]]) -> None:
    image, entrypoint = built
    done = image.start(entrypoint, SERVER)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "keep server started"
    assert "installed at" not in done.stderr  # nothing to do: the shim is there and current


def test_start_up_reinstalls_a_missing_shim(built: tuple[Image, list[str]]) -> None:
    image, entrypoint = built
    shutil.rmtree(image.site / SHIM)  # e.g. a derived image reinstalled Keep
    done = image.start(entrypoint, SERVER)
    assert done.returncode == 0, done.stderr
    assert "openaiassistant keep start: provider installed at" in done.stderr
    assert done.stdout.strip() == "keep server started"
    assert (image.site / SHIM / "openaiassistant_provider.py").is_file()


def test_start_up_repairs_an_edited_shim(built: tuple[Image, list[str]]) -> None:
    image, entrypoint = built
    module = image.site / SHIM / "openaiassistant_provider.py"
    module.write_text("# broken\n")
    done = image.start(entrypoint, SERVER)
    assert done.returncode == 0, done.stderr
    assert "from openaiassistant.keep.provider import" in module.read_text()


def test_start_up_refuses_to_run_keep_without_the_provider(built: tuple[Image, list[str]]) -> None:
    image, entrypoint = built
    shutil.rmtree(image.site / SHIM)
    (image.site / SHIM).mkdir()
    (image.site / SHIM / "openaiassistant_provider.py").write_text("# somebody else's\n")  # not ours: left alone
    try:
        done = image.start(entrypoint, SERVER)
        assert done.returncode == 1 and "keep server started" not in done.stdout
        assert (
            "cannot install the provider into Keep" in done.stderr and "not installed by openaiassistant" in done.stderr
        )
    finally:
        shutil.rmtree(image.site / SHIM)
        assert image.start(entrypoint, SERVER).returncode == 0  # installed again for the other tests
