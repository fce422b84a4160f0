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

    def baseline(self) -> Any:
        """The baseline Result: the caller's if it covers every product of the market, else solved
        here on first use (a world's fitted result lacks products a scenario adds to the world)."""
        given = self.baseline_result
        if given is not None and not set(self.scenario.product_ids) <= set(given.prices["product"]):
            self.baseline_result = None
        if self.baseline_result is None:
            from critmin.engine import solve

            self.baseline_result = solve(self.scenario)
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
        """The product's own recipe (entries may replace it: :meth:`routes`)."""
        return dict(next(p.inputs for p in self.scenario.products if p.id == product))

    def routes(self, product: str, zone: list[str]) -> list[tuple[dict[str, float], list[int]]]:
        """The distinct recipes (routes) of ``product``'s processing entries in ``zone``, each with its
        entry positions, in order of first entry; the product's own recipe alone when the zone has
        no processing of it (decision 0082: an entry's ``inputs`` replace its product's)."""
        out: list[tuple[dict[str, float], list[int]]] = []
        for j, (e, recipe) in enumerate(zip(self.scenario.processing, self.scenario.recipes())):
            if e.product != product or e.region not in zone:
                continue
            match = next((r for r in out if r[0] == dict(recipe)), None)
            if match is None:
                out.append((dict(recipe), [j]))
            else:
                match[1].append(j)
        return out or [(self.inputs(product), [])]

    def input_price(self, region: str, product: str) -> float:
        """What a zone processor in ``region`` pays for an input: its baseline price, or the input's
        reference price where that is higher (a reference price is a floor, not a ceiling)."""
        price = self.baseline_price(region, product)
        return max(price, self.references[product]) if product in self.references else price

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
