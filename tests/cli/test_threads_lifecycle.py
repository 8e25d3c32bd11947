"""``threads show | delete | cleanup`` on both APIs: on the server and in the registry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import openai
import pytest
from sqlalchemy import update

from openaiassistant.cli.main import main
from openaiassistant.registry import ThreadRegistry
from openaiassistant.registry.models import ThreadRow
from openaiassistant.registry.servers import record_server

KEY = "sk-cli-lifecycle-0001"


@pytest.fixture(params=["responses", "assistants"])
def backend(request: Any) -> str:
    return request.param


@pytest.fixture
def ask(emulator: Any, tmp_path: Any, backend: str, capsys: Any) -> Any:
    url = f"sqlite:///{tmp_path}/threads.db"
    extra = ["--model", "gpt-4o-mini"]
    if backend == "assistants":
        client = openai.OpenAI(base_url=emulator.base_url, api_key=KEY)
        extra = ["--backend", "assistants", "--assistant-id", client.beta.assistants.create(model="gpt-4o-mini").id]

    def run(prompt: str, *argv: str) -> str:
        code = main(
            [
                "ask",
                prompt,
                "--base-url",
                emulator.base_url,
                "--api-key",
                KEY,
                "--registry",
                url,
                "--json",
                *extra,
                *argv,
            ]
        )
        assert code == 0
        return json.loads(capsys.readouterr().out)["thread_id"]

    run.url = url  # type: ignore[attr-defined]
    return run


def threads(emulator: Any, url: str, *argv: str) -> int:
    # options after the action: accepted as well as before it
    return main(["threads", *argv, "--registry", url, "--base-url", emulator.base_url, "--api-key", KEY])


def _exists(emulator: Any, backend: str, thread_id: str) -> bool:
    client = openai.OpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0)
    path = f"/conversations/{thread_id}" if backend == "responses" else f"/threads/{thread_id}"
    try:
        client.get(path, cast_to=object, options={"headers": {"OpenAI-Beta": "assistants=v2"}})
        return True
    except openai.NotFoundError:
        return False


def test_show_reads_the_conversation_from_the_server(emulator, ask, backend, capsys):
    thread_id = ask("disk full on db-1", "--metadata", "tenant=acme")
    assert threads(emulator, ask.url, "show", thread_id, "--json") == 0
    view = json.loads(capsys.readouterr().out)
    assert view["backend"] == backend and view["metadata"] == {"tenant": "acme"}
    assert [(m["role"], m["text"]) for m in view["messages"]] == [
        ("user", "disk full on db-1"),
        ("assistant", "Echo: disk full on db-1"),
    ]
    assert view["registry"]["tenant"] == "acme" and view["registry"]["turns"] == 1

    assert threads(emulator, ask.url, "show", thread_id) == 0
    out = capsys.readouterr().out
    assert "Echo: disk full on db-1" in out and "tenant: acme" in out


def test_delete_removes_it_on_the_server_and_in_the_registry(emulator, ask, backend, capsys):
    thread_id = ask("cpu high")
    assert _exists(emulator, backend, thread_id)
    assert threads(emulator, ask.url, "delete", thread_id) == 0
    assert capsys.readouterr().out.strip() == f"{thread_id}: deleted"
    assert not _exists(emulator, backend, thread_id)
    assert ThreadRegistry(ask.url).get(thread_id).deleted_at is not None
    # again: the server no longer has it, which is what was wanted
    assert threads(emulator, ask.url, "delete", thread_id) == 0
    assert "not on the server" in capsys.readouterr().out


def _age(url: str, thread_id: str, days: int) -> None:
    registry = ThreadRegistry(url)
    with registry.engine.begin() as conn:
        conn.execute(
            update(ThreadRow)
            .where(ThreadRow.thread_id == thread_id)
            .values(last_used_at=datetime.now(UTC) - timedelta(days=days))
        )


def test_cleanup_deletes_idle_conversations_only(emulator, ask, backend, capsys):
    old, fresh, foreign = ask("old alert"), ask("new alert"), ask("someone else's")
    for thread_id in (old, foreign):
        _age(ask.url, thread_id, days=40)
    record_server(ThreadRegistry(ask.url), foreign, "https://other.example/v1")

    assert threads(emulator, ask.url, "cleanup", "--idle", "30d", "--dry-run") == 0
    out = capsys.readouterr().out
    assert old in out and fresh not in out and "1 conversations idle for more than 30d would be deleted" in out
    assert _exists(emulator, backend, old)

    assert threads(emulator, ask.url, "cleanup", "--idle", "30d", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["deleted"] == [old] and report["elsewhere"] == [foreign] and report["failed"] == {}
    assert not _exists(emulator, backend, old)
    assert _exists(emulator, backend, fresh) and _exists(emulator, backend, foreign)
    live = {t.thread_id for t in ThreadRegistry(ask.url).find()}
    assert live == {fresh, foreign}


def test_a_missing_sqlite_file_is_an_error_unless_create(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/typo.db"
    assert main(["threads", "list", "--registry", url]) == 2
    assert "typo.db does not exist" in capsys.readouterr().err
    assert not (tmp_path / "typo.db").exists()
    assert main(["threads", "list", "--registry", url, "--create"]) == 0
    assert "no conversations recorded" in capsys.readouterr().out


def test_the_list_fits_80_columns(emulator, ask, capsys):
    for i in range(3):
        ask(f"alert {i}", "--metadata", "tenant=acme-production", "--metadata", f"alert_fingerprint=fp-{i}-" + "x" * 30)
    assert main(["threads", "--registry", ask.url, "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and max(len(line) for line in lines) <= 80
    assert any(line.startswith("conv_") or line.startswith("thread_") for line in lines)
