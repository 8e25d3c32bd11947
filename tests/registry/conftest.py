"""A throw-away PostgreSQL server on 127.0.0.1 for the registry tests.

Started from the machine's PostgreSQL binaries (initdb/pg_ctl) in a temp dir, on a free port,
and stopped after the session. PostgreSQL refuses to run as root, so as root it runs as the
``postgres`` system user. Where no PostgreSQL binaries exist the PostgreSQL cases skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_pg_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def postgres_url():
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found")
    pytest.importorskip("psycopg")
    root = tempfile.mkdtemp(prefix="oa-pg-")
    data = os.path.join(root, "data")
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no 'postgres' user to run PostgreSQL as")
        os.chown(root, user.pw_uid, user.pw_gid)
    port = _free_port()
    run = lambda cmd: subprocess.run(_as_pg_user(cmd), check=True, capture_output=True, text=True)  # noqa: E731
    run([initdb, "-D", data, "-U", "oa", "--auth=trust", "-E", "UTF8"])
    opts = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"
    run([pg_ctl, "-D", data, "-o", opts, "-l", os.path.join(root, "log"), "-w", "start"])
    try:
        yield f"postgresql+psycopg://oa@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_pg_user([pg_ctl, "-D", data, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
