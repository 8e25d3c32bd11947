"""Templated queries: an argument inserted into SQL / PromQL / LogQL text is quoted by the
placeholder's mode, or the template is refused when the step starts (no Keep needed)."""

from __future__ import annotations

import pytest

from openaiassistant.errors import ConfigError
from openaiassistant.keep.with_template import WithTemplate
from openaiassistant.tools.tool import ToolCallError

PARAMS = {
    "type": "object",
    "properties": {"host": {"type": "string"}, "limit": {"type": "integer"}},
    "required": ["host", "limit"],
}


def fill(template: dict, **arguments: object) -> dict:
    return WithTemplate.compile(template, PARAMS, where="functions[0].with").fill(arguments)


def test_sql_arguments_stay_one_string_literal() -> None:
    query = fill(
        {"query": "SELECT * FROM disks WHERE host = {host:sql} LIMIT {limit:int}"}, host="x' OR '1'='1", limit=5
    )
    assert query["query"] == "SELECT * FROM disks WHERE host = 'x'' OR ''1''=''1' LIMIT 5"


def test_promql_and_logql_arguments_stay_one_string() -> None:
    promql = fill(
        {"query": "node_filesystem_avail_bytes{instance={host:promql}}"}, host='db-1"} or vector(1) #', limit=1
    )
    assert promql["query"] == 'node_filesystem_avail_bytes{instance="db-1\\"} or vector(1) #"}'
    logql = fill({"query": '{app={host:logql}} |= "error"'}, host="a\\b", limit=1)
    assert logql["query"] == '{app="a\\\\b"} |= "error"'


@pytest.mark.parametrize("bad", [None, [1], "5; DROP TABLE x", True])
def test_a_number_mode_refuses_anything_but_a_number(bad: object) -> None:
    with pytest.raises(ToolCallError):
        fill({"sql": "SELECT 1 LIMIT {limit:int}"}, host="h", limit=bad)


def test_a_bare_placeholder_inside_a_query_is_refused_when_the_step_starts() -> None:
    with pytest.raises(ConfigError) as err:
        WithTemplate.compile({"query": "SELECT * FROM t WHERE host = '{host}'"}, PARAMS, where="functions[0].with")
    assert "functions[0].with.query" in str(err.value) and "{host:sql}" in str(err.value)
    # a whole-value placeholder passes the argument as a value (the provider binds it), not as query text
    assert fill({"query": "{host}"}, host="db-1", limit=1)["query"] == "db-1"


def test_quoting_modes_are_not_for_urls() -> None:
    with pytest.raises(ConfigError):
        WithTemplate.compile({"url": "https://m.internal/hosts/{host:sql}"}, PARAMS, where="w")
