"""The pytest fixture itself: it fails tests whose requests break the spec (unless marked
``emulator_bad_requests``), and it refuses to run unvalidated when the spec file is missing
(unless ``OPENAI_EMULATOR_REQUIRE_SPEC=0``). Checked by running small test files in pytester."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SENDS_A_SPEC_BREAKING_REQUEST = """
import openai
import pytest

def _send(emulator):
    client = openai.OpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0)
    # accepted like the live API does, but the spec requires `strict` on a function tool
    tool = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}
    client.post("/responses", cast_to=object, body={"model": "m", "input": "x", "tools": [tool]})

def test_unmarked(emulator):
    _send(emulator)

@pytest.mark.emulator_bad_requests
def test_marked(emulator):
    _send(emulator)
"""

PLAIN = """
def test_plain(emulator):
    assert emulator.base_url
"""


def test_request_violations_fail_the_test_unless_marked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SENDS_A_SPEC_BREAKING_REQUEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2, errors=1)  # test_unmarked passes its body, errors at teardown
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_unmarked*", "*client sent: request POST /v1/responses*strict*"]
    )
    assert "test_marked" not in "\n".join(line for line in result.stdout.lines if "ERROR" in line)


def test_a_missing_spec_fails_loudly(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", str(pytester.path / "nowhere" / "openapi.json"))
    monkeypatch.delenv("OPENAI_EMULATOR_REQUIRE_SPEC", raising=False)  # the default: required
    pytester.makepyfile(PLAIN)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*OpenAI's OpenAPI spec was not found at*nowhere*OPENAI_OPENAPI_SPEC*OPENAI_EMULATOR_REQUIRE_SPEC=0*"]
    )


def test_a_missing_spec_can_be_allowed_explicitly(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", str(pytester.path / "nowhere" / "openapi.json"))
    monkeypatch.setenv("OPENAI_EMULATOR_REQUIRE_SPEC", "0")
    pytester.makepyfile(PLAIN)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-W", "ignore::RuntimeWarning")
    result.assert_outcomes(passed=1)
