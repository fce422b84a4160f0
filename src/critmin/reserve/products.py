"""Reserve MDPs for real products (dy_oxide, tb_oxide, ndpr_oxide) from the documented parameters.csv.

Each product is a market of the consumers exposed to Chinese export controls (magnet making outside
China), quantities in tonnes per year and money in USD. A disruption removes ``supply_gap`` of that
market's supply; demand is constant-elasticity through the undisrupted price, with the elasticity
calibrated so that the gap reproduces the observed 2025 price rise where one was observed
(decision 0062). Every number comes from ``parameters.csv`` with its source; callers may override
any field (the CLI's options), and overrides are validated like the file.
"""

from __future__ import annotations

import math
from functools import cache
from importlib.resources import files
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from critmin.errors import DataError, ScenarioError, UnknownChoiceError
from critmin.reserve.mdp import (
    Demand,
    IsoelasticDemand,
    LinearDemand,
    ReserveProblem,
    market_problem,
    optimal_size,
)

PRODUCTS: tuple[str, ...] = ("dy_oxide", "tb_oxide", "ndpr_oxide")
PARAMETERS_FILE = "parameters.csv"
COLUMNS = ["parameter", "value", "unit", "source", "reference", "estimate", "note"]
#: grid points of the stock from 0 to the default capacity (cover_years of demand)
LEVELS = 201


def parameters() -> pd.DataFrame:
    """The parameter table with its provenance (one row per parameter); a copy the caller may change."""
    return _table().copy()


@cache
def _table() -> pd.DataFrame:
    path = files("critmin.reserve") / PARAMETERS_FILE
    table = pd.read_csv(str(path), dtype={"parameter": str, "unit": str, "source": str, "reference": str, "note": str})
    if list(table.columns) != COLUMNS:
        raise DataError(f"{path}: columns {list(table.columns)} differ from {COLUMNS}")
    bad = table[~np.isfinite(pd.to_numeric(table["value"], errors="coerce"))]
    if len(bad):
        row = bad.iloc[0]
        raise DataError(f"{path}: field 'value' of parameter {row['parameter']!r} is not a number ({row['value']!r})")
    if table["parameter"].duplicated().any():
        raise DataError(f"{path}: parameter {table['parameter'][table['parameter'].duplicated()].iloc[0]!r} appears twice")
    return table


def _value(name: str) -> float:
    table = _table()
    hit = table.loc[table["parameter"] == name, "value"]
    if hit.empty:
        raise DataError(f"{files('critmin.reserve') / PARAMETERS_FILE}: parameter {name!r} is missing")
    return float(hit.iloc[0])


def _has(name: str) -> bool:
    return bool((_table()["parameter"] == name).any())


