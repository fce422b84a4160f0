"""The packaged pipeline: lithium projects derived from the embedded Busch et al. deposits, the
rare-earth rows of projects.csv, and the growth series, each checked against its source figures."""

from __future__ import annotations

import pytest

from critmin.data import load
from critmin.dynamics.growth import growth_table
from critmin.dynamics.pipeline import candidates, crf, lithium_projects, packaged_projects
from critmin.dynamics.schema import Pipeline


def test_lithium_projects_are_the_busch_deposits_not_producing():
    d = load("lithium_deposits")
    table = lithium_projects(2024).set_index("project")
    waiting = d[(d["status"] != "Producing") & (d["max_prod_rate_kt_li_per_y"] > 0)]
    assert len(table) == len(waiting)
    row = d[d["deposit_name"] == "Rose"].iloc[0]  # Canada, status Evaluation in Busch et al.
    p = table.loc[f"busch_{int(row['deposit_id'])}_rose"]
    assert p["capacity_per_year"] == pytest.approx(row["max_prod_rate_kt_li_per_y"] * 1000)
    assert p["operating_cost_usd_per_unit"] == pytest.approx(row["cost1_notax_usd_per_t_li"])
    assert p["status"] == "candidate" and p["build_years"] == row["delay_years"]
    assert p["product"] == "spodumene" and p["unit"] == "t Li"  # hard rock (decision 0073)
    # brine deposits sell carbonate at the site: t Li x 5.323 (lce_per_li), USD per t Li / 5.323
    brine = d[(d["status"] != "Producing") & (d["max_prod_rate_kt_li_per_y"] > 0) & (d["resource_type"] == "Brine")].iloc[0]
    b = table.loc[f"busch_{int(brine['deposit_id'])}_{str(brine['deposit_name']).strip().lower().replace(' ', '_')}"]
    assert b["product"] == "lithium_carbonate" and b["unit"] == "t Li2CO3"
    assert b["capacity_per_year"] == pytest.approx(brine["max_prod_rate_kt_li_per_y"] * 1000 * 5.323)
    assert b["operating_cost_usd_per_unit"] == pytest.approx(brine["cost1_notax_usd_per_t_li"] / 5.323)
    built = d[d["status"] == "Construction"].iloc[0]
    q = lithium_projects(2024).set_index("iso3").loc[[built["iso3"]]]
    assert (q["status"] == "committed").any()


def test_incentive_price_is_operating_plus_capital_recovery():
    # CRF(8%, 20) = 0.10185 (the forge-2026 cost_plus figure)
    assert crf(0.08, 20) == pytest.approx(0.10185, abs=5e-6)
    d = load("lithium_deposits")
    row = d[d["deposit_name"] == "Rose"].iloc[0]
    regions = ["ARG", "AUS", "CAN", "CHL", "CHN", "USA", "REST_EU27", "REST_FORGE", "REST_WORLD"]
    table = candidates(Pipeline(products=["spodumene"]), ["spodumene"], regions, 2024).set_index("project")
    p = table.loc[f"busch_{int(row['deposit_id'])}_rose"]
    capital = row["cost_expansion_usd_per_t_li_per_y"] + row["cost_opening_usd"] / (row["max_prod_rate_kt_li_per_y"] * 1000)
    assert p["region"] == "CAN"
    assert p["incentive_price_usd_per_unit"] == pytest.approx(row["cost1_notax_usd_per_t_li"] + capital * crf(0.08, 20))


def test_packaged_rows_carry_sources_and_their_arithmetic():
    pr = packaged_projects().set_index("project")
    assert pr["url"].str.startswith("https://").all() and pr["source"].str.len().gt(20).all()
    # Eneabba: 17,500 t/y of rare-earth oxides over the world model's 2024 REO balance (t REO per t
    # NdPr oxide, decision 0046), so the plant draws 17,500 t REO of concentrate at capacity
    from critmin.world.parameters import load_parameters

    coef = load_parameters()["input_coefficients"].set_index("parameter").loc["treo_per_ndpr_oxide_2024", "value"]
    assert pr.loc["iluka_eneabba_refinery", "capacity_per_year"] == pytest.approx(17500 / coef, abs=0.05)
    # MP 10X: about 10,000 t/y total US magnet capacity less about 1,000 t/y in operation
    assert pr.loc["mp_materials_10x_magnets", "capacity_per_year"] == 10000 - 1000
    # Neo Narva: phase 1 of about 2,000 t/y; Estonia is grouped into REST_EU27 by the world model
    assert pr.loc["neo_narva_magnets_phase1", "capacity_per_year"] == 2000
    assert pr["estimate"].all()


def test_growth_series_rates_follow_their_published_factors():
    g = growth_table().set_index("series")
    for _, row in g.iterrows():
        years = row["to_year"] - row["from_year"]
        assert row["rate_per_year"] == pytest.approx(row["factor"] ** (1 / years) - 1, abs=5e-5)
        assert row["url"].startswith("https://") and bool(row["estimate"])
    # IEA GCMO 2025 base case: rare earths +45% 2024-2030
    assert g.loc["iea_gcmo2025_base_rare_earths", "factor"] == 1.45


def test_brine_projects_add_carbonate_supply_at_the_site():
    # decision 0073: Argentina's brine deposits under construction (Busch et al.: status Construction, delay
    # 5 years) come online in 2029 as carbonate supply in ARG, their first-year capacity max_ramp_up x 5.323
    # t Li2CO3, at Busch's cost1_notax / 5.323 USD/t (2,872-4,408, below any price on the path), so they all
    # produce; the ARG price falls from 11,800 and ARG's calibrated curve moves down along itself.
    import numpy as np

    from critmin.dynamics import prepare, simulate
    from critmin.world import build_world

    model = prepare({"name": "li", "world": {"year": 2024, "minerals": ["lithium"]},
                     "horizon": {"start": 2024, "end": 2029, "step": "year"},
                     "pipeline": {"products": ["spodumene", "lithium_carbonate"], "expectation": "last_price"}})
    path = simulate(model, rng=np.random.default_rng(1))
    assert path.residual <= 1e-9
    d = load("lithium_deposits")
    built = d[(d["iso3"] == "ARG") & (d["status"] == "Construction") & (d["max_prod_rate_kt_li_per_y"] > 0)]
    cap = path.tables["capacity"].query("time == 2029 and region == 'ARG'")
    assert set(cap["product"]) == {"lithium_carbonate"}
    assert cap["capacity_per_year"].sum() == pytest.approx(built["max_ramp_up_kt_li_per_y"].sum() * 1000 * 5.323, rel=1e-12)
    assert sorted(cap["operating_cost"]) == pytest.approx(sorted(built["cost1_notax_usd_per_t_li"] / 5.323), rel=1e-12)
    prices, supply = path.tables["prices"], path.tables["supply"]
    key = "region == 'ARG' and product == 'lithium_carbonate'"
    assert prices.query(f"time == 2028 and {key}")["price"].iloc[0] == pytest.approx(11_800, rel=1e-9)
    p = prices.query(f"time == 2029 and {key}")["price"].iloc[0]
    assert cap["operating_cost"].max() < p < 11_800
    market = build_world({"year": 2024, "minerals": ["lithium"]}, fit=False).market  # the curves the path starts from
    curve = next(s for s in market["supply"] if s["region"] == "ARG" and s["product"] == "lithium_carbonate")
    q = supply.query(f"time == 2029 and {key}")["quantity"].iloc[0]
    assert q == pytest.approx((p - curve["intercept"]) / curve["slope"], rel=1e-9)
