"""The shipped price table against genai-prices, the maintained database it is extracted from.

genai-prices needs pydantic >= 2.10 and httpx2, so it is installed in the main environment only
(the Makefile pins the version the table was checked against); in Keep's environment this
skips. A price that changed upstream, or a hand edit of prices.json, fails here: regenerate
the table with scripts/update_prices.py.
"""

from __future__ import annotations

import datetime
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from openaiassistant.observability.prices import builtin_table
from openaiassistant.result import Usage

if os.environ.get("OPENAIASSISTANT_REQUIRE_GENAI_PRICES") == "1":
    import genai_prices
else:
    genai_prices = pytest.importorskip("genai_prices")

TABLE = json.loads((Path(__import__("openaiassistant").__file__).parent / "observability/prices.json").read_text())
MODELS = sorted(TABLE["models"])
USAGES = [
    Usage(input_tokens=12_345, output_tokens=678, cached_tokens=2_000),
    Usage(input_tokens=300_000, output_tokens=4_000, cached_tokens=100_000),  # past long-context thresholds
]


def test_the_table_names_the_genai_prices_version_it_was_checked_against() -> None:
    assert TABLE["source"].startswith(f"genai-prices {genai_prices.__version__} ")


@pytest.mark.parametrize("model", MODELS)
def test_each_model_and_alias_costs_what_genai_prices_says(model: str) -> None:
    when = datetime.datetime.fromisoformat(TABLE["checked"]).replace(hour=12, tzinfo=datetime.UTC)
    for name in [model, *TABLE["models"][model].get("aliases", [])]:
        for used in USAGES:
            theirs = genai_prices.calc_price(
                genai_prices.Usage(
                    input_tokens=used.input_tokens,
                    output_tokens=used.output_tokens,
                    cache_read_tokens=used.cached_tokens,
                ),
                model_ref=name,
                provider_id="openai",
                genai_request_timestamp=when,
            ).total_price
            ours = builtin_table().cost(used, name)
            assert ours is not None and abs(ours - Decimal(theirs)) < Decimal("1e-9"), (name, used, ours, theirs)
