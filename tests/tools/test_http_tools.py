"""Declarative HTTP tools against real local servers on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

import pytest

from openaiassistant.errors import ConfigError
from openaiassistant.tools import HttpToolSpec, Toolbox, ToolCall

pytestmark = pytest.mark.timeout(30)


def spec(url: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "fetch",
        "description": "Fetch something.",
        "parameters": {
            "type": "object",
            "properties": {"item": {"type": "string"}, "limit": {"type": ["integer", "null"]}},
            "required": ["item"],
        },
        "url": url,
    }
    base.update(extra)
    return base


def run(registry: Toolbox, args: dict[str, Any], name: str = "fetch") -> Any:
    [output] = registry.execute_round([ToolCall(call_id="c1", name=name, arguments=json.dumps(args))])
    return output


def test_get_with_path_query_and_json_result(tool_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/items/{{item}}", query={"limit": "{limit}", "state": "firing"}))
    output = run(registry, {"item": "db-1", "limit": 5})
    assert output.error is None
    result = json.loads(output.output)
    assert result["status"] == 200
    assert result["body"]["path"] == "/items/db-1"
    assert result["body"]["query"] == [["limit", "5"], ["state", "firing"]]
    # A null optional argument drops its query parameter.
    result = json.loads(run(registry, {"item": "db-1", "limit": None}).output)
    assert result["body"]["query"] == [["state", "firing"]]


def test_post_body_template_keeps_json_types(tool_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(
        spec(
            f"{tool_server.url}/search",
            method="POST",
            body={"q": "{item}", "size": "{limit}", "label": "item={item}", "fixed": [1, True]},
        )
    )
    result = json.loads(run(registry, {"item": "cpu", "limit": 3}).output)
    assert result["body"]["method"] == "POST"
    assert result["body"]["body"] == {"q": "cpu", "size": 3, "label": "item=cpu", "fixed": [1, True]}


def test_arguments_cannot_leave_the_origin_or_the_path_segment(tool_server, evil_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/items/{{item}}", query={"q": "{item}"}))
    evil_host = evil_server.url.removeprefix("http://")
    attempts = [f"@{evil_host}/x", f"//{evil_host}/x", "../admin", "a/../../admin", "x?admin=1#frag", "%2e%2e"]
    for attempt in attempts:
        output = run(registry, {"item": attempt})
        assert output.error is None, (attempt, output)
    received = [r.raw_path for r in tool_server.requests]
    assert len(received) == len(attempts)
    for raw_path in received:
        path = raw_path.split("?", 1)[0]
        # Everything the argument carried stays inside one encoded path segment.
        assert path.startswith("/items/") and path.count("/") == 2, raw_path
        assert "/admin" not in path and "@" not in path
    assert [v for r in tool_server.requests for k, v in r.query if k == "q"] == attempts
    assert evil_server.requests == []


@pytest.mark.parametrize("bad", ["..", ".", ""])
def test_dot_segments_and_empty_path_values_are_refused(tool_server, bad: str) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/items/{{item}}/detail"))
    output = run(registry, {"item": bad})
    assert output.error == f"argument 'item' may not be {bad!r} in the URL path"
    assert tool_server.requests == []


def test_redirect_to_another_origin_is_not_followed(tool_server, evil_server) -> None:
    tool_server.redirect_target = f"{evil_server.url}/steal"
    registry = Toolbox()
    registry.add_http_tool(
        spec(f"{tool_server.url}/redirect/other/{{item}}", headers={"Authorization": "Bearer redirect-secret-123"})
    )
    output = run(registry, {"item": "x"})
    assert output.error is not None and "redirect to another origin" in output.error
    assert evil_server.url.removeprefix("http://").split(":")[1] in output.error  # names where it was sent
    assert evil_server.requests == []
    assert "redirect-secret-123" not in output.output


def test_same_origin_redirects_are_followed_and_bounded(tool_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/redirect/same/{{item}}"))
    result = json.loads(run(registry, {"item": "x"}).output)
    assert result["body"]["path"] == "/landed"

    loop = Toolbox()
    loop.add_http_tool(spec(f"{tool_server.url}/redirect/loop/{{item}}", max_redirects=2))
    output = run(loop, {"item": "x"})
    assert output.error == "too many redirects (more than 2)"

    no_follow = Toolbox()
    no_follow.add_http_tool(spec(f"{tool_server.url}/redirect/same/{{item}}", follow_redirects=False))
    assert json.loads(run(no_follow, {"item": "x"}).output)["status"] == 302


def test_post_303_redirect_becomes_get(tool_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/redirect/see-other/{{item}}", method="POST", body={"a": 1}))
    result = json.loads(run(registry, {"item": "x"}).output)
    assert result["body"]["method"] == "GET" and result["body"]["path"] == "/landed"


def test_response_size_is_capped_while_streaming(tool_server) -> None:
    registry = Toolbox(max_output_chars=100_000)
    registry.add_http_tool(spec(f"{tool_server.url}/big/{{item}}", max_response_bytes=10_000))
    output = run(registry, {"item": "x"})
    result = json.loads(output.output)
    assert result["truncated"] is True
    assert result["note"] == "response truncated at 10000 bytes"
    assert result["body"] == "x" * 10_000


def test_http_error_status_is_an_error_output_with_the_body(tool_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/status/{{item}}"))
    output = run(registry, {"item": "404"})
    assert output.error == "HTTP 404 Not Found"
    payload = json.loads(output.output)
    assert payload["status"] == 404 and payload["body"] == {"detail": "nope"}


def test_text_responses_are_returned_as_text(tool_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/text/{{item}}"))
    result = json.loads(run(registry, {"item": "x"}).output)
    assert result["body"] == "plain words" and result["content_type"].startswith("text/plain")


def test_slow_server_times_out_as_an_output(tool_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/slow/{{item}}", timeout=0.2))
    output = run(registry, {"item": "x"})
    assert output.error is not None and "timed out" in output.error


def test_connection_refused_is_an_output() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on (bound, then closed)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    registry = Toolbox()
    registry.add_http_tool(spec(f"http://127.0.0.1:{port}/items/{{item}}"))
    output = run(registry, {"item": "x"})
    assert output.error is not None and output.error.startswith("HTTP request failed: ConnectError")


def test_secret_headers_reach_the_server_but_never_the_model_logs_or_errors(
    tool_server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OA_TEST_TOOL_TOKEN", "env-token-abcdef123456")
    registry = Toolbox()
    registry.add_http_tool(
        spec(
            f"{tool_server.url}/reflect-auth/{{item}}",
            headers={"Authorization": "Bearer ${env:OA_TEST_TOOL_TOKEN}", "X-Team": "${secret:team_key}"},
            method="POST",
            body={"key": "${secret:query_key}", "item": "{item}"},
        ),
        secrets={"team_key": "team-secret-998877", "query_key": "query-secret-556677"},
    )
    registry.add_http_tool(
        {
            **spec(f"{tool_server.url}/status/{{item}}", headers={"Authorization": "Bearer ${env:OA_TEST_TOOL_TOKEN}"}),
            "name": "failing",
        }
    )
    with caplog.at_level(logging.DEBUG):
        ok = run(registry, {"item": "x"})
        failed = run(registry, {"item": "500"}, name="failing")
    [received, _] = tool_server.requests
    assert received.headers["Authorization"] == "Bearer env-token-abcdef123456"
    assert received.headers["X-Team"] == "team-secret-998877"
    assert json.loads(received.body) == {"key": "query-secret-556677", "item": "x"}
    assert json.loads(ok.output)["body"] == {"you_sent": "***"}
    assert failed.error == "HTTP 500 Internal Server Error"
    visible = " ".join(
        [
            ok.output,
            failed.output,
            failed.error or "",
            caplog.text,
            repr(registry),
            json.dumps([d.__dict__ for d in registry.definitions()]),
            repr(registry.get("fetch")),
        ]
    )
    for secret in ("env-token-abcdef123456", "team-secret-998877", "query-secret-556677"):
        assert secret not in visible
    assert "reflect-auth" in caplog.text  # the request was logged, with its secrets hidden


def test_definition_shows_only_name_description_and_parameters(tool_server) -> None:
    parsed = HttpToolSpec.from_dict(spec(f"{tool_server.url}/items/{{item}}"))
    definition = parsed.definition()
    assert definition.name == "fetch" and definition.description == "Fetch something."
    assert tool_server.url not in json.dumps(definition.__dict__)
    assert definition.strict is False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://{host}/x", "placeholders are not allowed in the scheme, host or port"),
        ("http://127.0.0.1:{port}/x", "placeholders are not allowed in the scheme, host or port"),
        ("http://127.0.0.1{item}", "placeholders are not allowed in the scheme, host or port"),
        ("{item}://127.0.0.1/x", "scheme '{item}' is not allowed"),
        ("ftp://127.0.0.1/x", "scheme 'ftp' is not allowed"),
        ("http://user:pw@127.0.0.1/x", "credentials in the URL are not allowed"),
        ("http://127.0.0.1/${env:HOME}", "may not reference ${env:...}"),
        ("http://127.0.0.1/x#{item}", "fragments are not allowed"),
        ("/relative/{item}", "must be an absolute http(s) URL template"),
        ("http://127.0.0.1/{nope}", "placeholder(s) ['nope'] are not declared"),
        ("http://127.0.0.1/{limit}", "path placeholder(s) ['limit'] must be listed in parameters.required"),
        ("http://127.0.0.1/{item", "stray brace"),
    ],
)
def test_bad_url_templates_are_refused_at_load_time(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        HttpToolSpec.from_dict(spec(url))
    assert message in str(info.value)
    assert "HTTP tool 'fetch'" in str(info.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "TRACE"}, "method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got 'TRACE'"),
        ({"body": {"a": 1}}, "a GET request cannot have a body"),
        ({"timeout": 0}, "timeout: must be a finite number of seconds > 0"),
        ({"max_response_bytes": "lots"}, "max_response_bytes: must be a whole number > 0"),
        ({"surprise": 1}, "unknown field 'surprise'; known fields: approval, body, description"),
        ({"parameters": {"type": "array"}}, "must be a JSON schema with type: object"),
        ({"parameters": {"type": "object", "properties": {"item": {"type": "strin"}}}}, "not a valid JSON schema"),
        ({"strict": True}, "strict: true needs a strict schema"),
        ({"headers": {"Authorization": "Bearer {item}"}}, "argument placeholders are not allowed in headers"),
        (
            {"headers": {"X-Token": "${env:OA_TEST_SURELY_UNSET_VAR}"}},
            "environment variable 'OA_TEST_SURELY_UNSET_VAR' is not set",
        ),
        ({"headers": {"X-Token": "${secret:nope}"}}, "secret 'nope' was not provided"),
        ({"query": {"key": "${env:HOME}"}}, "may not reference ${env:...}"),
        ({"name": "bad name!"}, "name: must be 1-64 characters"),
        ({"body": {"at": datetime.date(2026, 1, 1)}}, "body.at: must be JSON"),
        ({"headers": {"Bad Name": "x"}}, "headers: must be a header name (no spaces"),
        ({"follow_redirects": "maybe"}, "follow_redirects: must be true or false (also yes/no, 1/0, on/off"),
    ],
)
def test_bad_specs_are_refused_with_clear_messages(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        HttpToolSpec.from_dict(spec("http://127.0.0.1:9/items/{item}", **changes))
    assert message in str(info.value)


def test_keep_style_values_are_accepted() -> None:
    # Keep's workflow parser drops YAML floats (None) and users quote numbers to keep them.
    parsed = HttpToolSpec.from_dict(
        spec(
            "http://127.0.0.1:9/items/{item}",
            timeout="0.5",
            max_response_bytes="2048",
            strict=None,
            max_redirects="1",
            follow_redirects="false",
        )
    )
    assert (
        parsed.timeout,
        parsed.max_response_bytes,
        parsed.strict,
        parsed.max_redirects,
        parsed.follow_redirects,
    ) == (0.5, 2048, False, 1, False)
    assert HttpToolSpec.from_dict(spec("http://127.0.0.1:9/items/{item}", timeout=None)).timeout == 10.0
    as_text = spec("http://127.0.0.1:9/items/{item}")
    as_text["parameters"] = json.dumps(as_text["parameters"])
    assert HttpToolSpec.from_dict(as_text).parameters["required"] == ["item"]
    assert repr(parsed.url) == "Template('http://127.0.0.1:9/items/{item}')"


def test_strict_spec_is_accepted_when_the_schema_follows_the_rules() -> None:
    strict_params = {
        "type": "object",
        "properties": {"item": {"type": "string"}, "limit": {"type": ["integer", "null"]}},
        "required": ["item", "limit"],
        "additionalProperties": False,
    }
    parsed = HttpToolSpec.from_dict(spec("http://127.0.0.1:9/items/{item}", parameters=strict_params, strict=True))
    assert parsed.definition().strict is True


def test_schema_violations_never_reach_the_server(tool_server) -> None:
    registry = Toolbox()
    registry.add_http_tool(spec(f"{tool_server.url}/items/{{item}}"))
    output = run(registry, {"limit": 3})
    assert output.error is not None and "'item' is a required property" in output.error
    assert tool_server.requests == []
