"""Hosted tools through the real SDK over HTTP: web_search and code_interpreter on Responses (what
they did listed in ``result.hosted_calls``), code_interpreter on Assistants, and a clear refusal
before anything is sent where a backend has no such tool."""

from __future__ import annotations

from typing import Any

import pytest

from openaiassistant.errors import ConfigError

SCRIPT = {
    "rules": [
        {
            "match": "(?i)search",
            "web_search": {
                "query": "postgres {{ input }}",
                "sources": [{"url": "https://www.postgresql.org/docs/", "title": "PostgreSQL docs"}],
            },
            "reply": "Found it on the web.",
        },
    ]
}


def _tools_sent(emulator: Any) -> list[list[dict[str, Any]]]:
    return [
        r["body"].get("tools") or []
        for r in emulator.requests()
        if r["method"] == "POST" and r["path"] == "/v1/responses"
    ]


@pytest.mark.parametrize("backend", ["responses"])
def test_web_search_is_offered_and_its_calls_are_listed(make_assistant, emulator, backend, stream):
    emulator.load_script(SCRIPT)
    assistant = make_assistant(
        hosted_tools=[{"web_search": {"search_context_size": "low", "allowed_domains": ["postgresql.org"]}}]
    )
    result = assistant.run_turn("search disk full")
    assert result.text == "Found it on the web."
    assert _tools_sent(emulator)[-1] == [
        {"type": "web_search", "search_context_size": "low", "filters": {"allowed_domains": ["postgresql.org"]}}
    ]
    [call] = result.hosted_calls
    assert call["type"] == "web_search" and call["status"] == "completed" and call["id"].startswith("ws_")
    assert call["queries"] == ["postgres search disk full"]
    assert call["sources"] == ["https://www.postgresql.org/docs/"]
    assert result.to_dict()["hosted_calls"] == [call]


@pytest.mark.parametrize("backend", ["responses"])
def test_code_interpreter_is_sent_with_its_container(make_assistant, emulator, backend):
    emulator.load_script(SCRIPT)
    assistant = make_assistant(hosted_tools=[{"code_interpreter": {"container": "auto", "memory_limit": "4g"}}])
    assistant.run_turn("hello")
    assert _tools_sent(emulator)[-1] == [
        {"type": "code_interpreter", "container": {"type": "auto", "memory_limit": "4g"}}
    ]


def test_code_interpreter_items_list_the_container_files_the_answer_cites():
    from openaiassistant.backends.hosted_wire import hosted_records

    response = {
        "output": [
            {
                "id": "ci_1",
                "type": "code_interpreter_call",
                "status": "completed",
                "container_id": "cntr_1",
                "code": "plot()",
                "outputs": [{"type": "logs", "logs": "ok"}],
            },
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "content": [
                    {
                        "type": "output_text",
                        "text": "Plot: sandbox:/mnt/data/cpu.png",
                        "annotations": [
                            {
                                "type": "container_file_citation",
                                "container_id": "cntr_1",
                                "file_id": "cfile_1",
                                "filename": "cpu.png",
                                "start_index": 6,
                                "end_index": 31,
                            }
                        ],
                    }
                ],
            },
        ]
    }
    [call] = hosted_records(response)
    assert call == {
        "type": "code_interpreter",
        "id": "ci_1",
        "status": "completed",
        "container_id": "cntr_1",
        "code": "plot()",
        "outputs": [{"type": "logs", "logs": "ok"}],
        "files": [{"file_id": "cfile_1", "filename": "cpu.png", "container_id": "cntr_1"}],
    }


