"""``openaiassistant keep install|uninstall|status`` and Keep's provider listing."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)


def test_installed_provider_is_listed_by_keep(keep_env, capsys):
    from keep.providers.providers_factory import ProvidersFactory

    from openaiassistant.cli.main import main
    from openaiassistant.keep.provider import OpenaiassistantProvider, OpenaiassistantProviderAuthConfig

    # installed by the session fixture through the same command; a second run changes nothing
    assert main(["keep", "install"]) == 0
    assert main(["keep", "status"]) == 0
    assert "up to date" in capsys.readouterr().out

    listed = {p.type: p for p in ProvidersFactory.get_all_providers(ignore_cache_file=True)}
    ours = listed["openaiassistant"]
    assert ours.display_name == "OpenAI Assistant"
    assert ours.categories == ["AI"]
    assert ours.can_query and not ours.can_notify
    assert {"prompt", "thread_id", "functions", "response_format", "stream"} <= set(ours.query_params)
    assert ours.config["api_key"]["sensitive"] is True and ours.config["api_key"]["required"] is True
    assert ours.config["backend"]["options"] == ["responses", "assistants", "chat"]
    assert {s.name for s in ours.scopes} == {"authenticated", "assistant_available"}
    # Keep's loader resolves the type to our classes, through the shim module
    assert ProvidersFactory.get_provider_class("openaiassistant") is OpenaiassistantProvider
    shim = importlib.import_module("keep.providers.openaiassistant_provider.openaiassistant_provider")
    assert shim.OpenaiassistantProviderAuthConfig is OpenaiassistantProviderAuthConfig
    assert [f.name for f in dataclasses.fields(OpenaiassistantProviderAuthConfig)][:2] == ["api_key", "backend"]


def test_install_is_idempotent_and_uninstall_removes_only_ours(tmp_path: Path):
    from openaiassistant import __version__
    from openaiassistant.keep import installer

    providers = tmp_path / "providers"
    providers.mkdir()
    assert installer.status(providers_dir=providers).installed is False

    first = installer.install(providers_dir=providers)
    shim = providers / installer.SHIM_DIR_NAME
    snapshot = {p.name: p.read_bytes() for p in shim.iterdir()}
    second = installer.install(providers_dir=providers)
    assert first.installed and second.current and second.version == __version__
    assert {p.name: p.read_bytes() for p in shim.iterdir()} == snapshot
    assert "from openaiassistant.keep.provider import" in (shim / "openaiassistant_provider.py").read_text()

    # somebody else's file in the directory survives uninstall (and keeps the directory)
    (shim / "notes.txt").write_text("mine")
    removed = installer.uninstall(providers_dir=providers)
    assert {p.name for p in removed} == {"__init__.py", "openaiassistant_provider.py", installer.MANIFEST_NAME}
    assert [p.name for p in shim.iterdir()] == ["notes.txt"]
    assert installer.uninstall(providers_dir=providers) == []


def test_edited_shim_is_reported_and_kept(tmp_path: Path):
    from openaiassistant.errors import ConfigError
    from openaiassistant.keep import installer

    installer.install(providers_dir=tmp_path)
    module = tmp_path / installer.SHIM_DIR_NAME / "openaiassistant_provider.py"
    module.write_text(module.read_text() + "\n# local change\n")

    state = installer.status(providers_dir=tmp_path)
    assert state.installed and not state.current and state.modified_files == ["openaiassistant_provider.py"]
    with pytest.raises(ConfigError, match="changed since install"):
        installer.uninstall(providers_dir=tmp_path)
    assert module.exists()
    installer.uninstall(providers_dir=tmp_path, force=True)
    assert not (tmp_path / installer.SHIM_DIR_NAME).exists()


def test_foreign_directory_is_never_overwritten(tmp_path: Path):
    from openaiassistant.errors import ConfigError
    from openaiassistant.keep import installer

    foreign = tmp_path / installer.SHIM_DIR_NAME
    foreign.mkdir()
    (foreign / "openaiassistant_provider.py").write_text("# someone else's provider\n")

    assert installer.status(providers_dir=tmp_path).foreign
    with pytest.raises(ConfigError, match="not installed by openaiassistant"):
        installer.install(providers_dir=tmp_path)
    assert installer.uninstall(providers_dir=tmp_path) == []
    assert (foreign / "openaiassistant_provider.py").read_text() == "# someone else's provider\n"


def test_listing_does_not_load_the_engine(keep_shim, tmp_path: Path):
    """Keep imports every provider module to list them: ours must not pull in the SDK or engine."""
    import subprocess
    import sys

    code = (
        "import sys, keep.providers.openaiassistant_provider.openaiassistant_provider as m; "
        "print(sorted(n for n in ('openai', 'openaiassistant.assistant', 'openaiassistant.engine')"
        " if n in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
