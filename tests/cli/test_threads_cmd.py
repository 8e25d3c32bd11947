"""``ask --registry`` records conversations; ``threads list|forget`` reads and retires them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openaiassistant.cli.main import main
from openaiassistant.cli.threads_cmd import parse_age
from openaiassistant.errors import ConfigError


def _ask(emulator: Any, registry: str, *argv: str) -> int:
    return main(
        [
            "ask",
            "--base-url",
            emulator.base_url,
            "--api-key",
            "sk-cli-threads-0001",
            "--model",
            "gpt-4o-mini",
            "--registry",
            registry,
            "--json",
            *argv,
        ]
    )


def test_ask_records_and_threads_lists_and_forgets(emulator: Any, tmp_path: Any, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path}/threads.db"
    assert _ask(emulator, url, "disk full", "--metadata", "tenant=acme", "--metadata", "alert_fingerprint=fp-1") == 0
    first = json.loads(capsys.readouterr().out)["thread_id"]
    assert _ask(emulator, url, "cpu high", "--metadata", "tenant=other") == 0
    second = json.loads(capsys.readouterr().out)["thread_id"]

    assert main(["threads", "--registry", url, "list", "--tenant", "acme", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["thread_id"], t["fingerprint"], t["turns"]) for t in listed] == [(first, "fp-1", 1)]

    assert main(["threads", "--registry", url, "list"]) == 0
    table = capsys.readouterr().out
    assert first in table and second in table

    assert main(["threads", "--registry", url, "forget", first, "conv_unknown"]) == 1
    assert "not in the registry: conv_unknown" in capsys.readouterr().err
    assert main(["threads", "--registry", url, "list", "--json"]) == 0
    assert [t["thread_id"] for t in json.loads(capsys.readouterr().out)] == [second]
    assert main(["threads", "--registry", url, "list", "--idle", "1h", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_threads_needs_a_registry(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("OPENAIASSISTANT_REGISTRY", raising=False)
    assert main(["threads", "list"]) == 2
    assert "--registry" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("12h", 43200), ("7d", 604800), ("1.5h", 5400)]
)
def test_parse_age(text: str, seconds: float) -> None:
    assert parse_age(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "7", "7w", "abc", "-1d"])
def test_parse_age_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="--idle"):
        parse_age(text)


def test_a_broken_database_is_one_line_not_a_traceback(tmp_path: Any, capsys: Any) -> None:
    (tmp_path / "threads.db").write_bytes(b"this is not a database" * 100)
    assert main(["threads", "--registry", f"sqlite:///{tmp_path}/threads.db", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the thread registry failed: DatabaseError") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
