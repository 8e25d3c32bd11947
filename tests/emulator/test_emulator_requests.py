"""Requests the real API refuses are refused here too, in its words; stateless responses;
a client that gives up on a stuck request leaves nothing locked."""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest


def test_metadata_limits(emulator: Any, client: openai.OpenAI, api: Any) -> None:
    with pytest.raises(openai.BadRequestError) as too_many:
        client.beta.threads.create(metadata={f"k{i}": "v" for i in range(17)})
    assert too_many.value.param == "metadata"
    with pytest.raises(openai.BadRequestError) as too_long:
        api.create_conversation(metadata={"k": "x" * 513})
    assert too_long.value.param == "metadata.k"
    assert client.beta.threads.create(metadata={f"k{i}": "v" for i in range(16)}).metadata["k15"] == "v"
    assert emulator.violations() == []


@pytest.mark.emulator_bad_requests  # refused on purpose
@pytest.mark.parametrize("field, value", [("temperature", 2.5), ("top_p", -0.1), ("max_output_tokens", 15)])
def test_responses_number_ranges(emulator: Any, api: Any, field: str, value: float) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        api.create_response(model="m", input="x", **{field: value})
    assert refused.value.param == field


def test_missing_model(emulator: Any, api: Any) -> None:
    with pytest.raises(openai.BadRequestError) as missing:
        api.create_response(input="x")  # typed SDKs would refuse locally; sent raw where allowed
    assert "model" in str(missing.value)


def test_store_false_is_not_kept(emulator: Any, api: Any) -> None:
    gone = api.create_response(model="m", input="x", store=False)
    assert gone["status"] == "completed" and gone["store"] is False
    with pytest.raises(openai.NotFoundError):
        api.retrieve_response(gone["id"])
    with pytest.raises(openai.NotFoundError):
        api.create_response(model="m", input="y", previous_response_id=gone["id"])
    with pytest.raises(openai.BadRequestError):
        api.create_response(model="m", input="x", store=False, background=True)


def test_client_timeout_on_a_stuck_request_frees_the_conversation(emulator: Any, api: Any) -> None:
    conversation = api.create_conversation()
    emulator.add_fault(kind="stuck")
    impatient = api.client.with_options(timeout=0.3, max_retries=0)
    with pytest.raises(openai.APITimeoutError):
        if api.typed:
            impatient.responses.create(model="m", input="hang", conversation=conversation["id"])
        else:
            impatient.post(
                "/responses", cast_to=object, body={"model": "m", "input": "hang", "conversation": conversation["id"]}
            )
    for _ in range(100):  # the server notices the client left on its next check
        try:
            answer = api.create_response(model="m", input="now", conversation=conversation["id"])
            break
        except openai.BadRequestError as busy:
            assert busy.code == "conversation_locked"
            time.sleep(0.02)
    else:
        raise AssertionError("conversation stayed locked")
    assert answer["output"][0]["content"][0]["text"] == "Echo: now"


@pytest.mark.emulator_bad_requests  # refused on purpose
def test_request_bodies_are_checked_against_the_spec(emulator: Any, api: Any) -> None:
    tool_without_strict = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}
    answer = api.client.post(
        "/responses", cast_to=object, body={"model": "m", "input": "x", "tools": [tool_without_strict]}
    )
    assert answer["tools"][0]["strict"] is True  # accepted (the live API defaults it) ...
    problems = emulator.request_violations()  # ... but recorded: the spec requires `strict`
    assert len(problems) == 1 and "strict" in problems[0]
    assert emulator.violations() == []


def test_engine_style_input_items_fit_the_spec(emulator: Any, api: Any) -> None:
    """A message item with typed parts is valid, though it matches two oneOf alternatives."""
    api.create_response(
        model="m", input=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]
    )
    assert emulator.request_violations() == []


def test_file_references_must_exist(emulator: Any, api: Any, client: openai.OpenAI) -> None:
    upload = client.files.create(file=("report.pdf", b"%PDF-1.4 tiny"), purpose="user_data")
    picture = client.files.create(file=("graph.png", b"\x89PNG tiny"), purpose="vision")
    parts = [
        {"type": "input_text", "text": "what is in these?"},
        {"type": "input_file", "file_id": upload.id},
        {"type": "input_image", "file_id": picture.id, "detail": "auto"},
    ]
    answer = api.create_response(model="m", input=[{"type": "message", "role": "user", "content": parts}])
    assert answer["output"][0]["content"][0]["text"] == "Echo: what is in these?"
    with pytest.raises(openai.BadRequestError):
        api.create_response(
            model="m", input=[{"role": "user", "content": [{"type": "input_file", "file_id": "file-missing"}]}]
        )
    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.messages.create(
            thread.id,
            role="user",
            content="x",
            attachments=[{"file_id": "file-missing", "tools": [{"type": "file_search"}]}],
        )
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.messages.create(
            thread.id, role="user", content=[{"type": "image_file", "image_file": {"file_id": "file-missing"}}]
        )
    ok_message = client.beta.threads.messages.create(
        thread.id,
        role="user",
        content=[{"type": "text", "text": "look"}, {"type": "image_file", "image_file": {"file_id": picture.id}}],
    )
    assert ok_message.content[1].image_file.file_id == picture.id
    assert emulator.violations() == [] and emulator.request_violations() == []


def test_strict_model_catalogue_refuses_unknown_models(emulator: Any, api: Any, client: openai.OpenAI) -> None:
    emulator.load_script({"models": ["gpt-4.1"]})
    assert api.create_response(model="gpt-4.1", input="x")["status"] == "completed"
    with pytest.raises(openai.BadRequestError) as refused:
        api.create_response(model="gpt-9", input="x")
    assert refused.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        client.beta.assistants.create(model="gpt-9")
    assistant = client.beta.assistants.create(model="gpt-4.1")
    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id, model="gpt-9")


@pytest.mark.emulator_bad_requests  # refused on purpose
@pytest.mark.parametrize("tools", [["not-a-tool"], [{"type": "function"}], "nope"])
def test_malformed_tools_are_400s_not_crashes(emulator: Any, api: Any, client: openai.OpenAI, tools: Any) -> None:
    with pytest.raises(openai.BadRequestError):
        api.client.post("/responses", cast_to=object, body={"model": "m", "input": "x", "tools": tools})
    with pytest.raises(openai.BadRequestError):
        client.post("/assistants", cast_to=object, body={"model": "m", "tools": tools})
    assert emulator.violations() == []  # no emulator crash among them
