"""Two-stage episode markets: ore mined and smelted into refined product, four regions (China, USA, FORGE, ROW).

Built for the 2024 antimony controls, where China imports ore and exports refined metal and oxide,
so a one-product market cannot describe it (docs/decisions/0070-history-two-stage-antimony.md).
Quantities are in recoverable content (t Sb). The observed point of the year before the control:

- ore output by region: the embedded ``production`` table (World Mining Data); all ore mined
  outside China, and all smelting outside China, is placed in ROW (a stylisation, in ``sources``);
- China's net ore imports: the embedded BACI flows of the ore's HS code into and out of China
  (gross weight) times a cited concentrate grade; the ore price is their unit value over the grade
  (BACI values are f.o.b., so it is the price where ore is exported, ROW; China pays freight on top);
- smelting: China smelts its own ore plus its net imports, ROW the rest (ore per refined = the
  input coefficient); China's refined exports are a cited level converted to content;
- refined consumption: USA a cited level, the rest of the outside world split between FORGE and
  ROW by ``forge_share_outside_china``; the refined price is the embedded price outside China,
  less refined freight where a region exports.

Curves are the world model's: linear supply and demand through the point, processing marginal cost
through the observed margin with the supply elasticity applied to the margin (0026).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from critmin.errors import InputFileError
from critmin.world.calibrate import BOUNDS, demand_curve, supply_curve

ORE, REFINED = "ore", "refined"
#: Extra cost on arcs into China, as a multiple of freight (as in the one-product markets).
REVERSE_MARKUP = 2.0


@dataclass(frozen=True)
class ChainMarket:
    """A calibrated ore -> refined market: the observed point, elasticities and where each number comes from."""

    regions: ClassVar[tuple[str, ...]] = ("CHN", "USA", "FORGE", "ROW")
    product: ClassVar[str] = REFINED
    #: region whose refined price is the observed "price outside China" (an importer).
    outside: ClassVar[str] = "FORGE"

    id: str
    episode: str
    description: str
    unit: str
    price: float               # USD/t refined, importers (USA, FORGE)
    freight: float             # USD/t refined on every arc
    ore_price: float           # USD/t ore content where ore is exported (ROW)
    ore_freight: float         # USD/t ore content on every arc
    coefficient: float         # t ore content per t refined
    supply: dict[str, float]      # region -> ore output
    processing: dict[str, float]  # region -> refined output
    demand: dict[str, float]      # region -> refined consumption
    elasticities: dict[str, dict[str, float]]
    sources: tuple[tuple[str, str], ...]

    @property
    def china_exports(self) -> float:
        """Refined exports of China in the baseline."""
        return self.processing["CHN"] - self.demand["CHN"]

    @property
    def china_ore_imports(self) -> float:
        return self.coefficient * self.processing["CHN"] - self.supply["CHN"]

    def exporters(self) -> set[str]:
        return {r for r in self.regions if self.processing.get(r, 0.0) > self.demand[r]}

    def prices(self) -> dict[str, float]:
        """Observed refined prices: importers pay the observed price, exporters that price less freight."""
        exporters = self.exporters()
        return {r: self.price - (self.freight if r in exporters else 0.0) for r in self.regions}

    def ore_prices(self) -> dict[str, float]:
        """Observed ore prices where ore is mined: ROW exports at the BACI unit value, China pays freight on top."""
        return {"CHN": self.ore_price + self.ore_freight, "ROW": self.ore_price}

    def point(self) -> dict[str, dict[tuple[str, str], float]]:
        """The observed point as (region, product) -> value, for the baseline check."""
        return {"prices": {**{(r, REFINED): p for r, p in self.prices().items()},
                           **{(r, ORE): p for r, p in self.ore_prices().items()}},
                "supply": {(r, ORE): self.supply.get(r, 0.0) for r in self.regions},
                "processing": {(r, REFINED): self.processing.get(r, 0.0) for r in self.regions},
                "demand": {(r, REFINED): self.demand[r] for r in self.regions}}

    def margins(self) -> dict[str, float]:
        """Observed smelting margin per t refined: refined price less the ore it uses at the local ore price."""
        prices, ore = self.prices(), self.ore_prices()
        return {r: prices[r] - self.coefficient * ore[r] for r in self.processing if self.processing[r] > 0}

    def scenario(self, bound: str = "value", policies: list[dict[str, Any]] | None = None,
                 demand_elasticity: float | None = None) -> dict[str, Any]:
        """The engine scenario with elasticities at ``bound``; ``demand_elasticity`` overrides the demand side."""
        s_col, d_col = BOUNDS[bound]
        e_s = self.elasticities["supply"][s_col]
        e_d = self.elasticities["demand"][d_col] if demand_elasticity is None else demand_elasticity
        prices, ore = self.prices(), self.ore_prices()
        supply = []
        for region, q in self.supply.items():
            if q > 0:
                a, b = supply_curve(ore[region], q, e_s)
                supply.append({"region": region, "product": ORE, "intercept": a, "slope": b})
        processing = []
        for region, m0 in self.margins().items():
            a, b = supply_curve(m0, self.processing[region], e_s)
            processing.append({"region": region, "product": REFINED, "intercept": a, "slope": b})
        demand = []
        for region in self.regions:
            a, b = demand_curve(prices[region], self.demand[region], e_d)
            demand.append({"region": region, "product": REFINED, "intercept": a, "slope": b})
        transport = [{"product": REFINED, "origin": o, "destination": d,
                      "cost": self.freight * (REVERSE_MARKUP if d == "CHN" else 1.0)}
                     for o in self.regions for d in self.regions if o != d]
        transport += [{"product": ORE, "origin": "ROW", "destination": "CHN", "cost": self.ore_freight},
                      {"product": ORE, "origin": "CHN", "destination": "ROW", "cost": REVERSE_MARKUP * self.ore_freight}]
        return {"name": f"history-{self.id}-{bound}", "regions": list(self.regions),
                "products": [{"id": ORE}, {"id": REFINED, "inputs": {ORE: self.coefficient}}],
                "supply": supply, "processing": processing, "demand": demand, "transport": transport,
                "policies": policies or []}


def _trade(hs6: str, year: int) -> tuple[float, float, float, float, str]:
    """China's imports and exports of ``hs6`` in ``year`` (t gross, thousand USD) from the embedded BACI table."""
    from critmin.data import load

    trade = load("trade")
    rows = trade[(trade.hs6.astype(str) == hs6) & (trade.year == year)]
    into, out = rows[rows.importer == "CHN"], rows[rows.exporter == "CHN"]
    if into.empty:
        raise InputFileError("embedded trade", "no imports into China", field="hs6", value=f"{hs6}/{year}")
    source = f"{rows.source.iloc[0]} ({rows.table.iloc[0]})"
    return (float(into.quantity_t.sum()), float(into.value_kusd.sum()), float(out.quantity_t.sum()),
            float(out.value_kusd.sum()), source)


