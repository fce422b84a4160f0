"""``build_world(spec)``: the ``world:`` section of a scenario -> a calibrated, fitted market.

The spec is ``{year, minerals: list | 'all', regions: 'auto' | list, elasticities: 'default' |
{horizon, overrides}}``. The result carries ``market`` (the scenario fields of issue 3, to be
merged with a scenario's ``policies``), ``observed`` (the calibration target) and, after
:meth:`WorldMarket.fit` (run by default), ``calibration`` and the baseline ``result``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from critmin.errors import InputFileError, UnknownChoiceError
from critmin.world import fit as fitting
from critmin.world.calibrate import Elasticities, market
from critmin.world.chains import CHAINS, default_minerals
from critmin.world.observed import Observed, observe
from critmin.world.parameters import load_parameters

DEFAULT_YEAR = 2024
SPEC_KEYS = ("year", "minerals", "regions", "elasticities")


@dataclass
class WorldMarket:
    """A world market built from the dataset; ``fit`` solves its baseline and checks it."""

    spec: dict[str, Any]
    market: dict[str, Any]
    observed: Observed
    elasticities: Elasticities
    calibration: pd.DataFrame | None = None
    result: Any = field(default=None, repr=False)

    def scenario(self, name: str = "world-baseline", policies: list | None = None) -> dict[str, Any]:
        """A scenario dict: the market plus ``policies`` after the policies in force in the observed
        year (none besides those: the calibrated baseline; decision 0079)."""
        return {"name": name, **self.market, "policies": list(self.market.get("policies", [])) + list(policies or [])}

    def sources(self) -> pd.DataFrame:
        """Every input behind the market: dataset tables and parameter rows, one row each."""
        rows = [dict(r) for r in self.observed.provenance]
        params = load_parameters()
        used: list[tuple[str, str]] = []
        for p in self.observed.products:
            used += [("input_coefficients", pid) for pid in p.inputs.values()]
            used += [("input_coefficients", c.factor_parameter) for c in p.trade if c.factor_parameter]
            used += [("conversion_costs", p.margin_parameter)] if p.margin_parameter else []
            used += [("trade_costs", p.freight_parameter)]
            sides = ("supply", "demand") if p.demand else ("supply",)  # a product without final demand uses no demand row
            used += [("elasticities", self.elasticities.source(p, side)) for side in sides]
        for table, pid in dict.fromkeys(used):
            row = params[table].set_index("parameter").loc[pid]
            rows.append({"what": f"{table}: {pid} = {row['value']:g} {row['unit']}", "source": row["source"],
                         "table": row["reference"]})
        for i, o in enumerate(self.elasticities.overrides):
            rows.append({"what": f"elasticity override {i}: {dict(o)}", "source": "scenario", "table": "world.elasticities"})
        return pd.DataFrame(rows, columns=["what", "source", "table"])

    def products(self) -> pd.DataFrame:
        """One row per product: stage, unit, world output, exporters' reference price, and the
        sources of its quantities and price (the provenance rows that name it)."""
        q = self.observed.quantities.groupby("product")[["production", "processing"]].sum().sum(axis=1)
        rows = []
        for p in self.observed.products:
            names = {p.id, p.price_product} - {None}
            sources = [r["source"] for r in self.observed.provenance
                       if any(str(r["what"]).startswith(n + " ") or str(r["what"]).startswith(f"price {n} ") for n in names)]
            if not p.price_product and not p.price_parameter:
                sources.append("derived: exporters' price of the next stage less the conversion margin, per unit of input")
            rows.append({"product": p.id, "stage": p.stage, "unit": p.unit, "world_output": float(q[p.id]),
                         "reference_price_usd": self.observed.reference_price[p.id],
                         "sources": "; ".join(dict.fromkeys(sources))})
        return pd.DataFrame(rows, columns=["product", "stage", "unit", "world_output", "reference_price_usd", "sources"])

    def fit(self, tolerance: float = fitting.TOLERANCE) -> pd.DataFrame:
        """Solve the baseline, build the calibration table, raise CalibrationError on a miss."""
        from critmin.engine import solve

        self.result = solve(self.scenario())
        self.calibration = fitting.table(self.observed, self.result)
        fitting.check(self.calibration, tolerance)
        return self.calibration


def normalise(spec: dict[str, Any] | None, source: str = "<world>") -> dict[str, Any]:
    """Fill defaults and check names; errors name the field (``world.<key>``) and the value."""
    spec = dict(spec or {})
    for key in spec:
        if key not in SPEC_KEYS:
            raise InputFileError(source, f"unknown key (valid: {', '.join(SPEC_KEYS)})", f"world.{key}")
    year = spec.get("year", DEFAULT_YEAR)
    if isinstance(year, bool) or not isinstance(year, int):
        raise InputFileError(source, "must be a year (integer)", "world.year", year)
    minerals = spec.get("minerals", default_minerals(year))
    if minerals == "all":
        minerals = list(CHAINS)
    if isinstance(minerals, str) or not isinstance(minerals, list) or not minerals:
        raise InputFileError(source, "must be 'all' or a non-empty list of minerals", "world.minerals", minerals)
    for m in minerals:
        if m not in CHAINS:
            raise UnknownChoiceError("world.minerals entry", m, list(CHAINS))
    regions = spec.get("regions", "auto")
    if regions != "auto" and not (isinstance(regions, list) and all(isinstance(r, str) for r in regions)):
        raise InputFileError(source, "must be 'auto' or a list of ISO3 codes", "world.regions", regions)
    return {"year": year, "minerals": list(dict.fromkeys(minerals)), "regions": regions,
            "elasticities": spec.get("elasticities", "default")}


def build_world(spec: dict[str, Any] | None = None, *, fit: bool = True, source: str = "<world>") -> WorldMarket:
    """Build (and by default fit) the world market described by a scenario's ``world:`` section;
    ``source`` (the scenario file) is named in error messages."""
    spec = normalise(spec, source)
    params = load_parameters()
    elasticities = Elasticities(params["elasticities"], spec["elasticities"], source)
    obs = observe(spec["year"], spec["minerals"], spec["regions"], params)
    world = WorldMarket(spec=spec, market=market(obs, elasticities), observed=obs, elasticities=elasticities)
    if fit:
        world.fit()
    return world


#: Scenario fields a ``world:`` section provides; a scenario's own entries are appended after them.
MARKET_LISTS = ("products", "regions", "supply", "demand", "processing", "transport")


def expand(data: dict[str, Any], source: str = "<world>") -> tuple[dict[str, Any], WorldMarket | None]:
    """The hook for the scenario loader: a scenario dict with a ``world:`` section -> the same
    dict with the world's market fields merged in (the scenario's own list entries come after
    the world's, so its ``transport`` entries override; its ``blocs`` are added), and the world."""
    if "world" not in data:
        return data, None
    world = build_world(data["world"], source=source)
    out = {k: v for k, v in data.items() if k != "world"}
    for key in MARKET_LISTS:
        out[key] = list(world.market[key]) + list(data.get(key) or [])
    out["blocs"] = {**world.market["blocs"], **(data.get("blocs") or {})}
    if world.market.get("policies"):  # policies in force in the observed year come first (decision 0079)
        out["policies"] = list(world.market["policies"]) + list(data.get("policies") or [])
    return out, world
