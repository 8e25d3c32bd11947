"""A registry that cannot be used: one line from the CLI naming the flag, no traceback; the
SQLite check behind Keep's parse-time refusal (issue 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openaiassistant.cli.main import main
from openaiassistant.registry.sqlite_check import sqlite_file_problem


def bad_registries(tmp_path: Path) -> list[str]:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all, it is text")
    return [
        "nosuchdb://h/threads",  # no such dialect
        "mysql://keep@127.0.0.1:1/threads",  # a driver that is not installed
        f"sqlite:///{tmp_path}/missing/dir/threads.db",  # the directory does not exist
        f"sqlite:///{tmp_path}",  # a directory
        f"sqlite:///{garbage}",  # not a database
        "postgresql+psycopg://keep:regpass-0123456789@127.0.0.1:1/threads",  # nobody listens
    ]


@pytest.fixture
def registries(tmp_path: Path) -> list[str]:
    return bad_registries(tmp_path)


def test_threads_with_a_bad_registry_prints_one_line(registries: list[str], capsys: Any) -> None:
    for url in registries:
        code = main(["threads", "--registry", url, "list"])
        captured = capsys.readouterr()
        assert code in (1, 2), url
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (url, captured.err)
        assert "Traceback" not in captured.err and "regpass-0123456789" not in captured.err


def test_ask_with_a_bad_registry_sends_nothing_and_names_the_flag(
    registries: list[str], emulator: Any, capsys: Any
) -> None:
    for url in registries:
        emulator.clear_requests()
        code = main(
            [
                "ask",
                "hello",
                "--base-url",
                emulator.base_url,
                "--api-key",
                "sk-cli-registry-0001",
                "--model",
                "gpt-4o-mini",
                "--registry",
                url,
            ]
        )
        captured = capsys.readouterr()
        assert code == 2, (url, captured.err)
        assert "--registry" in captured.err and "nothing was sent" in captured.err
        assert "Traceback" not in captured.err and "regpass-0123456789" not in captured.err
        assert emulator.requests() == []


def test_sqlite_file_problems(tmp_path: Path) -> None:
    assert sqlite_file_problem(str(tmp_path / "new.db")) is None  # created on first use
    assert sqlite_file_problem(None) is None and sqlite_file_problem(":memory:") is None
    assert "does not exist" in (sqlite_file_problem(str(tmp_path / "no" / "t.db")) or "")
    assert "directory" in (sqlite_file_problem(str(tmp_path)) or "")
    garbage = tmp_path / "g.db"
    garbage.write_bytes(b"hello world, not sqlite")
    assert "not a SQLite database" in (sqlite_file_problem(str(garbage)) or "")
    import sqlite3

    real = tmp_path / "real.db"
    sqlite3.connect(real).execute("create table t (x)").connection.close()
    assert sqlite_file_problem(str(real)) is None
    (tmp_path / "empty.db").write_bytes(b"")
    assert sqlite_file_problem(str(tmp_path / "empty.db")) is None  # SQLite takes an empty file
