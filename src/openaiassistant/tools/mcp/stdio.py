"""The stdio transport: the MCP server is a subprocess speaking newline-delimited JSON-RPC.

The process gets a small environment of its own (PATH, HOME, USER, LANG, ... plus the entry's
``env``), never the whole environment of the process that starts it: a Keep worker's
environment holds the server's own secrets. stderr is drained continuously (a server that
logs a lot would otherwise block on a full pipe) and its last lines are kept for error
messages. Shutdown follows the spec: close stdin, wait, then SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO, Any

from ...redaction import redact
from .jsonrpc import McpConnectionError, McpProtocolError, decode_line, encode
from .transport import Callbacks

__all__ = ["StdioTransport"]

logger = logging.getLogger("openaiassistant.tools.mcp")

# What a server process inherits from our environment (as the official SDKs do), plus its env.
INHERITED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LC_ALL", "TMPDIR", "TZ")
_STDERR_LINES = 40
_EXIT_WAIT = 2.0


class StdioTransport:
    """One server process; messages are lines on its stdin/stdout."""

    def __init__(self, *, command: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None) -> None:
        self.command = list(command)
        self.env = dict(env or {})
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None
        self._write_lock = threading.Lock()
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._callbacks: Callbacks | None = None
        self._closing = False
        self._stderr_reader: threading.Thread | None = None

    def start(self, callbacks: Callbacks) -> None:
        self._callbacks = callbacks
        executable = shutil.which(self.command[0]) if os.sep not in self.command[0] else self.command[0]
        if executable is None:
            raise McpConnectionError(f"command {self.command[0]!r} was not found on PATH")
        environment = {k: v for k in INHERITED_ENV if (v := os.environ.get(k)) is not None}
        environment.update(self.env)
        try:
            self._process = subprocess.Popen(
                [executable, *self.command[1:]],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment,
                cwd=self.cwd,
                start_new_session=True,  # a Ctrl-C in the terminal reaches us, not the server
            )
        except OSError as exc:
            raise McpConnectionError(f"could not start {self.command[0]!r}: {exc.strerror or exc}") from None
        threading.Thread(target=self._read_stdout, name="openaiassistant-mcp-stdout", daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, name="openaiassistant-mcp-stderr", daemon=True)
        self._stderr_reader.start()

    def negotiated(self, protocol_version: str) -> None:
        """Nothing to do: stdio carries no headers."""

    def send(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is None or process.stdin is None or process.poll() is not None:
            raise McpConnectionError(self._exit_text())
        try:
            with self._write_lock:
                process.stdin.write(encode(message))
                process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise McpConnectionError(self._exit_text()) from None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None and not self._closing

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def describe(self) -> str:
        return "stdio: " + " ".join(self.command)

    def diagnostics(self) -> str:
        process, reader = self._process, self._stderr_reader
        if process is not None and process.poll() is not None and reader is not None:
            reader.join(timeout=_EXIT_WAIT)  # a server that exited: its last lines say why
        return redact(" | ".join(line for line in self._stderr if line.strip()))[-1500:]

    def close(self) -> None:
        self._closing = True
        process = self._process
        if process is None:
            return
        for stream in (process.stdin,):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        for stop in (None, process.terminate, process.kill):
            if stop is not None:
                with contextlib.suppress(OSError):
                    stop()
            try:
                process.wait(timeout=_EXIT_WAIT)
                break
            except subprocess.TimeoutExpired:
                continue

    # -- reader threads -----------------------------------------------------------------------

    def _read_stdout(self) -> None:
        process, callbacks = self._process, self._callbacks
        assert process is not None and process.stdout is not None and callbacks is not None
        for line in _lines(process.stdout):
            if not line.strip():
                continue
            try:
                messages = decode_line(line)
            except McpProtocolError as exc:  # the spec forbids it; say so and carry on
                logger.warning("MCP server %s wrote a line that is not JSON-RPC: %s", self.describe(), exc)
                continue
            for message in messages:
                callbacks.on_message(message)
        process.wait()
        if self._stderr_reader is not None:  # its last lines say why it exited: read them first
            self._stderr_reader.join(timeout=_EXIT_WAIT)
        callbacks.on_closed(McpConnectionError(self._exit_text()))

    def _read_stderr(self) -> None:
        process = self._process
        assert process is not None and process.stderr is not None
        for line in _lines(process.stderr):
            text = line.decode("utf-8", "replace").rstrip()
            self._stderr.append(text)
            logger.debug("MCP server %s: %s", self.describe(), redact(text))

    def _exit_text(self) -> str:
        process = self._process
        code = process.poll() if process is not None else None
        if self._closing:
            what = "was closed"
        elif code is None:
            what = "closed its output"
        else:
            what = f"exited with status {code}"
        said = self.diagnostics()
        return f"the server process {what}" + (f"; it said: {said}" if said else "")


def _lines(stream: IO[bytes]) -> Any:
    while True:
        line = stream.readline()
        if not line:
            return
        yield line
