"""Account-level limits (RPM / TPM), seen through the real SDK: the live API's headers on every
answer, its 429 body and headers over a limit, a sliding minute on the emulator's clock."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import openai
import pytest

from openaiassistant.coordination.headers import read_limits
from openaiassistant.emulator.account_limits import go_duration

RPM_MESSAGE = re.compile(
    r"^Rate limit reached for gpt-4o-mini in organization org-emulator on requests per min \(RPM\): "
    r"Limit 3, Used 3, Requested 1\. Please try again in (\d+(?:\.\d+)?)s\. "
    r"Visit https://platform\.openai\.com/account/rate-limits to learn more\.$"
)


def _create(client: openai.OpenAI, text: str = "hello") -> Any:
    return client.post(
        "/responses",
        body={"model": "gpt-4o-mini", "input": text},
        cast_to=object,
        options={"headers": {"X-Stainless-Raw-Response": "true"}},
    )


def test_requests_per_minute_with_the_live_headers_and_body(emulator: Any, client: openai.OpenAI) -> None:
    emulator.set_limits(rpm=3)
    remaining = []
    for _ in range(3):
        raw = _create(client)
        assert raw.headers["x-ratelimit-limit-requests"] == "3"
        remaining.append(raw.headers["x-ratelimit-remaining-requests"])
        reset = read_limits(raw.headers).reset_requests  # when the whole minute is free again
        assert reset is not None and 59 < reset <= 60
    assert remaining == ["2", "1", "0"]
    with pytest.raises(openai.RateLimitError) as refused:
        _create(client)
    error = refused.value
    assert error.status_code == 429
    assert error.code == "rate_limit_exceeded"
    assert isinstance(error.body, dict) and error.body.get("type") == "requests"
    match = RPM_MESSAGE.match(error.body["message"])
    assert match, error.body["message"]
    assert 50 < float(match.group(1)) <= 60.3
    assert error.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert "retry-after" not in error.response.headers  # the live API often sends none: read the body
    seen = read_limits(error.response.headers, message=error.body["message"])
    assert seen.limit_requests == 3 and seen.remaining_requests == 0
    assert seen.retry_after == pytest.approx(float(match.group(1)))
    assert [r["status"] for r in emulator.requests()] == [200, 200, 200, 429]
    assert emulator.limits() == {"rpm": 3, "tpm": None, "retry_after": False, "admitted": 3, "refused": 1}


def test_the_minute_slides_on_the_emulators_clock(emulator: Any, client: openai.OpenAI) -> None:
    emulator.set_limits(rpm=2)
    _create(client)
    emulator.advance_time(30)
    _create(client)
    with pytest.raises(openai.RateLimitError) as refused:
        _create(client)
    wait = read_limits(refused.value.response.headers, message=refused.value.body["message"]).retry_after
    assert wait is not None and 29 < wait <= 30.3  # the first request leaves the window in ~30 s
    emulator.advance_time(30.5)
    assert _create(client).headers["x-ratelimit-remaining-requests"] == "0"  # 1 left + this one
    with pytest.raises(openai.RateLimitError):
        _create(client)


def test_every_endpoint_counts_and_a_refused_request_does_not(emulator: Any, client: openai.OpenAI) -> None:
    emulator.set_limits(rpm=2)
    conversation = client.post("/conversations", body={}, cast_to=object)
    client.get(f"/conversations/{conversation['id']}", cast_to=object)
    for _ in range(3):
        with pytest.raises(openai.RateLimitError):
            client.get("/models", cast_to=object)
    assert emulator.limits()["admitted"] == 2 and emulator.limits()["refused"] == 3


def test_tokens_per_minute(emulator: Any, client: openai.OpenAI) -> None:
    emulator.set_limits(tpm=40, retry_after=True)
    raw = _create(client, "one two three")
    used = 40 - int(raw.headers["x-ratelimit-remaining-tokens"])
    assert raw.headers["x-ratelimit-limit-tokens"] == "40" and used == 3  # the words it sent
    long_text = " ".join(["word"] * 38)  # 3 + 38 > 40, alone it would fit
    with pytest.raises(openai.RateLimitError) as refused:
        _create(client, long_text)
    body = refused.value.body
    assert isinstance(body, dict) and body["type"] == "tokens"
    assert "on tokens per min (TPM): Limit 40, Used " in body["message"]
    assert "Please try again in" in body["message"]
    headers = refused.value.response.headers
    assert int(headers["retry-after-ms"]) > 0 and int(headers["retry-after"]) >= 1  # retry_after: true
    assert read_limits(headers, message=body["message"]).tokens_refused


def test_limits_are_off_by_default_and_reset_with_the_emulator(emulator: Any, client: openai.OpenAI) -> None:
    assert "x-ratelimit-limit-requests" not in _create(client).headers
    emulator.set_limits(rpm=1)
    _create(client)
    emulator.reset()
    assert "x-ratelimit-limit-requests" not in _create(client).headers


def test_limits_over_the_control_endpoint(emulator: Any, client: openai.OpenAI) -> None:
    def post(body: Any) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"{emulator.url}/_emulator/limits", data=json.dumps(body).encode(), method="POST"
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    assert post({"rpm": 0})[0] == 400
    assert post({"rpm": 5, "burst": 1})[0] == 400
    status, described = post({"rpm": 5})
    assert status == 200 and described["rpm"] == 5
    assert _create(client).headers["x-ratelimit-remaining-requests"] == "4"


@pytest.mark.parametrize(
    "seconds, text", [(0.0172, "18ms"), (1.0, "1s"), (12.6, "12.6s"), (12.61, "12.7s"), (60.0, "1m0s"), (361, "6m1s")]
)
def test_durations_read_as_the_live_api_writes_them(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
