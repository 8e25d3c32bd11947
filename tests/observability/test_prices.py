"""The price table: names as servers report them, what a round costs, overrides as users write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openaiassistant.errors import ConfigError
from openaiassistant.observability.cost import TurnCost, check_budget, require_price
from openaiassistant.observability.prices import (
    BUILTIN_CHECKED,
    BUILTIN_SOURCE,
    PriceTable,
    builtin_table,
    parse_prices,
)
from openaiassistant.result import Usage


def usage(inputs: int, outputs: int, *, cached: int = 0, written: int = 0, reasoning: int = 0) -> Usage:
    return Usage(
        input_tokens=inputs,
        output_tokens=outputs,
        total_tokens=inputs + outputs,
        cached_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=reasoning,
    )


def test_the_builtin_table_says_where_its_prices_come_from_and_when_they_were_checked() -> None:
    assert BUILTIN_SOURCE.startswith("genai-prices ")
    assert len(BUILTIN_CHECKED) == 10 and BUILTIN_CHECKED[4] == "-"


@pytest.mark.parametrize(
    ("name", "same_as"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),  # an alias the table lists
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4.1-2031-01-01", "gpt-4.1"),  # a dated snapshot it does not list yet
        ("openai/gpt-4o-mini", "gpt-4o-mini"),  # LiteLLM-style names
        ("azure/gpt-4o", "gpt-4o"),
    ],
)
def test_server_model_names_find_their_price(name: str, same_as: str) -> None:
    table = builtin_table()
    assert table.price(name) == table.price(same_as) is not None


def test_a_dated_snapshot_with_its_own_price_keeps_it() -> None:
    table = builtin_table()
    assert table.cost(usage(1_000_000, 0), "gpt-4o-2024-05-13") == Decimal(5)
    assert table.cost(usage(1_000_000, 0), "gpt-4o") == Decimal("2.5")


def test_unknown_models_have_no_price_rather_than_a_guess() -> None:
    table = builtin_table()
    assert table.price("my-deployment") is None
    assert table.cost(usage(10, 10), "my-deployment") is None
    assert table.cost(usage(0, 0), "my-deployment") == 0  # nothing used costs nothing


def test_cached_input_is_priced_at_the_cached_rate_and_reasoning_as_output() -> None:
    table = builtin_table()  # gpt-4o: input 2.5, cached 1.25, output 10 per 1M
    plain = table.cost(usage(1000, 500), "gpt-4o")
    cached = table.cost(usage(1000, 500, cached=600), "gpt-4o")
    assert plain == (Decimal(1000) * Decimal("2.5") + 500 * 10) / 1_000_000
    assert cached == (Decimal(400) * Decimal("2.5") + Decimal(600) * Decimal("1.25") + 500 * 10) / 1_000_000
    # reasoning tokens are part of output_tokens: they cost what output costs, not extra
    assert table.cost(usage(1000, 500, reasoning=300), "gpt-4o") == plain


def test_a_long_prompt_prices_the_whole_request_at_the_long_context_rate() -> None:
    table = builtin_table()  # gpt-5.4: 2.5 / 15 below 272k input tokens, 5 / 22.5 above
    assert table.cost(usage(272_000, 1000), "gpt-5.4") == (Decimal(272_000) * Decimal("2.5") + 1000 * 15) / 1_000_000
    assert (
        table.cost(usage(272_001, 1000), "gpt-5.4")
        == (Decimal(272_001) * 5 + Decimal(1000) * Decimal("22.5")) / 1_000_000
    )


def test_overrides_as_a_user_writes_them_win_over_the_table() -> None:
    overrides = parse_prices('{"gpt-4o": {"input": "2", "output": 8}, "my-deployment": {"input": 1, "output": 2}}')
    table = builtin_table().with_overrides(overrides)
    assert table.cost(usage(1_000_000, 1_000_000), "gpt-4o") == 10
    assert table.cost(usage(1_000_000, 1_000_000, cached=1_000_000), "my-deployment") == 3  # cached = input price
    assert table.cost(usage(1_000_000, 0), "gpt-4o-mini") == Decimal("0.15")  # the rest stays


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ('{"m": {"output": 1}}', "prices.m.input"),
        ('{"m": {"input": 1}}', "prices.m.output"),
        ('{"m": {"input": -1, "output": 1}}', "prices.m.input"),
        ('{"m": {"input": "cheap", "output": 1}}', "prices.m.input"),
        ('{"m": {"input": 1, "output": 1, "per": "token"}}', "prices.m"),
        ('{"m": {"input": 1, "output": 1, "long_context": {"input": 2}}}', "prices.m.long_context"),
        ("[1, 2]", "prices"),
        ("{not json", "prices"),
    ],
)
def test_bad_overrides_name_the_entry_and_field(value: str, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_prices(value)
    assert caught.value.parameter == named


def test_a_turn_costs_the_sum_of_its_rounds_each_priced_on_its_own() -> None:
    cost = TurnCost(builtin_table(), requested_model="gpt-5.4")
    cost.add(usage(200_000, 1000), "gpt-5.4")
    cost.add(usage(300_000, 1000), "gpt-5.4-2026-03-05")  # this round passed the threshold
    expected = (
        Decimal(200_000) * Decimal("2.5") + 15_000 + Decimal(300_000) * 5 + Decimal(1000) * Decimal("22.5")
    ) / 1_000_000
    assert cost.usd == float(round(expected, 8))


def test_a_round_on_a_model_without_price_falls_back_to_the_requested_one() -> None:
    cost = TurnCost(builtin_table(), requested_model="gpt-4o-mini")
    cost.add(usage(1_000_000, 0), "gpt-4o-mini-emulated")
    assert cost.usd == 0.15


def test_a_turn_whose_rounds_cannot_be_priced_has_no_cost_and_says_which_model() -> None:
    cost = TurnCost(builtin_table(), requested_model=None)
    cost.add(usage(10, 10), "my-deployment")
    assert cost.usd is None and cost.unpriced == {"my-deployment"}
    with pytest.raises(ConfigError, match="my-deployment") as caught:
        check_budget(max_cost_usd=1.0, max_total_tokens=None, usage=usage(10, 10), cost=cost)
    assert caught.value.parameter == "max_cost_usd"


def test_budgets_stop_at_their_limit_and_say_which_one() -> None:
    cost = TurnCost(builtin_table(), requested_model="gpt-4o")
    used = usage(1_000_000, 0)
    cost.add(used, "gpt-4o")  # $2.50
    assert check_budget(max_cost_usd=3.0, max_total_tokens=None, usage=used, cost=cost) is None
    stop = check_budget(max_cost_usd=2.5, max_total_tokens=None, usage=used, cost=cost)
    assert stop is not None and stop.limit == "max_cost_usd" and "2.5" in stop.message
    stop = check_budget(max_cost_usd=None, max_total_tokens=1_000_000, usage=used, cost=cost)
    assert stop is not None and stop.limit == "max_total_tokens" and stop.used == 1_000_000


def test_a_cost_budget_needs_a_price_before_anything_is_sent() -> None:
    table = builtin_table()
    require_price(table, "gpt-4o", max_cost_usd=1.0)
    require_price(table, "my-deployment", max_cost_usd=None)
    with pytest.raises(ConfigError, match='"my-deployment": {"input"'):
        require_price(table, "my-deployment", max_cost_usd=1.0)
    assert "my-deployment" in PriceTable.from_data({"my-deployment": {"input": 1, "output": 1}})
