"""Vector stores (indexing that takes time) and file_search answers with citations, on both APIs."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from tests.emulator.conftest import attached_thread, searching_thread

SCRIPT = {
    "rules": [
        {
            "match": "(?i)runbook",
            "file_search": {"match": "disk"},
            "reply": "See {{ search.filenames }}: {{ search.snippet }}",
        },
    ]
}


def _stores(client: openai.OpenAI) -> Any:
    return getattr(client, "vector_stores", None) or client.beta.vector_stores


def _indexed_store(client: openai.OpenAI) -> tuple[str, str]:
    disk = client.files.create(file=("disk.md", b"When the disk is full, rotate logs."), purpose="assistants")
    client.files.create(file=("cpu.md", b"When CPU is high, scale out."), purpose="assistants")
    store = _stores(client).create(name="runbooks", file_ids=[disk.id])
    assert _stores(client).files.retrieve(disk.id, vector_store_id=store.id).status == "completed"
    return store.id, disk.id


def test_vector_store_lifecycle(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script({"indexing_ms": 60_000})
    stores = _stores(client)
    one = client.files.create(file=("a.md", b"alpha"), purpose="assistants")
    two = client.files.create(file=("b.md", b"beta beta"), purpose="assistants")
    store = stores.create(name="kb", file_ids=[one.id], metadata={"team": "sre"})
    assert store.status == "in_progress" and store.file_counts.in_progress == 1
    attached = stores.files.create(vector_store_id=store.id, file_id=two.id)
    assert attached.status == "in_progress"
    assert stores.retrieve(store.id).status == "in_progress"  # indexing takes 60 s here
    assert sorted(f.id for f in stores.files.list(vector_store_id=store.id)) == sorted([one.id, two.id])
    assert stores.update(store.id, name="kb-2").name == "kb-2"
    assert stores.files.delete(two.id, vector_store_id=store.id).deleted
    assert store.id in [s.id for s in stores.list()]
    assert stores.delete(store.id).deleted
    with pytest.raises(openai.NotFoundError):
        stores.retrieve(store.id)
    assert emulator.violations() == []


def test_indexing_completes_on_a_later_read(emulator: Any, client: openai.OpenAI) -> None:
    stores = _stores(client)
    doc = client.files.create(file=("a.md", b"alpha"), purpose="assistants")
    store = stores.create(name="kb", file_ids=[doc.id])
    assert store.status == "in_progress"
    current = stores.retrieve(store.id)
    assert current.status == "completed" and current.file_counts.completed == 1 and current.usage_bytes == 5


def test_responses_file_search_cites(emulator: Any, api: Any, client: openai.OpenAI) -> None:
    emulator.load_script(SCRIPT)
    store_id, disk_id = _indexed_store(client)
    tools = [{"type": "file_search", "vector_store_ids": [store_id]}]
    answer = api.create_response(model="m", input="which runbook?", tools=tools)
    search, message = answer["output"]
    assert search["type"] == "file_search_call" and search["queries"] == ["which runbook?"]
    part = message["content"][0]
    assert part["text"] == "See disk.md: When the disk is full, rotate logs."
    assert part["annotations"] == [
        {"type": "file_citation", "file_id": disk_id, "filename": "disk.md", "index": len(part["text"])}
    ]
    events = api.stream_response(model="m", input="which runbook?", tools=tools)
    types = [e["type"] for e in events]
    assert "response.file_search_call.completed" in types and "response.output_text.annotation.added" in types
    no_tool = api.create_response(model="m", input="which runbook?")
    assert no_tool["output"][0]["content"][0]["annotations"] == []
    assert emulator.violations() == []


def test_assistants_file_search_cites(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(SCRIPT)
    store_id, disk_id = _indexed_store(client)
    assistant, thread = searching_thread(client, vector_store_id=store_id, content="which runbook?")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5)
    assert run.status == "completed"
    text = client.beta.threads.messages.list(thread.id, limit=1).data[0].content[0].text
    assert text.value == "See disk.md: When the disk is full, rotate logs.【0:0†disk.md】"
    (citation,) = text.annotations
    assert citation.file_citation.file_id == disk_id
    assert text.value[citation.start_index : citation.end_index] == citation.text
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].type == "file_search"
    assert emulator.violations() == []


def test_assistants_attachment_is_searchable(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(SCRIPT)
    doc = client.files.create(file=("disk.md", b"disk runbook"), purpose="assistants")
    assistant, thread = attached_thread(client, tool="file_search", file_id=doc.id, content="runbook please")
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        stream.until_done()
        final = stream.get_final_messages()[0]
    assert final.content[0].text.annotations[0].file_citation.file_id == doc.id
    assert emulator.violations() == []
