"""The observed year per region and product, made consistent enough to be an equilibrium.

From the embedded dataset (production, stage_shares, trade, prices, bloc_members) and the
parameter tables: production by country and stage, processing output and input use, net
bilateral flows (content units), apparent consumption and a price per region. Countries are
grouped into model regions (:mod:`critmin.world.regions`), trade is netted and reconciled and
carried by a forest (:mod:`critmin.world.flows`). Regional prices follow from the reference
price: net exporters pay the published price, net importers add the freight share of value.
See docs/decisions/0023-world-chains-and-observed-year.md, and 0046 for stages re-based on
``quantities.csv`` output (NdPr oxide in 2024: separation, recycling, and final demand net of
the magnets' input use), 0073 for mine output sold at the site as a processed product (lithium
brine as carbonate) and table products traded in BACI (lithium hydroxide).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from critmin.data.store import load
from critmin.errors import DataError, UnknownChoiceError
from critmin.world import feed
from critmin.world import flows as fl
from critmin.world import regions as rg
from critmin.world.chains import ChainProduct, Route, core, table_products
from critmin.world.parameters import parameter
from critmin.world.routes import route, routes

#: Net flows below this share of world output are dropped before reconciliation: they carry
#: almost nothing and make the equilibrium problem badly scaled (docs/decisions/0025).
MIN_FLOW = 5e-4
#: Consumption below this share of world output is rounding left by reconciliation: set to zero.
TINY = 1e-7
#: How far (years) stage shares may be from the world year; farther is an error.
SHARES_MAX_GAP = 2
#: Largest relative gap between a re-based stage's balance coefficient and its table row.
BALANCE_TOL = 1e-6
ROUTE_COLUMNS = ["region", "product", "input", "coefficient", "processing"]


@dataclass
class Observed:
    """The calibration target. Tables are tidy DataFrames keyed by region and product."""

    year: int
    products: list[ChainProduct]
    regions: list[str]
    region_names: dict[str, str]
    mapping: dict[str, str]
    blocs: dict[str, list[str]]
    #: region, product, production, processing, input_use, consumption (model units)
    quantities: pd.DataFrame
    #: product, origin, destination, quantity: net observed trade after reconciliation
    trade: pd.DataFrame
    #: product, origin, destination, quantity: the calibrated (forest) flows
    flows: pd.DataFrame
    #: region, product, price (USD per model unit)
    prices: pd.DataFrame
    #: product -> reference price (exporters' price) and freight share of value
    reference_price: dict[str, float]
    freight: dict[str, float]
    #: product -> {input product: units of input per unit}
    coefficients: dict[str, dict[str, float]]
    #: product, region, removed: exports removed by reconciliation (model units)
    reconciliation: pd.DataFrame
    #: where every number came from: one row per input used
    provenance: list[dict] = field(default_factory=list)
    #: engine policies in force in the observed year, part of the calibrated baseline (decision 0079)
    policies: list[dict] = field(default_factory=list)
    #: region, product, input, coefficient, processing: output made by a route of its own (a recipe
    #: other than the product's, decision 0083); the rest of ``processing`` uses the product's recipe
    routes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ROUTE_COLUMNS))


def coefficient(params: dict[str, pd.DataFrame], product: ChainProduct) -> dict[str, float]:
    """Units of each input per unit of ``product`` (inverting rows stated the other way round)."""
    out = {}
    for inp, pid in product.inputs.items():
        value = parameter(params, "input_coefficients", pid)
        out[inp] = 1.0 / value if product.invert_input else value
    return out


def route_coefficient(params: dict[str, pd.DataFrame], route: Route) -> float:
    """Units of the route's input per unit of output: one over the product of its ``via`` rows."""
    return 1.0 / float(np.prod([parameter(params, "input_coefficients", pid) for pid in route.via]))


def _route_output(product: ChainProduct, year: int, params: dict[str, pd.DataFrame]) -> list[tuple[Route, float, pd.Series]]:
    """Per route of ``product``: the route, its coefficient and the quantities.csv output for ``year``
    of the route's countries (decision 0083)."""
    q = params["quantities"]
    rows = q[(q["product"] == product.id) & (q["measure"] == "production") & (q["year"].astype(int) == year)]
    out = []
    for r in product.routes:
        made = rows[rows["region"].isin(r.countries)].groupby("region")["value"].sum().astype(float)
        out.append((r, route_coefficient(params, r), made))
    return out


