"""What compiling instruments needs to know about the market: the zone, curves, baseline prices.

The baseline is the same market with every FORGE instrument removed (engine policies kept). It
is solved at most once, and only when an instrument needs it (incentive demand for an
intermediate product, cost_plus without an operating cost, conversion costs for the chain,
export licences given as a share of baseline exports), unless the caller passes it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from critmin.errors import InputFileError, ScenarioError, UnknownChoiceError
from critmin.scenario.schema import Scenario
from critmin.scenario.selectors import resolve


@dataclass
class Context:
    """The validated market (without instruments), reference prices set so far, and the baseline."""

    scenario: Scenario
    source: str
    baseline_result: Any = None
    references: dict[str, float] = field(default_factory=dict)
    solved_baseline: bool = False

    def baseline(self) -> Any:
        """The baseline Result (solved on first use when the caller gave none)."""
        if self.baseline_result is None:
            from critmin.engine import solve

            self.baseline_result = solve(self.scenario)
            self.solved_baseline = True
        return self.baseline_result

    def zone(self, selector: str | list[str], where: str) -> list[str]:
        """Region ids picked by ``selector`` (errors name the policy field)."""
        try:
            mask = resolve(selector, self.scenario.region_ids, self.scenario.blocs)
        except UnknownChoiceError as err:
            raise InputFileError(self.source, str(err), where, err.value) from None
        regions = [r for r, m in zip(self.scenario.region_ids, mask) if m]
        if not regions:
            raise InputFileError(self.source, "selects no region", where, selector)
        return regions

    def check_product(self, product: str, where: str) -> None:
        if product not in self.scenario.product_ids:
            raise InputFileError(self.source, f"unknown product; products are {', '.join(self.scenario.product_ids)}",
                                 where, product)

    def inputs(self, product: str) -> dict[str, float]:
        return dict(next(p.inputs for p in self.scenario.products if p.id == product))

    def input_price(self, region: str, product: str) -> float:
        """An input's reference price if it has one, else its baseline market price in ``region``."""
        if product in self.references:
            return self.references[product]
        price = self.baseline().price(region, product)
        if not np.isfinite(price):
            raise ScenarioError(f"{self.source}: no baseline price of input {product!r} in region {region!r}")
        return price

    def baseline_price(self, region: str, product: str) -> float:
        price = self.baseline().price(region, product)
        if not np.isfinite(price):
            raise ScenarioError(f"{self.source}: no baseline price of {product!r} in region {region!r}")
        return price

    def producer_price(self, region: str, product: str) -> float:
        pp = self.baseline().producer_prices
        row = pp[(pp["region"] == region) & (pp["product"] == product)]
        return float(row["price"].iloc[0]) if len(row) else float("nan")


def curve_quantity(price: np.ndarray | float, intercept: float, slope: float, capacity: float | None) -> np.ndarray:
    """Quantity on ``price = intercept + slope q`` within ``[0, capacity]`` (flat curves: 0 or capacity)."""
    p = np.asarray(price, dtype=float)
    cap = np.inf if capacity is None else capacity
    if slope == 0:
        return np.where(p > intercept, cap, 0.0)
    return np.clip((p - intercept) / slope, 0.0, cap)
