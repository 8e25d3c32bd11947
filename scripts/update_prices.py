"""Regenerate src/openaiassistant/observability/prices.json from genai-prices.

    .venv/bin/pip install genai-prices==X.Y.Z   # the version the Makefile pins for the drift test
    .venv/bin/python scripts/update_prices.py   # then bump GENAI_PRICES in the Makefile to X.Y.Z

genai-prices (github.com/pydantic/genai-prices, MIT) is a maintained price database, but it needs
pydantic >= 2.10 and httpx2, so it cannot be installed beside Keep's pins: the package ships
this extract instead (OpenAI's text models, standard tier, the prices in force today), and
tests/observability/test_price_table.py checks it against the pinned genai-prices in the main
environment.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from genai_prices import __version__, data, types

TARGET = Path(__file__).resolve().parents[1] / "src/openaiassistant/observability/prices.json"
# Text models usable through Responses / Assistants (no audio, image, realtime, embedding,
# transcription or fine-tune entries: their usage is not token-priced the same way).
MODELS = [
    "gpt-3.5-turbo",
    "gpt-4",
    "gpt-4-turbo",
    "gpt-4o",
    "gpt-4o-2024-05-13",
    "gpt-4o-mini",
    "chatgpt-4o-latest",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-4.5-preview",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-5-pro",
    "gpt-5.1",
    "gpt-5.1-codex-mini",
    "gpt-5.2",
    "gpt-5.2-pro",
    "gpt-5.3",
    "gpt-5.3-codex",
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.4-nano",
    "gpt-5.4-pro",
    "gpt-5.5",
    "gpt-5.5-pro",
    "gpt-6-luna",
    "gpt-6-sol",
    "gpt-6-astra",
    "gpt-6.1-sol",
    "gpt-6.1-terra",
    "gpt-chat-latest",
    "gpt-oss-120b",
    "gpt-oss-20b",
    "codex-mini",
    "o1",
    "o1-mini",
    "o1-pro",
    "o3",
    "o3-mini",
    "o3-pro",
    "o4-mini",
    "o3-deep-research",
    "o4-mini-deep-research",
]
_FIELDS = {
    "input_mtok": "input",
    "cache_read_mtok": "cached_input",
    "cache_write_mtok": "cache_write",
    "output_mtok": "output",
}


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def _entry(model: types.ModelInfo, today: datetime.date) -> dict[str, Any]:
    now = datetime.datetime.combine(today, datetime.time(12), tzinfo=datetime.UTC)
    price = model.get_prices(now)
    entry: dict[str, Any] = {}
    long_context: dict[str, Any] = {}
    for field, name in _FIELDS.items():
        value = getattr(price, field, None)
        if value is None:
            continue
        if isinstance(value, types.TieredPrices):
            if len(value.tiers) != 1:
                raise SystemExit(f"{model.id}: {len(value.tiers)} tiers; the table holds one long-context tier")
            entry[name] = _number(value.base)
            long_context["above_input_tokens"] = value.tiers[0].start
            long_context[name] = _number(value.tiers[0].price)
        else:
            entry[name] = _number(value)
    if long_context:
        entry["long_context"] = long_context
    aliases = sorted(_aliases(model.match) - {model.id})
    if aliases:
        entry["aliases"] = aliases
    return entry


def _aliases(clause: Any) -> set[str]:
    if isinstance(clause, types.ClauseEquals):
        return {clause.equals}
    if isinstance(clause, types.ClauseOr):
        return set().union(*(_aliases(c) for c in clause.or_))
    return set()  # prefix/regex clauses: dated snapshots are matched by the table's own rule


def main() -> None:
    openai = next(p for p in data.providers if p.id == "openai")
    by_id = {m.id: m for m in openai.models}
    today = datetime.date.today()
    table = {
        "source": f"genai-prices {__version__} (github.com/pydantic/genai-prices, MIT), provider openai, standard tier",
        "checked": today.isoformat(),
        "unit": "USD per 1M tokens",
        "models": {name: _entry(by_id[name], today) for name in MODELS},
    }
    TARGET.write_text(json.dumps(table, indent=1) + "\n")
    print(f"wrote {len(MODELS)} models to {TARGET}")


if __name__ == "__main__":
    main()
