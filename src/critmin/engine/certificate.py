"""The equilibrium certificate: the largest violation of the equilibrium conditions.

Computed from the result tables and the scenario alone, without the solver's matrices or its
residual function: it re-derives every condition of issue 3 section 2 from the YAML numbers.
Processing margins and input use follow each processing entry's recipe (its own ``inputs``, else
its product's; decision 0082). When some entry's recipe differs from its product's, input use
needs each entry's output (table ``processing_entries``), and two more conditions are checked:
each entry on its own cost curve ("route on curve") and the entries of a market adding up to its
``processing`` row ("routes add up").

Scale-aware per product. Each violation is made dimensionless by the magnitudes of the
product(s) it involves (:func:`critmin.engine.scales.product_scales`, from the scenario's
numbers only): a price-type violation of product k (an arbitrage gap, a price off its curve)
is divided by ``P[k]``, a quantity-type one (excess demand, a flow on a closed arc) by
``Q[k]``. Conditions that mix products use the largest scale involved: a processing margin
(output price - inputs x prices - conversion cost) is measured by the output's ``P[k]``,
which is at least the inputs' value ``sum_i c_i P[i]``; a quota or floor over several products
by the largest ``Q`` or ``P`` among them (a quota's own quantity is part of ``Q``). A purchase
budget is measured by the budget. So a 2% error on a 100-tonne market fails even beside a
100,000-tonne one. A complementarity violation is the smaller of the two scaled quantities
that should not both be positive. ``residual`` is the maximum over all conditions; the result
is accepted when ``residual <= TOLERANCE`` (1e-6: a millionth of the product's own largest
price or quantity), otherwise :class:`~critmin.errors.SolverError` is raised. On flat
(zero-slope) curve segments a quantity anywhere within capacity is accepted when the price is
within ``TOLERANCE * P[k]`` of the curve's level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.engine.arcs import ArcCharges, arc_charges
from critmin.engine.scales import FLOOR, product_scales
from critmin.scenario.schema import Scenario
from critmin.scenario.selectors import resolve

TOLERANCE = 1e-6


@dataclass
class Certificate:
    residual: float
    worst: str  # which condition attains the residual
    parts: dict[str, float]


def _codes(names: pd.Series, ids: list[str]) -> np.ndarray:
    """Position of each name in ``ids`` (a plain dict lookup: Series.map on Arrow strings was
    half of the certificate's time on 60 x 40)."""
    ix = {k: i for i, k in enumerate(ids)}
    return np.fromiter(map(ix.__getitem__, names.tolist()), dtype=np.int64, count=len(names))


def _grid(sc: Scenario, frame: pd.DataFrame, col: str, fill: float = 0.0) -> np.ndarray:
    """A (region, product) table as a dense array in scenario order (summing duplicates)."""
    out = np.full((len(sc.regions), len(sc.products)), fill)
    if len(frame):
        r = _codes(frame["region"], sc.region_ids)
        k = _codes(frame["product"], sc.product_ids)
        if fill == 0.0:
            np.add.at(out, (r, k), frame[col].to_numpy(dtype=float))
        else:
            out[r, k] = frame[col].to_numpy(dtype=float)
    return out


def _curve_gap(price: np.ndarray, intercept: np.ndarray, slope: np.ndarray, cap: np.ndarray, tolp: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Quantities a curve ``price = intercept + slope q`` (0 <= q <= cap) allows at ``price``: (lowest, highest).

    ``tolp``: per entry, how close to a flat curve's level the price must be to allow any quantity.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(slope > 0, (price - intercept) / slope, 0.0)
    lo = np.clip(q, 0.0, cap)
    hi = lo.copy()
    flat = slope == 0
    lo[flat] = np.where(price[flat] > intercept[flat] + tolp[flat], cap[flat], 0.0)
    hi[flat] = np.where(price[flat] >= intercept[flat] - tolp[flat], cap[flat], 0.0)
    return lo, hi


def certify(sc: Scenario, tables: dict[str, pd.DataFrame], P: float, Q: float, charges: ArcCharges | None = None,
            scales: tuple[np.ndarray, np.ndarray] | None = None) -> Certificate:
    """Check every equilibrium condition of ``sc`` against the solution ``tables``.

    ``P``, ``Q``: the scenario-wide price and quantity scales (``model._scales``); each product's
    own scales (:func:`product_scales`) are floored at a millionth of them.
    ``charges``: the scenario's per-arc costs and duties if already computed (arc_charges(sc));
    ``scales``: likewise ``product_scales(sc, P, Q)`` (both are functions of the scenario alone).
    """
    regions, products = sc.region_ids, sc.product_ids
    rix = {r: i for i, r in enumerate(regions)}
    kix = {k: i for i, k in enumerate(products)}
    nR, nK = len(regions), len(products)
    Pk, Qk = product_scales(sc, P, Q) if scales is None else scales
    Pg, Qg = np.broadcast_to(Pk, (nR, nK)), np.broadcast_to(Qk, (nR, nK))  # per market
    Pa, Qa = Pk[:, None, None], Qk[:, None, None]  # per arc (product, origin, destination)
    parts: dict[str, float] = {}

    def note(name: str, value) -> None:
        v = float(np.max(value, initial=0.0)) if np.size(value) else 0.0
        parts[name] = max(parts.get(name, 0.0), v)

    price = _grid(sc, tables["prices"], "price", np.nan)
    pprice = _grid(sc, tables["producer_prices"], "price", np.nan)
    S = _grid(sc, tables["supply"], "quantity")
    D = _grid(sc, tables["demand"], "quantity")
    Z = _grid(sc, tables["processing"], "quantity")
    details = tables["policy_details"]
    known = ~np.isnan(price)
    p = np.where(known, price, 0.0)
    pp = np.where(known, pprice, 0.0)
    note("price >= 0", -p / Pg)

    # producer prices: max(price, floor) under a cfd, the price elsewhere
    expected = p.copy()
    floors = {}
    for idx, pol in enumerate(sc.policies):
        if pol.kind == "price_floor":
            cover = resolve(pol.scope, regions, sc.blocs)[:, None] & resolve(pol.product, products, what="product")[None, :]
            floors[idx] = cover
            if pol.mechanism == "cfd":
                expected[cover] = np.maximum(p[cover], pol.price)
    note("producer price", (np.abs(pp - expected) / Pg)[known])

    # supply and demand on their curves
    if sc.supply:
        r = np.array([rix[s.region] for s in sc.supply]); k = np.array([kix[s.product] for s in sc.supply])
        a = np.array([s.intercept for s in sc.supply]); b = np.array([s.slope for s in sc.supply])
        cap = np.array([np.inf if s.capacity is None else s.capacity for s in sc.supply])
        lo, hi = _curve_gap(pp[r, k], a, b, cap, TOLERANCE * Pk[k])
        LO, HI = np.zeros((nR, nK)), np.zeros((nR, nK))
        np.add.at(LO, (r, k), lo), np.add.at(HI, (r, k), hi)
        note("supply on curve", np.maximum(LO - S, S - HI) / Qg)
    else:
        note("supply on curve", S / Qg)
    fixed = np.zeros((nR, nK))
    resp = np.zeros((nR, nK))
    if sc.demand:
        r = np.array([rix[dm.region] for dm in sc.demand]); k = np.array([kix[dm.product] for dm in sc.demand])
        is_fixed = np.array([dm.fixed for dm in sc.demand], dtype=bool)
        qty = np.array([dm.quantity if dm.fixed else 0.0 for dm in sc.demand], dtype=float)
        a = np.array([0.0 if dm.fixed else dm.intercept for dm in sc.demand], dtype=float)
        b = np.array([1.0 if dm.fixed else dm.slope for dm in sc.demand], dtype=float)
        np.add.at(fixed, (r[is_fixed], k[is_fixed]), qty[is_fixed])
        curve = ~is_fixed
        np.add.at(resp, (r[curve], k[curve]), np.maximum(0.0, (a[curve] - p[r[curve], k[curve]]) / b[curve]))
    note("demand on curve", np.abs(D - fixed - resp) / Qg)

    # processing on its marginal-cost curve at the margin output price - input cost, each entry
    # with its own recipe where it has one (decision 0082); the margin mixes products and is
    # measured by the output's P[k] >= sum_i c_i P[i] under every recipe (product_scales)
    recipes = [{kix[i]: c for i, c in rc.items()} for rc in sc.recipes()]
    by_product = {pr.id: pr.inputs for pr in sc.products}
    own = any(e.inputs is not None and e.inputs != by_product[e.product] for e in sc.processing)
    entries = tables.get("processing_entries")
    if own and entries is None:
        raise ValueError("certify: processing entries have recipes of their own, so the tables need 'processing_entries'")
    if sc.processing:
        r = np.array([rix[e.region] for e in sc.processing]); k = np.array([kix[e.product] for e in sc.processing])
        margin = np.array([pp[rr, kk] - sum(c * p[rr, i] for i, c in rc.items()) for rr, kk, rc in zip(r, k, recipes)])
        c0 = np.array([e.intercept for e in sc.processing]); c1 = np.array([e.slope for e in sc.processing])
        cap = np.array([np.inf if e.capacity is None else e.capacity for e in sc.processing])
        lo, hi = _curve_gap(margin, c0, c1, cap, TOLERANCE * Pk[k])
        LO, HI = np.zeros((nR, nK)), np.zeros((nR, nK))
        np.add.at(LO, (r, k), lo), np.add.at(HI, (r, k), hi)
        note("processing on curve", np.maximum(LO - Z, Z - HI) / Qg)
    else:
        note("processing on curve", Z / Qg)
    use = np.zeros((nR, nK))
    if own:
        # some entry's recipe differs from its product's: each entry on its own curve, the
        # entries of a market adding up to its processing, input use entry by entry
        ze = np.zeros(len(sc.processing))
        if len(entries):
            np.add.at(ze, entries["entry"].to_numpy(dtype=np.int64), entries["quantity"].to_numpy(dtype=float))
        note("route on curve", np.maximum(lo - ze, ze - hi) / Qk[k])
        total = np.zeros((nR, nK))
        np.add.at(total, (r, k), ze)
        note("routes add up", np.abs(total - Z) / Qg)
        for e, rc in enumerate(recipes):
            for i, c in rc.items():
                use[r[e], i] += c * ze[e]
    else:
        for kk, pr in enumerate(sc.products):
            for i, c in pr.inputs.items():
                use[:, kix[i]] += c * Z[:, kk]

    # flows: only on open arcs; arbitrage with every charge
    ch = arc_charges(sc) if charges is None else charges
    X = np.zeros((nK, nR, nR))
    fl = tables["flows"]
    if len(fl):
        np.add.at(X, (_codes(fl["product"], products), _codes(fl["origin"], regions), _codes(fl["destination"], regions)),
                  fl["quantity"].to_numpy(dtype=float))
    note("flow >= 0", -X / Qa)
    open_ = ~np.isnan(ch.cost)
    note("flow on closed arc", (np.abs(X) / Qa)[~open_])
    pk = p.T  # (nK, nR)
    landed = (1 + ch.tariff_ad_valorem + ch.export_ad_valorem) * pk[:, :, None] + np.nan_to_num(ch.cost) \
        + ch.tariff_specific + ch.export_specific
    extra = np.zeros_like(landed)
    for idx, pol in enumerate(sc.policies):
        if pol.kind == "export_quota":
            covered = resolve(pol.product, products, what="product")
            mask = (covered[:, None, None]
                    & resolve(pol.origin, regions, sc.blocs)[None, :, None] & resolve(pol.destination, regions, sc.blocs)[None, None, :]) & open_
            Pq = float(np.max(Pk[covered], initial=FLOOR * P))
            Qq = max(pol.quantity, float(np.max(Qk[covered], initial=FLOOR * Q)))
            row = details[(details["policy"] == idx)]
            lam = float(row["unit_value"].iloc[0])
            used = X[mask].sum()
            note("quota rent >= 0", -lam / Pq)
            note("quota", (used - pol.quantity) / Qq)
            note("quota complementarity", min(lam / Pq, (pol.quantity - used) / Qq))
            extra[mask] += lam
        elif pol.kind == "price_floor" and pol.mechanism == "variable_levy":
            scope = resolve(pol.scope, regions, sc.blocs)
            for _, row in details[details["policy"] == idx].iterrows():
                k = kix[row["product"]]
                arcs = np.zeros((nR, nR), dtype=bool)
                arcs[np.ix_(~scope, scope)] = True
                arcs &= open_[k]
                lowest = landed[k][arcs].min() if arcs.any() else np.inf
                note("variable levy", abs(row["unit_value"] - max(0.0, pol.price - lowest)) / Pk[k])
                extra[k][arcs] += row["unit_value"]
    full = landed + extra
    pdest = np.broadcast_to(pk[:, None, :], full.shape)
    gap = np.where(open_ & known.T[:, None, :] & known.T[:, :, None], pdest - full, 0.0)
    note("arbitrage", gap / Pa)
    note("flow complementarity", np.where(open_, np.minimum(X / Qa, -gap / Pa), 0.0))

    # market clearing with stock and floor purchases
    stock = np.zeros((nR, nK))
    for pol in sc.policies:
        if pol.kind == "stockpile":
            stock[rix[pol.region], kix[pol.product]] += (pol.release or 0.0) - (pol.purchase or 0.0)
    gov = np.zeros((nR, nK))
    for idx, pol in enumerate(sc.policies):
        if pol.kind == "price_floor" and pol.mechanism == "purchase":
            rows = details[details["policy"] == idx]
            g = _grid(sc, rows, "quantity")
            gov += g
            pol_row = tables["policies"].iloc[idx]
            support = float(pol_row["unit_value"])
            cover = floors[idx] & known
            covered = resolve(pol.product, products, what="product")
            Pf = float(np.max(Pk[covered], initial=FLOOR * P))
            note("purchase >= 0", -g / Qg)
            note("price >= support", (support - p[cover]) / Pg[cover])
            note("purchase complementarity", np.minimum(g[cover] / Qg[cover], (p[cover] - support) / Pg[cover]))
            note("support <= floor", (support - pol.price) / Pf)
            if pol.budget is not None:
                spend = float((g * p).sum())
                money = max(pol.budget, FLOOR * float(np.max(Pk[covered] * Qk[covered], initial=FLOOR**2 * P * Q)))
                note("budget", (spend - pol.budget) / money)
                note("budget complementarity", min((pol.price - support) / Pf, (pol.budget - spend) / money))
            else:
                note("support = floor", abs(support - pol.price) / Pf)
    arrivals, departures = X.sum(axis=1).T, X.sum(axis=2).T  # (nR, nK)
    excess = S + Z + arrivals + stock - D - use - departures - gov
    note("market clearing", np.where(known, -excess / Qg, np.abs(excess) / Qg))
    note("clearing complementarity", np.where(known, np.minimum(p / Pg, excess / Qg), 0.0))

    worst = max(parts, key=parts.get) if parts else ""
    return Certificate(max(parts.values(), default=0.0), worst, parts)
