"""Welfare per region, per bloc and for the world.

- consumer_surplus: for a demand curve ``(intercept - price) d - slope d^2 / 2`` (the area under
  the curve above the price); for a fixed demand, whose gross value is undefined, minus the
  expenditure ``price x quantity`` (so differences between scenarios are still right);
- producer_surplus: ``(producer price - intercept) q - slope q^2 / 2`` over supply entries;
- processing_surplus: ``z (producer price of output - input cost at market prices - intercept)
  - slope z^2 / 2`` over processing entries;
- quota_rent: unit rent x licensed exports, to the exporting region (see policies.py);
- government: net revenue (see policies.py);
- total: the sum. Transport costs are a real cost and accrue to no one, so the world total
  equals gross consumer value minus production, processing and transport costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.engine.model import Model
from critmin.engine.tables import Solution

COLUMNS = ["level", "id", "consumer_surplus", "producer_surplus", "processing_surplus", "quota_rent", "government", "total"]


def welfare(m: Model, sol: Solution, government: np.ndarray, quota_rent: np.ndarray) -> pd.DataFrame:
    sc = m.scenario
    nR = len(sc.regions)
    p, pp = sol["p"], sol.producer_price
    cs, ps, zs = np.zeros(nR), np.zeros(nR), np.zeros(nR)
    if m.dem_entry.size:
        d = sol["d"]
        alpha = np.array([sc.demand[i].intercept for i in m.dem_entry])
        beta = np.array([sc.demand[i].slope for i in m.dem_entry])
        np.add.at(cs, m.mkt_region[m.dem_market], (alpha - p[m.dem_market]) * d - 0.5 * beta * d * d)
    for dm in sc.demand:
        if dm.fixed:
            r, k = sc.region_ids.index(dm.region), sc.product_ids.index(dm.product)
            cs[r] -= p[m.market_of[r, k]] * dm.quantity
    if m.sup_entry.size:
        q = sol["q"]
        a = np.array([sc.supply[i].intercept for i in m.sup_entry])
        b = np.array([sc.supply[i].slope for i in m.sup_entry])
        np.add.at(ps, m.mkt_region[m.sup_market], (pp[m.sup_market] - a) * q - 0.5 * b * q * q)
    if m.proc_entry.size:
        z = sol["z"]
        c0 = np.array([sc.processing[i].intercept for i in m.proc_entry])
        c1 = np.array([sc.processing[i].slope for i in m.proc_entry])
        input_cost = np.bincount(m.proc_in_entry, weights=m.proc_in_coef * p[m.proc_in_rows], minlength=z.size)
        np.add.at(zs, m.mkt_region[m.proc_market], z * (pp[m.proc_market] - input_cost - c0) - 0.5 * c1 * z * z)
    # one table built from numpy (per-bloc pandas selections were most of this function's time);
    # sums run over columns stored contiguously, as pandas does, so the numbers are the same to the bit
    cols = np.vstack([cs, ps, zs, quota_rent, government])  # (column, region)
    cols = np.vstack([cols, cols.sum(axis=0)])
    groups = [np.isin(sc.region_ids, m) for m in sc.blocs.values()] + [np.ones(nR, dtype=bool)]
    values = np.hstack([cols, *(np.nansum(np.ascontiguousarray(cols[:, g]), axis=1, keepdims=True) for g in groups)])
    frame = pd.DataFrame(values.T, columns=COLUMNS[2:])
    frame.insert(0, "id", [*sc.region_ids, *sc.blocs, "world"])
    frame.insert(0, "level", ["region"] * nR + ["bloc"] * len(sc.blocs) + ["world"])
    return frame
