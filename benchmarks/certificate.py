"""Check a claimed spatial price equilibrium from its tables alone, trusting no solver.

Given a scenario (integrable instruments only, see :mod:`benchmarks.cvxpy_spe`) and the tables
a solver reports (prices, supply, demand, processing, flows), this recomputes every condition of
issue 3, section 2 and returns the largest violation of each, in the units of the condition:

- ``balance``: supply + processing output + arrivals + releases - demand - input use -
  departures - purchases, per market (quantity units); a surplus is accepted only where the
  price is zero (free disposal);
- ``supply`` / ``demand`` / ``processing``: natural residual of the curve's complementarity
  condition (price on the curve inside the bounds, one-sided at zero and at capacity); under
  a cfd, producers respond to max(price, floor); a processing row's margin and input use follow
  its own ``inputs`` where it has them (decision 0082), which needs the per-row quantities
  (``processing_entries``); without them each row is checked at its market's total;
- ``arbitrage``: how far a destination price exceeds origin price plus arc cost and duties
  (specific, and ad valorem on the origin price) on any arc (price units), net of the rent of a binding export quota on the arcs it covers;
- ``flows``: natural residual of each arc's complementarity (a flow only where the price gap
  equals the cost);
- ``quota``: excess of covered exports over an export quota (a rent is allowed only on the
  arcs of a quota that binds).

It is used by the tests to certify both the cvxpy reference and critmin's results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.cvxpy_spe import Market, parse, read, recipe

#: Flows below this are treated as zero when testing complementarity.
ACTIVE = 1e-6
#: A quota counts as binding (and may carry a rent) when its slack is below this share of it.
QUOTA_SLACK = 1e-4


def _lookup(df: pd.DataFrame, keys: list[str], value: str) -> dict[tuple[str, ...], float]:
    if df is None or df.empty:
        return {}
    grouped = df.groupby(keys)[value].sum()
    return {tuple(map(str, k)) if isinstance(k, tuple) else (str(k),): float(v) for k, v in grouped.items()}


def _natural(q: float, lo: float, hi: float, f: float) -> float:
    """Natural residual |q - clip(q - f, lo, hi)| of a box complementarity condition.

    ``f`` is the excess of marginal cost over marginal value (zero in the interior, >= 0 at the
    lower bound, <= 0 at the upper bound). The residual is zero exactly at a solution, and it
    does not need a threshold for "positive": interior-point solvers leave tiny quantities that
    a test like ``q > 1e-6`` would misread.
    """
    return abs(q - min(max(q - f, lo), hi))


def _row_quantities(m: Market, processing: pd.DataFrame, processing_entries: pd.DataFrame | None) -> list[float]:
    """Quantity of each processing row: from ``processing_entries`` (column ``entry``) when given,
    else its market's total (enough while all rows of a market share one recipe)."""
    if processing_entries is not None:
        per = _lookup(processing_entries, ["entry"], "quantity")
        return [per.get((str(j),), 0.0) for j in range(len(m.processing))]
    if any(row.get("inputs") is not None for row in m.processing):
        raise ValueError("processing rows with their own inputs need processing_entries (per-row quantities)")
    xp = _lookup(processing, ["region", "product"], "quantity")
    return [xp.get((row["region"], row["product"]), 0.0) for row in m.processing]


