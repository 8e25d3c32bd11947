"""Conformance: every emulator endpoint, driven through the real openai SDK, answers with bodies
and SSE events that fit OpenAI's official OpenAPI spec (the ``emulator`` fixture fails a test
on any violation; these tests also assert it explicitly).

Allowances for quirks of the spec itself (the emulator follows the live API there):

* ``nullable: true`` (3.0 style) is rewritten into type unions when the spec is loaded: the
  document claims OpenAPI 3.1, whose JSON Schema ignores ``nullable``, so every documented null
  would otherwise be flagged. Not an allowance of wrong data: it restores what the spec means.
* The spec is loaded without OpenAPI validation: the document itself fails it.
* ``oneof-as-anyof``: the spec writes unions as ``oneOf`` although alternatives overlap (an
  input message ``{type: message, role, content: [input_text]}`` fits both ``EasyInputMessage``
  and ``InputMessage``), so strict ``oneOf`` rejects valid payloads for matching twice. It is
  read as ``anyOf``: a value must still fit at least one alternative.
* ``empty-list-cursors``: list objects type ``first_id`` / ``last_id`` as strings, but an empty
  page has no id; the live API sends ``null`` there and so does the emulator.

Where the live API sends what the spec forbids and nothing depends on it (``usage: null`` and
``user: null`` on an unfinished Response, ``description: null`` on a function), the emulator
omits the field instead, so no allowance is needed.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from openaiassistant.emulator.validation import ALLOWANCES, load_validator

TOOLS_SCRIPT = {
    "rules": [
        {
            "name": "lookup",
            "match": "(?i)disk on (?P<host>\\S+)",
            "tool_calls": [{"name": "get_disk_usage", "arguments": {"host": "{{ match.host }}"}}],
            "then": {"reply": "Usage: {{ tool_outputs.get_disk_usage }}"},
        },
        {"match": "(?i)triage", "json": {"severity": "high", "action": "escalate", "reason": "{{ input }}"}},
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}

RESPONSES_TOOL = {
    "type": "function",
    "name": "get_disk_usage",
    "description": "disk usage of a host",
    "strict": False,
    "parameters": {"type": "object", "properties": {"host": {"type": "string"}}},
}
ASSISTANT_TOOL = {
    "type": "function",
    "function": {
        "name": "get_disk_usage",
        "description": "disk usage of a host",
        "parameters": {"type": "object", "properties": {"host": {"type": "string"}}},
    },
}

# Every operation the emulator serves (spec operationIds). The tests below must hit them all.
SERVED = {
    "createResponse",
    "getResponse",
    "deleteResponse",
    "cancelResponse",
    "listInputItems",
    "createConversation",
    "getConversation",
    "updateConversation",
    "deleteConversation",
    "createConversationItems",
    "listConversationItems",
    "getConversationItem",
    "deleteConversationItem",
    "createAssistant",
    "listAssistants",
    "getAssistant",
    "modifyAssistant",
    "deleteAssistant",
    "createThread",
    "getThread",
    "modifyThread",
    "deleteThread",
    "createThreadAndRun",
    "createMessage",
    "listMessages",
    "getMessage",
    "modifyMessage",
    "deleteMessage",
    "createRun",
    "listRuns",
    "getRun",
    "modifyRun",
    "cancelRun",
    "submitToolOuputsToRun",
    "listRunSteps",
    "getRunStep",
    "createFile",
    "listFiles",
    "retrieveFile",
    "downloadFile",
    "deleteFile",
    "createVectorStore",
    "listVectorStores",
    "getVectorStore",
    "modifyVectorStore",
    "deleteVectorStore",
    "createVectorStoreFile",
    "listVectorStoreFiles",
    "getVectorStoreFile",
    "deleteVectorStoreFile",
    "listModels",
    "retrieveModel",
}


def _operations_hit(emulator: Any) -> set[str]:
    validator = load_validator()
    hit = set()
    for entry in emulator.requests():
        op = validator.operation(entry["method"], entry["path"])
        if op is not None:
            hit.add(op.operation_id)
    return hit


def test_allowances_are_the_listed_ones() -> None:
    # Adding an allowance must come with an explanation in this module's docstring.
    assert set(ALLOWANCES) == {"empty-list-cursors", "oneof-as-anyof"}
    for name in ALLOWANCES:
        assert name in (__doc__ or "")


def test_responses_endpoints(emulator: Any, api: Any) -> None:
    emulator.load_script(TOOLS_SCRIPT)
    plain = api.create_response(
        model="gpt-4o-mini", input="hello there", instructions="Be brief.", metadata={"tenant": "t1"}, temperature=0.2
    )
    assert plain["status"] == "completed"
    assert plain["output"][0]["content"][0]["text"] == "Echo: hello there"
    assert plain["usage"]["total_tokens"] == plain["usage"]["input_tokens"] + plain["usage"]["output_tokens"] > 0

    first = api.create_response(model="gpt-4o-mini", input="disk on db-1", tools=[RESPONSES_TOOL])
    call = first["output"][0]
    assert (call["type"], call["name"], json.loads(call["arguments"])) == (
        "function_call",
        "get_disk_usage",
        {"host": "db-1"},
    )
    second = api.create_response(
        model="gpt-4o-mini",
        previous_response_id=first["id"],
        tools=[RESPONSES_TOOL],
        input=[{"type": "function_call_output", "call_id": call["call_id"], "output": '{"used": "91%"}'}],
    )
    assert second["output"][0]["content"][0]["text"] == 'Usage: {"used": "91%"}'
    assert [i["type"] for i in api.input_items(second["id"])] == ["function_call_output"]

    as_json = api.create_response(
        model="m", input="triage this", instructions="Answer in JSON.", text={"format": {"type": "json_object"}}
    )
    assert json.loads(as_json["output"][0]["content"][0]["text"])["severity"] == "high"
    schema = {
        "type": "object",
        "properties": {
            "level": {"type": "string", "enum": ["low", "high"]},
            "count": {"type": "integer", "minimum": 1},
        },
        "required": ["level", "count"],
        "additionalProperties": False,
    }
    shaped = api.create_response(
        model="m",
        input="hello",
        text={"format": {"type": "json_schema", "name": "verdict", "schema": schema, "strict": True}},
    )
    assert json.loads(shaped["output"][0]["content"][0]["text"]) == {"level": "low", "count": 1}

    words = " ".join(f"w{i}" for i in range(30))
    cut = api.create_response(model="m", input=words, max_output_tokens=16)
    assert cut["status"] == "incomplete" and cut["incomplete_details"] == {"reason": "max_output_tokens"}
    assert cut["output"][0]["content"][0]["text"].split() == ["Echo:", *words.split()[:15]]
    # below the minimum (16): test_emulator_requests.py::test_responses_number_ranges

    events = api.stream_response(model="m", input="stream me please")
    types = [e["type"] for e in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta") == "Echo: stream me please"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))

    background = api.create_response(model="m", input="later", background=True)
    assert background["status"] == "queued"
    assert api.retrieve_response(background["id"])["status"] == "completed"
    with pytest.raises(openai.BadRequestError):  # finished: nothing to cancel
        api.cancel_response(background["id"])

    emulator.add_fault(kind="stuck")
    stuck = api.create_response(model="m", input="never ends", background=True)
    assert api.retrieve_response(stuck["id"])["status"] == "in_progress"
    assert api.cancel_response(stuck["id"])["status"] == "cancelled"

    api.delete_response(plain["id"])
    with pytest.raises(openai.NotFoundError):
        api.retrieve_response(plain["id"])
    assert emulator.violations() == []


def test_truncation(emulator: Any, api: Any) -> None:
    emulator.load_script({"context_window": 5})
    with pytest.raises(openai.BadRequestError) as failed:
        api.create_response(model="m", input="one two three four five six seven")
    assert "context" in str(failed.value)
    kept = api.create_response(
        model="m",
        truncation="auto",
        input=[{"role": "user", "content": "old words that are too many"}, {"role": "user", "content": "short"}],
    )
    assert kept["status"] == "completed" and kept["truncation"] == "auto"
    assert kept["output"][0]["content"][0]["text"] == "Echo: short"


def test_conversation_endpoints(emulator: Any, api: Any) -> None:
    conversation = api.create_conversation(
        metadata={"tenant": "t1"}, items=[{"type": "message", "role": "user", "content": "first"}]
    )
    assert api.retrieve_conversation(conversation["id"])["metadata"] == {"tenant": "t1"}
    assert api.update_conversation(conversation["id"], metadata={"tenant": "t2"})["metadata"] == {"tenant": "t2"}
    added = api.create_items(conversation["id"], [{"type": "message", "role": "user", "content": "second"}])
    assert len(added["data"]) == 1
    answer = api.create_response(model="m", input="third", conversation=conversation["id"])
    assert answer["output"][0]["content"][0]["text"] == "Echo: third"
    items = api.list_items(conversation["id"], order="asc")
    assert [(i["type"], i.get("role")) for i in items] == [("message", "user")] * 3 + [("message", "assistant")]
    assert api.retrieve_item(conversation["id"], items[0]["id"])["id"] == items[0]["id"]
    assert api.delete_item(conversation["id"], items[0]["id"])["id"] == conversation["id"]
    assert len(api.list_items(conversation["id"])) == 3
    assert api.list_items(conversation["id"], limit=1, order="desc")[0]["role"] == "assistant"
    assert api.delete_conversation(conversation["id"])["deleted"] is True
    with pytest.raises(openai.NotFoundError):
        api.retrieve_conversation(conversation["id"])
    assert emulator.violations() == []


def test_conversation_locked_while_a_response_works(emulator: Any, api: Any) -> None:
    conversation = api.create_conversation()
    emulator.add_fault(kind="stuck")
    busy = api.create_response(model="m", input="slow", conversation=conversation["id"], background=True)
    for attempt in (
        lambda: api.create_response(model="m", input="again", conversation=conversation["id"]),
        lambda: api.create_items(conversation["id"], [{"role": "user", "content": "x"}]),
    ):
        with pytest.raises(openai.BadRequestError) as refused:
            attempt()
        assert refused.value.code == "conversation_locked"
    api.cancel_response(busy["id"])
    assert api.create_response(model="m", input="now", conversation=conversation["id"])["status"] == "completed"


def test_assistants_threads_messages(emulator: Any, client: openai.OpenAI) -> None:
    beta = client.beta
    assistant = beta.assistants.create(
        model="gpt-4o-mini", name="triage", instructions="Triage.", tools=[ASSISTANT_TOOL]
    )
    assert beta.assistants.retrieve(assistant.id).name == "triage"
    assert beta.assistants.update(assistant.id, name="triage-2").name == "triage-2"
    assert assistant.id in [a.id for a in beta.assistants.list()]

    thread = beta.threads.create(messages=[{"role": "user", "content": "m0"}], metadata={"k": "v"})
    assert beta.threads.retrieve(thread.id).metadata == {"k": "v"}
    assert beta.threads.update(thread.id, metadata={"k": "w"}).metadata == {"k": "w"}
    ids = [thread_message(beta, thread.id, f"m{i}") for i in range(1, 5)]
    listed = beta.threads.messages.list(thread.id, order="asc", limit=2)
    assert [m.content[0].text.value for m in listed.data] == ["m0", "m1"] and listed.has_more
    after = beta.threads.messages.list(thread.id, order="asc", after=ids[0], limit=10)
    assert [m.content[0].text.value for m in after.data] == ["m2", "m3", "m4"]
    before = beta.threads.messages.list(thread.id, order="asc", before=ids[2], limit=2)
    assert [m.content[0].text.value for m in before.data] == ["m1", "m2"]
    newest = beta.threads.messages.list(thread.id, limit=1)
    assert newest.data[0].id == ids[-1]  # default order: desc
    assert beta.threads.messages.retrieve(ids[0], thread_id=thread.id).content[0].text.value == "m1"
    assert beta.threads.messages.update(ids[0], thread_id=thread.id, metadata={"a": "b"}).metadata == {"a": "b"}
    assert beta.threads.messages.delete(ids[0], thread_id=thread.id).deleted

    run = beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    by_run = beta.threads.messages.list(thread.id, run_id=run.id)
    assert [m.content[0].text.value for m in by_run.data] == ["Echo: m4"]
    empty = beta.threads.messages.list(thread.id, run_id="run_none")
    assert empty.data == []

    assert beta.threads.delete(thread.id).deleted
    assert beta.assistants.delete(assistant.id).deleted
    with pytest.raises(openai.NotFoundError):
        beta.threads.retrieve(thread.id)
    assert emulator.violations() == []


def thread_message(beta: Any, thread_id: str, text: str) -> str:
    return beta.threads.messages.create(thread_id, role="user", content=text).id


def test_runs_and_steps(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(TOOLS_SCRIPT)
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-4o-mini", tools=[ASSISTANT_TOOL])
    run = beta.threads.create_and_run(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "disk on db-9"}]},
        metadata={"m": "1"},
    )
    thread_id = run.thread_id
    run = beta.threads.runs.poll(run.id, thread_id=thread_id)
    assert run.status == "requires_action"
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert json.loads(calls[0].function.arguments) == {"host": "db-9"}
    run = beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=thread_id, tool_outputs=[{"tool_call_id": calls[0].id, "output": "42%"}]
    )
    assert run.status == "completed" and run.usage.total_tokens > 0
    steps = beta.threads.runs.steps.list(run.id, thread_id=thread_id, order="asc")
    assert [s.type for s in steps.data] == ["tool_calls", "message_creation"]
    assert steps.data[0].step_details.tool_calls[0].function.output == "42%"
    step = beta.threads.runs.steps.retrieve(steps.data[1].id, thread_id=thread_id, run_id=run.id)
    message_id = step.step_details.message_creation.message_id
    assert beta.threads.messages.retrieve(message_id, thread_id=thread_id).content[0].text.value == "Usage: 42%"
    assert beta.threads.runs.update(run.id, thread_id=thread_id, metadata={"m": "2"}).metadata == {"m": "2"}
    assert [r.id for r in beta.threads.runs.list(thread_id)] == [run.id]

    emulator.add_fault(kind="stuck")
    stuck = beta.threads.runs.create(thread_id=thread_id, assistant_id=assistant.id)
    assert beta.threads.runs.cancel(stuck.id, thread_id=thread_id).status == "cancelling"
    assert beta.threads.runs.retrieve(stuck.id, thread_id=thread_id).status == "cancelled"
    assert emulator.violations() == []


@pytest.mark.emulator_bad_requests  # ends with an unknown field on purpose
def test_run_create_accepts_every_body_field(emulator: Any, client: openai.OpenAI) -> None:
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-4o-mini")
    thread = beta.threads.create()
    run = beta.threads.runs.create(
        thread_id=thread.id,
        assistant_id=assistant.id,
        model="o4-mini",
        instructions="Base (JSON).",
        additional_instructions="More.",
        additional_messages=[{"role": "user", "content": "hi"}],
        tools=[ASSISTANT_TOOL],
        metadata={"a": "b"},
        temperature=0.5,
        top_p=0.9,
        max_prompt_tokens=1000,
        max_completion_tokens=1000,
        truncation_strategy={"type": "last_messages", "last_messages": 5},
        tool_choice="auto",
        parallel_tool_calls=False,
        response_format={"type": "json_object"},
        extra_body={"reasoning_effort": "low"},
    )
    assert run.instructions == "Base (JSON).\nMore." and run.model == "o4-mini" and run.parallel_tool_calls is False
    run = beta.threads.runs.poll(run.id, thread_id=thread.id)
    answer = beta.threads.messages.list(thread.id, limit=1).data[0].content[0].text.value
    assert json.loads(answer) == {"answer": "Echo: hi"}
    with pytest.raises(openai.BadRequestError) as refused:
        beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id, extra_body={"bogus": 1})
    assert "Unrecognized request argument supplied: bogus" in refused.value.message


def test_active_run_rejects_messages_and_runs(emulator: Any, client: openai.OpenAI) -> None:
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-4o-mini")
    thread = beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    emulator.add_fault(kind="stuck")
    run = beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    with pytest.raises(openai.BadRequestError) as refused:
        beta.threads.messages.create(thread.id, role="user", content="more")
    assert refused.value.message.endswith(
        f"Can't add messages to {thread.id} while a run {run.id} is active."
    ) or f"Can't add messages to {thread.id} while a run {run.id} is active." in str(refused.value)
    with pytest.raises(openai.BadRequestError) as refused:
        beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert f"Thread {thread.id} already has an active run {run.id}." in str(refused.value)


def test_submit_tool_outputs_rejects_a_partial_set(emulator: Any, client: openai.OpenAI) -> None:
    emulator.load_script(
        {
            "rules": [
                {
                    "match": "two",
                    "tool_calls": [
                        {"name": "get_disk_usage", "arguments": {"host": "a"}},
                        {"name": "get_disk_usage", "arguments": {"host": "b"}},
                    ],
                }
            ]
        }
    )
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-4o-mini", tools=[ASSISTANT_TOOL])
    thread = beta.threads.create(messages=[{"role": "user", "content": "two calls"}])
    run = beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert len(calls) == 2
    with pytest.raises(openai.BadRequestError):
        beta.threads.runs.submit_tool_outputs(
            run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": calls[0].id, "output": "1"}]
        )
    assert beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "requires_action"
    done = beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": c.id, "output": "1"} for c in calls]
    )
    assert done.status == "completed"


def test_run_stream_event_names(emulator: Any, client: openai.OpenAI) -> None:
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-4o-mini")
    thread = beta.threads.create(messages=[{"role": "user", "content": "stream please"}])
    with beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        names = [event.event for event in stream]
        final = stream.get_final_messages()
    assert names == [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.message.created",
        "thread.message.in_progress",
        "thread.message.delta",
        "thread.message.delta",
        "thread.message.delta",
        "thread.message.completed",
        "thread.run.step.completed",
        "thread.run.completed",
    ]
    assert final[0].content[0].text.value == "Echo: stream please"
    assert emulator.violations() == []


def test_files(emulator: Any, client: openai.OpenAI) -> None:
    uploaded = client.files.create(file=("notes.txt", b"disk at 91%"), purpose="assistants")
    assert (uploaded.filename, uploaded.bytes, uploaded.purpose) == ("notes.txt", 11, "assistants")
    assert client.files.retrieve(uploaded.id).id == uploaded.id
    assert uploaded.id in [f.id for f in client.files.list()]
    assert client.files.content(uploaded.id).read() == b"disk at 91%"
    assert client.files.delete(uploaded.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)
    assert emulator.violations() == []


def test_vector_stores(emulator: Any, client: openai.OpenAI) -> None:
    stores = getattr(client, "vector_stores", None) or client.beta.vector_stores
    doc = client.files.create(file=("runbook.md", b"rotate logs"), purpose="assistants")
    store = stores.create(name="kb")
    assert stores.files.create(vector_store_id=store.id, file_id=doc.id).status == "in_progress"
    assert stores.files.retrieve(doc.id, vector_store_id=store.id).status == "completed"
    assert [f.id for f in stores.files.list(vector_store_id=store.id)] == [doc.id]
    assert stores.update(store.id, metadata={"a": "b"}).metadata == {"a": "b"}
    assert stores.retrieve(store.id).file_counts.completed == 1
    assert [s.id for s in stores.list()] == [store.id]
    assert stores.files.delete(doc.id, vector_store_id=store.id).deleted
    assert stores.delete(store.id).deleted
    assert emulator.violations() == []


def test_models(emulator: Any, client: openai.OpenAI) -> None:
    assert "gpt-4o-mini" in [m.id for m in client.models.list()]
    assert client.models.retrieve("anything-goes").id == "anything-goes"  # no catalogue: all exist
    emulator.load_script({"models": ["gpt-4.1", "ft:gpt-4.1:acme:x:1"]})
    assert [m.id for m in client.models.list()] == ["gpt-4.1", "ft:gpt-4.1:acme:x:1"]
    assert client.models.retrieve("ft:gpt-4.1:acme:x:1").owned_by == "system"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-4o")
    assert missing.value.code == "model_not_found"
    assert emulator.violations() == []


def test_every_served_operation_is_exercised(emulator: Any, api: Any, client: openai.OpenAI) -> None:
    """Run the whole suite above in one go and check the request log covers every operation."""
    test_responses_endpoints(emulator, api)
    test_conversation_endpoints(emulator, api)
    test_assistants_threads_messages(emulator, client)
    test_runs_and_steps(emulator, client)
    test_files(emulator, client)
    test_vector_stores(emulator, client)
    test_models(emulator, client)
    missing = SERVED - _operations_hit(emulator)
    assert not missing, f"not exercised: {sorted(missing)}"


def test_validator_flags_a_broken_body(emulator: Any) -> None:
    """The check is live: the fixture's server validates, and a broken body is reported."""
    assert emulator.emulator.validator is not None, "the OpenAI spec was not found: nothing is validated"
    problems = load_validator().check_response("GET", "/v1/threads/thread_1", 200, {"id": "thread_1"})
    assert any("'object' is a required property" in p for p in problems)
    problems = load_validator().check_event(
        "responses", "response.output_text.delta", {"type": "response.output_text.delta"}
    )
    assert problems


