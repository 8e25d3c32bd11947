"""Redaction hides secrets without corrupting data.

* the ``sk-`` key pattern needs a left boundary: ``disk-usage-...`` and ``task-runner-...`` are
  ordinary words in an AIOps tool, not API keys;
* values shorter than 8 characters are never registered as secrets (``true``, ``none``,
  ``basic`` would otherwise be replaced inside every later output of the process);
* tool results are redacted value by value before they are serialized, so the model always gets
  valid JSON, even when a secret holds JSON-special characters or sits in a number.
"""

from __future__ import annotations

import json

import pytest

from openaiassistant import redaction
from openaiassistant.redaction import redact, redact_data, register_secret
from openaiassistant.tools import Toolbox, ToolCall, ToolCallError

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def _isolated_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    # The registered secrets are process-wide: give each test its own copy.
    monkeypatch.setattr(redaction, "_extra_secrets", set(redaction._extra_secrets))


@pytest.mark.parametrize(
    "word",
    [
        "disk-usage-report-db1",
        "task-runner-nightly-2026",
        "risk-assessment-summary-q4",
        "mask-sensitive-fields-v2",
        "/var/lib/desk-booking-service/state",
    ],
)
def test_words_ending_in_sk_are_not_api_keys(word: str) -> None:
    assert redact(word) == word
    assert redact(f"job {word} failed") == f"job {word} failed"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("key sk-abcdefghijklmnop0123 end", "key *** end"),
        ("(sk-proj-abcDEF0123456789xyz)", "(***)"),
        ('"sk-live_0123456789abcdefgh"', '"***"'),
        ("OPENAI_API_KEY=sk-abcdefghijklmnop", "OPENAI_API_KEY=***"),
        ("Authorization: Bearer abcdef0123456789", "Authorization: Bearer ***"),
        ("{'api_key': 'abcd-1234'}", "{'api_key': '***'}"),
    ],
    # the ids name the shape, not the key: a test id is printed in CI logs and the suite's
    # junit report, which the reliability secret scan reads
    ids=["in-prose", "project-key", "quoted", "env-assignment", "bearer-header", "dict-repr"],
)
def test_key_shaped_text_is_still_hidden(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("value", ["true", "false", "none", "null", "basic", "bearer", "enabled", "1234567"])
def test_values_shorter_than_8_characters_are_never_registered(value: str) -> None:
    register_secret(value)
    text = json.dumps({"ok": True, "auth_type": "none", "mode": "basic", "flag": False, "v": value, "n": 1234567})
    assert redact(text) == text


def test_values_of_8_or_more_characters_are_registered() -> None:
    register_secret("hunter22")
    register_secret(None)
    register_secret("")
    assert redact("the password is hunter22.") == "the password is ***."


def test_redact_data_walks_values_and_keys_and_keeps_types() -> None:
    register_secret("pin-99887766")
    register_secret("99887766")
    data = {
        "ok": True,
        "count": 3,
        "ratio": 0.5,
        "nothing": None,
        "note": "login with pin-99887766 please",
        "pin": 99887766,
        "items": [{"token": "pin-99887766"}, "disk-usage-report-db1", 7],
        "api_key": "abcd-1234",
        "x-api-key": True,
        "api_key_enabled": "enabled-for-all",
        "sk-abcdefghijklmnop1234": "seen as a key",
    }
    assert redact_data(data) == {
        "ok": True,
        "count": 3,
        "ratio": 0.5,
        "nothing": None,
        "note": "login with *** please",
        "pin": "***",
        "items": [{"token": "***"}, "disk-usage-report-db1", 7],
        "api_key": "***",
        "x-api-key": True,
        "api_key_enabled": "enabled-for-all",
        "***": "seen as a key",
    }


def call(name: str) -> ToolCall:
    return ToolCall(call_id=f"call_{name}", name=name, arguments="{}")


def test_tool_outputs_stay_valid_json_while_secrets_are_hidden() -> None:
    password = 'quote"and\\backslash-77'  # JSON escapes these: a text-level replace misses it
    register_secret(password)
    register_secret("99887766")
    registry = Toolbox()

    @registry.tool
    def report() -> dict:
        """A result full of secrets and words that look like them."""
        return {
            "ok": True,
            "api_key": True,
            "apiKey": "abcd1234",
            "password": password,
            "pin": 99887766,
            "nested": [{"note": f"login with {password} please"}],
            "job": "disk-usage-report-db1",
        }

    @registry.tool
    def refuse() -> dict:
        """Fails with structured data that holds secrets."""
        raise ToolCallError(f"denied for {password}", data={"api_key": True, "detail": password, "retry": False})

    ok, failed = registry.execute_round([call("report"), call("refuse")])
    assert json.loads(ok.output) == {
        "ok": True,
        "api_key": True,
        "apiKey": "***",
        "password": "***",
        "pin": "***",
        "nested": [{"note": "login with *** please"}],
        "job": "disk-usage-report-db1",
    }
    assert failed.error == "denied for ***"
    assert json.loads(failed.output) == {"error": "denied for ***", "api_key": True, "detail": "***", "retry": False}
    for output in (ok.output, failed.output):
        assert password not in output and json.dumps(password)[1:-1] not in output
