"""A turn's files on both APIs: local files uploaded under the upload policy, file_search files
in the conversation's own vector store on Responses (kept for later turns, deleted with the
conversation), code_interpreter files in the turn's container, the files it writes downloaded."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from openaiassistant.backends import responses_files
from openaiassistant.errors import APIError

SCRIPT = {
    "rules": [
        {"match": "(?i)what does the log say", "file_search": True, "reply": "The log says: {{ search.snippet }}"},
        {
            "match": "(?i)make a report",
            "code_interpreter": {
                "code": "df.to_csv('report.csv')",
                "files": [{"name": "report.csv", "content": "x,y\n"}],
            },
            "reply": "I read {{ sandbox.files }}. Report: {{ cite }}",
        },
    ]
}


@pytest.fixture
def log_file(tmp_path: Any) -> Any:
    path = tmp_path / "db-1.log"
    path.write_text("ERROR no space left on device\n")
    return path


def _posts(emulator: Any, path: str) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["method"] == "POST" and r["path"] == path]


def test_a_local_file_is_searchable_and_stays_with_the_conversation(
    make_assistant, emulator, backend, client, log_file
):
    emulator.load_script(SCRIPT)
    assistant = make_assistant(**({"tools": None} if backend == "responses" else {}))
    if backend == "assistants":  # the stored assistant searches files
        client.beta.assistants.update(assistant.spec.assistant_id, tools=[{"type": "file_search"}])
    first = assistant.run_turn("What does the log say?", attachments=[str(log_file)], citations="strip")
    assert first.text == "The log says: ERROR no space left on device\n"
    assert first.citations[0].filename == "db-1.log.txt"  # named on both APIs
    uploaded = client.files.retrieve(first.citations[0].file_id)
    assert uploaded.expires_at == uploaded.created_at + 7 * 86400  # the default upload policy

    # another process (nothing remembered) continues the conversation: the log is still searched
    responses_files._known.clear()
    emulator.clear_requests()
    again = assistant.run_turn("What does the log say now?", thread_id=first.thread_id, citations="strip")
    assert again.text == "The log says: ERROR no space left on device\n"
    assert _posts(emulator, "/v1/files") == []  # nothing uploaded again

    if backend == "responses":
        metadata = client.get(f"/conversations/{first.thread_id}", cast_to=object)["metadata"]
        store = metadata[responses_files.STORE_KEY]
        assert [r["body"]["tools"] for r in _posts(emulator, "/v1/responses")] == [
            [{"type": "file_search", "vector_store_ids": [store]}]
        ]
        assert assistant.delete_thread(first.thread_id) is True
        with pytest.raises(openai.NotFoundError):  # the conversation's store went with it
            client.get(f"/vector_stores/{store}", cast_to=object)


def test_delete_after_turn_removes_the_uploads(make_assistant, emulator, client, log_file, tmp_path):
    emulator.load_script(SCRIPT)
    assistant = make_assistant()
    note = {"name": "notes.md", "content": "# on-call notes"}
    result = assistant.run_turn("hello", attachments=[str(log_file), note], upload_policy="delete_after_turn")
    assert result.status == "completed"
    assert [f for f in client.files.list() if f.filename in ("db-1.log.txt", "notes.md")] == []


def test_code_interpreter_files_go_in_and_its_files_come_out(make_assistant, emulator, backend, client, tmp_path):
    emulator.load_script(SCRIPT)
    assistant = make_assistant()
    if backend == "assistants":
        client.beta.assistants.update(assistant.spec.assistant_id, tools=[{"type": "code_interpreter"}])
    data = tmp_path / "metrics.csv"
    data.write_text("cpu\n97\n")
    result = assistant.run_turn(
        "make a report", attachments=[{"path": str(data), "tools": ["code_interpreter"]}], citations="footnotes"
    )
    assert result.text.startswith("I read metrics.csv. Report: [1]")
    assert result.text.endswith("\n\nSources:\n[1] report.csv")
    assert [f["filename"] for f in result.files] == ["report.csv"]
    saved = assistant.download(result.files[0], tmp_path / "out")
    assert saved == tmp_path / "out" / "report.csv" and saved.read_text() == "x,y\n"
    if backend == "responses":
        (body,) = [r["body"] for r in _posts(emulator, "/v1/responses")]
        (tool,) = body["tools"]
        assert tool["type"] == "code_interpreter" and tool["container"]["type"] == "auto"
        assert client.files.retrieve(tool["container"]["file_ids"][0]).filename == "metrics.csv"
    assert json.loads(json.dumps(result.to_dict()))["files"] == result.files


def test_a_refused_upload_names_the_attachment_and_the_setting(make_assistant, emulator, log_file):
    assistant = make_assistant()
    emulator.add_fault(kind="http_error", status=400, message="Unknown parameter: 'expires_after'.", path="^/v1/files$")
    with pytest.raises(APIError, match=r"attachments\[0\]: uploading db-1.log failed: .*expires_after.*upload_policy"):
        assistant.run_turn("hello", attachments=[str(log_file)])
