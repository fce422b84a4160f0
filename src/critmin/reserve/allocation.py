"""Allocating a reserve budget across products by marginal analysis (decision 0064).

For each product the benefit of a reserve of capacity c is the expected discounted cost it avoids,
V(0) - V(c), both from an empty reserve in the normal state and operated optimally (the MDP
value already nets purchases, sales and storage); its budget cost is the stock at the undisrupted
price, base_price * c. With benefits concave in the budget (checked), spending each next dollar on
the product whose next grid increment avoids the most cost per dollar solves the LP relaxation of
max sum b_k(x_k) s.t. sum x_k <= budget exactly (a fractional knapsack over the increments, whose
order concavity makes consistent within each product); only the last increment may be taken in
part. This is the marginal analysis the issue names (Gross 1956, Fox 1966). Increments that avoid
nothing are never bought, so a large budget can be left partly unspent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.errors import DataError, ScenarioError, SolverError
from critmin.reserve.products import ProductReserve

#: relative tolerance of the concavity check and of "avoids nothing"
TOL = 1e-7


def benefit_curves(reserves: Sequence[ProductReserve], points: int = 21, capacity_cost: float = 0.0) -> pd.DataFrame:
    """Per product and capacity: the budget it takes (spend) and the expected discounted cost it avoids."""
    frames = []
    for reserve in reserves:
        sizes = reserve.sizes(capacity_cost=capacity_cost, points=points)
        frames.append(pd.DataFrame({"product": reserve.product, "capacity": sizes["capacity"],
                                    "spend": reserve.base_price * sizes["capacity"],
                                    "avoided": sizes["total"].iloc[0] - sizes["total"],
                                    "residual": sizes["residual"]}))
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Allocation:
    """The chosen capacity per product, and the increments in the order they were bought."""

    budget: float
    table: pd.DataFrame  # product, capacity, spend, avoided, avoided_per_dollar, last_marginal_per_dollar
    steps: pd.DataFrame  # order, product, from_capacity, to_capacity, spend, avoided, per_dollar, fraction
    shadow_price: float  # avoided cost per marginal dollar of budget (0 when budget is left over)
    duality_gap: float  # LP dual bound minus the allocation's avoided cost: its optimality certificate

    @property
    def spent(self) -> float:
        """Budget used."""
        return float(self.table["spend"].sum())

    @property
    def avoided(self) -> float:
        """Expected discounted cost avoided by the whole allocation."""
        return float(self.table["avoided"].sum())

    @property
    def unspent(self) -> float:
        """Budget left because no further increment avoids any cost."""
        return self.budget - self.spent


def increments(curves: pd.DataFrame) -> pd.DataFrame:
    """Grid increments of each product's curve with their marginal benefit per dollar; raises unless concave."""
    rows = []
    for order, (name, curve) in enumerate(curves.groupby("product", sort=False)):
        curve = curve.sort_values("capacity")
        spend, avoided, capacity = (curve[c].to_numpy(dtype=float) for c in ("spend", "avoided", "capacity"))
        d_spend, d_avoided = np.diff(spend), np.diff(avoided)
        if (d_spend <= 0).any():
            raise DataError(f"reserve allocation: product {name!r} has capacities that cost nothing more (spend {spend.tolist()})")
        ratio = d_avoided / d_spend
        scale = max(TOL, float(np.abs(ratio).max()))
        rising = np.flatnonzero(np.diff(ratio) > TOL * scale)
        if rising.size:
            k = rising[0] + 1
            raise DataError(f"reserve allocation: benefit of {name!r} is not concave between capacities {capacity[k]:g} "
                            f"and {capacity[k + 1]:g} (marginal {ratio[k]:.6g} per USD after {ratio[k - 1]:.6g}); "
                            "marginal analysis would not be optimal")
        for k in range(len(ratio)):
            rows.append({"rank": order, "k": k, "product": name, "from_capacity": capacity[k], "to_capacity": capacity[k + 1],
                         "spend": d_spend[k], "avoided": d_avoided[k], "per_dollar": ratio[k]})
    return pd.DataFrame(rows)


def allocate(curves: pd.DataFrame, budget: float) -> Allocation:
    """Greedy marginal allocation of ``budget`` over the products' benefit curves (decision 0064)."""
    if not (np.isfinite(budget) and budget >= 0):
        raise ScenarioError(f"reserve allocation: field 'budget' (value {budget!r}) must be a non-negative amount")
    steps = increments(curves)
    scale = max(TOL, float(steps["per_dollar"].abs().max())) if len(steps) else 1.0
    useful = steps[steps["per_dollar"] > TOL * scale].sort_values(["per_dollar", "rank", "k"], ascending=[False, True, True],
                                                                   kind="mergesort")
    left, taken = float(budget), []
    for row in useful.itertuples(index=False):
        if left <= 0:
            break
        fraction = min(1.0, left / row.spend)
        taken.append({"product": row.product, "from_capacity": row.from_capacity,
                      "to_capacity": row.from_capacity + fraction * (row.to_capacity - row.from_capacity),
                      "spend": fraction * row.spend, "avoided": fraction * row.avoided, "per_dollar": row.per_dollar,
                      "fraction": fraction})
        left -= fraction * row.spend
    chosen = pd.DataFrame(taken, columns=["product", "from_capacity", "to_capacity", "spend", "avoided", "per_dollar", "fraction"])
    chosen.insert(0, "order", np.arange(1, len(chosen) + 1))
    # certificate: with shadow price lam the LP dual bound is lam * budget + sum(max(0, avoided - lam * spend))
    exhausted = left <= TOL * max(1.0, float(budget))
    lam = 0.0
    if exhausted and len(useful):
        lam = float(chosen["per_dollar"].iloc[-1]) if len(chosen) else float(useful["per_dollar"].iloc[0])
    dual = lam * float(budget) + float(np.clip(steps["avoided"] - lam * steps["spend"], 0.0, None).sum()) if len(steps) else 0.0
    gap = dual - float(chosen["avoided"].sum())
    if abs(gap) > TOL * max(1.0, dual):
        raise SolverError(f"reserve allocation: greedy total {chosen['avoided'].sum():.6g} misses the LP bound {dual:.6g}")
    table = []
    for name in curves["product"].drop_duplicates():
        mine = chosen[chosen["product"] == name]
        spend, avoided = float(mine["spend"].sum()), float(mine["avoided"].sum())
        table.append({"product": name, "capacity": float(mine["to_capacity"].max()) if len(mine) else 0.0,
                      "spend": spend, "avoided": avoided, "avoided_per_dollar": avoided / spend if spend > 0 else float("nan"),
                      "last_marginal_per_dollar": float(mine["per_dollar"].iloc[-1]) if len(mine) else float("nan")})
    return Allocation(budget=float(budget), table=pd.DataFrame(table), steps=chosen, shadow_price=lam, duality_gap=gap)
