"""``threads show | delete | cleanup`` on chat-backend conversations (``oachat_...``).

A chat conversation is kept whole in the thread registry's ConversationLog: the chat server
keeps nothing. So it is shown and deleted there, with no key (a local Ollama or vLLM has none)
and no request to any server; the turns themselves run through the real SDK against the
emulator's chat completions over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from openaiassistant.backends.capabilities import BOOK
from openaiassistant.cli.main import main
from openaiassistant.registry import ThreadRegistry
from openaiassistant.registry.conversation_log import ConversationLog
from openaiassistant.registry.models import ThreadRow


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAIASSISTANT_REGISTRY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    BOOK.forget()
    yield
    BOOK.forget()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/threads.db"


def ask(emulator: Any, url: str, capsys: Any, prompt: str, *argv: str) -> str:
    base = ["ask", "--backend", "chat", "--base-url", emulator.base_url, "--model", "llama3.1:8b"]
    assert main([*base, "--registry", url, "--json", *argv, prompt]) == 0
    return str(json.loads(capsys.readouterr().out)["thread_id"])


def _server_requests(emulator: Any) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in emulator.requests()]


def test_show_reads_a_chat_conversation_from_the_registry_without_a_key(emulator: Any, url: str, capsys: Any) -> None:
    thread_id = ask(emulator, url, capsys, "disk full on db-1", "--metadata", "tenant=acme")
    ask(emulator, url, capsys, "and now?", "--thread-id", thread_id)
    emulator.clear_requests()

    assert main(["threads", "show", thread_id, "--registry", url, "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["backend"] == "chat" and view["metadata"] == {"tenant": "acme"}
    assert [(m["role"], m["text"]) for m in view["messages"]] == [
        ("user", "disk full on db-1"),
        ("assistant", "Echo: disk full on db-1"),
        ("user", "and now?"),
        ("assistant", "Echo: and now?"),
    ]
    assert view["registry"]["turns"] == 2 and view["registry"]["backend"] == "chat"
    assert main(["threads", "show", thread_id, "--registry", url]) == 0
    out = capsys.readouterr().out
    assert f"{thread_id} (chat)" in out and "Echo: and now?" in out and "tenant: acme" in out
    assert _server_requests(emulator) == []  # nothing asked of any server


def test_delete_drops_a_chat_conversation_from_the_registry(emulator: Any, url: str, capsys: Any) -> None:
    thread_id = ask(emulator, url, capsys, "cpu high on db-2")
    emulator.clear_requests()

    assert main(["threads", "delete", thread_id, "--registry", url]) == 0
    assert capsys.readouterr().out.strip() == f"{thread_id}: deleted"
    registry = ThreadRegistry(url)
    assert registry.get(thread_id).deleted_at is not None
    log = ConversationLog(engine=registry.engine)
    assert not log.exists(thread_id) and log.items(thread_id) == []
    assert _server_requests(emulator) == []
    # gone: continuing it says so, naming the setting
    code = main(
        ["ask", "--backend", "chat", "--base-url", emulator.base_url, "--model", "m", "--registry", url,
         "--thread-id", thread_id, "hello?"]
    )  # fmt: skip
    assert code == 1
    assert f"conversation {thread_id} is not in this thread registry" in capsys.readouterr().err
    # again: nothing left to delete, and that is what was wanted
    assert main(["threads", "delete", thread_id, "--registry", url]) == 0
    assert "forgotten" in capsys.readouterr().out


def test_cleanup_deletes_idle_chat_conversations_only(emulator: Any, url: str, capsys: Any) -> None:
    old, fresh = ask(emulator, url, capsys, "old alert"), ask(emulator, url, capsys, "new alert")
    registry = ThreadRegistry(url)
    with registry.engine.begin() as conn:
        conn.execute(
            update(ThreadRow)
            .where(ThreadRow.thread_id == old)
            .values(last_used_at=datetime.now(UTC) - timedelta(days=40))
        )
    # cleanup is per server: the chat server's URL names the conversations recorded for it
    args = ["threads", "cleanup", "--idle", "30d", "--json", "--registry", url, "--base-url", emulator.base_url]
    assert main([*args, "--backend", "chat"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["deleted"] == [old] and report["failed"] == {}
    log = ConversationLog(engine=registry.engine)
    assert not log.exists(old) and log.exists(fresh)
    assert {t.thread_id for t in registry.find()} == {fresh}
