"""Vector-store management through the real SDK against the emulator."""

from __future__ import annotations

import time

import openai
import pytest

from openaiassistant.content.knowledge import KnowledgeBase
from openaiassistant.errors import ConfigError, TurnTimeoutError


@pytest.fixture
def kb(emulator):
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
    return KnowledgeBase(client, sleep=lambda _s: None)


def test_upload_create_store_and_wait_until_indexed(kb, tmp_path, emulator):
    runbook = tmp_path / "disk-full.md"
    runbook.write_text("# Disk full\nRun `du -sh /var/log/*` and rotate logs.\n")
    file_id = kb.upload(runbook)
    store_id = kb.create_store("runbooks", metadata={"team": "sre"})
    assert kb.add_files(store_id, [file_id]) == {file_id: "completed"}
    assert kb.list_files(store_id) == [file_id]
    assert kb.delete_store(store_id) is True
    paths = [r["path"] for r in emulator.requests()]
    assert "/v1/files" in paths and f"/v1/vector_stores/{store_id}/files" in paths


def test_indexing_is_polled_until_done(emulator, tmp_path):
    emulator.load_script({"indexing_ms": 150})
    naps = []
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)

    kb = KnowledgeBase(client, sleep=lambda s: (naps.append(s), time.sleep(s)))
    (tmp_path / "a.md").write_text("alpha")
    store_id = kb.create_store("s")
    assert kb.add_files(store_id, [kb.upload(tmp_path / "a.md")], timeout=30).popitem()[1] == "completed"
    assert naps, "the file was still in progress at first read, so the client must have waited"


def test_indexing_timeout_is_reported(emulator, tmp_path):
    emulator.load_script({"indexing_ms": 60000})
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
    kb = KnowledgeBase(client, sleep=lambda _s: None)
    (tmp_path / "a.md").write_text("alpha")
    store_id = kb.create_store("s")
    with pytest.raises(TurnTimeoutError, match="still indexing"):
        kb.add_files(store_id, [kb.upload(tmp_path / "a.md")], timeout=0)


def test_missing_file_is_a_config_error(kb, tmp_path):
    with pytest.raises(ConfigError, match="file"):
        kb.upload(tmp_path / "nope.md")
