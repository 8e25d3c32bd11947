"""Knowledge bases and file_search against real third-party servers, with default settings.

``knowledge sync`` (the CLI, over the Files and Vector Stores APIs) and a file_search turn whose
answer cites a runbook, footnoted with its file name. llama-stack indexes through the upstream's
embeddings (the emulator's deterministic ``/v1/embeddings``, registered in llama-stack.yaml) and
runs file_search itself; a server without vector stores is recorded as such, in its own words.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from tests.runbooks import write_runbooks

from openaiassistant.assistant import Assistant
from openaiassistant.cli.main import main
from openaiassistant.knowledge import KnowledgeBase
from openaiassistant.settings import AssistantSpec, ConnectionSettings

pytestmark = pytest.mark.timeout(240)
Cell = Callable[[str, str], None]


@pytest.fixture
def runbooks(tmp_path: Path) -> Path:
    return write_runbooks(tmp_path / "runbooks")


def _vector_stores(server: Any, cell: Cell, feature: str) -> bool:
    """Whether the server has vector stores; records the cell when it has not."""
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    try:
        client.get("/vector_stores", cast_to=object)
    except openai.APIStatusError as exc:
        from openaiassistant.backends.server_errors import server_words

        words, _ = server_words(exc.body, status=exc.status_code)
        assert words  # the server said why, in its words
        cell(feature, f"no: vector stores answer HTTP {exc.status_code} ({words[:80]})")
        return False
    return True


def _sync(server: Any, *argv: str) -> int:
    return main(["knowledge", "sync", *argv, "--base-url", server.base_url, "--api-key", server.api_key, "--json"])


def test_knowledge_sync(server: Any, cell: Cell, runbooks: Path, capsys: Any) -> None:
    if not _vector_stores(server, cell, "knowledge sync"):
        return
    assert _sync(server, f"compat-{server.name}", str(runbooks), "--create") == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["uploaded"], first["unchanged"]) == (2, 0)
    assert {f["status"] for f in first["files"]} == {"completed"}
    assert _sync(server, first["vector_store_id"], str(runbooks)) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["uploaded"], second["replaced"], second["unchanged"]) == (0, 0, 2)  # nothing sent
    (runbooks / "cpu-high.md").write_text("# CpuHigh\nScale out first.\n")
    (runbooks / "disk-full.md").unlink()
    assert _sync(server, first["vector_store_id"], str(runbooks)) == 0
    third = json.loads(capsys.readouterr().out)
    assert (third["uploaded"], third["replaced"], third["removed"]) == (0, 1, 1)
    assert [f["name"] for f in third["files"]] == ["cpu-high.md"]
    kb = KnowledgeBase(openai.OpenAI(base_url=server.base_url, api_key=server.api_key))
    assert kb.delete(first["vector_store_id"]) is True
    cell("knowledge sync", "yes (idempotent: a second sync sends nothing; changed files replaced, deleted removed)")


def test_file_search_turn_cites_the_runbook(
    server: Any, upstream: Any, cell: Cell, runbooks: Path, capsys: Any
) -> None:
    if not _vector_stores(server, cell, "file_search turn"):
        return
    assert _sync(server, f"compat-search-{server.name}", str(runbooks), "--create") == 0
    store = json.loads(capsys.readouterr().out)["vector_store_id"]
    settings = ConnectionSettings(api_key=server.api_key, base_url=server.base_url)
    spec = AssistantSpec(model=server.model, instructions="You help SREs.", vector_store_ids=(store,))
    result = Assistant(connection=settings, spec=spec).run_turn(
        "Search the runbooks for DiskFull", citations="footnotes", timeout=120
    )
    assert "Rotate the logs, then grow the volume." in result.text
    files = [c for c in result.citations if c.type == "file_citation"]
    if not files:
        cell("file_search turn", "partly: the answer came back, without file citations")
        return
    assert files[0].filename == "disk-full.md"
    assert result.text.endswith("Sources:\n[1] disk-full.md")
    cell("file_search turn", "yes (file_citation with the file name; footnotes rendered)")
