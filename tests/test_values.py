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
