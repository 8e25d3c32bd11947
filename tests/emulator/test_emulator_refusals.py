"""The 400s the live API answers before it creates anything, on both APIs, in OpenAI's error
shape with the parameter named; and the same requests made valid go through.

Every test here sends bad requests on purpose (``emulator_bad_requests``), so the fixture does
not fail them for the request violations those leave; response violations still fail them.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

pytestmark = pytest.mark.emulator_bad_requests


@pytest.fixture
def client(emulator: Any) -> openai.OpenAI:
    """Generic requests to the Assistants API carry the beta header the typed resources send."""
    return openai.OpenAI(
        base_url=emulator.base_url,
        api_key=emulator.api_key,
        max_retries=0,
        default_headers={"OpenAI-Beta": "assistants=v2"},
    )


LOOSE = {"type": "object", "properties": {"host": {"type": "string"}}}  # not strict-valid
STRICT = {
    "type": "object",
    "properties": {"host": {"type": "string"}},
    "required": ["host"],
    "additionalProperties": False,
}


def _flat(name: str = "lookup", *, strict: bool = False, parameters: dict[str, Any] = STRICT) -> dict[str, Any]:
    return {"type": "function", "name": name, "parameters": parameters, "strict": strict}


def _nested(name: str = "lookup", *, strict: bool = False, parameters: dict[str, Any] = STRICT) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": parameters, "strict": strict}}


def _refused(call: Any) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as refused:
        call()
    error = refused.value
    assert error.status_code == 400 and isinstance(error.body, dict)
    assert set(error.body) >= {"message", "type", "param", "code"} and error.body["type"] == "invalid_request_error"
    return error


def _respond(client: openai.OpenAI, **body: Any) -> Any:
    return client.post("/responses", cast_to=object, body={"model": "gpt-4o-mini", "input": "hi", **body})


def _assistant(client: openai.OpenAI, **body: Any) -> Any:
    return client.post("/assistants", cast_to=object, body={"model": "gpt-4o-mini", **body})


def _thread_and_run(client: openai.OpenAI, assistant_id: str, text: str = "hi", **body: Any) -> Any:
    return client.post(
        "/threads/runs",
        cast_to=object,
        body={"assistant_id": assistant_id, "thread": {"messages": [{"role": "user", "content": text}]}, **body},
    )


# -- unknown parameters ----------------------------------------------------------------------
def test_unknown_parameters_are_refused_per_operation(emulator: Any, client: openai.OpenAI) -> None:
    error = _refused(lambda: _respond(client, max_tokens=100))
    assert (error.param, error.code) == ("max_tokens", "unknown_parameter")
    assert error.body["message"] == "Unknown parameter: 'max_tokens'."
    error = _refused(lambda: client.post("/conversations", cast_to=object, body={"metadata": {}, "title": "x"}))
    assert (error.param, error.code) == ("title", "unknown_parameter")
    assistant = _assistant(client)
    thread = client.beta.threads.create()
    error = _refused(
        lambda: client.post(
            f"/threads/{thread.id}/runs", cast_to=object, body={"assistant_id": assistant["id"], "max_tokens": 5}
        )
    )
    assert error.param == "max_tokens" and "Unrecognized request argument supplied: max_tokens" in error.body["message"]
    # a field of createRun that createThreadAndRun does not take
    error = _refused(lambda: _thread_and_run(client, assistant["id"], additional_instructions="x"))
    assert error.param == "additional_instructions"
    assert emulator.requests()[-1]["body"]["additional_instructions"] == "x"  # the log still shows it
    assert emulator.violations() == []


# -- function tools --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["look up", "lookup!", "x" * 65, ""])
def test_tool_names_outside_the_pattern(emulator: Any, client: openai.OpenAI, name: str) -> None:
    error = _refused(lambda: _respond(client, tools=[_flat(name)]))
    assert error.param == "tools[0].name"
    error = _refused(lambda: _assistant(client, tools=[_nested(name)]))
    assert error.param == "tools[0].function.name"
    assert emulator.violations() == []


def test_tool_names_inside_the_pattern(emulator: Any, client: openai.OpenAI) -> None:
    name = "get_disk-usage_" + "x" * 49  # 64 characters
    assert _respond(client, tools=[_flat(name)])["status"] == "completed"
    assert _assistant(client, tools=[_nested(name)])["tools"][0]["function"]["name"] == name


def test_strict_tools_need_a_strict_schema(emulator: Any, client: openai.OpenAI) -> None:
    error = _refused(lambda: _respond(client, tools=[_flat(strict=True, parameters=LOOSE)]))
    assert (error.param, error.code) == ("tools[0].parameters", "invalid_function_parameters")
    assert (
        error.body["message"].startswith("Invalid schema for function 'lookup': ")
        and "additionalProperties" in error.body["message"]
    )
    error = _refused(lambda: _assistant(client, tools=[_nested(strict=True, parameters=LOOSE)]))
    assert error.param == "tools[0].function.parameters"
    missing_required = {**STRICT, "required": []}
    error = _refused(lambda: _respond(client, tools=[_flat(strict=True, parameters=missing_required)]))
    assert "required" in error.body["message"]
    # the same schema without strict, and a strict-valid schema with it, are fine
    assert _respond(client, tools=[_flat(strict=False, parameters=LOOSE)])["status"] == "completed"
    assert _respond(client, tools=[_flat(strict=True)])["status"] == "completed"
    assert emulator.violations() == []


def test_strict_json_schema_formats_need_a_strict_schema(emulator: Any, client: openai.OpenAI) -> None:
    fmt = {"type": "json_schema", "name": "verdict", "schema": LOOSE, "strict": True}
    error = _refused(lambda: _respond(client, text={"format": fmt}))
    assert (error.param, error.code) == ("text.format.schema", "invalid_json_schema")
    assert "'verdict'" in error.body["message"]
    nested = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": LOOSE, "strict": True}}
    error = _refused(lambda: _assistant(client, response_format=nested))
    assert error.param == "response_format.json_schema.schema"
    assistant = _assistant(client)
    error = _refused(lambda: _thread_and_run(client, assistant["id"], response_format=nested))
    assert error.param == "response_format.json_schema.schema"
    assert _respond(client, text={"format": {**fmt, "strict": False}})["status"] == "completed"
    assert _respond(client, text={"format": {**fmt, "schema": STRICT}})["status"] == "completed"


# -- json_object -----------------------------------------------------------------------------
def test_json_object_needs_json_in_instructions_or_input(emulator: Any, client: openai.OpenAI) -> None:
    as_json = {"format": {"type": "json_object"}}
    error = _refused(lambda: _respond(client, input="triage db-1", text=as_json))
    assert error.param == "input" and "must contain the word 'json'" in error.body["message"]
    assert _respond(client, input="triage db-1 as Json", text=as_json)["status"] == "completed"
    assert _respond(client, input="triage db-1", instructions="Reply in JSON.", text=as_json)["status"] == "completed"
    # a mention earlier in the conversation counts too
    conversation = client.post(
        "/conversations",
        cast_to=object,
        body={"items": [{"type": "message", "role": "user", "content": "answer me in json from now on"}]},
    )
    later = _respond(client, input="triage db-1", conversation=conversation["id"], text=as_json)
    assert later["status"] == "completed"


def test_json_object_on_runs(emulator: Any, client: openai.OpenAI) -> None:
    assistant = _assistant(client, instructions="You triage.")
    error = _refused(
        lambda: _thread_and_run(client, assistant["id"], "triage db-1", response_format={"type": "json_object"})
    )
    assert error.param == "response_format" and "'json'" in error.body["message"]
    assert emulator.emulator.state.threads == {}  # refused before the thread was made
    ok = _thread_and_run(client, assistant["id"], "triage db-1 as JSON", response_format={"type": "json_object"})
    assert ok["status"] == "queued"
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "triage db-1"}])
    error = _refused(
        lambda: client.post(
            f"/threads/{thread.id}/runs",
            cast_to=object,
            body={"assistant_id": assistant["id"], "response_format": {"type": "json_object"}},
        )
    )
    assert len(client.beta.threads.messages.list(thread.id).data) == 1
    run = client.post(
        f"/threads/{thread.id}/runs",
        cast_to=object,
        body={
            "assistant_id": assistant["id"],
            "response_format": {"type": "json_object"},
            "additional_instructions": "Respond in JSON.",
        },
    )
    assert run["status"] == "queued"


# -- tool_choice -----------------------------------------------------------------------------
def test_tool_choice_must_name_a_sent_function(emulator: Any, client: openai.OpenAI) -> None:
    error = _refused(
        lambda: _respond(client, tools=[_flat("lookup")], tool_choice={"type": "function", "name": "other"})
    )
    assert error.param == "tool_choice" and "'other'" in error.body["message"]
    _refused(lambda: _respond(client, tool_choice={"type": "function", "name": "lookup"}))
    chosen = _respond(client, tools=[_flat("lookup")], tool_choice={"type": "function", "name": "lookup"})
    assert chosen["output"][0]["name"] == "lookup"
    # Assistants: the run's tools, else the assistant's
    assistant = _assistant(client, tools=[_nested("lookup")])
    named = {"type": "function", "function": {"name": "other"}}
    error = _refused(lambda: _thread_and_run(client, assistant["id"], tool_choice=named))
    assert error.param == "tool_choice"
    assert _thread_and_run(client, assistant["id"], tool_choice={"type": "function", "function": {"name": "lookup"}})
    assert _thread_and_run(client, assistant["id"], tools=[_nested("other")], tool_choice=named)


# -- reasoning -------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-5-chat-latest"])
def test_reasoning_is_refused_for_models_that_do_not_reason(emulator: Any, client: openai.OpenAI, model: str) -> None:
    error = _refused(lambda: _respond(client, model=model, reasoning={"effort": "low"}))
    assert (error.param, error.code) == ("reasoning.effort", "unsupported_parameter")
    assert error.body["message"] == "Unsupported parameter: 'reasoning.effort' is not supported with this model."
    error = _refused(lambda: _assistant(client, model=model, reasoning_effort="low"))
    assert error.param == "reasoning_effort"
    assistant = _assistant(client, model=model)
    thread = client.beta.threads.create()
    error = _refused(
        lambda: client.post(
            f"/threads/{thread.id}/runs",
            cast_to=object,
            body={"assistant_id": assistant["id"], "reasoning_effort": "low"},
        )
    )
    assert error.param == "reasoning_effort"


@pytest.mark.parametrize("model", ["o1", "o3", "o3-mini", "o4-mini", "o3-2025-04-16", "gpt-5", "gpt-5-mini", "gpt-5.1"])
def test_reasoning_models_take_reasoning(emulator: Any, client: openai.OpenAI, model: str) -> None:
    assert _respond(client, model=model, reasoning={"effort": "low"})["reasoning"]["effort"] == "low"
    assistant = _assistant(client, model=model, reasoning_effort="high")
    thread = client.beta.threads.create()
    run = client.post(
        f"/threads/{thread.id}/runs", cast_to=object, body={"assistant_id": assistant["id"], "reasoning_effort": "low"}
    )
    assert run["status"] == "queued"


def test_reasoning_without_an_effort_is_fine_anywhere(emulator: Any, client: openai.OpenAI) -> None:
    assert _respond(client, reasoning={"effort": None})["status"] == "completed"


def test_the_model_list_is_honest_about_reasoning(emulator: Any, client: openai.OpenAI) -> None:
    """Every listed model is either refused reasoning or takes it, as the families say."""
    from openaiassistant.emulator.catalogue import is_reasoning_model

    listed = [m.id for m in client.models.list()]
    assert {"gpt-4o-mini", "o3", "o4-mini", "gpt-5"} <= set(listed)
    for model in listed:
        if is_reasoning_model(model):
            assert _respond(client, model=model, reasoning={"effort": "low"})["status"] == "completed"
        else:
            _refused(lambda model=model: _respond(client, model=model, reasoning={"effort": "low"}))


def test_the_assistants_api_needs_its_beta_header(emulator: Any) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    refused = httpx.post(f"{emulator.base_url}/threads", json={}, headers=headers)
    assert refused.status_code == 400 and "OpenAI-Beta" in refused.json()["error"]["message"]
    ok = httpx.post(f"{emulator.base_url}/threads", json={}, headers={**headers, "OpenAI-Beta": "assistants=v2"})
    assert ok.status_code == 200 and ok.json()["object"] == "thread"
