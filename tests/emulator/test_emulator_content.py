"""Files that expire, vector-store batches and failed indexing, containers, code_interpreter
files and citations placed where the reply says, on both APIs."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from tests.emulator.conftest import Api, attached_thread, searching_thread

BETA = {"OpenAI-Beta": "assistants=v2"}


def _get(client: openai.OpenAI, path: str, **params: Any) -> Any:
    return client.get(path, cast_to=object, options={"headers": BETA, "params": params})


def _post(client: openai.OpenAI, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, cast_to=object, body=body, options={"headers": BETA})


def test_a_file_with_an_expiry_is_gone_once_it_passes(emulator: Any, client: openai.OpenAI) -> None:
    kept = client.files.create(file=("kept.md", b"stays"), purpose="assistants")
    brief = client.files.create(
        file=("brief.md", b"goes"),
        purpose="assistants",
        extra_body={"expires_after": {"anchor": "created_at", "seconds": 3600}},
    )
    assert brief.expires_at == brief.created_at + 3600 and getattr(kept, "expires_at", None) is None
    store = _post(client, "/vector_stores", {"name": "kb", "file_ids": [brief.id, kept.id]})
    emulator.advance_time(3601)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(brief.id)
    assert [f.id for f in client.files.list()] == [kept.id]
    assert [f["id"] for f in _get(client, f"/vector_stores/{store['id']}/files")["data"]] == [kept.id]
    with pytest.raises(openai.BadRequestError, match="3600"):
        client.files.create(
            file=("x.md", b"x"),
            purpose="assistants",
            extra_body={"expires_after": {"anchor": "created_at", "seconds": 60}},
        )
    assert emulator.violations() == []


def test_a_batch_adds_files_with_their_attributes(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script({"indexing_ms": 50, "indexing_fails": "broken"})
    ids = [
        client.files.create(file=(name, b"text"), purpose="assistants").id for name in ("a.md", "b.log", "broken.md")
    ]
    store = _post(client, "/vector_stores", {"name": "kb"})
    batch = _post(
        client,
        f"/vector_stores/{store['id']}/file_batches",
        {"files": [{"file_id": f, "attributes": {"path": f"p{i}"}} for i, f in enumerate(ids)]},
    )
    assert batch["status"] == "in_progress" and batch["file_counts"]["in_progress"] == 3
    emulator.advance_time(1)
    done = _get(client, f"/vector_stores/{store['id']}/file_batches/{batch['id']}")
    assert done["status"] == "completed" and done["file_counts"] == {
        "in_progress": 0,
        "completed": 1,
        "failed": 2,
        "cancelled": 0,
        "total": 3,
    }
    files = {f["id"]: f for f in _get(client, f"/vector_stores/{store['id']}/files")["data"]}
    assert files[ids[0]]["attributes"] == {"path": "p0"} and files[ids[0]]["status"] == "completed"
    assert files[ids[1]]["last_error"]["code"] == "unsupported_file"  # file_search does not index .log
    assert files[ids[2]]["last_error"]["code"] == "invalid_file"
    failed = _get(client, f"/vector_stores/{store['id']}/file_batches/{batch['id']}/files", filter="failed")
    assert sorted(f["id"] for f in failed["data"]) == sorted(ids[1:])
    assert emulator.violations() == []


def test_containers_hold_copies_of_files(emulator: Any, client: openai.OpenAI) -> None:
    doc = client.files.create(file=("data.csv", b"a,b\n1,2\n"), purpose="assistants")
    container = _post(client, "/containers", {"name": "work", "file_ids": [doc.id]})
    assert container["status"] == "running" and container["expires_after"]["minutes"] == 20
    files = _get(client, f"/containers/{container['id']}/files")["data"]
    assert [(f["path"], f["source"], f["bytes"]) for f in files] == [("/mnt/data/data.csv", "user", 8)]
    content = client.get(
        f"/containers/{container['id']}/files/{files[0]['id']}/content",
        cast_to=openai._legacy_response.HttpxBinaryResponseContent,
    )
    assert content.content == b"a,b\n1,2\n"
    emulator.advance_time(21 * 60)  # idle past its expiry
    with pytest.raises(openai.NotFoundError):
        _get(client, f"/containers/{container['id']}")
    assert emulator.violations() == []


CODE = {
    "rules": [
        {
            "match": "(?i)report",
            "code_interpreter": {
                "code": "df.to_csv('report.csv')",
                "files": [{"name": "report.csv", "content": "x,y\n"}],
            },
            "reply": "I read {{ sandbox.files }}. The report: {{ cite }} Done.",
        }
    ]
}


def test_responses_code_interpreter_writes_a_container_file(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(CODE)
    data = client.files.create(file=("metrics.csv", b"cpu\n97\n"), purpose="assistants")
    tool = {"type": "code_interpreter", "container": {"type": "auto", "file_ids": [data.id]}}
    response = Api(client).create_response(model="m", input="make a report", tools=[tool])
    call = next(i for i in response["output"] if i["type"] == "code_interpreter_call")
    part = next(i for i in response["output"] if i["type"] == "message")["content"][0]
    assert part["text"] == "I read metrics.csv. The report: sandbox:/mnt/data/report.csv Done."
    (ann,) = part["annotations"]
    assert ann["type"] == "container_file_citation" and ann["container_id"] == call["container_id"]
    assert part["text"][ann["start_index"] : ann["end_index"]] == "sandbox:/mnt/data/report.csv"
    content = client.get(
        f"/containers/{ann['container_id']}/files/{ann['file_id']}/content",
        cast_to=openai._legacy_response.HttpxBinaryResponseContent,
    )
    assert content.content == b"x,y\n"
    # without the tool offered, the rule does not apply
    assert Api(client).create_response(model="m", input="make a report")["output"][0]["type"] == "message"
    assert emulator.violations() == []


def test_assistants_code_interpreter_writes_an_output_file(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(CODE)
    data = client.files.create(file=("metrics.csv", b"cpu\n97\n"), purpose="assistants")
    assistant, thread = attached_thread(client, tool="code_interpreter", file_id=data.id, content="make a report")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    text = client.beta.threads.messages.list(thread_id=thread.id, order="desc").data[0].content[0].text
    assert text.value == "I read metrics.csv. The report: sandbox:/mnt/data/report.csv Done."
    (ann,) = text.annotations
    assert ann.type == "file_path" and text.value[ann.start_index : ann.end_index] == ann.text
    written = client.files.retrieve(ann.file_path.file_id)
    assert (written.filename, written.purpose) == ("report.csv", "assistants_output")
    assert client.files.content(ann.file_path.file_id).content == b"x,y\n"
    assert emulator.violations() == []


CITED = {
    "rules": [
        {"match": "(?i)runbook", "file_search": True, "reply": "Rotate the logs{{ cite }}, then grow the volume."}
    ]
}


def _store_with(client: openai.OpenAI) -> tuple[str, str]:
    doc = client.files.create(file=("disk.md", b"rotate logs"), purpose="assistants")
    store = _post(client, "/vector_stores", {"name": "kb", "file_ids": [doc.id]})
    _get(client, f"/vector_stores/{store['id']}")  # indexed on this read
    return store["id"], doc.id


def test_responses_citation_index_is_where_the_reply_cites(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(CITED)
    store_id, doc_id = _store_with(client)
    response = Api(client).create_response(
        model="m", input="what does the runbook say?", tools=[{"type": "file_search", "vector_store_ids": [store_id]}]
    )
    part = next(i for i in response["output"] if i["type"] == "message")["content"][0]
    assert part["text"] == "Rotate the logs, then grow the volume."
    assert part["annotations"] == [
        {"type": "file_citation", "file_id": doc_id, "filename": "disk.md", "index": len("Rotate the logs")}
    ]
    assert emulator.violations() == []


def test_assistants_citation_marker_is_where_the_reply_cites(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(CITED)
    store_id, doc_id = _store_with(client)
    assistant, thread = searching_thread(client, vector_store_id=store_id, content="what does the runbook say?")
    streamed = ""
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for delta in stream.text_deltas:
            streamed += delta
    text = client.beta.threads.messages.list(thread_id=thread.id, order="desc").data[0].content[0].text
    assert text.value == "Rotate the logs【0:0†disk.md】, then grow the volume." == streamed
    (ann,) = text.annotations
    assert (ann.start_index, ann.end_index, ann.text) == (15, 15 + len("【0:0†disk.md】"), "【0:0†disk.md】")
    assert ann.file_citation.file_id == doc_id
    assert emulator.violations() == []


def test_embeddings_are_deterministic_and_near_for_shared_words(emulator: Any, client: openai.OpenAI) -> None:
    import math

    got = client.embeddings.create(
        model="text-embedding-3-small", input=["disk full on db-1", "the disk is full", "cpu"]
    )
    a, b, c = (d.embedding for d in got.data)
    assert len(a) == 256 and got.usage.prompt_tokens == 10
    cos = lambda x, y: sum(i * j for i, j in zip(x, y, strict=True))  # noqa: E731 - unit vectors
    assert cos(a, b) > cos(a, c) and math.isclose(cos(a, a), 1.0)
    again = client.embeddings.create(model="m", input="disk full on db-1", dimensions=64)
    assert len(again.data[0].embedding) == 64
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="m", input="")
    assert emulator.violations() == []
