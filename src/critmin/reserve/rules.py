"""Pydantic schema of a scenario's ``reserve:`` section: holdings per product and their operating rules.

Quantities are in the product's unit (tonnes), rates per year, money in USD. A holding buys when
the price of its market is at or below ``buy_at_or_below`` (or, with ``buy_at_floor``, the
scenario's price floor on that market) and releases when the price is above
``release_above`` or, with ``release_in_shortage``, while a disruption holds the price above the
undisrupted one (decision 0055).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holding(_Strict):
    """One product held in one region's market (where purchases and releases clear)."""

    product: str
    region: str
    initial: NonNeg = 0.0
    capacity: Pos
    buy_at_or_below: NonNeg | None = None
    #: buy at or below the scenario's price floor covering this market (set when the model is prepared)
    buy_at_floor: bool = False
    release_above: NonNeg | None = None
    release_in_shortage: bool = True
    max_fill_per_year: Pos
    max_draw_per_year: Pos
    storage_usd_per_t_year: NonNeg = 0.0

    @model_validator(mode="after")
    def _levels(self) -> Holding:
        if self.buy_at_floor and self.buy_at_or_below is not None:
            raise ValueError("give buy_at_or_below or buy_at_floor, not both")
        if self.initial > self.capacity:
            raise ValueError(f"initial holdings {self.initial:g} exceed capacity {self.capacity:g}")
        if (self.buy_at_or_below is not None and self.release_above is not None
                and self.buy_at_or_below > self.release_above):
            raise ValueError("buy_at_or_below must not exceed release_above (the reserve would buy and sell at once)")
        return self


class Loan(_Strict):
    """A fixed-rate loan repaid in equal annual instalments (an annuity)."""

    principal_usd: Pos
    years: Annotated[int, Field(ge=1, le=100)]
    rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    source: str | None = None


class Reserve(_Strict):
    """The reserve: its holdings, a purchase budget over the horizon, carrying cost and financing."""

    name: str = "reserve"
    holdings: list[Holding] = Field(min_length=1)
    budget_usd: NonNeg | None = None
    carrying_rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.0
    loan: Loan | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _unique(self) -> Reserve:
        seen = set()
        for h in self.holdings:
            key = (h.product, h.region)
            if key in seen:
                raise ValueError(f"two holdings of {h.product!r} in region {h.region!r}")
            seen.add(key)
        return self
