"""The elasticity gap: the demand elasticity at which the model would reproduce each observed price change.

A diagnostic, not a calibration: for every compared price row outside China that is not an input,
the experiment is solved again with the demand elasticity as the unknown (supply at the table's
central value) until the model's price change equals the observed one. The answer says how far
the table's short-run demand elasticities are from what each episode alone would imply; it is
never fed back into ``elasticities.csv`` (tuning to one episode, docs/decisions/0071).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from scipy.optimize import brentq

from critmin.errors import SolverError
from critmin.history.experiments import baseline, solve_experiment
from critmin.history.markets import FOLDER

#: Range of |demand elasticity| searched; outside it the row reports no solution.
LIMITS = (0.005, 5.0)
#: The solved price change must match the observation this closely (percentage points; the table shows 0.1).
MATCH = 0.01
#: Tolerance on log|elasticity| (a relative tolerance on the elasticity).
XTOL = 1e-6


def _price_change(market, rows: pd.DataFrame, elasticity: float, before: dict[str, float], folder: Path) -> float:
    delta, _ = solve_experiment(market, rows, "value", before, demand_elasticity=elasticity, folder=folder)
    return delta["price_outside"]


def implied_demand_elasticity(market, rows: pd.DataFrame, target: float, folder: Path = FOLDER) -> float | None:
    """The demand elasticity (< 0) at which ``rows`` raise the outside price by ``target`` percent, or None.

    Every curve passes through the observed point whatever its elasticity (``experiments.baseline``
    certifies this at three settings), so the baseline state is solved once, at the table's value.
    """
    before, _, _ = baseline(market, "value")

    def miss(x: float) -> float:
        return _price_change(market, rows, -math.exp(x), before, folder) - target

    lo, hi = math.log(LIMITS[0]), math.log(LIMITS[1])
    if miss(lo) * miss(hi) > 0:
        return None
    x = brentq(miss, lo, hi, xtol=XTOL)
    elasticity = -math.exp(x)
    before_here, _, _ = baseline(market, "value", demand_elasticity=elasticity)  # certified at the answer too
    achieved = _price_change(market, rows, elasticity, before_here, folder)
    if abs(achieved - target) > MATCH:
        raise SolverError(f"history gap {market.id}: elasticity {elasticity:.4g} gives {achieved:.6g}% not {target:.6g}%")
    return elasticity


def gaps(markets: list, experiments: pd.DataFrame, table: pd.DataFrame, outcomes: list,
         folder: Path = FOLDER) -> pd.DataFrame:
    """One row per compared, non-input price row outside China: the model at each elasticity setting and the
    demand elasticity that would reproduce the observation."""
    by_id = {m.id: m for m in markets}
    runs = {(o.market, o.experiment, o.bound): o.changes["price_outside"] for o in outcomes}
    records, cache = [], {}
    rows = table[(table.model_variable == "price_outside") & ~table.input]
    for r in rows.itertuples(index=False):
        market = by_id[r.market]
        key = (r.market, r.experiment, r.observed)
        if key not in cache:
            mine = experiments[(experiments.market == r.market) & (experiments.experiment == r.experiment)]
            cache[key] = implied_demand_elasticity(market, mine, float(r.observed), folder)
        d = market.elasticities["demand"]
        implied = cache[key]
        records.append({"episode": r.episode, "variable": r.variable, "region": r.region, "period": r.period,
                        "market": r.market, "experiment": r.experiment, "observed": r.observed,
                        **{f"model_{b}": runs[(r.market, r.experiment, b)] for b in ("value", "elastic", "inelastic")},
                        "demand_elasticity": d["value"], "demand_low": d["low"], "demand_high": d["high"],
                        "implied_demand_elasticity": implied,
                        "ratio": None if implied is None else implied / d["value"]})
    return pd.DataFrame.from_records(records)
