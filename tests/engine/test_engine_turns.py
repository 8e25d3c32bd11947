"""Turns end to end on both backends, streamed and polled: answers, conversations, history."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import DISK_ROUND_SCRIPT, RUN_CREATE, posts


def test_turn_answers_and_streams_text(make_assistant: Any, stream: bool, emulator: Any) -> None:
    assistant = make_assistant()
    deltas: list[str] = []
    result = assistant.run_turn("hello there", stream=stream, on_text=deltas.append)
    assert result.text == "Echo: hello there"
    assert result.response == "Echo: hello there"
    assert result.status == "completed"
    assert result.backend == assistant.backend
    assert result.model == "gpt-4o-mini"
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens > 0
    run_id = result.run_id or result.response_id
    assert run_id and (result.run_id is None) != (result.response_id is None)
    if stream:
        assert "".join(deltas) == "Echo: hello there"
        assert len(deltas) > 1
    else:
        assert deltas == []
    as_dict = result.to_dict()
    assert as_dict["response_json"] == '"Echo: hello there"'
    assert as_dict["thread_id"] == result.thread_id
    assert len(posts(emulator, RUN_CREATE[assistant.backend])) == 1


def test_only_this_turns_answer_with_older_messages(make_assistant: Any, stream: bool) -> None:
    assistant = make_assistant()
    first = assistant.run_turn("first question", stream=stream)
    second = assistant.run_turn("second question", thread_id=first.thread_id, stream=stream, include_history=True)
    assert second.thread_id == first.thread_id
    assert second.text == "Echo: second question"
    texts = [(m["role"], m["text"]) for m in second.messages]
    assert texts == [
        ("user", "first question"),
        ("assistant", "Echo: first question"),
        ("user", "second question"),
        ("assistant", "Echo: second question"),
    ]


def test_metadata_on_creation(make_assistant: Any, client: Any, backend: str) -> None:
    assistant = make_assistant()
    result = assistant.run_turn("hi", metadata={"tenant": "t1", "fingerprint": 42})
    if backend == "assistants":
        metadata = client.beta.threads.retrieve(result.thread_id).metadata
    else:
        metadata = client.get(f"/conversations/{result.thread_id}", cast_to=object)["metadata"]
    assert metadata == {"tenant": "t1", "fingerprint": "42"}


def test_history_pages_beyond_100_messages(make_assistant: Any, client: Any, backend: str) -> None:
    assistant = make_assistant()
    thread_id = assistant.run_turn("start").thread_id
    for i in range(110):
        if backend == "assistants":
            client.beta.threads.messages.create(thread_id, role="user", content=f"note {i}")
        else:
            item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": f"note {i}"}]}
            client.post(f"/conversations/{thread_id}/items", cast_to=object, body={"items": [item]})
    history = assistant.history(thread_id)
    assert len(history) == 112
    assert [m["text"] for m in history[:2]] == ["start", "Echo: start"]
    assert history[-1]["text"] == "note 109"


def test_delete_thread(make_assistant: Any) -> None:
    from openaiassistant.errors import NotFoundError

    assistant = make_assistant()
    thread_id = assistant.run_turn("hi").thread_id
    assert assistant.delete_thread(thread_id) is True
    with pytest.raises(NotFoundError) as info:
        assistant.run_turn("again", thread_id=thread_id)
    assert info.value.thread_id == thread_id


def test_instructions_and_overrides_reach_the_server(make_assistant: Any, client: Any, backend: str) -> None:
    assistant = make_assistant(instructions="Be brief.")
    result = assistant.run_turn(
        "hi",
        params={
            "temperature": "0.2",
            "top_p": "0.5",
            "additional_instructions": "Say hi.",
            "model": "gpt-4.1",
            "metadata": {"k": "v"},
        },
    )
    assert result.model == "gpt-4.1"
    if backend == "assistants":
        run = client.beta.threads.runs.retrieve(result.run_id, thread_id=result.thread_id)
        assert (run.temperature, run.top_p, run.model, run.metadata) == (0.2, 0.5, "gpt-4.1", {"k": "v"})
        assert run.instructions.startswith("Be brief.")
    else:
        response = client.get(f"/responses/{result.response_id}", cast_to=object)
        assert (response["temperature"], response["top_p"], response["model"]) == (0.2, 0.5, "gpt-4.1")
        assert response["instructions"] == "Be brief.\n\nSay hi."
        assert response["metadata"] == {"k": "v"}


def test_validate(make_assistant: Any, backend: str, emulator: Any) -> None:
    from openaiassistant.errors import ConfigError

    if backend == "assistants":
        make_assistant().validate()
        with pytest.raises(ConfigError, match="assistant_id"):
            make_assistant(assistant_id="asst_missing").validate()
        return
    make_assistant().validate()
    emulator.load_script({"models": ["gpt-4.1"], "rules": [{"default": True, "reply": "ok"}]})
    with pytest.raises(ConfigError, match="model"):
        make_assistant().validate()
    make_assistant(model="gpt-4.1").validate()


def test_one_client_per_connection(make_assistant: Any) -> None:
    first, second = make_assistant(), make_assistant()
    assert first._backend.client is second._backend.client


@pytest.mark.parametrize("backend", ["responses"])  # background mode is a Responses setting
def test_responses_without_background_mode(make_assistant: Any, backend: str, stream: bool, emulator: Any) -> None:
    from tests.engine.conftest import Tools

    emulator.load_script(DISK_ROUND_SCRIPT)
    assistant = make_assistant(background=False, tools=Tools(disk=lambda a: "ok"))
    assert assistant.run_turn("hello", stream=stream).text == "Echo: hello"
    assert assistant.run_turn("disk?", stream=stream).text == 'Disk: "ok"'
    emulator.add_fault(kind="stuck")
    from openaiassistant.errors import TurnTimeoutError

    with pytest.raises(TurnTimeoutError):
        assistant.run_turn("stuck", stream=stream, timeout=0.3)
