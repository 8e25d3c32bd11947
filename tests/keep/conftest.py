"""Fixtures for running workflows in Keep's real engine, in this process.

Keep reads its configuration (secret manager, database) from the environment when its modules
are first imported, so ``keep_env`` (session scope) sets it before any ``keep.*`` submodule is
imported: test modules import Keep only inside tests. The bare ``keep`` namespace package is
safe to import early, which is what each module's ``importorskip`` does (Keep is only in
.venv-keep; elsewhere these tests skip).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.keep.environment import keep_environment, shim_installed
from tests.tools.mcp.real_servers import (  # noqa: F401 - the real MCP servers' fixtures, re-used here
    everything_package,
    everything_url,
    mcp_dir,
    time_command,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "keep"
API_KEY = "sk-keeptest-0123456789abcdef"


@pytest.fixture(scope="session")
def keep_shim() -> Iterator[None]:
    """The provider installed into this Keep with ``openaiassistant keep install``.

    Keep can load a provider type only through the shim. If it was not installed before the
    session, it is uninstalled again at the end.
    """
    with shim_installed():
        yield


@pytest.fixture(scope="session")
def keep_env(tmp_path_factory: pytest.TempPathFactory, keep_shim: None) -> Iterator[Path]:
    """A work directory with Keep's secrets and SQLite database (tables + tenant created)."""
    with keep_environment(tmp_path_factory.mktemp("keep")) as work:
        yield work


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep looks for ./providers.yaml and ./actions.yaml: never pick up the repository's."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def services() -> Iterator[Any]:
    from openaiassistant.demo.sample_services import SampleServices

    with SampleServices() as running:
        yield running


@pytest.fixture(params=["responses", "assistants"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def zabbix() -> Iterator[Any]:
    """A stand-in for Zabbix's JSON-RPC API on 127.0.0.1 (tests/keep/zabbix_api.py)."""
    import zabbix_api

    state, server = zabbix_api.start()
    try:
        yield state
    finally:
        server.shutdown()


@pytest.fixture
def example_emulator(emulator: Any) -> Any:
    """The session emulator with the examples' script loaded."""
    emulator.load_script(str(EXAMPLES / "emulator-script.yaml"))
    return emulator


def assistant_auth(emulator: Any, backend: str, **extra: Any) -> dict[str, Any]:
    """The provider's authentication for ``backend`` against the emulator."""
    auth: dict[str, Any] = {
        "api_key": API_KEY,
        "base_url": emulator.base_url,
        "backend": backend,
        "default_timeout": "60",
    }
    if backend == "assistants":
        import openai

        client = openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY)
        created = client.beta.assistants.create(model="gpt-4o-mini", instructions="You are an SRE assistant.")
        auth["assistant_id"] = created.id
    else:
        auth["model"] = "gpt-4o-mini"
        auth["instructions"] = "You are an SRE assistant."
    auth.update(extra)
    return auth


@pytest.fixture
def providers_file(keep_env: Path, example_emulator: Any, backend: str, tmp_path: Path) -> Path:
    """A providers.yaml like the examples', pointing at the emulator on ``backend``."""
    providers = yaml.safe_load((EXAMPLES / "providers.yaml").read_text())
    providers["triage-assistant"]["authentication"] = assistant_auth(example_emulator, backend)
    path = tmp_path / "providers.yaml"
    path.write_text(yaml.safe_dump(providers))
    return path


def load_example(name: str, *, metrics_url: str | None = None) -> dict[str, Any]:
    workflow = yaml.safe_load((EXAMPLES / name).read_text())
    if metrics_url is not None:
        workflow["workflow"]["consts"]["metrics_url"] = metrics_url
    return workflow


@pytest.fixture
def example() -> Any:
    """``example("alert-triage.yaml", metrics_url=...)``: an example workflow as a dict."""
    return load_example


@pytest.fixture
def auth_for() -> Any:
    """``auth_for(emulator, backend, **extra)``: the provider's authentication dict."""
    return assistant_auth
