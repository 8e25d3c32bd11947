"""Every conversation a turn uses lands in the thread registry (real turns against the emulator)."""

from __future__ import annotations

import logging

import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.errors import RunFailedError
from openaiassistant.registry import ThreadRegistry
from openaiassistant.settings import AssistantSpec, ConnectionSettings


@pytest.fixture
def registry(tmp_path):
    reg = ThreadRegistry(f"sqlite:///{tmp_path}/threads.db")
    yield reg
    reg.engine.dispose()


@pytest.fixture(params=["responses", "assistants"])
def make_assistant(request, emulator, registry):
    connection = ConnectionSettings(api_key=emulator.api_key, base_url=emulator.base_url)

    def make(**kwargs):
        if request.param == "assistants":
            import openai

            client = openai.OpenAI(api_key=emulator.api_key, base_url=emulator.base_url)
            asst = client.beta.assistants.create(model="gpt-4o-mini", instructions="triage")
            spec = AssistantSpec(backend="assistants", assistant_id=asst.id)
        else:
            spec = AssistantSpec(backend="responses", model="gpt-4o-mini", instructions="triage")
        return Assistant(connection=connection, spec=spec, registry=registry, sleep=lambda _s: None, **kwargs)

    return make


def test_turns_are_recorded_under_tenant_workflow_and_fingerprint(make_assistant, registry):
    assistant = make_assistant()
    meta = {"tenant": "acme", "workflow": "triage", "alert_fingerprint": "fp-db-1"}
    first = assistant.run_turn("disk full on db-1", metadata=meta, stream=False)
    info = registry.latest(fingerprint="fp-db-1", tenant="acme")
    assert info.thread_id == first.thread_id
    assert (info.backend, info.workflow, info.turns) == (assistant.backend, "triage", 1)

    assistant.run_turn("still full?", thread_id=first.thread_id, stream=True)
    assert registry.get(first.thread_id).turns == 2
    assert [t.thread_id for t in registry.find(tenant="acme")] == [first.thread_id]

    assert assistant.delete_thread(first.thread_id) is True
    assert registry.latest(fingerprint="fp-db-1", tenant="acme") is None
    assert registry.get(first.thread_id).deleted_at is not None


def test_a_failed_turns_conversation_is_still_recorded(make_assistant, registry, emulator):
    emulator.add_fault(kind="run_failed", code="server_error")
    with pytest.raises(RunFailedError) as info:
        make_assistant().run_turn("hello", metadata={"tenant": "acme"}, stream=False)
    assert info.value.thread_id
    assert registry.get(info.value.thread_id).tenant == "acme"


def test_a_broken_registry_does_not_lose_the_answer(make_assistant, registry, caplog):
    with registry.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE openaiassistant_threads")
    with caplog.at_level(logging.ERROR, logger="openaiassistant.assistant"):
        result = make_assistant().run_turn("hello", metadata={"tenant": "acme"}, stream=False)
    assert result.text == "Echo: hello"
    # the log says what went wrong (the table is gone), not only the exception's type
    assert any(
        "could not record" in r.getMessage()
        and result.thread_id in r.getMessage()
        and "openaiassistant_threads" in r.getMessage()
        for r in caplog.records
    )