def _route_use(mineral: str, mine: ChainProduct, year: int, params: dict[str, pd.DataFrame]) -> pd.Series:
    """Use of ``mine``'s product by the routes of ``mineral``'s table products, by country."""
    parts = [made * coef for p in table_products(mineral) for r, coef, made in _route_output(p, year, params)
             if r.input == mine.id]
    return pd.concat(parts).groupby(level=0).sum() if parts else pd.Series(dtype=float)


def _year_rows(frame: pd.DataFrame, where: str, year: int, **keys) -> pd.DataFrame:
    sel = np.ones(len(frame), dtype=bool)
    for k, v in keys.items():
        sel &= (frame[k] == v).to_numpy()
    rows = frame[sel]
    if rows.empty or year not in set(rows["year"].astype(int)):
        years = sorted(set(rows["year"].astype(int)))
        raise UnknownChoiceError(f"world.year for {where}", year, years)
    return rows[rows["year"].astype(int) == year]


def _price(prices: pd.DataFrame, product: str, year: int) -> tuple[float, dict]:
    row = _year_rows(prices, f"price of {product}", year, product=product).iloc[0]
    return float(row["usd_per_t"]), {"what": f"price {product} {year}", "source": row["source"], "table": row["table"]}


def _price_point(params: dict[str, pd.DataFrame], product: ChainProduct, year: int) -> tuple[float, dict]:
    """The exporters' price of a product priced by ``price_points.csv`` (``<price_parameter>_<year>``)."""
    table = params["price_points"].set_index("parameter")
    pid = f"{product.price_parameter}_{year}"
    if pid not in table.index:
        years = sorted(int(i.rsplit("_", 1)[1]) for i in table.index if i.startswith(f"{product.price_parameter}_"))
        raise UnknownChoiceError(f"world.year for the price of {product.id} (price_points.csv)", year, years)
    row = table.loc[pid]
    return float(row["value"]), {"what": f"price {product.id} {year} = {row['value']:g} {row['unit']}",
                                 "source": row["source"], "table": f"price_points.csv: {pid}"}


def _table_trade(product: ChainProduct, year: int, params: dict[str, pd.DataFrame], prov: list[dict]) -> pd.DataFrame:
    """Gross flows of a product without an HS code: the ``exports`` rows of quantities.csv for
    ``year`` (partner ``WLD`` totals are left out: the destination rows add up to them)."""
    q = params["quantities"]
    rows = q[(q["product"] == product.id) & (q["measure"] == "exports")]
    years = sorted(set(rows["year"].astype(int)))
    rows = rows[(rows["year"].astype(int) == year) & (rows["partner"] != "WLD")]
    if rows.empty:
        raise UnknownChoiceError(f"world.year for trade of {product.id} (quantities.csv exports rows)", year, years)
    for r in rows.itertuples(index=False):
        prov.append({"what": f"{product.id} exports {r.region}->{r.partner} {year} = {r.value:g} {r.unit}",
                     "source": r.source, "table": f"quantities.csv: {r.parameter}"})
    return pd.DataFrame({"origin": rows["region"].to_numpy(), "destination": rows["partner"].to_numpy(),
                         "quantity": rows["value"].astype(float).to_numpy()})


def _licensed(obs: Observed, prices: pd.DataFrame) -> Observed:
    """Products under an export licence in the observed year (decision 0079): every region but the
    supplier pays the observed importers' price (a region that consumes its own output, e.g. Russia,
    trades with the other importers at no price gap), and the supplier's exports are capped at their
    calibrated level by an ``export_quota`` in the baseline, whose rent is the gap less freight.
    Raises if the gap does not exceed freight (the licence would not bind) or if a region other
    than the supplier exports."""
    table = obs.prices.copy()
    policies, prov = list(obs.policies), list(obs.provenance)
    for product in obs.products:
        lic = product.licence
        if lic is None or obs.year < lic.since:
            continue
        pid, supplier = product.id, obs.mapping.get(lic.supplier, lic.supplier)
        flows = obs.flows[obs.flows["product"] == pid]
        others = sorted(set(flows["origin"]) - {supplier})
        if others:
            raise DataError(f"{pid}: {', '.join(others)} export in the calibrated flows, but only the licensed supplier "
                            f"{supplier} may (importers pay the observed importers' price)")
        p_imp, src = _price(prices, lic.importers_price_product, obs.year)
        p0, tau = obs.reference_price[pid], obs.freight[pid]
        rent = p_imp - p0 * (1.0 + tau)
        if rent <= 0:
            raise DataError(f"{pid}: importers' price {p_imp:g} ({lic.importers_price_product} {obs.year}) does not exceed "
                            f"{supplier}'s price {p0:g} plus freight; a licence would not bind")
        sel = (table["product"] == pid) & (table["region"] != supplier)
        table.loc[sel, "price"] = p_imp
        quota = float(flows["quantity"].sum())
        policies.append({"kind": "export_quota", "product": pid, "origin": supplier, "destination": f"not {supplier}",
                         "quantity": quota})
        prov.append({**src, "what": f"importers' price {pid} {obs.year} = {p_imp:g} USD/t"})
        prov.append({"what": f"{pid}: {supplier}'s export licence (since {lic.since}) as an export quota of {quota:g} "
                     f"{product.unit}, its calibrated exports; rent {rent:.6g} USD/t = importers' price less "
                     f"{supplier}'s price and freight", "source": "critmin (decision 0079)",
                     "table": "quantities.csv exports rows; price_points.csv; prices"})
    return replace(obs, prices=table, policies=policies, provenance=prov)


