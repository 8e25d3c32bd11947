"""One spelling means one thing wherever a flag or a number of seconds is written."""

from __future__ import annotations

import math

import pytest

from openaiassistant.errors import ConfigError
from openaiassistant.params import parse_params
from openaiassistant.tools.http import HttpToolSpec
from openaiassistant.values import parse_bool, positive_seconds

SPELLINGS = [
    (True, True),
    ("true", True),
    ("Yes", True),
    (" on ", True),
    ("1", True),
    (False, False),
    ("FALSE", False),
    ("no", False),
    ("off", False),
    ("0", False),
]


@pytest.mark.parametrize("value, expected", SPELLINGS)
def test_a_flag_reads_the_same_in_run_controls_and_tools(value, expected):
    assert parse_bool("x", value) is expected
    assert parse_params({"parallel_tool_calls": value}).parallel_tool_calls is expected
    spec = HttpToolSpec.from_dict(
        {"name": "t", "url": "https://example.test/x", "method": "GET", "follow_redirects": value}
    )
    assert spec.follow_redirects is expected


@pytest.mark.parametrize("value", ["maybe", "", None, 2, "truee"])
def test_anything_else_is_refused_with_its_place(value):
    with pytest.raises(ConfigError, match="where.*true or false|true or false"):
        parse_bool("where", value)


def test_a_default_fills_only_an_absent_value():
    assert parse_bool("x", None, default=True) is True
    assert parse_bool("x", "", default=False) is False
    with pytest.raises(ConfigError):
        parse_bool("x", "maybe", default=False)


@pytest.mark.parametrize("value, expected", [(30, 30.0), ("2.5", 2.5), (None, None), ("", None)])
def test_seconds(value, expected):
    assert positive_seconds("t", value) == expected


@pytest.mark.parametrize("value", [0, -1, "inf", math.nan, "soon", True])
def test_seconds_refused(value):
    with pytest.raises(ConfigError, match="t"):
        positive_seconds("t", value)


# -- numbers: one checker for run controls, settings, timeouts and tool limits ----------------
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from openaiassistant.settings import ConnectionSettings  # noqa: E402
from openaiassistant.tools import Toolbox  # noqa: E402
from openaiassistant.values import parse_count, parse_number  # noqa: E402


@given(st.integers(min_value=0, max_value=10**6))
def test_a_count_reads_the_same_as_a_number_or_its_text(n: int) -> None:
    assert parse_count("n", n) == parse_count("n", str(n)) == parse_count("n", float(n)) == n


@pytest.mark.parametrize("value", [2.5, "2.5", True, "many", math.inf, -1])
def test_a_count_is_whole_and_in_range(value) -> None:
    with pytest.raises(ConfigError, match="n: must be a whole number"):
        parse_count("n", value)


@pytest.mark.parametrize("value", [2.01, "-0.1", math.nan, False, "hot"])
def test_a_number_is_finite_and_in_range(value) -> None:
    with pytest.raises(ConfigError, match="temperature: must be a number from 0 to 2"):
        parse_number("temperature", value, low=0.0, high=2.0)


def test_the_python_apis_own_settings_take_real_numbers_only() -> None:
    with pytest.raises(ConfigError, match="max_retries"):
        ConnectionSettings(api_key="sk-test-values-key", max_retries="3").validate()  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="call_timeout"):
        Toolbox(call_timeout="5")
    with pytest.raises(ConfigError, match="max_concurrency"):
        Toolbox(max_concurrency=0)
    assert Toolbox(call_timeout=5).limits.call_timeout == 5.0
