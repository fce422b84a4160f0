"""The pipeline of supply projects: which may commit, when they produce, and at what cost.

Two sources, both with provenance per row: the packaged projects.csv (rare-earth plants from
company filings and news, cited by URL) and the embedded Busch et al. lithium deposits (every
deposit not yet producing, with its capacity, costs and the delay from decision to production).
Hard-rock deposits make concentrate (``spodumene``, t Li); brine and clay (volcano-sedimentary)
deposits sell carbonate at the site (``lithium_carbonate``, t Li2CO3 at ``lce_per_li`` t per t Li),
as the world model's brine output does (decision 0073). A ``committed`` project produces from ``earliest_start``; a ``candidate`` commits at the end of
the first period in which the price it expects reaches its incentive price (operating cost plus
capital cost times the capital recovery factor), and produces ``build_years`` later, ramping up
by ``ramp_per_year`` (decision 0053). A project produces as a flat supply entry: its operating
cost up to its capacity.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from critmin.dynamics.schema import Pipeline

COLUMNS = ["project", "product", "iso3", "region", "capacity_per_year", "unit", "operating_cost_usd_per_unit",
           "incentive_price_usd_per_unit", "status", "earliest_start", "build_years", "ramp_per_year",
           "source", "reference", "url", "estimate"]


@cache
def packaged_projects() -> pd.DataFrame:
    with resources.files("critmin.dynamics").joinpath("projects.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def crf(rate: float, years: int) -> float:
    """Capital recovery factor: the yearly payment per unit of capital at ``rate`` over ``years``."""
    return 1.0 / years if rate == 0 else rate / (1.0 - (1.0 + rate) ** (-years))


#: Model products of lithium projects: hard rock makes concentrate, other deposits carbonate (decision 0073).
LITHIUM_PRODUCTS = ("spodumene", "lithium_carbonate")


def lithium_projects(base_year: int) -> pd.DataFrame:
    """Busch et al. deposits not producing: capacity ``max_prod_rate`` (t Li/y), cost ``cost1_notax``
    (USD/t Li, 2022 USD), capital ``cost_expansion`` per t/y plus ``cost_opening`` spread over the
    capacity, build time ``delay_years``, ramp ``max_ramp_up`` per year; hard-rock deposits in t Li
    of concentrate, the others in t Li2CO3 (quantities x ``lce_per_li``, costs / ``lce_per_li``)."""
    from critmin.data import load
    from critmin.world.parameters import load_parameters, parameter

    d = load("lithium_deposits")
    d = d[(d["status"] != "Producing") & (d["max_prod_rate_kt_li_per_y"] > 0)]
    hard = (d["resource_type"] == "Hard Rock").to_numpy()
    per_li = np.where(hard, 1.0, parameter(load_parameters(), "input_coefficients", "lce_per_li"))
    cap = d["max_prod_rate_kt_li_per_y"].to_numpy(dtype=float) * 1000.0
    capital = d["cost_expansion_usd_per_t_li_per_y"].to_numpy(dtype=float) + d["cost_opening_usd"].to_numpy(dtype=float) / cap
    return pd.DataFrame({
        "project": [f"busch_{int(i)}_{str(n).strip().lower().replace(' ', '_')}" for i, n in zip(d["deposit_id"], d["deposit_name"])],
        "product": np.where(hard, LITHIUM_PRODUCTS[0], LITHIUM_PRODUCTS[1]), "iso3": d["iso3"].to_numpy(),
        "capacity_per_year": cap * per_li, "unit": np.where(hard, "t Li", "t Li2CO3"),
        "operating_cost_usd_per_unit": d["cost1_notax_usd_per_t_li"].to_numpy(dtype=float) / per_li,
        "capital_cost_usd_per_annual_unit": capital / per_li, "incentive_price_usd_per_unit": np.nan,
        "status": np.where(d["status"] == "Construction", "committed", "candidate"),
        "earliest_start": np.where(d["status"] == "Construction", base_year + d["delay_years"].to_numpy(), base_year),
        "build_years": np.where(d["status"] == "Construction", 0, d["delay_years"].to_numpy()).astype(float),
        "ramp_per_year": d["max_ramp_up_kt_li_per_y"].to_numpy(dtype=float) * 1000.0 * per_li,
        "source": d["source"].to_numpy(), "reference": d["table"].to_numpy(),
        "url": "https://github.com/pabloBuschV/Lithium_Supply_Demand_Model", "estimate": d["estimate"].to_numpy(dtype=bool),
    })


def region_of(iso3: str, regions: list[str], members: dict[str, set[str]]) -> str | None:
    """The model region of a country: itself if kept, else the world model's rest group; None if absent."""
    from critmin.world.regions import GROUPS, REST_OUT

    if iso3 in regions:
        return iso3
    group = next((g for bloc, g in GROUPS if iso3 in members.get(bloc, set())), REST_OUT)
    return group if group in regions else None


