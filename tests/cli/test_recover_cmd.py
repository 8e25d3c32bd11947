"""``threads recover`` and the coordination flags of ``ask``: bad settings are one line and exit 2
(nothing sent); with nothing orphaned it says so. (Recovering a killed worker's run, with real
worker processes: tests/coordination/test_worker_killed_mid_turn.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from openaiassistant.cli.main import main


def test_nothing_to_recover(emulator: Any, tmp_path: Any, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path}/threads.db"
    argv = [
        "threads",
        "--registry",
        url,
        "--create",
        "recover",
        "--base-url",
        emulator.base_url,
        "--api-key",
        "sk-cli-rec-0001",
    ]
    assert main(argv) == 0
    assert "no orphaned runs" in capsys.readouterr().out
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_the_registry_given_after_the_action(emulator: Any, tmp_path: Any, capsys: Any) -> None:
    # as every other threads action takes it: `threads recover --registry URL` was refused
    url = f"sqlite:///{tmp_path}/threads.db"
    connection = ["--base-url", emulator.base_url, "--api-key", "sk-cli-rec-0001"]
    assert main(["threads", "recover", "--registry", url, "--create", *connection]) == 0
    assert "no orphaned runs" in capsys.readouterr().out
    assert (tmp_path / "threads.db").exists()
    assert main(["threads", "recover", "--registry", f"sqlite:///{tmp_path}/typo.db", *connection]) == 2
    assert "typo.db does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--coordination-url", "http://redis:6379"], "coordination_url"),
        (["--rpm", "0"], "rpm"),
        (["--max-concurrent-turns", "-2"], "max_concurrent_turns"),
    ],
)
def test_bad_coordination_flags(emulator: Any, tmp_path: Any, capsys: Any, flags: list[str], named: str) -> None:
    url = f"sqlite:///{tmp_path}/threads.db"
    common = ["--base-url", emulator.base_url, "--api-key", "sk-cli-rec-0001"]
    assert main(["threads", "--registry", url, "--create", "recover", *common, *flags]) == 2
    assert named in capsys.readouterr().err
    assert main(["ask", "hello", *common, "--model", "gpt-4o-mini", *flags]) == 2
    err = capsys.readouterr().err
    assert named in err and "nothing was sent" in err
    assert emulator.requests() == []
