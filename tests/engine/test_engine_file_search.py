"""Vector stores given in the spec: file_search on both backends, citations in the result."""

from __future__ import annotations

from typing import Any

import openai


def _store(client: openai.OpenAI) -> tuple[str, str]:
    stores = getattr(client, "vector_stores", None) or client.beta.vector_stores
    doc = client.files.create(file=("disk.md", b"When the disk is full, rotate the logs."), purpose="assistants")
    store = stores.create(name="runbooks", file_ids=[doc.id])
    return store.id, doc.id


def test_file_search_citations(make_assistant: Any, emulator: Any, client: openai.OpenAI, stream: bool) -> None:
    emulator.load_script(
        {"rules": [{"match": "(?i)runbook", "file_search": True, "reply": "See {{ search.filenames }}"}]}
    )
    store_id, file_id = _store(client)
    result = make_assistant(vector_store_ids=(store_id,)).run_turn("which runbook?", stream=stream)
    assert "disk.md" in result.text
    assert result.citations and result.citations[0].file_id == file_id
    assert result.to_dict()["citations"][0]["type"] == "file_citation"