def candidates(spec: Pipeline, products: list[str], regions: list[str], base_year: int) -> pd.DataFrame:
    """Projects of ``spec.products`` that exist in the market, with their region and incentive price."""
    from critmin.data import load

    frames = [packaged_projects()]
    if set(LITHIUM_PRODUCTS) & set(spec.products):
        frames.append(lithium_projects(base_year))
    table = pd.concat(frames, ignore_index=True)
    table = table[table["product"].isin(spec.products) & table["product"].isin(products)]
    if not spec.include_estimates:
        table = table[~table["estimate"].astype(bool)]
    bm = load("bloc_members")
    members = {b: set(g["iso3"]) for b, g in bm.groupby("bloc")}
    table = table.assign(region=[region_of(c, regions, members) for c in table["iso3"]])
    table = table[table["region"].notna()].copy()
    if spec.projects:
        own = pd.DataFrame([{
            "project": p.project, "product": p.product, "iso3": p.region, "region": p.region,
            "capacity_per_year": p.capacity_per_year, "unit": "", "operating_cost_usd_per_unit": p.operating_cost,
            "capital_cost_usd_per_annual_unit": p.capital_cost_per_annual_unit,
            "incentive_price_usd_per_unit": np.nan if p.incentive_price is None else p.incentive_price,
            "status": p.status, "earliest_start": p.earliest_start, "build_years": p.build_years,
            "ramp_per_year": np.nan if p.ramp_per_year is None else p.ramp_per_year, "source": p.source,
            "reference": "scenario file", "url": "", "estimate": p.estimate} for p in spec.projects])
        table = pd.concat([table, own], ignore_index=True)
    capital = table.get("capital_cost_usd_per_annual_unit", pd.Series(np.nan, index=table.index)).fillna(0.0)
    incentive = table["operating_cost_usd_per_unit"].astype(float) + capital.astype(float) * crf(spec.return_on_capital, spec.lifetime_years)
    table["incentive_price_usd_per_unit"] = table["incentive_price_usd_per_unit"].astype(float).fillna(incentive)
    table["ramp_per_year"] = table["ramp_per_year"].astype(float).fillna(table["capacity_per_year"].astype(float))
    table["build_years"] = table["build_years"].astype(float)
    table["earliest_start"] = table["earliest_start"].astype(float)
    return table[COLUMNS].sort_values("project", kind="stable").reset_index(drop=True)


def capacity_at(capacity: np.ndarray, online: np.ndarray, ramp: np.ndarray, t: float, dt: float) -> np.ndarray:
    """Producing capacity (rate per year) in the period starting at ``t``: zero before ``online``,
    then ``ramp`` per year of operation (the first period counts in full), at most ``capacity``."""
    years = t + dt - online
    on = np.isfinite(online) & (years > 1e-9)
    return np.where(on, np.minimum(capacity, ramp * np.ceil(np.where(on, years, 0.0) - 1e-9)), 0.0)
