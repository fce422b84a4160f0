"""The result of a solve: tables named like the JSON keys of issue 3, section 3."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

TABLES = ("prices", "producer_prices", "supply", "demand", "processing", "flows", "policies", "policy_details", "welfare")


@dataclass
class Result:
    """An equilibrium that passed its certificate (``residual <= tolerance``)."""

    scenario: str
    status: str
    prices: pd.DataFrame
    producer_prices: pd.DataFrame
    supply: pd.DataFrame
    demand: pd.DataFrame
    processing: pd.DataFrame
    flows: pd.DataFrame
    policies: pd.DataFrame
    policy_details: pd.DataFrame
    welfare: pd.DataFrame
    residual: float
    tolerance: float
    worst_condition: str
    solver: dict[str, Any]
    #: output of each processing entry (``entry``: its position in the scenario's ``processing``);
    #: ``processing`` sums it per market. Python only: the JSON and run folders keep their tables.
    processing_entries: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["entry", "region", "product", "quantity"]))
    #: scaled solution vector and its keys, for warm starts
    state: dict[str, Any] = field(default_factory=dict, repr=False)

    def price(self, region: str, product: str) -> float:
        p = self.prices
        sel = p[(p["region"] == region) & (p["product"] == product)]
        return float(sel["price"].iloc[0]) if len(sel) else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """One JSON-ready object; key order is part of the contract."""
        out: dict[str, Any] = {"scenario": self.scenario, "status": self.status}
        for name in TABLES:
            out[name] = round_noise(getattr(self, name))
        out["residual"] = self.residual
        out["tolerance"] = self.tolerance
        out["worst_condition"] = self.worst_condition
        # run time is left out of the JSON so that the same inputs give the same bytes
        out["solver"] = {k: v for k, v in self.solver.items() if k != "seconds"}
        return out

    def to_json(self) -> str:
        from critmin.commands.output import to_json

        return to_json(self.to_dict())


def round_noise(frame: pd.DataFrame) -> pd.DataFrame:
    """Floats to 12 significant digits, so JSON shows 24.0 rather than 23.999999999999996."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = [float(f"{v:.12g}") for v in out[col].to_numpy(dtype=float)]
    return out
