"""Reference prices: ``fixed``, ``incentive`` (a monotone root find) and ``cost_plus``.

Zone curves (``product`` k, zone Z):

- supply ``S(p)``: every supply entry of k in Z on its curve, ``clip((p - a) / b, 0, capacity)``;
  every processing entry of k in Z on its conversion-cost curve at the margin
  ``p - sum(coef x input price)`` (input price: the baseline price in that region, or the input's
  reference price where higher, since a reference price is a floor); plus the ``pipeline`` steps (``capacity`` once ``p >= cost``).
- demand ``D(p)``: every demand curve of k in Z, ``max(0, (alpha - p) / beta)``, plus fixed
  demands, plus the input use of zone processors downstream of k at their baseline output
  (derived demand, held fixed: an intermediate product has no demand curve of its own).

``incentive``: the price p* with ``S(p*) = share x D(p*)``. ``S - share x D`` is non-decreasing in
p, so the root is bracketed (0 and a doubling upper end) and found by Brent's method; the result
records the bracket, a certified final bracket ``[p* - dx, p* + dx]`` over which the sign changes,
and the residual ``S(p*) - share x D(p*)`` (not zero only at a pipeline step, where the root is
the step's cost).

``cost_plus``: ``p = input cost + operating cost + capital_cost x CRF(r, n)`` with the capital
recovery factor ``CRF = r / (1 - (1 + r)^-n)`` (``1/n`` when r = 0), ``capital_cost`` per unit of
annual capacity. Without ``operating_cost`` the operating (or conversion) cost is the average cost
of zone producers at their baseline output, the area under their curves (marginal cost floored at
0) divided by output: ``sum(a q + b q^2 / 2) / sum(q)`` when intercepts are >= 0. Curves
calibrated through one observed point with a short-run elasticity are steep with negative
intercepts and say little about cost, so give ``operating_cost`` from cost data where it exists
(the shipped scenarios do); input cost is ``sum(coef x input price)`` weighted by the
zone processors' baseline output.

Routes (decision 0082): a processing entry with its own ``inputs`` uses them instead of its
product's recipe, in the zone supply (every route, each at its own margin), in derived demand
(entry by entry) and in average costs; cost_plus on a product with several zone routes takes the
dearest route's cost, so that the reference covers every route (the chain check, route by route).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import brentq

from critmin.errors import ScenarioError
from critmin.policies.context import Context, curve_quantity
from critmin.policies.instruments import ReferencePrice

#: Relative width of the certified final bracket of the incentive root.
XTOL = 1e-10
MAX_DOUBLINGS = 80


def crf(rate: float, years: int) -> float:
    """Capital recovery factor: the annual charge per unit of capital at ``rate`` over ``years``."""
    return 1.0 / years if rate == 0 else rate / (1.0 - (1.0 + rate) ** -years)


def zone_supply(ctx: Context, ref: ReferencePrice, zone: list[str], price: float) -> float:
    sc, k = ctx.scenario, ref.product
    total = 0.0
    for e in sc.supply:
        if e.product == k and e.region in zone:
            total += float(curve_quantity(price, e.intercept, e.slope, e.capacity))
    for e, coefs in zip(sc.processing, sc.recipes()):  # every route, each at its own recipe (0082)
        if e.product == k and e.region in zone:
            margin = price - sum(c * ctx.input_price(e.region, i) for i, c in coefs.items())
            total += float(curve_quantity(margin, e.intercept, e.slope, e.capacity))
    total += sum(s.capacity for s in ref.pipeline if price >= s.cost)
    return total


def derived_demand(ctx: Context, product: str, zone: list[str]) -> float:
    """Input use of ``product`` by zone processors at their baseline output (entry by entry, each
    at its own recipe, when some entry has one: decision 0082)."""
    sc = ctx.scenario
    if any(e.inputs is not None for e in sc.processing):
        uses = {j: r[product] for j, (e, r) in enumerate(zip(sc.processing, sc.recipes()))
                if product in r and e.region in zone}
        if not uses:
            return 0.0
        entries = ctx.baseline().processing_entries
        return float(sum(uses[int(j)] * q for j, q in zip(entries["entry"], entries["quantity"]) if int(j) in uses))
    users = {p.id: p.inputs[product] for p in sc.products if product in p.inputs}
    if not users:
        return 0.0
    proc = ctx.baseline().processing
    rows = proc[proc["product"].isin(list(users)) & proc["region"].isin(zone)]
    return float(sum(users[k] * q for k, q in zip(rows["product"], rows["quantity"])))


def zone_demand(ctx: Context, product: str, zone: list[str], price: float, derived: float) -> float:
    total = derived
    for d in ctx.scenario.demand:
        if d.product == product and d.region in zone:
            total += d.quantity if d.fixed else max(0.0, (d.intercept - price) / d.slope)
    return total


def incentive(ctx: Context, ref: ReferencePrice, zone: list[str], where: str) -> tuple[float, dict[str, Any]]:
    """The incentive price and its certificate (see the module docstring)."""
    share = float(ref.target_share)
    derived = derived_demand(ctx, ref.product, zone)

    def gap(p: float) -> float:
        return zone_supply(ctx, ref, zone, p) - share * zone_demand(ctx, ref.product, zone, p, derived)

    if zone_demand(ctx, ref.product, zone, 0.0, derived) <= 0:
        raise ScenarioError(f"{ctx.source}: {where}: the zone has no demand for {ref.product!r}, so no share of it can be targeted")
    if gap(0.0) >= 0:
        raise ScenarioError(f"{ctx.source}: {where}: zone supply of {ref.product!r} covers {share:g} of zone demand at any "
                            "price >= 0; no incentive price is needed")
    sc = ctx.scenario
    scale = max([abs(e.intercept) for e in sc.supply + sc.processing if e.product == ref.product]
                + [abs(d.intercept) for d in sc.demand if d.product == ref.product and not d.fixed]
                + [s.cost for s in ref.pipeline] + [1.0])
    lo, hi = 0.0, scale
    for _ in range(MAX_DOUBLINGS):
        if gap(hi) >= 0:
            break
        lo, hi = hi, 2.0 * hi
    else:
        reach = zone_supply(ctx, ref, zone, hi) / max(zone_demand(ctx, ref.product, zone, hi, derived), 1e-300)
        raise ScenarioError(f"{ctx.source}: {where}: target_share {share:g} of zone demand for {ref.product!r} is "
                            f"unreachable: zone supply covers at most {reach:.4g} of it (capacities bind)")
    root, info = brentq(gap, lo, hi, xtol=XTOL * hi, rtol=4 * np.finfo(float).eps, full_output=True)
    dx = 2 * XTOL * hi
    below, above = gap(max(root - dx, 0.0)), gap(root + dx)
    if not (below <= 0 <= above):
        raise ScenarioError(f"{ctx.source}: {where}: incentive root not certified ({below:g}, {above:g})")
    demand = zone_demand(ctx, ref.product, zone, root, derived)
    return float(root), {
        "bracket": [lo, hi], "final_bracket": [max(root - dx, 0.0), root + dx], "iterations": info.iterations,
        "residual": float(gap(root)), "relative_residual": float(abs(gap(root)) / (share * demand)),
        "zone_supply": zone_supply(ctx, ref, zone, root), "zone_demand": demand, "derived_demand": derived,
        "target_share": share,
    }


def average_cost(ctx: Context, product: str, zone: list[str], entries: list[int] | None = None) -> tuple[float, float, float]:
    """(average operating or conversion cost, average input cost, output) of zone producers at baseline
    (quantities and input prices of the baseline solution). ``entries``: only these processing
    entries (one route, :meth:`Context.routes`), without primary supply."""
    cost, inputs, out = _totals(ctx, product, zone, entries)
    if out <= 0:
        raise ScenarioError(f"{ctx.source}: no producer of {product!r} in the zone has baseline output; give operating_cost")
    return cost / out, inputs / out, out


def _totals(ctx: Context, product: str, zone: list[str], entries: list[int] | None) -> tuple[float, float, float]:
    """(cost, input cost, output) summed over the producers :func:`average_cost` averages."""
    sc = ctx.scenario
    cost = inputs = out = 0.0
    for e in sc.supply if entries is None else []:
        if e.product == product and e.region in zone:
            q = float(curve_quantity(ctx.producer_price(e.region, product), e.intercept, e.slope, e.capacity))
            q = _flat_share(ctx, e, q, "supply")
            cost += _area(e.intercept, e.slope, q)
            out += q
    for j, (e, coefs) in enumerate(zip(sc.processing, sc.recipes())):
        if e.product == product and e.region in zone and (entries is None or j in entries):
            unit_in = sum(c * ctx.baseline_price(e.region, i) for i, c in coefs.items())
            z = float(curve_quantity(ctx.producer_price(e.region, product) - unit_in, e.intercept, e.slope, e.capacity))
            z = _flat_share(ctx, e, z, "processing", j)
            cost += _area(e.intercept, e.slope, z)
            inputs += unit_in * z
            out += z
    return cost, inputs, out


def _area(a: float, b: float, q: float) -> float:
    """Cost of the first ``q`` units on ``a + b s`` with marginal cost floored at 0 (a cost is never negative)."""
    q0 = min(max(-a / b, 0.0), q) if b > 0 else (q if a < 0 else 0.0)
    return a * (q - q0) + 0.5 * b * (q * q - q0 * q0)


def _flat_share(ctx: Context, entry: Any, q: float, table: str, position: int | None = None) -> float:
    """A flat curve's quantity is set by the market, not the curve: take the baseline market total
    (the entry's own baseline output when it has a recipe of its own: a market may have two routes)."""
    if entry.slope > 0:
        return q
    if table == "processing" and getattr(entry, "inputs", None) is not None:
        rows = ctx.baseline().processing_entries
        return float(rows.loc[rows["entry"] == position, "quantity"].sum())
    frame = getattr(ctx.baseline(), table)
    row = frame[(frame["region"] == entry.region) & (frame["product"] == entry.product)]
    return float(row["quantity"].iloc[0]) if len(row) else 0.0


def cost_plus(ctx: Context, ref: ReferencePrice, zone: list[str]) -> tuple[float, dict[str, Any]]:
    """The cost-plus price and its parts (see the module docstring). With several zone routes
    (entry recipes, decision 0082) the price is the dearest route's: each route's input cost plus
    its operating cost (given, or that route's average at baseline), so the reference covers every
    route, as the chain check requires."""
    routes = ctx.routes(ref.product, zone)
    rate = crf(float(ref.return_on_capital), int(ref.lifetime_years)) if ref.capital_cost is not None else None
    charge = float(ref.capital_cost) * rate if rate is not None else 0.0
    if len(routes) == 1:
        input_cost, operating, all_refs = _route_cost(ctx, ref, zone, routes[0][0], None)
        per_route = None
    else:
        costs = [_route_cost(ctx, ref, zone, recipe, entries) for recipe, entries in routes]
        per_route = [{"inputs": recipe, "entries": entries, "input_cost": c[0], "operating_cost": c[1]}
                     for (recipe, entries), c in zip(routes, costs)]
        input_cost, operating, all_refs = max(costs, key=lambda c: c[0] + c[1])
    coefs = {i for recipe, _ in routes for i in recipe}
    price = input_cost + operating + charge
    if price <= 0:
        raise ScenarioError(f"{ctx.source}: cost_plus price of {ref.product!r} is not positive ({price:g})")
    detail = {
        "input_cost": input_cost, "operating_cost": operating, "capital_charge": charge, "crf": rate,
        "operating_basis": "given operating_cost" if ref.operating_cost is not None
        else "average cost of zone producers at baseline output",
        "input_basis": "none" if not coefs else ("reference prices" if all_refs else "baseline prices"),
    }
    if per_route is not None:
        detail["routes"] = per_route
    return price, detail


def _route_cost(ctx: Context, ref: ReferencePrice, zone: list[str], coefs: dict[str, float],
                entries: list[int] | None) -> tuple[float, float, bool]:
    """(input cost, operating cost, inputs at reference prices?) of one route (``entries`` None: the
    product's only route, primary supply included in the average cost)."""
    all_refs = all(i in ctx.references for i in coefs)
    avg = average_cost(ctx, ref.product, zone, entries) if ref.operating_cost is None or not all_refs else None
    operating = float(ref.operating_cost) if ref.operating_cost is not None else avg[0]
    if not coefs:
        input_cost = 0.0
    elif all_refs:
        input_cost = sum(c * ctx.references[i] for i, c in coefs.items())
    else:
        input_cost = avg[1]
    return input_cost, operating, all_refs