@pytest.mark.parametrize("backend", ["assistants"])
def test_code_interpreter_runs_on_assistants(make_assistant, emulator, backend):
    emulator.load_script(SCRIPT)
    assistant = make_assistant(hosted_tools=[{"code_interpreter": {}}])
    assistant.run_turn("hello")
    runs = [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/runs")]
    assert {"type": "code_interpreter"} in runs[-1]["body"]["tools"]


@pytest.mark.parametrize(
    ("entry", "setting"),
    [
        ({"web_search": {}}, "hosted_tools[0] (web_search)"),
        ({"mcp_remote": {"server_url": "https://mcp.example.com/mcp"}}, "hosted_tools[0] (mcp_remote mcp_example_com)"),
        ({"code_interpreter": {"file_ids": ["file-1"]}}, "hosted_tools[0] (code_interpreter)"),
    ],
)
@pytest.mark.parametrize("backend", ["assistants"])
def test_assistants_refuses_what_it_cannot_run_before_anything_is_sent(
    make_assistant, emulator, backend, entry, setting
):
    make_assistant(hosted_tools=[])  # creates the stored assistant
    emulator.clear_requests()
    with pytest.raises(ConfigError) as caught:
        make_assistant(hosted_tools=[entry], assistant_id="asst_unused")
    assert caught.value.parameter == setting
    assert "assistants backend" in str(caught.value)
    assert emulator.requests() == []


@pytest.mark.parametrize("backend", ["responses"])
def test_a_backend_without_hosted_tools_refuses_every_one(backend):
    from openaiassistant.settings import BACKENDS, AssistantSpec
    from openaiassistant.tools.hosted import check_backend

    spec = AssistantSpec(model="m", hosted_tools=[{"code_interpreter": {}}])
    with pytest.raises(ConfigError) as caught:
        check_backend(spec.hosted_tools, backend="chat")
    assert caught.value.parameter == "hosted_tools[0] (code_interpreter)"
    assert "the chat backend cannot run code_interpreter" in str(caught.value)
    if "chat" in BACKENDS:  # the chat-completions backend, where it is built
        with pytest.raises(ConfigError, match="the chat backend cannot run web_search"):
            AssistantSpec(backend="chat", model="m", hosted_tools=["web_search"]).validate()


def test_the_example_tools_file_reads_as_documented():
    from pathlib import Path

    from openaiassistant.tools.loader import load_hosted_tools, load_tools_file

    example = Path(__file__).resolve().parents[2] / "examples" / "tools" / "hosted-tools.yaml"
    hosted = load_hosted_tools(example)
    assert [t.to_request() for t in hosted] == [
        {"type": "web_search", "search_context_size": "low", "filters": {"allowed_domains": ["postgresql.org"]}},
        {"type": "code_interpreter", "container": {"type": "auto"}},
    ]
    assert load_tools_file(example).definitions() == []  # nothing for the local executor


@pytest.mark.parametrize(
    ("entry", "where", "problem"),
    [
        ({"web_search": {"size": 1}}, "hosted_tools[0].web_search", "unknown key(s) ['size']"),
        ({"web_search": {"search_context_size": "huge"}}, "hosted_tools[0].web_search.search_context_size", "'huge'"),
        ({"mcp_remote": {}}, "hosted_tools[0].mcp_remote.server_url", "required"),
        (
            {"mcp_remote": {"server_url": "https://u:p@mcp.example.com/"}},
            "hosted_tools[0].mcp_remote.server_url",
            "may not carry credentials",
        ),
        (
            {"mcp_remote": {"server_url": "https://x.io", "require_approval": "sometimes"}},
            "hosted_tools[0].mcp_remote.require_approval",
            "always, never",
        ),
        (
            {"code_interpreter": {"container": "cntr_1", "file_ids": ["f"]}},
            "hosted_tools[0].code_interpreter.container",
            "container: auto",
        ),
        ({"web_search": {}, "code_interpreter": {}}, "hosted_tools[0]", "exactly one of the keys"),
    ],
)
def test_a_bad_entry_names_the_field(entry, where, problem):
    from openaiassistant.tools.hosted import parse_hosted_tools

    with pytest.raises(ConfigError) as caught:
        parse_hosted_tools([entry])
    assert caught.value.parameter == where
    assert problem in str(caught.value)


def test_a_credential_header_is_a_registered_secret(monkeypatch):
    from openaiassistant.errors import redact
    from openaiassistant.tools.hosted import parse_hosted_tools

    monkeypatch.setenv("DOCS_MCP_TOKEN", "tok-hosted-9f8e7d6c5b4a")
    [tool] = parse_hosted_tools(
        [
            {
                "mcp_remote": {
                    "server_url": "https://mcp.example.com/mcp",
                    "headers": {"Authorization": "Bearer ${env:DOCS_MCP_TOKEN}"},
                }
            }
        ]
    )
    assert tool.to_request()["headers"] == {"Authorization": "Bearer tok-hosted-9f8e7d6c5b4a"}
    assert "tok-hosted-9f8e7d6c5b4a" not in redact("sent Bearer tok-hosted-9f8e7d6c5b4a")
    assert "tok-hosted" not in repr(tool)