class ProductReserve(BaseModel):
    """Everything the MDP of one product needs; built by :func:`product` from the table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str
    base_price: float = Field(gt=0, allow_inf_nan=False, description="USD/t, undisrupted")
    exposed_demand: float = Field(gt=0, allow_inf_nan=False, description="t/year consumed by the exposed market")
    supply_gap: float = Field(gt=0, lt=1, description="share of the exposed market's supply lost in a disruption")
    elasticity: float = Field(gt=0, allow_inf_nan=False, description="absolute price elasticity of demand")
    holder_share: float = Field(gt=0, le=1)
    holding_rate: float = Field(ge=0, allow_inf_nan=False, description="storage cost, share of base price per year")
    discount_rate: float = Field(gt=0, allow_inf_nan=False, description="per year")
    disruption_start: float = Field(gt=0, lt=1, description="P(normal -> disrupted) per year")
    disruption_end: float = Field(gt=0, le=1, description="P(disrupted -> normal) per year")
    cover_years: float = Field(gt=0, allow_inf_nan=False, description="largest stock, in years of exposed demand")
    max_fill_share: float = Field(gt=0, allow_inf_nan=False, description="largest purchase per year, share of demand")
    max_draw_share: float = Field(gt=0, allow_inf_nan=False, description="largest release per year, share of demand")
    demand_form: Literal["isoelastic", "linear"] = "isoelastic"

    @property
    def discount(self) -> float:
        """Yearly discount factor."""
        return 1.0 / (1.0 + self.discount_rate)

    @property
    def transition(self) -> np.ndarray:
        """Market-state transition matrix over (normal, disrupted)."""
        p, q = self.disruption_start, self.disruption_end
        return np.array([[1.0 - p, p], [q, 1.0 - q]])

    def demand(self) -> Demand:
        """Demand of the exposed market through (base price, exposed demand) with ``elasticity`` there."""
        form = IsoelasticDemand if self.demand_form == "isoelastic" else LinearDemand
        return form.through(self.base_price, self.exposed_demand, self.elasticity)

    def disrupted_price(self) -> float:
        """Price in a disruption with no reserve action."""
        return float(self.demand().price(self.exposed_demand * (1.0 - self.supply_gap)))

    @property
    def capacity(self) -> float:
        """Default (largest) reserve: cover_years of exposed demand, in tonnes."""
        return self.cover_years * self.exposed_demand

    @property
    def step(self) -> float:
        """Grid step in tonnes: the default capacity over LEVELS - 1."""
        return self.capacity / (LEVELS - 1)

    def problem(self, capacity: float | None = None) -> ReserveProblem:
        """The MDP on a grid from 0 to ``capacity`` tonnes (default :attr:`capacity`) at about :attr:`step`."""
        top = self.capacity if capacity is None else float(capacity)
        if not top >= 0 or not math.isfinite(top):
            raise ScenarioError(f"reserve {self.product}: field 'capacity' (value {capacity!r}) must be a non-negative number of tonnes")
        levels = np.linspace(0.0, top, max(1, round(top / self.step)) + 1) if top > 0 else np.zeros(1)
        q = self.exposed_demand
        return market_problem(levels, self.demand(), supply={"normal": q, "disrupted": q * (1.0 - self.supply_gap)},
                              transition=self.transition, discount=self.discount,
                              holding=self.holding_rate * self.base_price, base_price=self.base_price,
                              share=self.holder_share, max_fill=self.max_fill_share * q, max_draw=self.max_draw_share * q)

    def sizes(self, capacity_cost: float = 0.0, points: int = 21) -> pd.DataFrame:
        """:func:`~critmin.reserve.mdp.optimal_size` over ``points`` capacities from 0 to :attr:`capacity`."""
        if points < 2:
            raise ScenarioError(f"reserve {self.product}: field 'points' (value {points!r}) must be at least 2")
        table = optimal_size(self.problem, np.linspace(0.0, self.capacity, points), capacity_cost=capacity_cost)
        table.insert(0, "product", self.product)
        return table


def exposed_demand(name: str) -> float:
    """Tonnes a year of the product used by magnet making outside China (decision 0062).

    World NdPr oxide = world REO mined x NdPr share / purity; world magnets = that / NdPr per
    magnet; the exposed market is magnet_share_outside_china of those magnets times the product's
    content per magnet.
    """
    world_ndpr = _value("world_reo_mined_2025") * _value("ndpr_share_of_treo") / _value("ndpr_oxide_reo_purity")
    magnets = world_ndpr / _value("ndpr_oxide_per_magnet") * _value("magnet_share_outside_china")
    per_magnet = {"ndpr_oxide": _value("ndpr_oxide_per_magnet"), "dy_oxide": _value("dy_oxide_per_magnet"),
                  "tb_oxide": _value("tb_share_ndfeb") * _value("tb_oxide_per_metal")}
    return magnets * per_magnet[name]


def calibrated_elasticity(gap: float, base_price: float, disrupted_price: float, form: str = "isoelastic") -> float:
    """Elasticity at the base point with which losing ``gap`` of supply raises the price to ``disrupted_price``.

    Constant elasticity: (1 - gap)**(-1/e) = p1/p0, so e = ln(1/(1-gap)) / ln(p1/p0). Linear:
    p1/p0 = 1 + gap/e, so e = gap / (p1/p0 - 1).
    """
    if not (0 < gap < 1 and disrupted_price > base_price > 0):
        raise ScenarioError(f"cannot calibrate an elasticity from gap {gap}, prices {base_price} -> {disrupted_price}")
    if form == "linear":
        return gap / (disrupted_price / base_price - 1.0)
    return math.log(1.0 / (1.0 - gap)) / math.log(disrupted_price / base_price)


def product(name: str, **overrides: float | str | None) -> ProductReserve:
    """The reserve parameters of a product from parameters.csv, with any field overridden."""
    if name not in PRODUCTS:
        raise UnknownChoiceError("product", name, PRODUCTS)
    fields: dict[str, float | str] = {"product": name}
    for shared in ("holder_share", "holding_rate", "discount_rate", "cover_years", "max_fill_share", "max_draw_share"):
        fields[shared] = _value(shared)
    for own in ("base_price", "supply_gap", "disruption_start", "disruption_end"):
        fields[own] = _value(f"{name}.{own}")
    fields["exposed_demand"] = exposed_demand(name)
    unknown = sorted(set(overrides) - set(ProductReserve.model_fields))
    if unknown:
        raise UnknownChoiceError("reserve parameter", unknown[0], sorted(set(ProductReserve.model_fields) - {"product"}))
    fields.update({k: v for k, v in overrides.items() if v is not None})
    if "elasticity" not in fields and _has(f"{name}.disrupted_price"):
        # calibrated on the observed episode (the file's gap and prices), whatever gap is then assumed
        fields["elasticity"] = calibrated_elasticity(_value(f"{name}.supply_gap"), _value(f"{name}.base_price"),
                                                     _value(f"{name}.disrupted_price"),
                                                     str(fields.get("demand_form", "isoelastic")))
    elif "elasticity" not in fields:
        fields["elasticity"] = _value(f"{name}.demand_elasticity")
    try:
        return ProductReserve(**fields)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(x) for x in first["loc"])
        raise ScenarioError(f"reserve {name}: field '{field}' (value {first.get('input')!r}): {first['msg']}") from None
