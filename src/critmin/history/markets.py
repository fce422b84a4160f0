"""Episode markets: one product, three regions (China, FORGE, rest of world), calibrated to the year before a control.

Each market passes through an observed point: production by country from the embedded dataset
(grouped into CHN, FORGE = the 2026 ``forge`` bloc, ROW), China's exports from ``inputs.csv``
(so China consumes its output less its exports and the other regions consume their output plus
China's exports, split by ``forge_share_outside_china``), the observed price outside China and,
in China, that price less freight (China exports). Curves are the world model's linear curves
(:mod:`critmin.world.calibrate`) with the short-run elasticities of ``elasticities.csv``.
Markets with ``calibration = index`` (dysprosium) have index quantities, as in
``scenarios/china-controls-2025.yaml``; ``calibration = chain`` (antimony) builds a two-stage ore ->
refined market (:mod:`critmin.history.chain`). See docs/decisions/0041-history-episode-markets.md
and 0070-history-two-stage-antimony.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from critmin.errors import InputFileError
from critmin.history.chain import ChainMarket, build_chain
from critmin.world.calibrate import BOUNDS, demand_curve, supply_curve

FOLDER = Path(__file__).parent
REGIONS = ("CHN", "FORGE", "ROW")
#: Importers: FORGE and ROW buy from China at the same freight, so their prices move together.
IMPORTERS = ("FORGE", "ROW")
PRODUCT = "good"
#: Extra cost on arcs into China, as a multiple of freight (the world model's UNUSED_MARKUP + 1).
REVERSE_MARKUP = 2.0


@dataclass(frozen=True)
class Market:
    """A calibrated episode market: observed point, elasticity rows and where each number comes from."""

    regions: ClassVar[tuple[str, ...]] = REGIONS
    product: ClassVar[str] = PRODUCT
    #: region whose price is the observed "price outside China" (an importer).
    outside: ClassVar[str] = "FORGE"

    id: str
    episode: str
    description: str
    unit: str
    price: float                    # USD/t outside China (FORGE and ROW)
    freight: float                  # USD/t on every arc (share of value x price)
    supply: dict[str, float]        # region -> observed quantity
    demand: dict[str, float]        # region -> observed quantity
    elasticities: dict[str, dict[str, float]]  # side -> {value, low, high}
    sources: tuple[tuple[str, str], ...]       # (what, source) for the calibration table

    @property
    def china_exports(self) -> float:
        return self.supply.get("CHN", 0.0) - self.demand["CHN"]

    def prices(self) -> dict[str, float]:
        """Observed prices: importers pay the observed price, China that price less freight."""
        return {"CHN": self.price - self.freight, "FORGE": self.price, "ROW": self.price}

    def point(self) -> dict[str, dict[tuple[str, str], float]]:
        """The observed point as (region, product) -> value, for the baseline check."""
        return {"prices": {(r, PRODUCT): p for r, p in self.prices().items()},
                "supply": {(r, PRODUCT): self.supply.get(r, 0.0) for r in REGIONS},
                "processing": {},
                "demand": {(r, PRODUCT): self.demand[r] for r in REGIONS}}

    def scenario(self, bound: str = "value", policies: list[dict[str, Any]] | None = None,
                 demand_elasticity: float | None = None) -> dict[str, Any]:
        """The engine scenario (issue 3 contract) with elasticities at ``bound`` (value, elastic, inelastic);
        ``demand_elasticity`` overrides the demand side (used for the elasticity-gap diagnostic)."""
        s_col, d_col = BOUNDS[bound]
        e_s = self.elasticities["supply"][s_col]
        e_d = self.elasticities["demand"][d_col] if demand_elasticity is None else demand_elasticity
        prices = self.prices()
        supply = []
        for region in REGIONS:
            q = self.supply.get(region, 0.0)
            if q <= 0:
                continue  # no producer: nothing to calibrate
            if e_s == 0:  # fixed output: produces q at any positive price
                supply.append({"region": region, "product": PRODUCT, "intercept": 0.0, "slope": 0.0, "capacity": q})
            else:
                a, b = supply_curve(prices[region], q, e_s)
                supply.append({"region": region, "product": PRODUCT, "intercept": a, "slope": b})
        demand = []
        for region in REGIONS:
            a, b = demand_curve(prices[region], self.demand[region], e_d)
            demand.append({"region": region, "product": PRODUCT, "intercept": a, "slope": b})
        transport = [{"product": PRODUCT, "origin": o, "destination": d,
                      "cost": self.freight * (REVERSE_MARKUP if d == "CHN" else 1.0)}
                     for o in REGIONS for d in REGIONS if o != d]
        return {"name": f"history-{self.id}-{bound}", "products": [{"id": PRODUCT}], "regions": list(REGIONS),
                "supply": supply, "demand": demand, "transport": transport, "policies": policies or []}


def read_table(name: str, columns: tuple[str, ...], folder: Path = FOLDER) -> pd.DataFrame:
    """A CSV of this package, its header checked (errors name the file and the missing column)."""
    path = folder / name
    if not path.is_file():
        raise InputFileError(path, "file not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in columns:
        if column not in frame.columns:
            raise InputFileError(path, "missing column", field=column)
    return frame


def number(path: Path, row: int, field: str, text: str) -> float:
    """A numeric cell, or an error naming file, row, field and value."""
    try:
        return float(text)
    except ValueError:
        raise InputFileError(path, f"row {row + 2}: not a number", field=field, value=text) from None


def _inputs(market: str, folder: Path) -> dict[str, tuple[float, str]]:
    frame = read_table("inputs.csv", ("market", "field", "value", "unit", "source", "reference", "estimate"), folder)
    out = {}
    for i, row in frame.iterrows():
        if row["market"] == market:
            out[row["field"]] = (number(folder / "inputs.csv", i, "value", row["value"]), row["source"])
    return out


def _need(inputs: dict[str, tuple[float, str]], field: str, market: str, folder: Path) -> tuple[float, str]:
    if field not in inputs:
        raise InputFileError(folder / "inputs.csv", f"market {market!r} needs this field", field=field)
    return inputs[field]


def _elasticities(params: dict[str, pd.DataFrame], mineral: str, product: str) -> dict[str, dict[str, float]]:
    table = params["elasticities"]
    out = {}
    for side in ("supply", "demand"):
        rows = table[(table.mineral == mineral) & (table["product"] == product)
                     & (table.side == side) & (table.horizon == "short")]
        if rows.empty:
            raise InputFileError("elasticities.csv", f"no short-run {side} elasticity", field="product", value=product)
        row = rows.iloc[0]
        out[side] = {"value": float(row.value), "low": float(row.low), "high": float(row.high),
                     "parameter": row.parameter}
    return out


def _regions_of(iso3: pd.Series, forge: set[str]) -> pd.Series:
    return iso3.map(lambda c: "CHN" if c == "CHN" else ("FORGE" if c in forge else "ROW"))


def build_market(spec: pd.Series, folder: Path = FOLDER) -> Market | ChainMarket:
    """Calibrate one market of ``markets.csv`` from the embedded dataset and ``inputs.csv``."""
    from critmin.data import load
    from critmin.world.parameters import load_parameters, parameter

    params = load_parameters()
    market, year = spec["market"], int(spec["year"])
    inputs = _inputs(market, folder)
    if spec["calibration"] == "chain":
        el = _elasticities(params, spec["elasticity_mineral"], spec["elasticity_product"])
        return build_chain(spec, inputs, _need, params, el, folder)
    freight_share = parameter(params, "trade_costs", "freight_share_refined_products")
    sources: list[tuple[str, str]] = [("freight, share of value", "trade_costs.csv freight_share_refined_products")]
    share_forge, src = _need(inputs, "forge_share_outside_china", market, folder)
    sources.append(("FORGE share of consumption outside China", src))
    if spec["calibration"] == "index":
        world, src = _need(inputs, "world_output", market, folder)
        sources.append(("world output (index)", src))
        china_supply, src = _need(inputs, "china_supply_share", market, folder)
        sources.append(("China's share of output", src))
        china_use, src = _need(inputs, "china_consumption_share", market, folder)
        sources.append(("China's share of consumption", src))
        price, src = _need(inputs, "price", market, folder)
        sources.append(("price outside China", src))
        supply = {"CHN": world * china_supply, "FORGE": 0.0, "ROW": world * (1 - china_supply)}
        outside = world * (1 - china_use)
        china_demand = world * china_use
    else:
        production = load("production")
        rows = production[(production.mineral == spec["mineral"]) & (production.stage == spec["stage"])
                          & (production.year == year)]
        if rows.empty:
            raise InputFileError(folder / "markets.csv", "no production in the embedded dataset", field="year", value=year)
        members = load("bloc_members")
        forge = set(members[members.bloc == "forge"].iso3)
        supply = {r: 0.0 for r in REGIONS}
        supply.update(rows.groupby(_regions_of(rows.iso3, forge)).quantity.sum().astype(float).to_dict())
        sources.append(("production by region", f"embedded production {spec['mineral']}/{spec['stage']}/{year} "
                        f"({', '.join(sorted(set(rows.source)))})"))
        exports, src = _need(inputs, "china_exports", market, folder)
        sources.append(("China's exports", src))
        prices = load("prices")
        quote = prices[(prices["product"] == spec["price_product"]) & (prices.year == year)]
        if quote.empty:
            raise InputFileError(folder / "markets.csv", "no price in the embedded prices table",
                                 field="price_product", value=spec["price_product"])
        price = float(quote.usd_per_t.iloc[0])
        sources.append(("price outside China", f"embedded prices {spec['price_product']}/{year}: "
                        f"{quote.basis.iloc[0]} ({quote.source.iloc[0]})"))
        china_demand = supply["CHN"] - exports
        outside = supply["FORGE"] + supply["ROW"] + exports
    demand = {"CHN": china_demand, "FORGE": outside * share_forge, "ROW": outside * (1 - share_forge)}
    for region in IMPORTERS:
        if demand[region] < supply[region]:
            raise InputFileError(folder / "inputs.csv", f"{region} consumption {demand[region]:g} is below its output "
                                 f"{supply[region]:g}: it would not import from China", field="forge_share_outside_china",
                                 value=share_forge)
    if china_demand <= 0:
        raise InputFileError(folder / "inputs.csv", "China's exports exceed its output", field="china_exports")
    el = _elasticities(params, spec["elasticity_mineral"], spec["elasticity_product"])
    for side in ("supply", "demand"):
        sources.append((f"{side} elasticity (short run)", f"elasticities.csv {el[side]['parameter']}"))
    return Market(id=market, episode=spec["episode"], description=spec["description"], unit=spec["quantity_unit"],
                  price=price, freight=freight_share * price, supply=supply, demand=demand,
                  elasticities={k: {c: v[c] for c in ("value", "low", "high")} for k, v in el.items()},
                  sources=tuple(sources))


def load_markets(folder: Path = FOLDER) -> list[Market | ChainMarket]:
    """Every market of ``markets.csv``, calibrated, in file order."""
    frame = read_table("markets.csv", ("market", "episode", "mineral", "stage", "year", "elasticity_mineral",
                                       "elasticity_product", "price_product", "quantity_unit", "calibration",
                                       "hs6", "description"), folder)
    for i, row in frame.iterrows():
        if row["calibration"] not in ("dataset", "index", "chain"):
            raise InputFileError(folder / "markets.csv", f"row {i + 2}: calibration must be dataset, index or chain",
                                 field="calibration", value=row["calibration"])
        number(folder / "markets.csv", i, "year", row["year"])
    return [build_market(row, folder) for _, row in frame.iterrows()]
