"""Linear curves and trade costs through the observed point: the market fields of issue 3.

Every curve passes exactly through the observed (quantity, price) with the chosen elasticity e
at that point: supply ``p = a + b q`` with ``b = p0 / (e q0)``, demand ``p = a - b q`` with
``b = p0 / (|e| q0)``, processing marginal cost ``m = a + b z`` through the observed margin
``m0 = p_out - sum(input coefficient x p_in)`` with the supply elasticity applied to the margin.
Trade costs make the calibrated forest of flows the unique equilibrium: ``c = tau x p0`` (the
freight share of value) on forest arcs, where it equals the price gap, and
``(1 + UNUSED_MARKUP) x tau x p0`` on every other arc, strictly above any price gap.
See docs/decisions/0025-world-flows-and-trade-costs.md and 0026-world-elasticities.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from critmin.errors import InputFileError
from critmin.world.observed import Observed

#: Output on the product's recipe below this share of a market's processing is rounding left after
#: its routes (decision 0083): no entry is made for it.
REST_TOL = 1e-9
#: Extra cost on arcs outside the calibrated forest, as a multiple of the freight cost (assumption).
UNUSED_MARKUP = 1.0
HORIZONS = ("short", "long")
#: ``bound`` -> table column used for (supply, demand): the central value, or the end of each
#: range that makes markets most (``elastic``) or least (``inelastic``) responsive.
BOUNDS = {"value": ("value", "value"), "elastic": ("high", "low"), "inelastic": ("low", "high")}


def supply_curve(p0: float, q0: float, e: float) -> tuple[float, float]:
    """(intercept, slope) of ``p = a + b q`` through (q0, p0) with price elasticity ``e`` > 0."""
    slope = p0 / (e * q0)
    return p0 - slope * q0, slope


def demand_curve(p0: float, q0: float, e: float) -> tuple[float, float]:
    """(intercept, slope) of ``p = a - b q`` through (q0, p0) with price elasticity ``e`` < 0."""
    slope = p0 / (abs(e) * q0)
    return p0 + slope * q0, slope


class Elasticities:
    """Elasticity per (product, side, region): the table's value for the horizon, or an override.

    ``bound`` picks the table's central value or one end of its ranges (:data:`BOUNDS`), to
    bracket results. Overrides (``world.elasticities.overrides``) are dicts with ``side`` and ``value`` and any of
    ``mineral``, ``product`` (a model product or the table's product), ``region``; the most
    specific matching override wins (region beats product beats mineral).
    """

    def __init__(self, table: pd.DataFrame, spec: str | Mapping[str, Any] = "default", source: str = "<world>"):
        if spec == "default":
            spec = {}
        if not isinstance(spec, Mapping):
            raise InputFileError(source, "must be 'default' or a mapping with horizon and overrides",
                                 "world.elasticities", spec)
        self.horizon = spec.get("horizon", "short")
        if self.horizon not in HORIZONS:
            raise InputFileError(source, f"must be one of {list(HORIZONS)}", "world.elasticities.horizon", self.horizon)
        self.bound = spec.get("bound", "value")
        if self.bound not in BOUNDS:
            raise InputFileError(source, f"must be one of {list(BOUNDS)}", "world.elasticities.bound", self.bound)
        unknown = set(spec) - {"horizon", "bound", "overrides"}
        if unknown:
            raise InputFileError(source, "unknown key (valid: horizon, bound, overrides)", "world.elasticities",
                                 sorted(unknown)[0])
        self.table = table
        self.overrides = list(spec.get("overrides", []))
        for i, o in enumerate(self.overrides):
            where = f"world.elasticities.overrides[{i}]"
            if not isinstance(o, Mapping) or o.get("side") not in ("supply", "demand") or "value" not in o:
                raise InputFileError(source, "needs side (supply or demand) and value", where, o)
            bad = set(o) - {"side", "value", "mineral", "product", "region"}
            if bad:
                raise InputFileError(source, "unknown key (valid: side, value, mineral, product, region)", where, sorted(bad)[0])
            v = float(o["value"])
            if (o["side"] == "supply" and not v > 0) or (o["side"] == "demand" and not v < 0):
                raise InputFileError(source, "supply elasticities must be > 0 and demand elasticities < 0",
                                     f"{where}.value", o["value"])

    def source(self, product, side: str) -> str:
        """Parameter id of the table row used (before overrides)."""
        t = self.table
        rows = t[(t["mineral"] == product.mineral) & (t["product"] == product.elasticity_product)
                 & (t["side"] == side) & (t["horizon"] == self.horizon)]
        if rows.empty:
            raise InputFileError("elasticities.csv", "no row for this product, side and horizon",
                                 "product", f"{product.elasticity_product} {side} {self.horizon}")
        return str(rows["parameter"].iloc[0])

    def value(self, product, side: str, region: str) -> float:
        best, rank = None, -1
        for o in self.overrides:
            if o["side"] != side:
                continue
            keys = {"mineral": product.mineral, "product": (product.id, product.elasticity_product), "region": region}
            ok, r = True, 0
            for k, weight in (("mineral", 1), ("product", 2), ("region", 4)):
                if k in o:
                    match = o[k] in keys[k] if isinstance(keys[k], tuple) else o[k] == keys[k]
                    ok &= match
                    r += weight
            if ok and r >= rank:
                best, rank = float(o["value"]), r
        if best is not None:
            return best
        t = self.table.set_index("parameter")
        pid = self.source(product, side)
        column = BOUNDS[self.bound][0 if side == "supply" else 1]
        value = float(t.loc[pid, column])
        if not ((side == "supply" and value > 0) or (side == "demand" and value < 0)):
            raise InputFileError("elasticities.csv", f"the {column} end cannot be used for a curve (needs supply > 0, "
                                 "demand < 0)", f"{pid}.{column}", value)
        return value


def _routes(obs: Observed, region: str, product: str, coef: dict[str, float],
            total: float) -> list[tuple[dict[str, float], float]]:
    """(recipe, observed output) of each processing entry of a market: the product's recipe
    (``coef`` itself) for the output not made by a route of its own, then one entry per route
    (``obs.routes``, decision 0083), each with its own curve through its own output and margin."""
    rows = obs.routes[(obs.routes["region"] == region) & (obs.routes["product"] == product)]
    rest = total - float(rows["processing"].sum())
    out = [(coef, rest)] if rest > REST_TOL * total else []
    return out + [({r.input: float(r.coefficient)}, float(r.processing)) for r in rows.itertuples(index=False)]


def market(obs: Observed, elasticities: Elasticities) -> dict[str, Any]:
    """The scenario fields (products, regions, blocs, supply, demand, processing, transport)."""
    q = obs.quantities.set_index(["region", "product"])
    price = obs.prices.set_index(["region", "product"])["price"]
    products = [{"id": p.id, "name": f"{p.name} ({p.unit})", **({"inputs": obs.coefficients[p.id]} if p.inputs else {})}
                for p in obs.products]
    supply, demand, processing, transport = [], [], [], []
    for p in obs.products:
        coef = obs.coefficients.get(p.id, {})
        for region in obs.regions:
            row, p_r = q.loc[(region, p.id)], float(price[(region, p.id)])
            if row["production"] > 0:
                a, b = supply_curve(p_r, float(row["production"]), elasticities.value(p, "supply", region))
                supply.append({"region": region, "product": p.id, "intercept": a, "slope": b})
            if row["processing"] > 0:
                for recipe, z0 in _routes(obs, region, p.id, coef, float(row["processing"])):
                    m0 = p_r - sum(c * float(price[(region, i)]) for i, c in recipe.items())
                    a, b = supply_curve(m0, z0, elasticities.value(p, "supply", region))
                    own = {} if recipe is coef else {"inputs": recipe}
                    processing.append({"region": region, "product": p.id, "intercept": a, "slope": b, **own})
            if row["consumption"] > 0:
                a, b = demand_curve(p_r, float(row["consumption"]), elasticities.value(p, "demand", region))
                demand.append({"region": region, "product": p.id, "intercept": a, "slope": b})
        freight = obs.freight[p.id] * obs.reference_price[p.id]
        transport.append({"product": p.id, "origin": "*", "destination": "*", "cost": (1 + UNUSED_MARKUP) * freight})
        arcs = obs.flows[obs.flows["product"] == p.id]
        for o, d in zip(arcs["origin"], arcs["destination"]):
            transport.append({"product": p.id, "origin": o, "destination": d, "cost": freight})
    return {
        "products": products,
        "regions": [{"id": r, "name": obs.region_names[r]} for r in obs.regions],
        "blocs": obs.blocs,
        "supply": supply, "demand": demand, "processing": processing, "transport": transport,
        **({"policies": list(obs.policies)} if obs.policies else {}),  # licences in force (decision 0079)
    }