def test_allowed_parameters_come_from_the_spec() -> None:
    """Unknown-parameter 400s use the names each operation's request schema defines."""
    validator = load_validator()
    schemas = validator.spec["components"]["schemas"]
    assert validator.allowed_params("POST", "/v1/threads/thread_1/runs") == set(
        schemas["CreateRunRequest"]["properties"]
    )
    assert validator.allowed_params("POST", "/v1/threads/runs") == set(
        schemas["CreateThreadAndRunRequest"]["properties"]
    )
    responses = validator.allowed_params("POST", "/v1/responses")
    assert responses is not None and {"model", "input", "text", "reasoning", "conversation"} <= responses
    assert "max_tokens" not in responses
    assert validator.allowed_params("POST", "/v1/conversations") == {"items", "metadata"}


def test_the_shipped_spec_is_the_projects_pinned_copy() -> None:
    """The gzipped spec in the package is byte for byte the conformance copy in shared/ (when
    this checkout has it beside it), at the same commit."""
    import gzip
    from pathlib import Path

    from openaiassistant.emulator.validation import BUNDLED_SPEC

    shared = Path(__file__).resolve().parents[2].parent / "shared" / "openai-openapi"
    if not (shared / "openapi.json").is_file():
        pytest.skip("no shared/openai-openapi beside this checkout")
    assert gzip.decompress(BUNDLED_SPEC.read_bytes()) == (shared / "openapi.json").read_bytes()
    assert (BUNDLED_SPEC.parent / "COMMIT").read_text() == (shared / "COMMIT").read_text()
