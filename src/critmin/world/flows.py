"""Bilateral flows for calibration: net, reconcile with production, reduce to a forest.

A homogeneous-good spatial equilibrium cannot show cross-hauling, and with constant unit
transport costs its flows are unique only when the arcs in use form a forest (a cycle of arcs
lets flow shift around it at no cost). So observed trade is (1) netted per pair of regions,
(2) reconciled so that no region exports more than it produces and imports (BACI re-exports,
stock changes and mixed baskets otherwise give negative apparent consumption), and (3) carried
by the forest that best keeps the observed pattern: the vertex solution of a transportation
problem from net exporters to net importers whose arc costs are ``-log`` of the observed share
of each arc. See docs/decisions/0025-world-flows-and-trade-costs.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from critmin.errors import DataError

#: Share given to arcs with no observed trade in the forest problem (their cost is -log of it).
UNOBSERVED_SHARE = 1e-9
#: Relative size below which a flow is numerical noise.
EPS = 1e-9


def net_pairs(gross: pd.DataFrame) -> pd.DataFrame:
    """Net flows per unordered pair: ``origin, destination, quantity`` with quantity > 0."""
    if gross.empty:
        return gross.loc[:, ["origin", "destination", "quantity"]]
    g = gross.groupby(["origin", "destination"], as_index=False)["quantity"].sum()
    g = g[g["origin"] != g["destination"]]
    back = g.rename(columns={"origin": "destination", "destination": "origin", "quantity": "back"})
    m = g.merge(back, on=["origin", "destination"], how="left").fillna({"back": 0.0})
    m["quantity"] = m["quantity"] - m["back"]
    out = m.loc[m["quantity"] > 0, ["origin", "destination", "quantity"]]
    return out.sort_values(["origin", "destination"], ignore_index=True)


def balance(output: pd.Series, flows: pd.DataFrame) -> pd.Series:
    """Apparent consumption: output + arrivals - departures, per region of ``output``."""
    inflow = flows.groupby("destination")["quantity"].sum()
    outflow = flows.groupby("origin")["quantity"].sum()
    idx = output.index
    return output + inflow.reindex(idx, fill_value=0.0) - outflow.reindex(idx, fill_value=0.0)


def reconcile(output: pd.Series, flows: pd.DataFrame, max_rounds: int = 500) -> tuple[pd.DataFrame, pd.Series]:
    """Scale down the departures of every region whose apparent consumption is negative until
    none is; returns the flows and the volume of departures removed per region."""
    flows = flows.copy()
    regions = output.index.union(pd.Index(flows["origin"].unique())).union(pd.Index(flows["destination"].unique()))
    output = output.reindex(regions, fill_value=0.0)
    removed = pd.Series(0.0, index=regions)
    tol = EPS * max(float(output.sum()), 1.0)
    for _ in range(max_rounds):
        cons = balance(output, flows)
        short = cons[cons < -tol]
        if short.empty:
            return flows.reset_index(drop=True), removed
        out = flows.groupby("origin")["quantity"].sum()
        for region, deficit in short.items():
            sel = flows["origin"] == region
            factor = max(0.0, 1.0 + float(deficit) / float(out[region]))
            removed[region] += float(out[region]) * (1.0 - factor)
            flows.loc[sel, "quantity"] *= factor
        flows = flows[flows["quantity"] > tol]
    raise DataError(f"trade reconciliation did not converge in {max_rounds} rounds")


def forest(position: pd.Series, observed: pd.DataFrame) -> pd.DataFrame:
    """Flows from net exporters (``position`` > 0) to net importers (< 0) along a forest that
    keeps the largest observed shares; ``observed`` holds ``origin, destination, quantity``."""
    scale = float(position.abs().sum()) / 2 or 1.0
    exp = position[position > EPS * scale]
    imp = -position[position < -EPS * scale]
    if exp.empty or imp.empty:
        return pd.DataFrame(columns=["origin", "destination", "quantity"])
    # make the totals agree exactly (they differ only by rounding)
    imp = imp * float(exp.sum()) / float(imp.sum())
    total = float(observed["quantity"].sum()) if not observed.empty else 0.0
    share = {(o, d): q / total for o, d, q in observed.itertuples(index=False)} if total > 0 else {}
    ne, ni = len(exp), len(imp)
    cost = np.array([-np.log(max(share.get((o, d), 0.0), UNOBSERVED_SHARE)) for o in exp.index for d in imp.index])
    a_eq = np.zeros((ne + ni, ne * ni))
    for i in range(ne):
        a_eq[i, i * ni:(i + 1) * ni] = 1.0
    for j in range(ni):
        a_eq[ne + j, j::ni] = 1.0
    b_eq = np.concatenate([exp.to_numpy(), imp.to_numpy()]) / scale
    res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs-ds")
    if res.status != 0:
        raise DataError(f"flow allocation failed: {res.message}")
    x = res.x.reshape(ne, ni) * scale
    rows = [(o, d, float(x[i, j])) for i, o in enumerate(exp.index) for j, d in enumerate(imp.index)
            if x[i, j] > EPS * scale]
    out = pd.DataFrame(rows, columns=["origin", "destination", "quantity"])
    if not is_forest(out):
        raise DataError("flow allocation is not a forest (degenerate transportation problem)")
    return out


def is_forest(flows: pd.DataFrame) -> bool:
    """True if the arcs, taken as undirected edges, contain no cycle (union-find)."""
    parent: dict[str, str] = {}

    def root(n: str) -> str:
        parent.setdefault(n, n)
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for o, d in zip(flows["origin"], flows["destination"]):
        ro, rd = root(o), root(d)
        if ro == rd:
            return False
        parent[ro] = rd
    return True
