"""A turn's cost, summed round by round, and the budgets checked between rounds.

Each round is priced with its own usage and model (a long-context price is per request). A
round whose model has no price makes the turn's cost unknown (``None``), never a wrong number;
the requested model's price is used when the server names a model the table does not know
(a dated snapshot it does not list, a deployment name).

Budgets (run controls ``max_cost_usd`` and ``max_total_tokens``) are checked before every
further model round: a round already under way can pass them (cap one round with
``max_output_tokens``), the next one is not started.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openaiassistant.errors import ConfigError
from openaiassistant.observability.prices import PriceTable
from openaiassistant.result import Usage

__all__ = ["BudgetStop", "TurnCost", "check_budget", "require_price"]


class TurnCost:
    """The dollars of one turn so far."""

    def __init__(self, table: PriceTable, *, requested_model: str | None = None) -> None:
        self.table = table
        self.requested_model = requested_model
        self._usd = Decimal(0)
        self.unpriced: set[str] = set()

    def add(self, usage: Usage | None, model: str | None) -> Decimal | None:
        """Price one round; returns its cost (None when neither model has a price)."""
        cost = self.table.cost(usage, model)
        if cost is None and model != self.requested_model:
            cost = self.table.cost(usage, self.requested_model)
        if cost is None:
            self.unpriced.add(model or self.requested_model or "(unknown model)")
            return None
        self._usd += cost
        return cost

    @property
    def usd(self) -> float | None:
        """The total in USD (rounded to 1e-8), or None when a round could not be priced."""
        return None if self.unpriced else usd(self._usd)


def usd(value: Decimal) -> float:
    return float(round(value, 8))


@dataclass(frozen=True, kw_only=True)
class BudgetStop:
    """Why a turn stopped before its next round."""

    limit: str  # max_cost_usd | max_total_tokens
    allowed: float
    used: float

    @property
    def message(self) -> str:
        if self.limit == "max_cost_usd":
            return f"max_cost_usd {self.allowed:g} reached: the turn cost ${self.used:.6f} before its next round"
        return f"max_total_tokens {self.allowed:g} reached: the turn used {self.used:g} tokens before its next round"


def check_budget(
    *, max_cost_usd: float | None, max_total_tokens: int | None, usage: Usage, cost: TurnCost
) -> BudgetStop | None:
    """The budget the turn has used up, if any (checked before each further round)."""
    if max_total_tokens is not None and usage.total_tokens >= max_total_tokens:
        return BudgetStop(limit="max_total_tokens", allowed=max_total_tokens, used=usage.total_tokens)
    if max_cost_usd is not None:
        spent = cost.usd
        if spent is None:
            models = ", ".join(sorted(cost.unpriced))
            raise ConfigError(
                "max_cost_usd", f"no price is known for model {models}; give one with prices (USD per 1M tokens)"
            )
        if spent >= max_cost_usd:
            return BudgetStop(limit="max_cost_usd", allowed=max_cost_usd, used=spent)
    return None


def require_price(table: PriceTable, model: str | None, *, max_cost_usd: float | None) -> None:
    """Before anything is sent: a cost budget needs a price for the model asked for."""
    if max_cost_usd is None or model is None:
        return  # no budget, or the model is the server's (an Assistants assistant's): known later
    if model not in table:
        raise ConfigError(
            "max_cost_usd",
            f"no price is known for model {model}; give one with prices, e.g. "
            f'{{"{model}": {{"input": 2.5, "cached_input": 1.25, "output": 10}}}} (USD per 1M tokens)',
        )
