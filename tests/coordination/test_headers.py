"""Reading what a server says about its limits: x-ratelimit-* headers, retry-after, 429 bodies."""

from __future__ import annotations

import pytest

from openaiassistant.coordination.headers import parse_duration, read_limits, wait_in_message

LIVE_RPM = (
    "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 60, Used 60, "
    "Requested 1. Please try again in 12.6s. Visit https://platform.openai.com/account/rate-limits to learn more."
)
LIVE_TPM = (
    "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29120, "
    "Requested 1566. Please try again in 1.372s. Visit https://platform.openai.com/account/rate-limits to learn more."
)


@pytest.mark.parametrize(
    "text, seconds",
    [("20ms", 0.02), ("1s", 1.0), ("12.6s", 12.6), ("6m0s", 360.0), ("1m30.5s", 90.5), ("1h2m3s", 3723.0), ("7", 7.0)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "soon", "-1", "1x", "5s later", "999999999"])
def test_what_is_not_a_duration(text: str | None) -> None:
    assert parse_duration(text) is None


def test_the_wait_in_the_live_apis_words() -> None:
    assert wait_in_message(LIVE_RPM) == pytest.approx(12.6)
    assert wait_in_message(LIVE_TPM) == pytest.approx(1.372)
    assert wait_in_message("Rate limit reached for requests. Please try again in 1m30s.") == pytest.approx(90.0)
    assert wait_in_message("Rate limit reached for requests. Please try again later.") is None


def test_everything_a_refusal_says() -> None:
    headers = {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "12.6s",
        "x-ratelimit-limit-tokens": "150000",
        "x-ratelimit-remaining-tokens": "149984",
        "x-ratelimit-reset-tokens": "6ms",
    }
    seen = read_limits(headers, message=LIVE_RPM)
    assert (seen.limit_requests, seen.remaining_requests, seen.reset_requests) == (60, 0, pytest.approx(12.6))
    assert (seen.limit_tokens, seen.remaining_tokens, seen.reset_tokens) == (150000, 149984, pytest.approx(0.006))
    assert seen.retry_after == pytest.approx(12.6) and not seen.tokens_refused
    assert read_limits({}, message=LIVE_TPM).tokens_refused


def test_the_longest_hint_wins() -> None:
    seen = read_limits({"retry-after": "2", "retry-after-ms": "500"}, message=LIVE_RPM)
    assert seen.retry_after == pytest.approx(12.6)
    assert read_limits({"retry-after-ms": "2500"}).retry_after == pytest.approx(2.5)


def test_azures_not_reported_values_and_no_headers_at_all() -> None:
    seen = read_limits({"x-ratelimit-limit-tokens": "-1", "x-ratelimit-remaining-tokens": "-1"})
    assert seen.limit_tokens is None and seen.remaining_tokens is None and not seen.known
    assert not read_limits(None).known
