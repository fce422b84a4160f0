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
  price of k's supply and processing curves at ``min(capacity, Q[k])``); for a processed
  product also the value of its inputs ``sum_i c_i P[i]`` (its price stands on its inputs').
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


def product_scales(sc: Scenario, P: float, Q: float) -> tuple[np.ndarray, np.ndarray]:
    """(P_k, Q_k) per product in scenario order; ``P``, ``Q`` are the scenario-wide scales (floors)."""
    kix = {k: i for i, k in enumerate(sc.product_ids)}
    nK = len(kix)
    prices = np.zeros(nK)
    qty = np.zeros(nK)
    processed = {e.product for e in sc.processing}
    inputs = {p.id: p.inputs for p in sc.products}
    order = product_order(sc)  # inputs first

    def raise_to(arr: np.ndarray, k: int, value: float) -> None:
        arr[k] = max(arr[k], abs(value))

    def input_use() -> None:
        for pid in reversed(order):  # outputs first, so use propagates down a chain
            if pid in processed:
                for i, c in inputs[pid].items():
                    raise_to(qty, kix[i], c * qty[kix[pid]])

    for d in sc.demand:
        raise_to(qty, kix[d.product], d.quantity if d.fixed else max(d.intercept, 0.0) / d.slope)
    for e in [*sc.supply, *sc.processing]:
        if e.capacity is not None:
            raise_to(qty, kix[e.product], e.capacity)
    for pol in sc.policies:
        if pol.kind == "export_quota":
            for k in np.flatnonzero(resolve(pol.product, sc.product_ids, what="product")):
                raise_to(qty, k, pol.quantity)
        elif pol.kind == "stockpile":
            raise_to(qty, kix[pol.product], (pol.release or 0.0) + (pol.purchase or 0.0))
    input_use()

    for e in [*sc.supply, *sc.processing]:
        raise_to(prices, kix[e.product], e.intercept)
    for d in sc.demand:
        if not d.fixed:
            raise_to(prices, kix[d.product], d.intercept)
    for pol in sc.policies:
        if pol.kind == "price_floor":
            for k in np.flatnonzero(resolve(pol.product, sc.product_ids, what="product")):
                raise_to(prices, k, pol.price)
    unpriced = prices == 0  # every curve of k through the origin (p = b q) and no floor
    for e in [*sc.supply, *sc.processing]:
        k = kix[e.product]
        if unpriced[k]:
            raise_to(prices, k, e.slope * min(qty[k], np.inf if e.capacity is None else e.capacity))
    for pid in order:
        if pid in processed and inputs[pid]:
            raise_to(prices, kix[pid], sum(c * prices[kix[i]] for i, c in inputs[pid].items()))

    for e in [*sc.supply, *sc.processing]:
        if e.capacity is None and e.slope > 0:
            raise_to(qty, kix[e.product], prices[kix[e.product]] / e.slope)
    input_use()
    return np.maximum(prices, FLOOR * P), np.maximum(qty, FLOOR * Q)