def build_chain(spec: pd.Series, inputs: dict[str, tuple[float, str]], need, params: dict[str, pd.DataFrame],
                elasticities: dict[str, dict[str, float]], folder: Path) -> ChainMarket:
    """Calibrate a ``calibration = chain`` row of ``markets.csv`` (see the module docstring)."""
    from critmin.data import load
    from critmin.world.parameters import parameter

    market, year = spec["market"], int(spec["year"])
    sources: list[tuple[str, str]] = []

    def take(field: str, what: str) -> float:
        value, src = need(inputs, field, market, folder)
        sources.append((what, src))
        return value

    production = load("production")
    rows = production[(production.mineral == spec["mineral"]) & (production.stage == spec["stage"])
                      & (production.year == year)]
    if rows.empty:
        raise InputFileError(folder / "markets.csv", "no production in the embedded dataset", field="year", value=year)
    china_ore = float(rows[rows.iso3 == "CHN"].quantity.sum())
    outside_ore = float(rows[rows.iso3 != "CHN"].quantity.sum())
    sources.append(("ore output, China and outside China (all placed in ROW)",
                    f"embedded production {spec['mineral']}/{spec['stage']}/{year} ({', '.join(sorted(set(rows.source)))})"))
    grade = take("ore_grade", "content of traded ore (share of gross weight)")
    imports_t, imports_kusd, exports_t, _, baci = _trade(str(spec["hs6"]), year)
    sources.append((f"China's ore imports and exports, HS {spec['hs6']} (gross weight, value)", f"embedded trade {baci}"))
    coefficient = take("ore_per_refined", "ore content per refined content")
    net_ore = grade * (imports_t - exports_t)
    ore_price = imports_kusd * 1000.0 / imports_t / grade
    refined_price_rows = load("prices")
    quote = refined_price_rows[(refined_price_rows["product"] == spec["price_product"]) & (refined_price_rows.year == year)]
    if quote.empty:
        raise InputFileError(folder / "markets.csv", "no price in the embedded prices table",
                             field="price_product", value=spec["price_product"])
    price = float(quote.usd_per_t.iloc[0])
    sources.append(("refined price outside China", f"embedded prices {spec['price_product']}/{year}: "
                    f"{quote.basis.iloc[0]} ({quote.source.iloc[0]})"))
    exports_gross = take("china_exports_gross", "China's refined exports (gross weight)")
    content = parameter(params, "input_coefficients", "sb_content_of_sb2o3")
    sources.append(("antimony content of exports", "input_coefficients.csv sb_content_of_sb2o3"))
    usa = take("usa_consumption", "U.S. consumption of primary refined antimony")
    share_forge = take("forge_share_outside_china", "FORGE share of consumption outside China and the USA")
    freight_share = parameter(params, "trade_costs", "freight_share_refined_products")
    ore_freight_share = parameter(params, "trade_costs", "freight_share_bulk_concentrates")
    sources += [("refined freight, share of value", "trade_costs.csv freight_share_refined_products"),
                ("ore freight, share of value", "trade_costs.csv freight_share_bulk_concentrates")]
    for side in ("supply", "demand"):
        sources.append((f"{side} elasticity (short run)" + (", also smelting margins" if side == "supply" else ""),
                        f"elasticities.csv {elasticities[side]['parameter']}"))

    processing = {"CHN": (china_ore + net_ore) / coefficient, "ROW": (outside_ore - net_ore) / coefficient}
    exports = exports_gross * content
    rest = processing["ROW"] + exports - usa
    demand = {"CHN": processing["CHN"] - exports, "USA": usa, "FORGE": rest * share_forge, "ROW": rest * (1 - share_forge)}
    for region, q in {**processing, **demand}.items():
        if q <= 0:
            raise InputFileError(folder / "inputs.csv", f"market {market}: {region} quantity {q:g} is not positive",
                                 field="value")
    if net_ore <= 0:
        raise InputFileError(folder / "inputs.csv", f"market {market}: China is not a net importer of ore", field="ore_grade")
    return ChainMarket(id=market, episode=spec["episode"], description=spec["description"], unit=spec["quantity_unit"],
                       price=price, freight=freight_share * price, ore_price=ore_price,
                       ore_freight=ore_freight_share * ore_price, coefficient=coefficient,
                       supply={"CHN": china_ore, "ROW": outside_ore}, processing=processing, demand=demand,
                       elasticities={k: {c: v[c] for c in ("value", "low", "high")} for k, v in elasticities.items()},
                       sources=tuple(sources))
