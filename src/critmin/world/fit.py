"""Solve the calibrated baseline with the engine and compare it with the observed year.

The calibration table has one row per observed quantity or price: production, processing and
consumption per region and product, every calibrated flow, and the price wherever a region
produces, processes or consumes, plus ``trade`` rows comparing the model's flows with the observed
net trade (after reconciliation, before the forest; reported, not held to the tolerance, since a
homogeneous-good equilibrium cannot reproduce a flow pattern with cycles). ``error`` is model minus observed; ``relative`` divides it by
the product's world output (quantities and flows) or by the observed price (prices). A world
whose largest ``relative`` exceeds :data:`TOLERANCE` is a :class:`CalibrationError`: the
curves are built to pass through the observed point, so a miss means the observed point is
not an equilibrium of the market handed to the engine (docs/decisions/0027-world-fit.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from critmin.errors import ScenarioError
from critmin.world.observed import Observed

#: Largest accepted relative error (share of world output, or of the observed price).
TOLERANCE = 1e-4
#: Row kinds held to the tolerance; ``trade`` rows (observed net trade before the forest) are reported only.
CHECKED = ("production", "processing", "consumption", "flow", "price")
COLUMNS = ["kind", "product", "region", "destination", "observed", "model", "error", "relative"]


class CalibrationError(ScenarioError):
    """The baseline equilibrium of a built world misses the observed year."""


def _quantity(result_table: pd.DataFrame) -> pd.Series:
    if result_table.empty:
        return pd.Series(dtype=float)
    return result_table.groupby(["region", "product"])["quantity"].sum()


def table(obs: Observed, result: Any) -> pd.DataFrame:
    """The calibration table (see the module docstring) for an engine ``result``."""
    q = obs.quantities.set_index(["region", "product"])
    world = obs.quantities.groupby("product")[["production", "processing"]].sum().sum(axis=1)
    rows = []
    for kind, column, res in (("production", "production", result.supply), ("processing", "processing", result.processing),
                              ("consumption", "consumption", result.demand)):
        model = _quantity(res)
        for (region, product), value in q[column].items():
            m = float(model.get((region, product), 0.0))
            if value > 0 or m > 0:
                rows.append((kind, product, region, "", float(value), m, m - value, (m - value) / world[product]))
    flows = result.flows.set_index(["product", "origin", "destination"])["quantity"] if not result.flows.empty else pd.Series(dtype=float)
    seen = set()
    for product, o, d, value in obs.flows.itertuples(index=False):
        m = float(flows.get((product, o, d), 0.0))
        seen.add((product, o, d))
        rows.append(("flow", product, o, d, float(value), m, m - value, (m - value) / world[product]))
    for (product, o, d), m in flows.items():
        if (product, o, d) not in seen and m > 0:
            rows.append(("flow", product, o, d, 0.0, float(m), float(m), float(m) / world[product]))
    for product, o, d, value in obs.trade.itertuples(index=False):
        m = float(flows.get((product, o, d), 0.0))
        rows.append(("trade", product, o, d, float(value), m, m - value, (m - value) / world[product]))
    active = q[["production", "processing", "consumption"]].sum(axis=1) > 0
    prices = result.prices.set_index(["region", "product"])["price"]
    for (region, product), p0 in obs.prices.set_index(["region", "product"])["price"].items():
        if active[(region, product)]:
            m = float(prices[(region, product)])
            rows.append(("price", product, region, "", float(p0), m, m - p0, (m - p0) / p0))
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["kind", "product", "region", "destination"], ignore_index=True)


def largest(calibration: pd.DataFrame, n: int = 10, kinds: tuple[str, ...] = CHECKED) -> pd.DataFrame:
    """The ``n`` rows of ``kinds`` with the largest absolute relative error."""
    rows = calibration[calibration["kind"].isin(kinds)]
    order = np.argsort(-rows["relative"].abs().to_numpy(), kind="stable")
    return rows.iloc[order[:n]].reset_index(drop=True)


def check(calibration: pd.DataFrame, tolerance: float = TOLERANCE) -> None:
    """Raise :class:`CalibrationError` naming the worst row if any error exceeds ``tolerance``."""
    worst = largest(calibration, 1)
    if not worst.empty and abs(float(worst["relative"].iloc[0])) > tolerance:
        r = worst.iloc[0]
        where = f"{r['region']}->{r['destination']}" if r["destination"] else r["region"]
        raise CalibrationError(
            f"world calibration misses the observed year: {r['kind']} of {r['product']} in {where} is "
            f"{r['model']:.6g} against {r['observed']:.6g} observed (relative error {r['relative']:.3g} > {tolerance:g})")


def summary(calibration: pd.DataFrame) -> pd.DataFrame:
    """Per row kind and product: rows, largest |relative| error; for ``trade`` also the share of
    observed trade volume the model moves differently (sum |error| / 2 / observed volume)."""
    rows = []
    for (kind, product), g in calibration.groupby(["kind", "product"], sort=True):
        mismatch = float(g["error"].abs().sum() / 2 / g["observed"].sum()) if kind == "trade" and g["observed"].sum() > 0 else float("nan")
        rows.append((kind, product, len(g), float(g["relative"].abs().max()), mismatch))
    return pd.DataFrame(rows, columns=["kind", "product", "rows", "max_relative_error", "trade_mismatch_share"])
