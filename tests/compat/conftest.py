"""The compatibility suite's setup: real third-party servers in front of a deterministic model.

``upstream`` is the emulator (our scripted model) serving ``/v1/chat/completions``; ``server``
is, in turn, llama-stack and LiteLLM's proxy, installed from PyPI by ``make compat-setup`` and
started on 127.0.0.1 in front of it (see servers.py). Without their venvs these tests skip,
unless ``OPENAIASSISTANT_REQUIRE_COMPAT=1`` (``make compat`` sets it) makes that a failure.

Each test reports the feature it checks with ``cell(feature, text)``; when
``OPENAIASSISTANT_COMPAT_RESULTS`` names a directory, the session writes every cell (and
whether its test passed) there as JSON, from which ``tests/compat/report.py`` generates
docs/compatibility.md.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from compat_servers import (
    LITELLM_VENV,
    LLAMA_VENV,
    ThirdPartyServer,
    installed,
    start_litellm,
    start_llama_stack,
)
from tests.keep.environment import keep_environment, shim_installed
from tests.tools.mcp.real_servers import everything_package, everything_url, mcp_dir  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "keep"
SERVERS = ("llama-stack", "litellm")
REQUIRED = os.environ.get("OPENAIASSISTANT_REQUIRE_COMPAT", "").strip().lower() in ("1", "true", "yes")
COMPAT_RULES: list[dict[str, Any]] = [
    {"name": "remember", "match": "(?i)remember: my host is (?P<host>\\S+)", "reply": "Noted."},
    {"name": "recall", "match": "(?i)which host did I name", "reply": "You said: {{ context }}"},
    {
        "name": "disk",
        "match": "(?i)check disk on (?P<host>[\\w-]+)",
        "tool_calls": [{"name": "get_disk_usage", "arguments": {"host": "{{ match.host }}"}}],
        "then": {"reply": "Disk of {{ match.host }}: {{ tool_outputs.get_disk_usage }}"},
    },
    {
        "name": "hosted-mcp",  # test_compat_hosted.py: the server offers the MCP server's echo as a function
        "match": "(?i)use the echo tool on (?P<word>\\w+)",
        "tool_calls": [{"name": "echo", "arguments": {"message": "{{ match.word }}"}}],
        "then": {"reply": "MCP said: {{ tool_outputs.echo }}"},
    },
    {"name": "verdict", "match": "(?i)give the verdict", "json": {"severity": "critical", "reason": "disk full"}},
    {"name": "hang", "match": "(?i)hang forever", "fault": {"kind": "stuck"}},
    {  # llama-stack runs file_search itself: the model calls it, then cites a chunk the way
        # llama-stack asks (<|file-id|>), which it turns into a file_citation annotation
        "name": "runbook-search",
        "match": "(?i)search the runbooks for (?P<q>\\w+)",
        "tool_calls": [{"name": "file_search", "arguments": {"query": "{{ match.q }}"}}],
        "then": [
            {
                "match": "cite as <\\|(?P<fid>[^|]+)\\|>\\\\n# \\w+\\\\n(?P<chunk>[^\\\\]*)",
                "reply": "{{ output_match.chunk }} <|{{ output_match.fid }}|>.",
            },
            {"default": True, "reply": "Nothing found: {{ tool_outputs_json }}"},
        ],
    },
    {
        "name": "slow",
        "match": "(?i)count slowly",
        "latency": {"first_token_ms": 200, "tokens_per_second": 20},
        "reply": "one two three four five six seven eight",
    },
]
_results: list[dict[str, Any]] = []


def compat_script() -> dict[str, Any]:
    """The compat rules first, then the Keep examples' rules (their default answers the rest)."""
    examples = yaml.safe_load((EXAMPLES / "emulator-script.yaml").read_text())
    return {**examples, "rules": COMPAT_RULES + examples["rules"]}


def _need(venv: Path, executable: str, name: str) -> None:
    if installed(venv, executable):
        return
    message = f"{name} is not installed in {venv.name} (run `make compat-setup`)"
    if REQUIRED:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def upstream() -> Iterator[Any]:
    """The deterministic model behind both servers: the emulator's chat completions."""
    from openaiassistant.emulator.server import EmulatorServer

    with EmulatorServer(script=compat_script()) as server:
        yield server


_started: dict[str, ThirdPartyServer] = {}


@pytest.fixture(scope="session")
def _servers(upstream: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ThirdPartyServer]]:
    try:
        yield _started
    finally:
        for running in _started.values():
            running.stop()


@pytest.fixture(params=SERVERS)
def server(
    request: pytest.FixtureRequest,
    _servers: dict[str, ThirdPartyServer],
    upstream: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> ThirdPartyServer:
    """A running third-party server (started once per session, on first use)."""
    name = request.param
    if name not in _servers:
        venv, executable = (LLAMA_VENV, "llama") if name == "llama-stack" else (LITELLM_VENV, "litellm")
        _need(venv, executable, name)
        start = start_llama_stack if name == "llama-stack" else start_litellm
        work = tmp_path_factory.mktemp(name)
        _servers[name] = start(upstream_url=upstream.base_url, upstream_key=upstream.api_key, workdir=work)
        print(f"\n{name} started in {_servers[name].started_in:.1f} s", file=sys.stderr)
    return _servers[name]


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with an empty upstream log and without faults; what this process learned
    about the servers is forgotten, so every test sees the default settings' first turn."""
    from openaiassistant.backends.capabilities import BOOK

    BOOK.forget()
    if "upstream" in request.fixturenames:
        upstream = request.getfixturevalue("upstream")
        upstream.clear_faults()
        upstream.clear_requests()
    yield


@pytest.fixture
def cell(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``cell(feature, text, backend="responses")``: what this test shows about its server on
    one of our backends, for the table."""

    def record(feature: str, text: str, *, backend: str = "responses") -> None:
        request.node.user_properties.append(("compat", (feature, text, backend)))

    return record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    callspec = getattr(item, "callspec", None)
    server = callspec.params.get("server") if callspec is not None else None
    for key, value in item.user_properties:
        if key == "compat" and server:
            feature, text, backend = value
            _results.append(
                {
                    "server": server,
                    "backend": backend,
                    "feature": feature,
                    "text": text,
                    "outcome": report.outcome,
                    "test": item.nodeid,
                }
            )


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("OPENAIASSISTANT_COMPAT_RESULTS")
    if not target or not _results:
        return
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    env = "keep" if _keep_installed() else "main"
    extra = {name: {"started_in_s": round(s.started_in, 1)} for name, s in _started.items()}
    (out / f"results-{env}.json").write_text(json.dumps({"results": _results, "servers": extra}, indent=1))


def _keep_installed() -> bool:
    import importlib.metadata

    try:
        importlib.metadata.version("keep-mirror")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="session")
def keep_env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Keep's secrets and database in a work directory, and the provider's shim installed (set
    before any keep.* module is imported: Keep reads them at import)."""
    import importlib.metadata

    try:
        importlib.metadata.version("keep-mirror")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("Keep (keep-mirror) is only installed in .venv-keep")

    with shim_installed(), keep_environment(tmp_path_factory.mktemp("keep")) as work:
        yield work