def _trade(trade: pd.DataFrame, product: ChainProduct, year: int, price: float,
           params: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Gross country flows of ``product`` in model units (origin, destination, quantity)."""
    parts = []
    for code in product.trade:
        rows = trade[(trade["hs6"] == code.hs6) & (trade["year"] == year)]
        if rows.empty:
            years = sorted(set(trade.loc[trade["hs6"] == code.hs6, "year"].astype(int)))
            raise UnknownChoiceError(f"world.year for trade of {product.id} (HS {code.hs6})", year, years)
        if code.basis == "value":
            q = rows["value_kusd"] * 1000.0 / price
        else:
            unit_value = rows["value_kusd"].sum() / rows["quantity_t"].sum()
            tonnes = rows["quantity_t"].fillna(rows["value_kusd"] / unit_value)  # rows BACI left without a quantity
            factor = 1.0
            if code.factor_parameter:
                factor = parameter(params, "input_coefficients", code.factor_parameter)
                factor = 1.0 / factor if code.reciprocal else factor
            q = tonnes * factor
        parts.append(pd.DataFrame({"origin": rows["exporter"], "destination": rows["importer"], "quantity": q}))
    return pd.concat(parts, ignore_index=True)


def _output(product: ChainProduct, upstream: pd.Series, coef: float, year: int,
            shares: pd.DataFrame, prov: list[dict]) -> pd.Series:
    """Country output of a processed product from the mined input it uses."""
    total = float(upstream.sum()) / coef
    if product.location == "shares":
        rows = shares[(shares["mineral"] == product.mineral) & (shares["stage"] == product.stage)]
        if rows.empty:
            raise DataError(f"stage_shares: no rows for {product.mineral} {product.stage}")
        years = np.array(sorted(set(rows["year"].astype(int))))
        best = int(years[np.argmin(np.abs(years - year) * 10 + (years > year))])  # nearest, earlier on ties
        if abs(best - year) > SHARES_MAX_GAP:
            raise UnknownChoiceError(f"world.year for {product.mineral} {product.stage} shares", year, list(years))
        rows = rows[rows["year"].astype(int) == best]
        share = rows.groupby("iso3")["share"].sum()
        prov.append({"what": f"{product.id} output shares ({best})", "source": ";".join(sorted(set(rows["source"]))),
                     "table": "stage_shares"})
        return share / share.sum() * total
    routed = route(product.mineral, upstream, "location")
    if routed.empty:
        raise DataError(f"refining_routes.csv: no location rows for {product.mineral}")
    out = routed.groupby("destination")["quantity"].sum() / coef
    rows = routes()
    rows = rows[(rows["mineral"] == product.mineral) & (rows["role"] == "location")]
    prov.append({"what": f"{product.id} output location", "source": ";".join(sorted(set(rows["source"]))),
                 "table": "refining_routes.csv"})
    return out.astype(float)


def _rebase(product: ChainProduct, mine: ChainProduct, year: int, params: dict[str, pd.DataFrame], mined: pd.Series,
            supply: dict[str, pd.Series], prov: list[dict]) -> tuple[ChainProduct, pd.Series, float] | None:
    """``product`` re-based on its quantities.csv output for ``year`` (its :class:`TableStage`):
    the product as used, separation output by country and the balance coefficient (mined input
    per unit of primary output); ``recycling`` rows go to ``supply``. None where the table has no
    output rows for the year (decision 0023's stand-in then applies, and provenance says so)."""
    stage = product.table_stage
    if stage is None:
        return None
    q = params["quantities"]
    rows = q[(q["product"] == product.id) & (q["year"].astype(int) == year)]
    made = rows[rows["measure"] == "production"]
    if made.empty:
        years = sorted(set(q.loc[(q["product"] == product.id) & (q["measure"] == "production"), "year"].astype(int)))
        prov.append({"what": f"{product.id} {year}: output from {product.location} with {', '.join(product.inputs.values())} "
                     "(decision 0023 stand-in)", "source": "critmin",
                     "table": f"quantities.csv has {product.id} output for {years} only"})
        return None
    out = made.groupby("region")["value"].sum().astype(float)
    recycled = rows[rows["measure"] == "recycling"]
    if not recycled.empty:
        supply[product.id] = recycled.groupby("region")["value"].sum().astype(float)
    for r in pd.concat([made, recycled]).itertuples(index=False):
        prov.append({"what": f"{product.id} {r.measure} {r.region} {year} = {r.value:g} {r.unit}", "source": r.source,
                     "table": f"quantities.csv: {r.parameter}"})
    a = float(mined.sum()) / float(out.sum())
    listed = parameter(params, "input_coefficients", stage.coefficient)
    if abs(a / listed - 1.0) > BALANCE_TOL:
        raise DataError(f"input_coefficients.csv: {stage.coefficient} is {listed:g} but the {year} balance of {mine.id} over "
                        f"{product.id} output is {a:.10g} ({float(mined.sum()):g} / {float(out.sum()):g}); update the row")
    prov.append({"what": f"{product.id}: {a:.6g} {mine.unit} of {mine.id} per {product.unit} (balance {float(mined.sum()):g} / "
                 f"{float(out.sum()):g})", "source": "critmin derivation", "table": f"input_coefficients.csv: {stage.coefficient}"})
    used = replace(product, inputs={mine.id: stage.coefficient}, margin_parameter=stage.margin, location="table")
    return used, out, a


def observe(year: int, minerals: list[str], spec_regions: str | list[str],
            params: dict[str, pd.DataFrame]) -> Observed:
    """Build the observed year for ``minerals`` (see the module docstring)."""
    production, prices, trade = load("production"), load("prices"), load("trade")
    shares_table, members_table = load("stage_shares"), load("bloc_members")
    prov: list[dict] = []
    products: list[ChainProduct] = []
    country_out: dict[str, pd.Series] = {}  # production or processing output by country
    country_use: dict[str, pd.Series] = {}  # input use by country (upstream products)
    country_supply: dict[str, pd.Series] = {}  # supply of a processed product that uses no input (recycling)
    gross: dict[str, pd.DataFrame] = {}
    preferred: dict[str, pd.DataFrame] = {}  # mine-stage flow preferences (no trade data there)
    route_out: list[pd.DataFrame] = []  # output made by a route of its own, by country (decision 0083)
    coefs: dict[str, dict[str, float]] = {}
    ref_price: dict[str, float] = {}
    freight: dict[str, float] = {}
    for mineral in minerals:
        _table_year(mineral, year, params)
        items = core(mineral)
        products.extend(items)
        final = items[-1]
        if final.years and year not in final.years:
            raise UnknownChoiceError(f"world.year for {mineral} (the {final.id} margin is observed for "
                                     f"{list(final.years)} only; decision 0077)", year, list(final.years))
        p0, src = _price(prices, final.price_product, year) if final.price_product else _price_point(params, final, year)
        prov.append(src)
        ref_price[final.id] = p0
        mine = items[0]
        rows = _year_rows(production, f"{mineral} {mine.stage} production", year, mineral=mineral, stage=mine.stage)
        prov.append({"what": f"{mine.id} production {year}", "source": ";".join(sorted(set(rows["source"]))),
                     "table": "production"})
        country_out[mine.id] = rows.groupby("iso3")["quantity"].sum().astype(float)
        for product in items:
            freight[product.id] = parameter(params, "trade_costs", product.freight_parameter)
        if len(items) == 2:
            rebased = _rebase(final, mine, year, params, country_out[mine.id], country_supply, prov)
            if rebased:
                final, country_out[final.id], a = rebased
                products[-1] = final
                coefs[final.id] = {mine.id: a}
            else:
                coefs[final.id] = coefficient(params, final)
                a = coefs[final.id][mine.id]
                if final.site_supply:
                    country_out[mine.id], country_supply[final.id] = _site_supply(final, mine, country_out[mine.id], a,
                                                                                  year, prov)
                feed, short = _direct_feed(mine, country_out[mine.id], _route_use(mineral, mine, year, params), prov)
                country_out[final.id] = _less(final, _output(final, feed, a, year, shares_table, prov), short / a)
            country_use[mine.id] = country_out[final.id] * a
            role = "location" if final.location == "routes" else "flows"
            preferred[mine.id] = route(mineral, feed if not rebased else country_out[mine.id], role)
            if role == "flows":
                prov.append({"what": f"{mine.id} preferred routes", "source": "refining_routes.csv (per-row sources)",
                             "table": "refining_routes.csv, role flows"})
            margin = parameter(params, "conversion_costs", final.margin_parameter)
            ref_price[mine.id] = (p0 - margin) / a
            if ref_price[mine.id] <= 0:
                raise DataError(f"conversion_costs.csv: margin {final.margin_parameter} ({margin}) exceeds the price of "
                                f"{final.id} ({p0}); the mined input would have no value")
        if final.trade_table:
            gross[final.id] = _table_trade(final, year, params, prov)
        if final.trade:
            gross[final.id] = _trade(trade, final, year, p0, params)
            prov.append({"what": f"{final.id} trade {year}", "source": "cepii_baci",
                         "table": "trade: " + ", ".join(c.hs6 for c in final.trade)})
        products.extend(_from_table(mineral, year, params, country_out, country_use, gross, coefs, ref_price,
                                    freight, prov, trade, route_out))
    members = {b: set(g["iso3"]) for b, g in members_table.groupby("bloc")}
    mapping = _regions(spec_regions, _with_supply(country_out, country_supply), country_use, gross, members)
    obs = _aggregate(year, products, mapping, members, country_out, country_supply, country_use, gross, preferred,
                     coefs, ref_price, freight, prov)
    obs.routes = _region_routes(route_out, mapping)
    _check_margins(products, obs.prices, coefs, obs.routes)
    return _licensed(obs, prices)


def _direct_feed(mine: ChainProduct, mined: pd.Series, direct: pd.Series,
                 prov: list[dict]) -> tuple[pd.Series, pd.Series]:
    """Mine output left for the routed stage and what direct routes still need from that stage's
    converters, by country (decision 0083): a direct route uses its country's own mine output
    first (Australia's hydroxide plants, out of what refining_routes.csv sends to China), then
    feed of the country's converters (China's hydroxide, out of its carbonate converters' feed)."""
    if direct.empty:
        return mined, pd.Series(dtype=float)
    kept = direct.clip(upper=mined.reindex(direct.index, fill_value=0.0))
    for iso3, d in direct.items():
        prov.append({"what": f"{mine.id} used by direct routes in {iso3}: {d:g} {mine.unit}, {kept[iso3]:g} of it from "
                     f"the country's own mine output, {d - kept[iso3]:g} from its converters' feed",
                     "source": "critmin (decision 0083)", "table": "quantities.csv production rows; refining_routes.csv"})
    return mined.sub(kept, fill_value=0.0), (direct - kept)[direct > kept]


def _less(product: ChainProduct, out: pd.Series, taken: pd.Series) -> pd.Series:
    """``out`` less the converters' feed that direct routes take in each country (DataError where
    the country's converters do not have it)."""
    if taken.empty:
        return out
    left = out.sub(taken, fill_value=0.0)
    bad = left[left < -BALANCE_TOL * float(out.sum())]
    if len(bad):
        raise DataError(f"{product.id}: direct routes in {', '.join(bad.index)} need more feed than the country's own mine "
                        f"output and its converters' ({float(bad.min()):.6g} {product.unit} short); check refining_routes.csv")
    return left[left > 0]


def _table_year(mineral: str, year: int, params: dict[str, pd.DataFrame]) -> None:
    """Refuse ``year`` for ``mineral`` if one of its ``table`` products with BACI trade has no
    quantities.csv output rows then: the product cannot be left out, since its input's market
    would count the output it uses as final demand (lithium hydroxide: decision 0073)."""
    q = params["quantities"]
    for product in table_products(mineral):
        rows = q[(q["product"] == product.id) & (q["measure"] == "production")]
        years = sorted(set(rows["year"].astype(int)))
        if product.trade and year not in years:
            raise UnknownChoiceError(f"world.year for {mineral} (quantities.csv has {product.id} output for {years} "
                                     "only; decision 0073)", year, years)


def _site_supply(final: ChainProduct, mine: ChainProduct, mined: pd.Series, a: float, year: int,
                 prov: list[dict]) -> tuple[pd.Series, pd.Series]:
    """Country mine output split into the mining product and ``final`` supplied at the mine site
    (``final.site_supply`` deposits, e.g. brine sold as carbonate; decision 0073): (mine output
    left, site supply in units of ``final``, ``a`` units of mine output each)."""
    share = feed.type_share(final.site_supply, year, mined)
    mined = mined[mined > 0]
    site = mined * share
    kept = mined - site
    for iso3, s in share[share > 0].items():
        prov.append({"what": f"{final.id} from {final.site_supply.lower()} {iso3} {year}: {s:.4g} of mine output "
                     f"({site[iso3]:g} {mine.unit}) supplied at the site, {site[iso3] / a:g} {final.unit}",
                     "source": "busch_2024_lithium", "table": "lithium_deposits: production rates by resource_type"})
    return kept[kept > 0], (site / a)[site > 0]


def _with_supply(country_out: dict[str, pd.Series], country_supply: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """Country output plus supply that uses no input, per product (for choosing regions)."""
    return {pid: out.add(country_supply[pid], fill_value=0.0) if pid in country_supply else out
            for pid, out in country_out.items()}


def _from_table(mineral: str, year: int, params: dict[str, pd.DataFrame], country_out, country_use, gross, coefs,
                ref_price, freight, prov, trade: pd.DataFrame, route_out: list[pd.DataFrame]) -> list[ChainProduct]:
    """The ``table`` products of ``mineral`` (quantities.csv, price_points.csv), added to the country
    figures in place; none if quantities.csv has no rows for ``year`` (provenance says so). A
    product with BACI codes takes its trade from BACI (:func:`_table_year` refuses years without
    its output rows)."""
    items = table_products(mineral)
    if not items:
        return []
    q = params["quantities"]
    rows = q[(q["mineral"] == mineral) & (q["year"].astype(int) == year)]
    if rows.empty:
        years = sorted(set(q.loc[q["mineral"] == mineral, "year"].astype(int)))
        prov.append({"what": f"{', '.join(p.id for p in items)}: not modelled in {year}", "source": "critmin",
                     "table": f"quantities.csv has rows for {years} only"})
        return []
    for product in items:
        mine = rows[rows["product"] == product.id]
        made = mine[mine["measure"] == "production"]
        if made.empty:
            raise DataError(f"quantities.csv: no production rows for {product.id} in {year}")
        out = made.groupby("region")["value"].sum().astype(float)
        country_out[product.id] = out
        exports = mine[(mine["measure"] == "exports") & (mine["partner"] != "WLD")]
        pid = f"{product.price_parameter}_{year}"
        if product.trade:
            gross[product.id] = _trade(trade, product, year, parameter(params, "price_points", pid), params)
            prov.append({"what": f"{product.id} trade {year}", "source": "cepii_baci",
                         "table": "trade: " + ", ".join(c.hs6 for c in product.trade)})
        elif not exports.empty:
            gross[product.id] = pd.DataFrame({"origin": exports["region"].to_numpy(),
                                              "destination": exports["partner"].to_numpy(),
                                              "quantity": exports["value"].astype(float).to_numpy()})
        for r in pd.concat([made, exports]).itertuples(index=False):
            where = r.region if r.measure == "production" else f"{r.region}->{r.partner}"
            prov.append({"what": f"{product.id} {r.measure} {where} {year} = {r.value:g} {r.unit}", "source": r.source,
                         "table": f"quantities.csv: {r.parameter}"})
        ref_price[product.id] = parameter(params, "price_points", pid)
        row = params["price_points"].set_index("parameter").loc[pid]
        prov.append({"what": f"price {product.id} {year} = {row['value']:g} {row['unit']}", "source": row["source"],
                     "table": f"price_points.csv: {pid}"})
        freight[product.id] = parameter(params, "trade_costs", product.freight_parameter)
        if product.inputs:
            coefs[product.id] = coefficient(params, product)
            default = out
            for r, coef, made in _route_output(product, year, params):
                default = default.drop(made.index)
                _check_route_margin(product, r, coef, ref_price, params, prov)
                route_out.append(pd.DataFrame({"iso3": made.index, "product": product.id, "input": r.input,
                                               "coefficient": coef, "processing": made.to_numpy()}))
                _add_use(country_use, r.input, made * coef)
            for inp, a in coefs[product.id].items():
                _add_use(country_use, inp, default * a)
    return list(items)


def _add_use(country_use: dict[str, pd.Series], product: str, use: pd.Series) -> None:
    country_use[product] = use if product not in country_use else country_use[product].add(use, fill_value=0.0)


def _check_route_margin(product: ChainProduct, r: Route, coef: float, ref_price: dict[str, float],
                        params: dict[str, pd.DataFrame], prov: list[dict]) -> None:
    """The route's margin at exporters' prices must be its conversion_costs.csv row (decision 0083)."""
    margin = ref_price[product.id] - coef * ref_price[r.input]
    listed = parameter(params, "conversion_costs", r.margin_parameter)
    if abs(margin - listed) > r.margin_tolerance:
        raise DataError(f"conversion_costs.csv: {r.margin_parameter} is {listed:g} but {product.id} made from {r.input} in "
                        f"{', '.join(r.countries)} earns {margin:.6g} at exporters' prices ({ref_price[product.id]:g} - "
                        f"{coef:.6g} x {ref_price[r.input]:.6g}); update the row or the prices")
    prov.append({"what": f"{product.id} from {r.input} in {', '.join(r.countries)}: {coef:.6g} {r.input} per unit "
                 f"(1 / ({' x '.join(r.via)})); margin at exporters' prices {margin:.6g}, conversion_costs.csv "
                 f"{r.margin_parameter} {listed:g}", "source": "critmin derivation (decision 0083)",
                 "table": f"input_coefficients.csv: {', '.join(r.via)}; conversion_costs.csv: {r.margin_parameter}"})


def _shares(country_out, country_use, gross) -> pd.DataFrame:
    """Country shares of world output, input use and apparent consumption, for region selection."""
    parts = []
    for pid, out in country_out.items():
        parts.append(pd.DataFrame({"iso3": out.index, "share": (out / out.sum()).to_numpy()}))
        if pid in gross:
            g = gross[pid]
            where = out.index.union(pd.Index(g["origin"].unique())).union(pd.Index(g["destination"].unique()))
            cons = fl.balance(out.reindex(where, fill_value=0.0), fl.net_pairs(g)).clip(lower=0)
            parts.append(pd.DataFrame({"iso3": cons.index, "share": (cons / cons.sum()).to_numpy()}))
    for pid, use in country_use.items():
        parts.append(pd.DataFrame({"iso3": use.index, "share": (use / use.sum()).to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def _regions(spec_regions, country_out, country_use, gross, members) -> dict[str, str]:
    """Country code -> model region for every country appearing in the data."""
    countries = set()
    for s in list(country_out.values()) + list(country_use.values()):
        countries |= set(s.index)
    for g in gross.values():
        countries |= set(g["origin"]) | set(g["destination"])
    table = load("regions")
    known = set(table.loc[table["kind"] == "country", "iso3"])  # not EUU/ROW/WLD: they hold no country data
    kept = rg.choose(spec_regions, _shares(country_out, country_use, gross), known)
    return rg.assign(countries | set(kept), kept, members)


def _final_demand(pid: str, apparent: pd.Series, use: pd.Series, prov: list[dict]) -> pd.Series:
    """Final demand: apparent consumption less input use. A region whose processors use more than
    its apparent consumption (BACI's mixed baskets, valued at the product's price, miss part of its
    imports) imports the shortfall; other regions' final demand gives it up pro rata, so world
    final demand stays world supply less world input use (decision 0046)."""
    short = (use - apparent).clip(lower=0.0)
    room = (apparent - use).clip(lower=0.0)
    if float(short.sum()) <= 0.0:
        return room
    if float(short.sum()) >= float(room.sum()):
        raise DataError(f"{pid}: input use exceeds world supply less use elsewhere ({float(short.sum()):.6g} short, "
                        f"{float(room.sum()):.6g} final demand)")
    where = ", ".join(f"{r} {v:.6g}" for r, v in short[short > 0].items())
    prov.append({"what": f"{pid} final demand: apparent consumption less input use; input use above apparent consumption "
                 f"({where}) imported, other regions' final demand cut pro rata by {float(short.sum() / room.sum()):.4g}",
                 "source": "critmin", "table": "trade (BACI) and input coefficients"})
    return room * (1.0 - float(short.sum()) / float(room.sum()))


def _aggregate(year, products, mapping, members, country_out, country_supply, country_use, gross, preferred, coefs,
               ref_price, freight, prov) -> Observed:
    """Country figures -> region figures, net/reconciled/forest flows and regional prices."""
    region_ids = sorted(set(mapping.values()), key=lambda r: (r in rg.GROUP_NAMES, r))
    names = load("regions").set_index("iso3")["name"].to_dict()
    region_names = {r: rg.GROUP_NAMES.get(r, names.get(r, r)) for r in region_ids}
    idx = pd.Index(region_ids)

    def to_regions(series: pd.Series) -> pd.Series:
        return series.groupby(series.index.map(mapping)).sum().reindex(idx, fill_value=0.0)

    rows, trade_rows, flow_rows, price_rows, recon_rows = [], [], [], [], []
    for product in products:
        pid = product.id
        is_mine = not product.inputs
        made = to_regions(country_out[pid])  # mine production or processing output
        extra = to_regions(country_supply[pid]) if pid in country_supply else pd.Series(0.0, index=idx)
        output = made + extra
        use = to_regions(country_use[pid]) if pid in country_use else pd.Series(0.0, index=idx)
        if pid in gross:
            g = gross[pid].assign(origin=gross[pid]["origin"].map(mapping), destination=gross[pid]["destination"].map(mapping))
            g = g.dropna()
            net = fl.net_pairs(g)
            net = net[net["quantity"] >= MIN_FLOW * float(output.sum())]  # below reporting relevance
            net, removed = fl.reconcile(output, net)
            cons = fl.balance(output, net).reindex(idx, fill_value=0.0)
            if pid in country_use:
                cons = _final_demand(pid, cons, use, prov)
            cons[cons < TINY * float(output.sum())] = 0.0  # reconciliation leaves rounding dust
            position = output - use - cons
            trade_rows.append(net.assign(product=pid))
            recon_rows.append(pd.DataFrame({"product": pid, "region": removed.index, "removed": removed.to_numpy()}))
        else:
            cons = pd.Series(0.0, index=idx)
            position = output - use
            pref = preferred.get(pid, pd.DataFrame(columns=["origin", "destination", "quantity"]))
            net = fl.net_pairs(pref.assign(origin=pref["origin"].map(mapping), destination=pref["destination"].map(mapping)))
        flows = fl.forest(position, net)
        flow_rows.append(flows.assign(product=pid))
        tau = freight[pid]
        p0 = ref_price[pid]
        price = pd.Series(p0, index=idx)
        price[position < -fl.EPS * max(float(output.sum()), 1.0)] = p0 * (1.0 + tau)
        price_rows.append(pd.DataFrame({"region": idx, "product": pid, "price": price.to_numpy()}))
        rows.append(pd.DataFrame({
            "region": idx, "product": pid,
            "production": made.to_numpy() if is_mine else extra.to_numpy(),
            "processing": 0.0 if is_mine else made.to_numpy(),
            "input_use": use.to_numpy(), "consumption": cons.to_numpy()}))
    quantities = pd.concat(rows, ignore_index=True)
    prices = pd.concat(price_rows, ignore_index=True)
    cols = ["product", "origin", "destination", "quantity"]
    return Observed(
        year=year, products=products, regions=region_ids, region_names=region_names, mapping=mapping,
        blocs=rg.region_blocs(mapping, members), quantities=quantities,
        trade=pd.concat(trade_rows, ignore_index=True)[cols] if trade_rows else pd.DataFrame(columns=cols),
        flows=pd.concat(flow_rows, ignore_index=True)[cols], prices=prices, reference_price=ref_price,
        freight=freight, coefficients=coefs,
        reconciliation=pd.concat(recon_rows, ignore_index=True) if recon_rows else pd.DataFrame(columns=["product", "region", "removed"]),
        provenance=prov,
    )


def _region_routes(route_out: list[pd.DataFrame], mapping: dict[str, str]) -> pd.DataFrame:
    """Route output by model region (countries of one region on one route add up)."""
    if not route_out:
        return pd.DataFrame(columns=ROUTE_COLUMNS)
    rows = pd.concat(route_out, ignore_index=True)
    rows = rows.assign(region=rows["iso3"].map(mapping))
    out = rows.groupby(["region", "product", "input", "coefficient"], sort=True)["processing"].sum().reset_index()
    return out[out["processing"] > 0][ROUTE_COLUMNS].reset_index(drop=True)


def _check_margins(products, prices, coefs, routes: pd.DataFrame) -> None:
    """Processing must earn a positive margin at observed prices, or no curve can pass there (on
    the product's recipe everywhere, and on each route where it runs)."""
    p = prices.set_index(["region", "product"])["price"]
    for product in products:
        for inp, a in coefs.get(product.id, {}).items():
            margin = p.xs(product.id, level="product") - a * p.xs(inp, level="product")
            if (margin <= 0).any():
                region = margin.idxmin()
                raise DataError(f"{product.id}: processing margin in {region} is {margin.min():.4g} at observed prices")
    for r in routes.itertuples(index=False):
        margin = p[(r.region, r.product)] - r.coefficient * p[(r.region, r.input)]
        if margin <= 0:
            raise DataError(f"{r.product}: processing margin from {r.input} in {r.region} is {margin:.4g} at observed prices")
