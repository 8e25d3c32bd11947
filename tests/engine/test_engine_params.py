"""Run controls: every bad value is a ConfigError naming the parameter, and nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import RUN_CREATE, posts

from openaiassistant.errors import APIError, ConfigError
from openaiassistant.params import JSON_HINT, ResponseFormat, ToolChoice, Truncation, parse_params, with_json_hint

SCHEMA = {
    "type": "object",
    "properties": {"severity": {"type": "string"}},
    "required": ["severity"],
    "additionalProperties": False,
}

BAD = [
    ("temperature", "hot", "temperature"),
    ("temperature", 2.5, "temperature"),
    ("temperature", True, "temperature"),
    ("top_p", "1.5", "top_p"),
    ("top_p", -0.1, "top_p"),
    ("max_prompt_tokens", 100, "max_prompt_tokens"),
    ("max_prompt_tokens", "lots", "max_prompt_tokens"),
    ("max_completion_tokens", "2.5", "max_completion_tokens"),
    ("max_completion_tokens", 0, "max_completion_tokens"),
    ("truncation_strategy", "last", "truncation_strategy"),
    ("truncation_strategy", {"type": "last_messages", "last_messages": 0}, "truncation_strategy.last_messages"),
    ("tool_choice", "sometimes", "tool_choice"),
    ("tool_choice", {"type": "function"}, "tool_choice"),
    ("parallel_tool_calls", "maybe", "parallel_tool_calls"),
    ("reasoning_effort", "extreme", "reasoning_effort"),
    ("metadata", {f"k{i}": "v" for i in range(17)}, "metadata"),
    ("metadata", {"k" * 65: "v"}, "metadata"),
    ("metadata", {"k": "v" * 513}, "metadata.k"),
    ("metadata", {"k": {"nested": 1}}, "metadata.k"),
    ("metadata", "{not json", "metadata"),
    ("response_format", "yaml", "response_format"),
    ("response_format", {"type": "json_schema", "json_schema": {"name": "x"}}, "response_format.schema"),
    (
        "response_format",
        {"type": "json_schema", "json_schema": {"name": "bad name!", "schema": SCHEMA}},
        "response_format.name",
    ),
    ("response_format", {"type": "json_schema", "schema": {"type": "nonsense"}}, "response_format.schema"),
    ("max_tool_rounds", 0, "max_tool_rounds"),
    ("max_tool_calls", "-1", "max_tool_calls"),
    ("model", "  ", None),  # blank means "not given", not an error
    ("instructions", 42, "instructions"),
    ("colour", "blue", "colour"),
]


@pytest.mark.parametrize(("name", "value", "parameter"), BAD, ids=[f"{b[0]}={b[1]!r}"[:40] for b in BAD])
def test_bad_values_name_the_parameter(name: str, value: Any, parameter: str | None) -> None:
    if parameter is None:
        assert parse_params({name: value}) == parse_params({})
        return
    with pytest.raises(ConfigError) as info:
        parse_params({name: value})
    assert info.value.parameter == parameter
    assert parameter in str(info.value)


def test_numeric_and_json_strings_are_accepted() -> None:
    params = parse_params(
        {
            "temperature": "0.2",
            "top_p": "1",
            "max_prompt_tokens": "1000",
            "max_output_tokens": "300.0",
            "parallel_tool_calls": "false",
            "reasoning_effort": "LOW",
            "tool_choice": '{"type": "function", "name": "lookup"}',
            "truncation_strategy": '{"type": "last_messages", "last_messages": "5"}',
            "metadata": '{"tenant": "t1", "n": 3}',
            "response_format": '{"type": "json_schema", "json_schema": {"name": "triage", "schema": '
            + __import__("json").dumps(SCHEMA)
            + ', "strict": "true"}}',
            "max_tool_rounds": "3",
        }
    )
    assert params.temperature == 0.2 and params.top_p == 1.0
    assert params.max_prompt_tokens == 1000 and params.max_completion_tokens == 300
    assert params.parallel_tool_calls is False and params.reasoning_effort == "low"
    assert params.tool_choice == ToolChoice(mode="function", name="lookup")
    assert params.truncation_strategy == Truncation(kind="last_messages", last_messages=5)
    assert params.metadata == {"tenant": "t1", "n": "3"}
    assert params.response_format == ResponseFormat(kind="json_schema", name="triage", schema=SCHEMA, strict=True)
    assert params.max_tool_rounds == 3


def test_both_tool_choice_shapes_and_auto_format() -> None:
    assistants_shape = parse_params({"tool_choice": {"type": "function", "function": {"name": "f"}}})
    assert assistants_shape.tool_choice == ToolChoice(mode="function", name="f")
    assert parse_params({"response_format": "auto"}).response_format is None
    assert parse_params({"response_format": {"type": "json_object"}}).response_format == ResponseFormat(
        kind="json_object"
    )


def test_completion_token_minimum_follows_the_backend() -> None:
    assert parse_params({"max_completion_tokens": 16}, backend="responses").max_completion_tokens == 16
    with pytest.raises(ConfigError, match="max_completion_tokens"):
        parse_params({"max_completion_tokens": 16}, backend="assistants")


def test_turn_values_override_assistant_defaults() -> None:
    params = parse_params({"temperature": "0.9"}, defaults={"temperature": 0.1, "top_p": 0.5})
    assert (params.temperature, params.top_p) == (0.9, 0.5)


BAD_TURNS = [
    ({"params": {"temperature": "9"}}, "temperature"),
    ({"params": {"response_format": "xml"}}, "response_format"),
    ({"metadata": {"k" * 70: "v"}}, "metadata"),
    ({"metadata": "tenant=t1"}, "metadata"),
    ({"on_active_run": "shove"}, "on_active_run"),
    ({"timeout": "soon"}, "timeout"),
    ({"timeout": -1}, "timeout"),
    ({"thread_id": "../etc"}, "thread_id"),
    ({"images": ["ftp://x/y.png"]}, "images[0]"),
]


@pytest.mark.parametrize(("kwargs", "parameter"), BAD_TURNS, ids=[b[1] + str(i) for i, b in enumerate(BAD_TURNS)])
def test_bad_turn_arguments_send_nothing(
    make_assistant: Any, emulator: Any, kwargs: dict[str, Any], parameter: str
) -> None:
    assistant = make_assistant()
    emulator.clear_requests()
    with pytest.raises(ConfigError) as info:
        assistant.run_turn("hello", **kwargs)
    assert info.value.parameter == parameter
    assert emulator.requests() == []


def test_empty_prompt_sends_nothing(make_assistant: Any, emulator: Any) -> None:
    assistant = make_assistant()
    emulator.clear_requests()
    with pytest.raises(ConfigError, match="prompt"):
        assistant.run_turn("   ")
    assert emulator.requests() == []


def test_bad_assistant_defaults_fail_at_construction(make_assistant: Any) -> None:
    with pytest.raises(ConfigError, match="top_p"):
        make_assistant(params={"top_p": 3})


def test_settings_validation() -> None:
    from openaiassistant.settings import AssistantSpec, ConnectionSettings

    # Azure without api_version is the v1 endpoint; a malformed api_version is refused
    ConnectionSettings(api_key="sk-x1234567", azure_endpoint="https://x.openai.azure.com").validate()
    with pytest.raises(ConfigError, match="api_version"):
        ConnectionSettings(
            api_key="sk-x1234567", azure_endpoint="https://x.openai.azure.com", api_version="x"
        ).validate()
    with pytest.raises(ConfigError, match="base_url"):
        ConnectionSettings(api_key="sk-x1234567", base_url="ftp://x").validate()
    with pytest.raises(ConfigError, match="backend"):
        AssistantSpec(backend="ollama", model="m").validate()
    with pytest.raises(ConfigError, match="model.*chat backend"):
        AssistantSpec(backend="chat").validate()
    with pytest.raises(ConfigError, match="vector_store_ids.*file_search"):
        AssistantSpec(backend="chat", model="m", vector_store_ids=("vs_1",)).validate()
    with pytest.raises(ConfigError, match="assistant_id"):
        AssistantSpec(backend="assistants").validate()
    with pytest.raises(ConfigError, match="model"):
        AssistantSpec(backend="responses").validate()
    assert "sk-x1234567" not in repr(ConnectionSettings(api_key="sk-x1234567"))


def test_params_reach_the_wire(make_assistant: Any, client: Any, emulator: Any, backend: str) -> None:
    params = {
        "temperature": "0.3",
        "parallel_tool_calls": "false",
        "tool_choice": "none",
        "truncation_strategy": {"type": "last_messages", "last_messages": 4},
        "max_completion_tokens": "300",
        "response_format": "json_object",
    }
    result = make_assistant().run_turn("give json", params=params)
    assert isinstance(result.response, dict)
    if backend == "assistants":
        run = client.beta.threads.runs.retrieve(result.run_id, thread_id=result.thread_id)
        assert run.temperature == 0.3 and run.parallel_tool_calls is False and run.tool_choice == "none"
        assert (run.truncation_strategy.type, run.truncation_strategy.last_messages) == ("last_messages", 4)
        assert run.max_completion_tokens == 300
    else:
        response = client.get(f"/responses/{result.response_id}", cast_to=object)
        assert response["temperature"] == 0.3 and response["parallel_tool_calls"] is False
        assert response["tool_choice"] == "none" and response["truncation"] == "auto"
        assert response["max_output_tokens"] == 300 and response["text"]["format"] == {"type": "json_object"}
    assert emulator.request_violations() == []


def test_reasoning_effort_reaches_a_reasoning_model(
    make_assistant: Any, client: Any, emulator: Any, backend: str
) -> None:
    result = make_assistant(model="o4-mini").run_turn("think", params={"reasoning_effort": "low"}, stream=False)
    assert result.status == "completed"
    bodies = [r["body"] for r in posts(emulator, RUN_CREATE[backend])]
    if backend == "responses":
        assert [b["reasoning"] for b in bodies] == [{"effort": "low"}]
        assert client.get(f"/responses/{result.response_id}", cast_to=object)["reasoning"]["effort"] == "low"
    else:
        assert [b["reasoning_effort"] for b in bodies] == ["low"]


def test_reasoning_effort_on_a_model_that_does_not_reason_is_the_servers_400(make_assistant: Any, backend: str) -> None:
    """As live: gpt-4o-mini takes no reasoning settings; the API's refusal reaches the caller."""
    with pytest.raises(APIError, match="not supported with this model"):
        make_assistant(model="gpt-4o-mini").run_turn("think", params={"reasoning_effort": "low"}, stream=False)


