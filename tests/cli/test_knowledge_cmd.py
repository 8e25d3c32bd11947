"""``openaiassistant knowledge``: a runbook folder into a vector store from the terminal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.runbooks import write_runbooks

from openaiassistant.cli.main import main

KEY = "sk-cli-knowledge-0001"


@pytest.fixture
def kb(emulator: Any) -> Any:
    def run(*argv: str) -> int:
        return main(["knowledge", *argv, "--base-url", emulator.base_url, "--api-key", KEY])

    return run


@pytest.fixture
def runbooks(tmp_path: Any) -> Any:
    return write_runbooks(tmp_path / "runbooks")


def test_create_sync_twice_show_and_delete(kb, runbooks, capsys):
    assert kb("create", "runbooks") == 0
    assert capsys.readouterr().out.startswith("created vs_")

    assert kb("sync", "runbooks", str(runbooks), "--progress") == 0
    out, err = capsys.readouterr()
    assert ": 2 uploaded, 0 replaced, 0 removed, 0 unchanged" in out
    assert "uploading" in err and "indexing" in err and "2/2" in err  # the progress bars

    assert kb("sync", "runbooks", str(runbooks), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["uploaded"], report["replaced"], report["removed"], report["unchanged"]) == (0, 0, 0, 2)
    assert sorted(f["name"] for f in report["files"]) == ["cpu-high.md", "disk-full.md"]

    assert kb("show", "runbooks", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["name"] == "runbooks" and shown["file_counts"]["completed"] == 2
    assert {f["status"] for f in shown["files"]} == {"completed"}
    assert kb("show", "runbooks") == 0
    assert "disk-full.md" in capsys.readouterr().out

    assert kb("list", "--json") == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)] == ["runbooks"]
    assert kb("delete", "runbooks") == 0
    assert capsys.readouterr().out.startswith("deleted vs_")
    assert kb("show", "runbooks") == 1
    assert "no vector store has the id or name 'runbooks'" in capsys.readouterr().err


def test_sync_can_create_the_store_and_upload_adds_files(kb, runbooks, tmp_path, capsys):
    assert kb("sync", "ops", str(runbooks), "--create", "--expire-after", "30d", "--json") == 0
    assert json.loads(capsys.readouterr().out)["uploaded"] == 2
    extra = tmp_path / "oom.md"
    extra.write_text("# OOM\nRaise the limit.\n")
    assert kb("upload", "ops", str(extra)) == 0
    assert ": 1 uploaded, 0 replaced, 0 removed, 0 unchanged" in capsys.readouterr().out
    assert kb("sync", "ops", str(runbooks), "--json") == 0  # the extra file is not in the folder
    assert json.loads(capsys.readouterr().out)["removed"] == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sync", "x", "/nonexistent-dir", "--create"], "is not a directory"),
        (["sync", "x", ".", "--create", "--expire-after", "10m"], "--expire-after: must be from 1h to 30d"),
        (["create", "x", "--expire-after", "soon"], "expected a duration"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(kb, argv, message, capsys):
    assert kb(*argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_file_that_fails_to_index_is_named_and_exits_1(kb, runbooks, emulator, capsys):
    emulator.load_script({"indexing_fails": "cpu-high"})
    assert kb("sync", "runbooks", str(runbooks), "--create") == 1
    out, err = capsys.readouterr()
    assert ": 1 uploaded, 0 replaced, 0 removed, 0 unchanged, 1 failed" in out
    assert "failed: cpu-high.md: The file cpu-high.md could not be parsed." in err
