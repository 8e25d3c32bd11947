"""What a turn costs in US dollars: a price table per model, and the cost of one round's usage.

The table shipped in ``prices.json`` is an extract of genai-prices (pydantic's maintained
price database, MIT): that package needs pydantic >= 2.10 and httpx2 and cannot be installed
beside Keep's pins, so the extract carries its source and the date it was checked
(:data:`BUILTIN_SOURCE`, :data:`BUILTIN_CHECKED`); ``scripts/update_prices.py`` regenerates it
and a test compares it with the pinned genai-prices. Prices change: give your own for any
model with ``prices`` (AssistantSpec, the Keep provider's ``prices``, ``ask --prices``)::

    {"my-azure-deployment": {"input": 2.5, "cached_input": 1.25, "output": 10}}

in USD per 1M tokens (``cached_input`` defaults to ``input``; ``cache_write`` too;
``long_context: {above_input_tokens, input, cached_input, output}`` for models whose price
rises with the prompt). An override replaces the built-in entry of that name.

A model name is looked up as given, then without an ``openai/``/``azure/`` prefix, then as the
model of a dated snapshot (``gpt-4o-2024-08-06`` -> ``gpt-4o``) unless the snapshot has its own
entry. Each round is priced on its own: a long-context price applies to a request whose input
passes the threshold (all of that request's tokens, as the providers bill it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from openaiassistant.errors import ConfigError
from openaiassistant.result import Usage
from openaiassistant.values import parse_count, parse_number

__all__ = ["BUILTIN_CHECKED", "BUILTIN_SOURCE", "ModelPrice", "PriceTable", "builtin_table", "parse_prices"]

_DATED = re.compile(r"^(?P<model>.+?)-(\d{4}-\d{2}-\d{2}|\d{4})$")
_PREFIXES = ("openai/", "azure/")
_MILLION = Decimal(1_000_000)
_RATES = ("input", "cached_input", "cache_write", "output")


@dataclass(frozen=True, kw_only=True)
class Rates:
    """USD per 1M tokens of each kind."""

    input: Decimal
    cached_input: Decimal
    cache_write: Decimal
    output: Decimal

    def cost(self, usage: Usage) -> Decimal:
        cached = min(usage.cached_tokens, usage.input_tokens)
        written = min(usage.cache_write_tokens, usage.input_tokens - cached)
        plain = usage.input_tokens - cached - written
        total = plain * self.input + cached * self.cached_input + written * self.cache_write
        return (total + usage.output_tokens * self.output) / _MILLION


@dataclass(frozen=True, kw_only=True)
class ModelPrice:
    """One model's prices; ``long_context`` applies to a request whose input passes ``above``."""

    base: Rates
    long_context: Rates | None = None
    above: int | None = None

    def cost(self, usage: Usage) -> Decimal:
        """What one request (one round) with this usage costs."""
        rates = self.base
        if self.long_context is not None and self.above is not None and usage.input_tokens > self.above:
            rates = self.long_context
        return rates.cost(usage)

    @classmethod
    def parse(cls, value: Any, *, where: str) -> ModelPrice:
        """An entry of a price table (JSON data); ConfigError names ``where``."""
        if not isinstance(value, Mapping):
            raise ConfigError(where, "must be a mapping such as {input: 2.5, cached_input: 1.25, output: 10}")
        unknown = sorted(set(value) - {*_RATES, "long_context", "aliases"})
        if unknown:
            raise ConfigError(where, f"unknown field(s) {unknown}; allowed: {', '.join(_RATES)}, long_context")
        base = _rates(value, where=where)
        extra = value.get("long_context")
        if extra is None:
            return cls(base=base)
        if not isinstance(extra, Mapping) or "above_input_tokens" not in extra:
            raise ConfigError(f"{where}.long_context", "must be {above_input_tokens: N, input: ..., output: ...}")
        above = parse_count(f"{where}.long_context.above_input_tokens", extra["above_input_tokens"], low=0)
        rest = {k: v for k, v in extra.items() if k != "above_input_tokens"}
        return cls(base=base, long_context=_rates(rest, where=f"{where}.long_context", base=value), above=above)


