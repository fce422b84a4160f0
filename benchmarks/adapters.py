"""Run a scenario through critmin or through the independent cvxpy reference, with one table layout.

Shared by tests/test_engine_published.py, tests/test_engine_crosscheck.py and the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks import cvxpy_spe, diagonal

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "scenarios"

#: Tight Clarabel tolerances: the reference must be far more accurate than the comparisons.
REFERENCE_OPTS: dict[str, Any] = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}


@dataclass
class Tables:
    prices: pd.DataFrame
    supply: pd.DataFrame
    demand: pd.DataFrame
    processing: pd.DataFrame
    flows: pd.DataFrame
    #: Total welfare of the world: consumer + producer + processing surplus + quota rents +
    #: government revenue (duties, stock sales). Transport costs are a real cost, duties a transfer.
    world_welfare: float
    #: Government purchases under price floors by purchase: region, product, quantity.
    floor_purchases: pd.DataFrame
    #: Export quota rent per unit, by index of the policy in the scenario (0 when slack).
    quota_rents: dict[int, float]
    #: Revenue of each specific tariff or export tax, by index of the policy in the scenario.
    duty_revenues: dict[int, float]
    #: Treasury payment of each cfd price floor, by index of the policy in the scenario.
    cfd_payments: dict[int, float]
    #: Output of each processing entry (entry = its row in the scenario), for entries with their own recipes.
    processing_entries: pd.DataFrame | None = None

    def price(self, region: str, product: str) -> float:
        p = self.prices
        return float(p.loc[(p["region"] == region) & (p["product"] == product), "price"].iloc[0])

    def quantity(self, table: str, region: str, product: str) -> float:
        t = getattr(self, table)
        return float(t.loc[(t["region"] == region) & (t["product"] == product), "quantity"].sum())

    def flow(self, product: str, origin: str, destination: str) -> float:
        f = self.flows
        sel = (f["product"] == product) & (f["origin"] == origin) & (f["destination"] == destination)
        return float(f.loc[sel, "quantity"].sum())

    def net_exports(self, region: str, product: str) -> float:
        f = self.flows[self.flows["product"] == product]
        return float(f.loc[f["origin"] == region, "quantity"].sum() - f.loc[f["destination"] == region, "quantity"].sum())


def reference(source: str | Path | dict[str, Any]) -> Tables:
    """Solve with the cvxpy reference (Clarabel, tight tolerances)."""
    return _tables(cvxpy_spe.solve(source, solver="CLARABEL", **REFERENCE_OPTS))


def diagonal_reference(source: str | Path | dict[str, Any]) -> Tables:
    """Solve a market with ad valorem rates by diagonalisation over the cvxpy reference."""
    return _tables(diagonal.solve(source, solver="CLARABEL", **REFERENCE_OPTS))


def _tables(r: cvxpy_spe.Result) -> Tables:
    # The surplus objective counts duties as a cost; in welfare they are the government's revenue.
    return Tables(r.prices, r.supply, r.demand, r.processing, r.flows, r.objective + r.duty_revenue, r.floor_purchases, r.quota_rents, r.duty_revenues, r.cfd_payments,
                  r.processing_entries)


def critmin_tables(source: str | Path | dict[str, Any]) -> Tables:
    """Solve with critmin's public API: load_scenario (a path) or a dict, then solve."""
    import critmin

    scenario = critmin.load_scenario(source)
    res = critmin.solve(scenario)
    w = res.welfare
    world = float(w.loc[w["level"] == "world", "total"].sum())
    d = res.policy_details
    bought = d.loc[d["kind"] == "purchase", ["region", "product", "quantity"]].reset_index(drop=True)
    pol = res.policies[res.policies["kind"] == "export_quota"]
    rents = {int(i): float(v) if v == v else 0.0 for i, v in zip(pol["index"], pol["unit_value"])}
    duty = res.policies[res.policies["kind"].isin(["tariff", "export_tax"])]
    revenues = {int(i): float(v) for i, v in zip(duty["index"], duty["revenue"])}
    cfd = res.policies[(res.policies["kind"] == "price_floor") & res.policies["target"].str.contains("cfd")]
    payments = {int(i): float(v) if v == v else 0.0 for i, v in zip(cfd["index"], cfd["payment"])}
    return Tables(res.prices, res.supply, res.demand, res.processing, res.flows, world, bought, rents, revenues, payments,
                  res.processing_entries)


SOLVERS = {"reference": reference, "critmin": critmin_tables}
