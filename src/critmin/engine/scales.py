"""Per-product price and quantity scales: the yardsticks of the equilibrium certificate.

A violation is only meaningful relative to the market it happens in: 0.07 units too much
dysprosium oxide is 2% of a 3.9-unit licence but 7e-7 of a 100,000-unit market of another product.
So every product ``k`` gets its own price scale ``P[k]`` and quantity scale ``Q[k]``, read from
the scenario's numbers for that product (never from a solution, so that a wrong solution
cannot choose its own yardstick):

* ``Q[k]`` first from the quantities the data state: k's demand intercept / slope, fixed
  demands, supply and processing capacities, export quotas covering k, stockpile amounts, and
  ``c Q[j]`` for every product j made from k with c units of k each (the input use processing
  of j can require; propagated from the last stage down).
* ``P[k]``: the largest |intercept| of k's supply, demand and processing entries and any floor
  price on k (if all of these are 0 — curves through the origin, ``p = b q`` — the largest
  price of k's supply and processing curves at ``min(capacity, Q[k])``; intercepts below
  ``NEGLIGIBLE`` times that price count as 0); for a processed
  product also the value of its inputs ``sum_i c_i P[i]`` under each recipe its entries use
  (its price stands on its inputs').
* then ``Q[k]`` also takes ``P[k] / slope`` of uncapped supply and processing curves.

Both are floored at :data:`FLOOR` times the scenario-wide scales (``model._scales``), so that
a product whose data give no magnitude at all is not divided by zero. The solver's MCP is
scaled by the same numbers (``model._block_scales``).
"""

from __future__ import annotations

import numpy as np

from critmin.scenario.checks import product_order
from critmin.scenario.schema import Scenario
from critmin.scenario.selectors import resolve

#: Lower bound on a product's scales, relative to the scenario-wide ones: a guard against 0/0
#: for a product whose data give no magnitude. The solver's MCP is scaled by these same floored
#: scales (``model._block_scales``), so its stop (max |Phi| <= ``solve.SOLVER_TOL`` = 1e-13 =
#: TOLERANCE x FLOOR) is 1e-13 of each product's own scale: the certificate never asks a product
#: for more than the solver's stop promises.
FLOOR = 1e-7
#: An intercept (or floor) below this fraction of the price a product's curves reach at
#: ``min(capacity, Q[k])`` is calibration noise, not a price level: the product is priced by its curves.
NEGLIGIBLE = 1e-9


def _curves(entries: list, kix: dict[str, int]) -> tuple[np.ndarray, ...]:
    """(product index, intercept, slope, capacity or inf) of supply or processing entries, as arrays."""
    k = np.array([kix[e.product] for e in entries], dtype=np.int64)
    a = np.array([e.intercept for e in entries], dtype=float)
    b = np.array([e.slope for e in entries], dtype=float)
    cap = np.array([np.inf if e.capacity is None else e.capacity for e in entries], dtype=float)
    return k, a, b, cap


def product_scales(sc: Scenario, P: float, Q: float) -> tuple[np.ndarray, np.ndarray]:
    """(P_k, Q_k) per product in scenario order; ``P``, ``Q`` are the scenario-wide scales (floors)."""
    kix = {k: i for i, k in enumerate(sc.product_ids)}
    nK = len(kix)
    prices = np.zeros(nK)
    qty = np.zeros(nK)
    # the distinct recipes processing entries use for each product (decision 0082: an entry may
    # have its own); a product's scales must cover each of them
    recipes: dict[str, list[dict[str, float]]] = {}
    for e, recipe in zip(sc.processing, sc.recipes()):
        if recipe not in recipes.setdefault(e.product, []):
            recipes[e.product].append(recipe)
    order = product_order(sc)  # inputs first
    k, a, b, cap = _curves([*sc.supply, *sc.processing], kix)  # supply and processing curves
    dk = np.array([kix[d.product] for d in sc.demand], dtype=np.int64)
    fixed = np.array([d.fixed for d in sc.demand], dtype=bool)
    d_qty = np.array([d.quantity if d.fixed else max(d.intercept, 0.0) / d.slope for d in sc.demand], dtype=float)
    d_top = np.array([0.0 if d.fixed else d.intercept for d in sc.demand], dtype=float)

    def raise_to(arr: np.ndarray, kk, value) -> None:
        np.maximum.at(arr, kk, np.abs(value))

    def input_use() -> None:
        for pid in reversed(order):  # outputs first, so use propagates down a chain
            for recipe in recipes.get(pid, []):
                for i, c in recipe.items():
                    raise_to(qty, kix[i], c * qty[kix[pid]])

    raise_to(qty, dk, d_qty)
    capped = np.isfinite(cap)
    raise_to(qty, k[capped], cap[capped])
    for pol in sc.policies:
        if pol.kind == "export_quota":
            for kk in np.flatnonzero(resolve(pol.product, sc.product_ids, what="product")):
                raise_to(qty, kk, pol.quantity)
        elif pol.kind == "stockpile":
            raise_to(qty, kix[pol.product], (pol.release or 0.0) + (pol.purchase or 0.0))
    input_use()

    raise_to(prices, k, a)
    raise_to(prices, dk[~fixed], d_top[~fixed])
    for pol in sc.policies:
        if pol.kind == "price_floor":
            for kk in np.flatnonzero(resolve(pol.product, sc.product_ids, what="product")):
                raise_to(prices, kk, pol.price)
    # every curve of k through the origin (p = b q) and no floor: an intercept that is rounding
    # noise of a calibration (9e-13 beside a curve reaching 3,700) counts as zero, else it would
    # become the product's price scale (decision 0047)
    reach = np.zeros(nK)
    raise_to(reach, k, b * np.minimum(qty[k], cap))
    unpriced = (prices <= NEGLIGIBLE * reach)[k]
    raise_to(prices, k[unpriced], b[unpriced] * np.minimum(qty[k[unpriced]], cap[unpriced]))
    for pid in order:
        for recipe in recipes.get(pid, []):
            if recipe:
                raise_to(prices, kix[pid], sum(c * prices[kix[i]] for i, c in recipe.items()))

    open_ended = ~capped & (b > 0)
    with np.errstate(divide="ignore"):
        raise_to(qty, k[open_ended], prices[k[open_ended]] / b[open_ended])
    input_use()
    return np.maximum(prices, FLOOR * P), np.maximum(qty, FLOOR * Q)
