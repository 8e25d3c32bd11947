"""KnowledgeBase through the real SDK against the emulator: create, sync by content hash, page,
wait for indexing, delete."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from openaiassistant import KnowledgeBase
from openaiassistant.errors import ConfigError, NotFoundError, TurnTimeoutError


class Events:
    """A Progress that records what it is told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, Any]] = []

    def begin(self, phase: str, total: int) -> None:
        self.seen.append(("begin", phase, total))

    def advance(self, phase: str, amount: int = 1, *, name: str | None = None) -> None:
        self.seen.append(("advance", phase, name or amount))

    def end(self, phase: str) -> None:
        self.seen.append(("end", phase, None))


@pytest.fixture
def client(emulator: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)


@pytest.fixture
def kb(client: openai.OpenAI) -> KnowledgeBase:
    return KnowledgeBase(client, sleep=lambda _s: None)


@pytest.fixture
def runbooks(tmp_path: Any) -> Any:
    root = tmp_path / "runbooks"
    (root / "db").mkdir(parents=True)
    (root / "disk-full.md").write_text("# Disk full\nRotate logs, then grow the volume.\n")
    (root / "db" / "replication-lag.md").write_text("# Replication lag\nCheck the replica's IO thread.\n")
    (root / "oom.log").write_text("OOM killer notes: raise the memory limit.\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return root


def _posts(emulator: Any) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in emulator.requests() if r["method"] != "GET"]


def test_sync_uploads_a_folder_then_a_second_sync_sends_nothing(kb, runbooks, emulator, client):
    store = kb.create("runbooks")
    events = Events()
    report = kb.sync(store.id, runbooks, progress=events)

    assert (report.uploaded, report.replaced, report.removed, report.unchanged) == (3, 0, 0, 0)
    assert sorted(f.name for f in report.files) == ["db/replication-lag.md", "disk-full.md", "oom.log"]
    assert {f.status for f in report.files} == {"completed"}
    # a .log file is text file_search would refuse by its name: it goes up as .log.txt
    names = {client.files.retrieve(f.file_id).filename for f in report.files}
    assert "oom.log.txt" in names
    phases = [(kind, phase) for kind, phase, _ in events.seen if kind != "advance"]
    assert phases == [("begin", "upload"), ("end", "upload"), ("begin", "index"), ("end", "index")]
    assert ("advance", "upload", "disk-full.md") in events.seen

    emulator.clear_requests()
    again = kb.sync(store.id, runbooks)
    assert (again.uploaded, again.replaced, again.removed, again.unchanged) == (0, 0, 0, 3)
    assert _posts(emulator) == []  # nothing sent: only reads


def test_sync_replaces_changed_removes_deleted_and_adds_new_files(kb, runbooks, emulator, client):
    store = kb.create("runbooks")
    first = {f.name: f.file_id for f in kb.sync(store.id, runbooks).files}

    (runbooks / "disk-full.md").write_text("# Disk full\nDelete old snapshots first.\n")
    (runbooks / "oom.log").unlink()
    (runbooks / "cpu-high.md").write_text("# CPU high\nProfile the top process.\n")
    report = kb.sync(store.id, runbooks)

    assert (report.uploaded, report.replaced, report.removed, report.unchanged) == (1, 1, 1, 1)
    now = {f.name: f.file_id for f in report.files}
    assert sorted(now) == ["cpu-high.md", "db/replication-lag.md", "disk-full.md"]
    assert now["disk-full.md"] != first["disk-full.md"]
    assert now["db/replication-lag.md"] == first["db/replication-lag.md"]
    for gone in (first["disk-full.md"], first["oom.log"]):  # old versions deleted, not just detached
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(gone)


def test_lists_are_followed_past_one_page(kb, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(105):
        (folder / f"runbook-{i:03}.md").write_text(f"# Runbook {i}\n")
    store = kb.create("many")
    report = kb.sync(store.id, folder)
    assert report.uploaded == 105
    assert len(kb.files(store.id)) == 105
    assert kb.sync(store.id, folder).unchanged == 105


def test_indexing_is_waited_for_and_a_timeout_names_the_files(emulator, client, runbooks):
    emulator.load_script({"indexing_ms": 150})
    import time

    naps: list[float] = []
    kb = KnowledgeBase(client, sleep=lambda s: (naps.append(s), time.sleep(s)))
    store = kb.create("slow")
    assert kb.sync(store.id, runbooks).uploaded == 3
    assert naps, "the files were still in progress at first read, so the client must have waited"

    emulator.load_script({"indexing_ms": 60000})
    (runbooks / "new.md").write_text("# New\n")
    with pytest.raises(TurnTimeoutError, match="still indexing after 0s: new.md"):
        KnowledgeBase(client, sleep=lambda _s: None).sync(store.id, runbooks, timeout=0)


def test_files_are_checked_before_anything_is_sent(kb, runbooks, emulator):
    store = kb.create("runbooks")
    (runbooks / "empty.md").write_text("")
    emulator.clear_requests()
    with pytest.raises(ConfigError, match="empty.md is empty"):
        kb.sync(store.id, runbooks)
    assert _posts(emulator) == []


def test_a_store_is_found_by_name_and_deleted_with_its_files(kb, runbooks, client):
    store = kb.create("team-runbooks")
    ids = [f.file_id for f in kb.sync(store.id, runbooks).files]
    assert kb.get("team-runbooks").id == store.id
    assert kb.get(store.id).name == "team-runbooks"
    assert store.id in [s.id for s in kb.stores()]
    assert kb.delete(store.id) is True
    with pytest.raises(NotFoundError):
        kb.get("team-runbooks")
    for file_id in ids:
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(file_id)


def test_a_lost_upload_is_sent_again_once(kb, runbooks, emulator, client):
    store = kb.create("runbooks")
    emulator.add_fault(kind="drop_connection", method="POST", path="^/v1/files$", times=1)
    report = kb.sync(store.id, runbooks)
    assert report.uploaded == 3
    uploaded = [f for f in client.files.list() if f.filename.startswith(("disk-full", "replication-lag", "oom"))]
    assert len(uploaded) == 3  # the dropped request never landed, so the second send is the only one


def test_a_failed_indexing_is_an_error_naming_the_file(emulator, client, runbooks):
    from openaiassistant.errors import IndexingError

    emulator.load_script({"indexing_fails": "replication"})
    kb = KnowledgeBase(client, sleep=lambda _s: None)
    store = kb.create("runbooks")
    with pytest.raises(
        IndexingError, match="db/replication-lag.md: The file replication-lag.md could not be parsed"
    ) as info:
        kb.sync(store.id, runbooks)
    assert list(info.value.failures) == ["db/replication-lag.md"]
    report = info.value.report  # what did get done
    assert report.uploaded == 2 and sorted(f.name for f in report.files if f.status == "completed") == [
        "disk-full.md",
        "oom.log",
    ]
    # the next sync tries the failed file again, and only that one
    emulator.load_script({})
    again = kb.sync(store.id, runbooks)
    assert (again.uploaded, again.replaced, again.unchanged) == (0, 1, 2)
