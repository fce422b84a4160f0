"""Apply each control to its calibrated market with the engine, at the central and both end elasticities.

A ban is the engine's ``export_ban`` from China to every destination; a licence is an
``export_quota`` of ``(1 - withheld_share) x`` China's baseline exports (the observed fall in
exports sizes it, so the model's export change is an input, not a prediction). Every solve is
certified: the engine's residual must be within its tolerance, and the baseline must reproduce
the observed point (prices and quantities) within :data:`FIT_TOLERANCE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.errors import InputFileError, SolverError
from critmin.history.markets import FOLDER, PRODUCT, REGIONS, Market, number, read_table

#: Elasticity settings solved for every experiment: the table's value and the ends of its ranges (0026).
BOUNDS = ("value", "elastic", "inelastic")
#: Largest relative gap between the baseline solution and the observed point.
FIT_TOLERANCE = 1e-6
#: Model variables an observed row can be compared with.
VARIABLES = ("price_outside", "price_china", "china_exports")
#: A quantity at or below this counts as zero when deciding whether FORGE is idle (index or tonnes).
IDLE = 1e-9


@dataclass(frozen=True)
class Outcome:
    """Percent changes of the model variables in one experiment at one elasticity setting, and its certificate."""

    market: str
    experiment: str
    bound: str
    changes: dict[str, float]
    residual: float
    baseline_residual: float
    baseline_fit: float


def _state(result, scenario: dict) -> dict[str, float]:
    """Model variables; an idle FORGE market (no output, use or imports) reports its choke price.

    With nothing produced, consumed or imported, any price between the demand intercept and the
    import parity price is an equilibrium (0013); the engine keeps its solver's price there. The
    comparison uses the bottom of that interval, the price at which FORGE demand just reaches
    zero, so the number does not depend on the solver's path.
    """
    prices = result.prices.set_index("region")["price"]
    flows = result.flows
    exports = float(flows.loc[flows.origin == "CHN", "quantity"].sum()) if len(flows) else 0.0
    outside = float(prices["FORGE"])
    used = result.demand.set_index("region")["quantity"].get("FORGE", 0.0)
    made = result.supply.set_index("region")["quantity"].get("FORGE", 0.0) if len(result.supply) else 0.0
    arrived = float(flows.loc[flows.destination == "FORGE", "quantity"].sum()) if len(flows) else 0.0
    if max(used, made, arrived) <= IDLE:
        choke = next(d["intercept"] for d in scenario["demand"] if d["region"] == "FORGE")
        outside = min(outside, choke)
    return {"price_outside": outside, "price_china": float(prices["CHN"]), "china_exports": exports}


def _certified(scenario: dict):
    from critmin.engine import solve

    result = solve(scenario)
    if not result.residual <= result.tolerance:
        raise SolverError(f"{scenario['name']}: residual {result.residual:.3g} above tolerance {result.tolerance:g}")
    return result


def _fit(market: Market, result) -> float:
    """Largest relative gap between the baseline solution and the observed prices and quantities."""
    gaps = []
    prices = result.prices.set_index("region")["price"]
    for region, p in market.prices().items():
        gaps.append(abs(float(prices[region]) - p) / market.price)
    total = sum(market.demand.values())
    for table, observed in ((result.supply, market.supply), (result.demand, market.demand)):
        solved = table.set_index("region")["quantity"] if len(table) else pd.Series(dtype=float)
        for region in REGIONS:
            gaps.append(abs(float(solved.get(region, 0.0)) - observed.get(region, 0.0)) / total)
    return max(gaps)


def policy(mode: str, withheld: float, exports: float) -> dict:
    """The engine policy for a ban or a licence withholding ``withheld`` of baseline exports."""
    if mode == "ban":
        return {"kind": "export_ban", "product": PRODUCT, "origin": "CHN", "destination": "*"}
    return {"kind": "export_quota", "product": PRODUCT, "origin": "CHN", "destination": "*",
            "quantity": (1.0 - withheld) * exports}


def run_market(market: Market, experiments: pd.DataFrame, folder: Path = FOLDER) -> list[Outcome]:
    """Every experiment of ``market`` at every elasticity setting, certified."""
    out = []
    for bound in BOUNDS:
        scenario = market.scenario(bound)
        base = _certified(scenario)
        fit = _fit(market, base)
        if fit > FIT_TOLERANCE:
            raise SolverError(f"history market {market.id} ({bound}): baseline misses the observed point by {fit:.3g}")
        before = _state(base, scenario)
        for i, row in experiments[experiments.market == market.id].iterrows():
            if row["mode"] not in ("ban", "license"):
                raise InputFileError(folder / "experiments.csv", f"row {i + 2}: mode must be ban or license",
                                     field="mode", value=row["mode"])
            withheld = number(folder / "experiments.csv", i, "withheld_share", row["withheld_share"])
            controlled = market.scenario(bound, [policy(row["mode"], withheld, before["china_exports"])])
            result = _certified(controlled)
            after = _state(result, controlled)
            changes = {k: (after[k] / before[k] - 1.0) * 100.0 for k in VARIABLES}
            out.append(Outcome(market.id, row["experiment"], bound, changes, float(result.residual),
                               float(base.residual), fit))
    return out


def load_experiments(folder: Path = FOLDER) -> pd.DataFrame:
    """``experiments.csv``: the control applied to each market and the observed row that sizes it."""
    return read_table("experiments.csv", ("market", "experiment", "mode", "withheld_share", "sized_from", "note"), folder)
