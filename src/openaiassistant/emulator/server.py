"""Run the emulator in-process: uvicorn on a background thread, one handle to control it.

with EmulatorServer(script={"rules": [...]}) as server:
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)
    ...
    server.add_fault(kind="http_error", status=429, retry_after_ms=10)
    server.requests()    # [{method, path, status, duration_ms, query, body}, ...]
    server.violations()  # spec violations seen so far
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from openaiassistant.emulator.aborts import install_log_filter
from openaiassistant.emulator.app import build_app
from openaiassistant.emulator.clock import Clock
from openaiassistant.emulator.context import Emulator

__all__ = ["EmulatorServer", "EmulatorStartError"]

DEFAULT_API_KEY = "sk-emulator-local-key"


class EmulatorStartError(RuntimeError):
    """The emulator could not listen where it was asked to (a port in use, a bad address)."""


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: without it every response waits ~40 ms for a delayed ACK
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise EmulatorStartError(f"the emulator cannot listen on {host}:{port}: {reason}") from None
    sock.setblocking(False)
    return sock


class EmulatorServer:
    """A local OpenAI-compatible server. ``port=0`` picks a free port.

    Any non-empty bearer key is accepted unless ``required_api_key`` is given; a missing key is
    a 401 in the real API's shape. ``validate`` checks every response against OpenAI's spec.
    ``clock`` is this server's own time (default: real time; ``advance_time`` moves it).
    ``inspect`` serves the inspector page at ``/_emulator/ui`` (see docs/emulator.md).
    ``limits`` (``{"rpm": 60, "tpm": 40000, "retry_after": False}``) sets account-level rate
    limits, answered with the live API's headers and 429s (see ``account_limits.py``).
    """

    def __init__(
        self,
        *,
        script: Any = None,
        host: str = "127.0.0.1",
        port: int = 0,
        validate: bool = True,
        required_api_key: str | None = None,
        clock: Clock | None = None,
        inspect: bool = False,
        limits: Any = None,
    ) -> None:
        self.host = host
        self.inspect = inspect  # serve the inspector page at /_emulator/ui
        self.port = port
        self.emulator = Emulator(
            script=script, validate=validate, required_api_key=required_api_key, clock=clock, limits=limits
        )
        self.api_key = required_api_key or DEFAULT_API_KEY
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> EmulatorServer:
        """Start serving and wait until the socket is bound."""
        if self._server is not None:
            return self
        install_log_filter()
        config = uvicorn.Config(
            build_app(self.emulator, inspect=self.inspect),
            host=self.host,
            port=self.port,
            log_level="warning",
            # uvicorn's own logging config goes through dictConfig, which closes every handler of
            # the host process (a FileHandler reopens truncated): leave the host's logging alone
            log_config=None,
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        sock = _listen(self.host, self.port)  # bound here, so a port in use is our error to tell
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="openai-emulator", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator could not start on {self.host}:{self.port}")
            time.sleep(0.01)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving (open streams get a second to finish)."""
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (control endpoints live under ``/_emulator``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL: ``http://HOST:PORT/v1``."""
        return f"{self.url}/v1"

    # -- control (same operations as the /_emulator endpoints) -----------------------------
    def load_script(self, script: Any) -> None:
        """Replace the script (a dict, YAML text or a path); its ``faults:`` replace armed faults."""
        self.emulator.load_script(script)

    def add_fault(self, **spec: Any) -> None:
        """Arm a fault, e.g. ``add_fault(kind="http_error", status=503, times=2, path="/responses")``."""
        self.emulator.faults.add(spec)

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward: runs, background responses, expiry and indexing
        behave as if ``seconds`` had passed (streams still run in real time)."""
        self.emulator.clock.advance(seconds)

    def set_limits(self, **limits: Any) -> None:
        """Account-level limits from now on, e.g. ``set_limits(rpm=60)`` (usage so far is kept;
        ``reset()`` goes back to the limits the server started with)."""
        self.emulator.account_limits.configure(limits)

    def limits(self) -> dict[str, Any]:
        """The limits in force and how many requests they admitted and refused."""
        return self.emulator.account_limits.describe()

    def clear_faults(self) -> None:
        self.emulator.faults.clear()

    def requests(self) -> list[dict[str, Any]]:
        """The request log: ``{method, path, status, duration_ms, query, body}`` per ``/v1`` request."""
        return self.emulator.requests()

    def clear_requests(self) -> None:
        self.emulator.clear_requests()

    def reset(self) -> None:
        """Forget all objects, restore the initial script, clear faults, log and violations."""
        self.emulator.reset()

    def violations(self) -> list[str]:
        """Spec violations found in responses sent so far."""
        return self.emulator.violations()

    def request_violations(self) -> list[str]:
        """Client request bodies that do not fit the spec (recorded, not enforced)."""
        return self.emulator.request_violations()
