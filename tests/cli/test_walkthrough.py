"""The new user's walk-through, from the CLI alone, on both APIs: a knowledge base from a runbook
folder (with progress), synced again (nothing sent), a question with footnoted sources, a local
log file and a local PNG attached, and the conversation deleted on the server."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import openai
import pytest
from tests.runbooks import write_runbooks

from openaiassistant.cli.main import main

KEY = "sk-cli-walkthrough-0001"
SCRIPT = {
    "rules": [
        {
            "match": "(?i)runbook",
            "file_search": {"match": "DiskFull"},
            "reply": "Rotate the logs{{ cite }}, then grow the volume.",
        },
        {
            "match": "(?i)attached",
            "file_search": True,
            "reply": "I see {{ attachments }}; I searched {{ search.filenames }}.",
        },
    ]
}


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(params=["responses", "assistants"])
def backend_flags(request: Any, emulator: Any) -> list[str]:
    if request.param == "responses":
        return ["--model", "gpt-4o-mini"]
    client = openai.OpenAI(base_url=emulator.base_url, api_key=KEY)
    assistant = client.beta.assistants.create(model="gpt-4o-mini", tools=[{"type": "file_search"}])
    return ["--backend", "assistants", "--assistant-id", assistant.id]


def test_the_walkthrough(emulator: Any, tmp_path: Any, capsys: Any, backend_flags: list[str]) -> None:
    emulator.load_script(SCRIPT)
    conn = ["--base-url", emulator.base_url, "--api-key", KEY]
    runbooks = write_runbooks(tmp_path / "runbooks")

    # 1. a knowledge base from the folder, with a progress bar, then synced again: nothing sent
    assert main(["knowledge", "create", "runbooks", *conn]) == 0
    assert main(["knowledge", "sync", "runbooks", str(runbooks), "--progress", *conn]) == 0
    out, err = capsys.readouterr()
    assert "2 uploaded" in out and "indexing" in err
    emulator.clear_requests()
    assert main(["knowledge", "sync", "runbooks", str(runbooks), *conn]) == 0
    assert "0 uploaded, 0 replaced, 0 removed, 2 unchanged" in capsys.readouterr().out
    assert [r for r in emulator.requests() if r["method"] != "GET"] == []

    # 2. a question over it, answered with footnoted sources that carry file names
    assert (
        main(["ask", "What does the runbook say about DiskFull?", "--vector-store", "runbooks", *conn, *backend_flags])
        == 0
    )
    out, err = capsys.readouterr()
    assert out.startswith("Rotate the logs")  # streamed as it came
    assert out.rstrip().endswith("Sources:\n[1] disk-full.md")
    question = ["ask", "What does the runbook say about DiskFull?", "--vector-store", "runbooks", "--no-stream"]
    assert main([*question, *conn, *backend_flags]) == 0
    assert capsys.readouterr().out == "Rotate the logs[1], then grow the volume.\n\nSources:\n[1] disk-full.md\n"

    # 3. a local log file and a local PNG attached to a turn
    log = tmp_path / "db-1.log"
    log.write_text("ERROR no space left on device\n")
    shot = tmp_path / "grafana.png"
    shot.write_bytes(png())
    assert (
        main(
            [
                "ask",
                "What is attached?",
                "--file",
                str(log),
                "--image",
                str(shot),
                "--json",
                "--citations",
                "strip",
                *conn,
                *backend_flags,
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    seen, searched = result["text"].removeprefix("I see ").removesuffix(".").split("; I searched ")
    assert "grafana.png" in seen.split(", ")  # the image is part of the message
    assert "db-1.log.txt" in searched.split(", ")  # the log is searchable (its thread's / conversation's store)
    thread_id = result["thread_id"]

    # 4. the conversation deleted on the server
    assert main(["threads", "delete", thread_id, *conn]) == 0  # the API is told by the id
    assert capsys.readouterr().out.strip() == f"{thread_id}: deleted"
    assert main(["threads", "show", thread_id, *conn]) == 1
    assert "NotFoundError" in capsys.readouterr().err