def test_json_object_without_json_in_the_prompt_is_made_valid(make_assistant: Any, emulator: Any, backend: str) -> None:
    """The API refuses json_object unless something says "json"; the client adds a hint."""
    result = make_assistant().run_turn("triage db-1", params={"response_format": "json_object"}, stream=False)
    assert result.status == "completed" and isinstance(result.response, dict)
    body = posts(emulator, RUN_CREATE[backend])[0]["body"]
    sent = body.get("instructions", "") + body.get("additional_instructions", "")
    assert JSON_HINT in sent


def test_json_hint_is_added_only_when_needed() -> None:
    json_object = parse_params({"response_format": "json_object"})
    assert with_json_hint(json_object).additional_instructions == JSON_HINT
    assert with_json_hint(json_object, "Answer as JSON: severity, action").additional_instructions is None  # the prompt
    assert with_json_hint(json_object, None, "You reply in json.").additional_instructions is None  # the assistant's
    said = parse_params({"response_format": "json_object", "instructions": "Answer as json."})
    assert with_json_hint(said).additional_instructions is None
    extra = parse_params({"response_format": "json_object", "additional_instructions": "Be brief."})
    assert with_json_hint(extra).additional_instructions == f"Be brief.\n\n{JSON_HINT}"
    assert with_json_hint(parse_params({"response_format": "text"})).additional_instructions is None


def test_a_prompt_that_asks_for_json_needs_no_hint(make_assistant: Any, emulator: Any, backend: str) -> None:
    result = make_assistant().run_turn("triage db-1, answer JSON", params={"response_format": "json_object"})
    assert isinstance(result.response, dict)
    body = posts(emulator, RUN_CREATE[backend])[0]["body"]
    assert JSON_HINT not in body.get("instructions", "") + body.get("additional_instructions", "")


@pytest.mark.parametrize("timeout", ["inf", float("nan"), 0, -1, "soon"])
def test_a_turn_timeout_must_be_positive_and_finite(make_assistant: Any, emulator: Any, timeout: Any) -> None:
    assistant = make_assistant()
    emulator.clear_requests()
    with pytest.raises(ConfigError, match="timeout"):
        assistant.run_turn("hi", timeout=timeout)
    assert emulator.requests() == []  # refused before anything was sent