def violations(
    scenario: str | Mapping[str, Any],
    prices: pd.DataFrame,
    supply: pd.DataFrame,
    demand: pd.DataFrame,
    processing: pd.DataFrame,
    flows: pd.DataFrame,
    tol: float = ACTIVE,
    processing_entries: pd.DataFrame | None = None,
) -> dict[str, float]:
    """Largest violation of each equilibrium condition (see module docstring)."""
    m = parse(read(scenario), allow_ad_valorem=True)
    p = _lookup(prices, ["region", "product"], "price")
    qs = _lookup(supply, ["region", "product"], "quantity")
    qd = _lookup(demand, ["region", "product"], "quantity")
    xp = _lookup(processing, ["region", "product"], "quantity")
    rows = _row_quantities(m, processing, processing_entries)
    fl = _lookup(flows, ["product", "origin", "destination"], "quantity")
    out = dict.fromkeys(("balance", "supply", "demand", "processing", "arbitrage", "flows", "quota"), 0.0)

    def price(r: str, k: str) -> float:
        if (r, k) not in p:
            raise ValueError(f"no price reported for market ({r}, {k})")
        return p[(r, k)]

    floor_of = {i: floor for _, floor, rows in m.cfds for i in rows}  # producers paid max(p, F)
    for i, s in enumerate(m.supply):
        key = (s["region"], s["product"])
        cap = np.inf if s.get("capacity") is None else float(s["capacity"])
        q = qs.get(key, 0.0)
        received = max(price(*key), floor_of.get(i, -np.inf))
        gap = _natural(q, 0.0, cap, float(s["intercept"]) + float(s["slope"]) * q - received)
        out["supply"] = max(out["supply"], gap)
    for d in m.demand:
        key = (d["region"], d["product"])
        if "quantity" in d:
            out["demand"] = max(out["demand"], abs(qd.get(key, 0.0) - float(d["quantity"])))
            continue
        q = qd.get(key, 0.0)
        gap = _natural(q, 0.0, np.inf, price(*key) - float(d["intercept"]) + float(d["slope"]) * q)
        out["demand"] = max(out["demand"], gap)
    for row, q in zip(m.processing, rows):
        r, k = row["region"], row["product"]
        margin = price(r, k) - sum(a * price(r, i) for i, a in recipe(m, row).items())
        cap = np.inf if row.get("capacity") is None else float(row["capacity"])
        gap = _natural(q, 0.0, cap, float(row["intercept"]) + float(row["slope"]) * q - margin)
        out["processing"] = max(out["processing"], gap)

    # Balances, from the tables' quantities.
    net: dict[tuple[str, str], float] = {}
    for (r, k), q in qs.items():
        net[(r, k)] = net.get((r, k), 0.0) + q
    for (r, k), q in qd.items():
        net[(r, k)] = net.get((r, k), 0.0) - q
    for (r, k), q in xp.items():
        net[(r, k)] = net.get((r, k), 0.0) + q
    if processing_entries is None:  # rows share their market's recipe: input use from the market total
        for (r, k), q in xp.items():
            for i, a in m.inputs.get(k, {}).items():
                net[(r, i)] = net.get((r, i), 0.0) - a * q
    else:  # input use row by row, each with its own recipe; rows must add up to the market totals
        made: dict[tuple[str, str], float] = {}
        for row, q in zip(m.processing, rows):
            key = (row["region"], row["product"])
            made[key] = made.get(key, 0.0) + q
            for i, a in recipe(m, row).items():
                net[(row["region"], i)] = net.get((row["region"], i), 0.0) - a * q
        out["processing"] = max([out["processing"]] + [abs(made.get(key, 0.0) - xp.get(key, 0.0)) for key in set(made) | set(xp)])
    for (k, o, d), q in fl.items():
        net[(o, k)] = net.get((o, k), 0.0) - q
        net[(d, k)] = net.get((d, k), 0.0) + q
    for key, q in m.fixed.items():
        net[key] = net.get(key, 0.0) + q
    # Free disposal: a market may be left oversupplied only at a zero price (as GAMS TRNSPORT's
    # "demand >= b" rows allow); a shortfall, or a surplus at a positive price, is a violation.
    floor_markets = {(r, k) for r, k, _ in m.floors}
    out["balance"] = max(
        [max(-v, min(v, max(p.get(key, 0.0), 0.0))) for key, v in net.items() if key not in floor_markets],
        default=0.0,
    )

    # Arbitrage on every arc; the arcs of a binding export quota share a rent (its multiplier).
    arc_index = {a: i for i, a in enumerate(m.arcs)}
    unknown = [a for a in fl if a not in arc_index and fl[a] > tol]
    if unknown:
        raise ValueError(f"flow on an arc the scenario does not allow: {unknown[0]}")
    gain = np.array(
        [
            price(d, k) - price(o, k) * (1.0 + float(m.arc_ad_valorem[i])) - float(m.arc_cost[i])
            for (k, o, d), i in arc_index.items()
        ]
    )
    # A quota's rent (multiplier) is zero unless the quota binds; a binding quota's rent is the
    # largest price gap over the arcs it covers. Where binding quotas overlap, an arc may use the
    # largest of their rents (lenient there: the exact split would need an LP).
    rent = np.zeros(len(m.arcs))
    for quantity, covered in m.quotas:
        used = sum(fl.get(m.arcs[i], 0.0) for i in covered)
        out["quota"] = max(out["quota"], used - quantity)
        if covered and used >= quantity - QUOTA_SLACK * max(1.0, quantity):
            rent[covered] = np.maximum(rent[covered], max(0.0, float(gain[covered].max())))
    out["arbitrage"] = max(0.0, float((gain - rent).max(initial=0.0)))
    for a, i in arc_index.items():
        out["flows"] = max(out["flows"], _natural(fl.get(a, 0.0), 0.0, np.inf, rent[i] - gain[i]))
    return {k: float(v) for k, v in out.items()}


def net_surplus(
    scenario: str | Mapping[str, Any],
    supply: pd.DataFrame,
    demand: pd.DataFrame,
    processing: pd.DataFrame,
    flows: pd.DataFrame,
    processing_entries: pd.DataFrame | None = None,
) -> float:
    """Net social surplus of a solution: the objective the integrable equilibrium maximises.

    Areas under the demand curves minus areas under the supply and processing cost curves minus
    transport costs and specific duties on the flows. It is unique at the optimum even where the
    quantities are not (flat curves, tied routes), so it compares two solvers' answers globally.
    Fixed demands contribute nothing (their value is the same in every feasible solution).
    Scenarios with price floors are refused: the government's purchases are not in these tables.
    """
    m = parse(read(scenario))
    if m.floors:
        raise ValueError("net_surplus does not cover price floors")
    qs = _lookup(supply, ["region", "product"], "quantity")
    qd = _lookup(demand, ["region", "product"], "quantity")
    rows = _row_quantities(m, processing, processing_entries)
    fl = _lookup(flows, ["product", "origin", "destination"], "quantity")
    total = 0.0
    for d in m.demand:
        if "quantity" not in d:
            q = qd.get((d["region"], d["product"]), 0.0)
            total += float(d["intercept"]) * q - float(d["slope"]) * q * q / 2
    for s in m.supply:
        q = qs.get((s["region"], s["product"]), 0.0)
        total -= float(s["intercept"]) * q + float(s["slope"]) * q * q / 2
    for row, q in zip(m.processing, rows):
        total -= float(row.get("intercept") or 0.0) * q + float(row.get("slope") or 0.0) * q * q / 2
    index = {a: i for i, a in enumerate(m.arcs)}
    total -= sum(float(m.arc_cost[index[a]]) * q for a, q in fl.items() if a in index)
    return total