class PriceTable:
    """Prices by model name: the built-in table with ``overrides`` on top."""

    def __init__(self, models: Mapping[str, ModelPrice], *, source: str = "", checked: str = "") -> None:
        self._models = dict(models)
        self.source = source
        self.checked = checked

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, where: str = "prices") -> PriceTable:
        """A table from ``{model: {input, cached_input, output, ...}}`` (overrides, or the file's
        ``models``); an entry's ``aliases`` name the same price."""
        if not isinstance(data, Mapping):
            raise ConfigError(where, "must be a mapping of model names to prices")
        models: dict[str, ModelPrice] = {}
        for name, entry in data.items():
            if not isinstance(name, str) or not name.strip():
                raise ConfigError(where, f"model names must be non-empty strings, got {name!r}")
            price = ModelPrice.parse(entry, where=f"{where}.{name}")
            models[name.strip()] = price
            for alias in entry.get("aliases") or ():
                models.setdefault(str(alias), price)
        return cls(models)

    def with_overrides(self, overrides: Mapping[str, Any] | PriceTable | None) -> PriceTable:
        """This table with ``overrides`` (data or a table) winning for the models they name."""
        if not overrides:
            return self
        extra = overrides if isinstance(overrides, PriceTable) else PriceTable.from_data(overrides)
        return PriceTable({**self._models, **extra._models}, source=self.source, checked=self.checked)

    def price(self, model: str | None) -> ModelPrice | None:
        """The price of ``model`` (see the module docstring for how names are matched)."""
        if not model:
            return None
        name = model.strip()
        for prefix in _PREFIXES:
            if name.startswith(prefix) and name not in self._models:
                name = name[len(prefix) :]
        found = self._models.get(name)
        if found is None and (dated := _DATED.match(name)):
            found = self._models.get(dated.group("model"))
        return found

    def cost(self, usage: Usage | None, model: str | None) -> Decimal | None:
        """USD for one round's usage; None when the model has no price (0 for no tokens)."""
        if usage is None or (usage.input_tokens == 0 and usage.output_tokens == 0):
            return Decimal(0)
        price = self.price(model)
        return None if price is None else price.cost(usage)

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and self.price(model) is not None


def parse_prices(value: Any, *, where: str = "prices") -> dict[str, Any] | None:
    """Price overrides as a user gives them: a mapping, or its JSON text (Keep, the CLI).

    Returned as plain data after validation (None when nothing was given)."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ConfigError(where, f"is not valid JSON: {exc}") from None
    PriceTable.from_data(value, where=where)  # raises ConfigError naming the bad entry
    return dict(value)


@cache
def builtin_table() -> PriceTable:
    """The table shipped with the package (``prices.json``)."""
    data = json.loads((Path(__file__).with_name("prices.json")).read_text(encoding="utf-8"))
    table = PriceTable.from_data(data["models"], where="prices.json")
    return PriceTable(table._models, source=data["source"], checked=data["checked"])


def _rates(value: Mapping[str, Any], *, where: str, base: Mapping[str, Any] | None = None) -> Rates:
    """Rates from an entry; a long-context entry (``base`` is its model's entry) takes what it
    does not give from the model's, and cached/cache-write input the model prices only as
    input is priced as the long-context input."""
    unknown = sorted(set(value) - {*_RATES, "long_context", "aliases"})
    if unknown:
        raise ConfigError(where, f"unknown field(s) {unknown}; allowed: {', '.join(_RATES)}")
    for required in ("input", "output"):
        if required not in value and base is None:
            raise ConfigError(f"{where}.{required}", f"required: USD per 1M {required} tokens")
    given = {k: _rate(value[k], where=f"{where}.{k}") for k in _RATES if k in value}
    inherited = {k: _rate(base[k], where=where) for k in _RATES if base is not None and k in base}
    merged = {**inherited, **given}
    if base is not None and "input" in given:  # input-priced kinds follow the long-context input
        for kind in ("cached_input", "cache_write"):
            if kind not in given and kind not in base:
                merged[kind] = given["input"]
    return Rates(
        input=merged["input"],
        cached_input=merged.get("cached_input", merged["input"]),
        cache_write=merged.get("cache_write", merged["input"]),
        output=merged["output"],
    )


def _rate(value: Any, *, where: str) -> Decimal:
    """A price: a number >= 0 (numeric strings too: Keep's parser drops YAML floats), checked by
    values.parse_number and kept exact as a Decimal of what was written."""
    parse_number(where, value, low=0)
    return Decimal(value.strip() if isinstance(value, str) else str(value))


BUILTIN_SOURCE = builtin_table().source
BUILTIN_CHECKED = builtin_table().checked
