"""Apply each control to its calibrated market with the engine, at the central and both end elasticities.

A ban is the engine's ``export_ban`` from China to every destination (or to one, ``destination``);
rows of ``experiments.csv`` with the same experiment name are applied together; a licence is an
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
from critmin.history.chain import ORE, ChainMarket
from critmin.history.markets import FOLDER, PRODUCT, Market, number, read_table

#: Elasticity settings solved for every experiment: the table's value and the ends of its ranges (0026).
BOUNDS = ("value", "elastic", "inelastic")
#: Largest relative gap between the baseline solution and the observed point.
FIT_TOLERANCE = 1e-6
#: Model variables an observed row can be compared with (the last two exist only in two-stage markets).
VARIABLES = ("price_outside", "price_china", "china_exports", "china_ore_imports", "usa_imports")
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


def _by(table: pd.DataFrame, product: str) -> pd.DataFrame:
    return table[table["product"] == product] if len(table) else table


def _state(result, scenario: dict, market: Market) -> dict[str, float]:
    """Model variables of the controlled product; an idle outside market (no output, use or imports) reports its choke price.

    With nothing produced, consumed or imported, any price between the demand intercept and the
    import parity price is an equilibrium (0013); the engine keeps its solver's price there. The
    comparison uses the bottom of that interval, the price at which demand there just reaches
    zero, so the number does not depend on the solver's path.
    """
    product, out = market.product, market.outside
    prices = _by(result.prices, product).set_index("region")["price"]
    flows = _by(result.flows, product)
    exports = float(flows.loc[flows.origin == "CHN", "quantity"].sum()) if len(flows) else 0.0
    outside = float(prices[out])
    used = _by(result.demand, product).set_index("region")["quantity"].get(out, 0.0)
    made = sum(float(_by(t, product).set_index("region")["quantity"].get(out, 0.0))
               for t in (result.supply, result.processing) if len(t))
    arrived = float(flows.loc[flows.destination == out, "quantity"].sum()) if len(flows) else 0.0
    if max(used, made, arrived) <= IDLE:
        choke = next(d["intercept"] for d in scenario["demand"] if d["region"] == out and d["product"] == product)
        outside = min(outside, choke)
    state = {"price_outside": outside, "price_china": float(prices["CHN"]), "china_exports": exports}
    if isinstance(market, ChainMarket):
        ore = _by(result.flows, ORE)
        state["china_ore_imports"] = float(ore.loc[ore.destination == "CHN", "quantity"].sum()) if len(ore) else 0.0
        state["usa_imports"] = float(flows.loc[flows.destination == "USA", "quantity"].sum()) if len(flows) else 0.0
    return state


def _certified(scenario: dict):
    from critmin.engine import solve

    result = solve(scenario)
    if not result.residual <= result.tolerance:
        raise SolverError(f"{scenario['name']}: residual {result.residual:.3g} above tolerance {result.tolerance:g}")
    return result


def _fit(market: Market, result) -> float:
    """Largest relative gap between the baseline solution and the observed prices and quantities."""
    point = market.point()
    gaps = []
    prices = result.prices.set_index(["region", "product"])["price"]
    for key, p in point["prices"].items():
        gaps.append(abs(float(prices[key]) - p) / market.price)
    total = sum(market.demand.values())
    for name in ("supply", "processing", "demand"):
        table = getattr(result, name)
        solved = table.set_index(["region", "product"])["quantity"] if len(table) else pd.Series(dtype=float)
        for key, q in point[name].items():
            gaps.append(abs(float(solved.get(key, 0.0)) - q) / total)
    return max(gaps)


def policy(mode: str, withheld: float, exports: float, product: str = PRODUCT, destination: str = "*") -> dict:
    """The engine policy for a ban or a licence withholding ``withheld`` of baseline exports."""
    if mode == "ban":
        return {"kind": "export_ban", "product": product, "origin": "CHN", "destination": destination}
    return {"kind": "export_quota", "product": product, "origin": "CHN", "destination": destination,
            "quantity": (1.0 - withheld) * exports}


def policies(market: Market, rows: pd.DataFrame, exports: float, folder: Path = FOLDER) -> list[dict]:
    """The engine policies of one experiment (one per row of ``experiments.csv`` with its name)."""
    out = []
    for i, row in rows.iterrows():
        if row["mode"] not in ("ban", "license"):
            raise InputFileError(folder / "experiments.csv", f"row {i + 2}: mode must be ban or license",
                                 field="mode", value=row["mode"])
        if row["destination"] != "*" and row["destination"] not in market.regions:
            raise InputFileError(folder / "experiments.csv", f"row {i + 2}: destination must be * or one of "
                                 f"{market.regions}", field="destination", value=row["destination"])
        withheld = number(folder / "experiments.csv", i, "withheld_share", row["withheld_share"])
        out.append(policy(row["mode"], withheld, exports, market.product, row["destination"]))
    return out


def changes(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Percent changes of every model variable."""
    return {k: (after[k] / before[k] - 1.0) * 100.0 for k in before}


def solve_experiment(market: Market, rows: pd.DataFrame, bound: str, before: dict[str, float],
                     demand_elasticity: float | None = None, folder: Path = FOLDER):
    """Solve one experiment at ``bound``; returns (percent changes, certified result)."""
    controlled = market.scenario(bound, policies(market, rows, before["china_exports"], folder),
                                 demand_elasticity=demand_elasticity)
    result = _certified(controlled)
    return changes(before, _state(result, controlled, market)), result


def baseline(market: Market, bound: str, demand_elasticity: float | None = None):
    """The certified baseline at ``bound``: (model variables, result, fit to the observed point)."""
    scenario = market.scenario(bound, demand_elasticity=demand_elasticity)
    base = _certified(scenario)
    fit = _fit(market, base)
    if fit > FIT_TOLERANCE:
        raise SolverError(f"history market {market.id} ({bound}): baseline misses the observed point by {fit:.3g}")
    return _state(base, scenario, market), base, fit


def run_market(market: Market, experiments: pd.DataFrame, folder: Path = FOLDER) -> list[Outcome]:
    """Every experiment of ``market`` at every elasticity setting, certified."""
    out = []
    mine = experiments[experiments.market == market.id]
    for bound in BOUNDS:
        before, base, fit = baseline(market, bound)
        for name in dict.fromkeys(mine.experiment):
            delta, result = solve_experiment(market, mine[mine.experiment == name], bound, before, folder=folder)
            out.append(Outcome(market.id, name, bound, delta, float(result.residual), float(base.residual), fit))
    return out


def load_experiments(folder: Path = FOLDER) -> pd.DataFrame:
    """``experiments.csv``: the control applied to each market and the observed row that sizes it."""
    return read_table("experiments.csv", ("market", "experiment", "mode", "withheld_share", "destination", "sized_from",
                                          "note"), folder)
