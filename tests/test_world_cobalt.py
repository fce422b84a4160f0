"""Cobalt in the world model (decisions 0076-0078): mine output -> refined cobalt, calibrated to
2024, and the Congo (Kinshasa) export quota of 2026-2027 on that world.

Numbers come from the embedded dataset (USGS MCS 2026 mine output and prices, CEPII BACI trade)
and the parameter rows named in each test; hand computations are written out.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

import critmin
from critmin.data import load
from critmin.errors import UnknownChoiceError
from critmin.policies import compile_policies, engine_scenario
from critmin.world import build_world, fit
from critmin.world.build import expand
from critmin.world.parameters import load_parameters, parameter
from critmin.world.routes import routes as load_routes

ROOT = Path(__file__).resolve().parents[1]
QUOTA = ROOT / "scenarios" / "drc-cobalt-quota-2026.yaml"
LB = 0.45359237  # kg per lb


@pytest.fixture(scope="module")
def world():
    return build_world({"year": 2024, "minerals": ["cobalt"]})


@functools.cache
def quota_run():
    data = yaml.safe_load(QUOTA.read_text(encoding="utf-8"))
    expanded, world = expand(data, source=str(QUOTA))
    compiled = compile_policies(expanded, world.result, source=str(QUOTA))
    return critmin.solve(engine_scenario(compiled)), world


def price(result, region, product):
    p = result.prices
    return float(p[(p["region"] == region) & (p["product"] == product)]["price"].iloc[0])


def test_calibration_reproduces_usgs_mine_output_by_country(world):
    # USGS MCS 2026 cobalt.json world_production, 2024 (t Co): every country row lands in its region
    prod = load("production")
    rows = prod[(prod["mineral"] == "cobalt") & (prod["stage"] == "mining") & (prod["year"] == 2024)]
    by_region = rows.assign(region=rows["iso3"].map(world.observed.mapping)).groupby("region")["quantity"].sum()
    cal = world.calibration
    mine = cal[(cal["kind"] == "production") & (cal["product"] == "cobalt_mine")].set_index("region")
    for region, tonnes in by_region.items():
        assert mine.loc[region, "model"] == pytest.approx(tonnes, rel=1e-9)
    assert mine.loc["COD", "model"] == pytest.approx(226_000, rel=1e-9)  # Congo (Kinshasa), USGS
    assert mine["model"].sum() == pytest.approx(301_590, rel=1e-9)  # sum of the USGS country rows
    checked = cal[cal["kind"].isin(fit.CHECKED)]
    assert checked["relative"].abs().max() <= fit.TOLERANCE


def test_refined_output_follows_the_documented_routes(world):
    # refining_routes.csv (decisions 0076, 0084): Congo (less Kokkola's feed), Indonesia, the Philippines, PNG,
    # Turkey, China and the USGS 'other countries' are refined in China; 0.04576 of Congo's output in Finland
    # (Kokkola); Cuba (Sherritt) and the USA (Eagle) in Canada; 0.4595 of Canada's in Norway (Nikkelverk), the
    # rest at home; Australia, Madagascar and Russia refine their own; 1.05 t mined Co per t refined
    cal = world.calibration
    refined = cal[(cal["kind"] == "processing") & (cal["product"] == "refined_cobalt")].set_index("region")["model"]
    china = (226_000 * 0.95424 + 35_000 + 3_100 + 2_630 + 2_200 + 2_000 + 7_780) / 1.05
    assert refined["CHN"] == pytest.approx(china, rel=1e-9)
    assert refined["FIN"] == pytest.approx(226_000 * 0.04576 / 1.05, rel=1e-9)  # 9,849.3 t, Finland's own region
    # Canada (0.5405 of 3,350 t + Cuba + USA), Norway and Australia fall in REST_FORGE in a cobalt-only world
    forge = (3_350 * 0.5405 + 3_450 + 200 + 3_350 * 0.4595 + 4_780) / 1.05
    assert refined["REST_FORGE"] == pytest.approx(forge, rel=1e-9)
    assert refined["RUS"] == pytest.approx(8_000 / 1.05, rel=1e-9)
    assert refined.sum() == pytest.approx(301_590 / 1.05, rel=1e-9)
    assert refined["CHN"] / refined.sum() == pytest.approx(0.8898, abs=5e-5)  # China's share in the model (0.924 before 0084)
    assert refined.get("COD", 0.0) == 0.0 and refined.get("IDN", 0.0) == 0.0


def test_refiners_abroad_are_sized_from_baci():
    # decision 0084: Finland's refined output = its 2024 BACI exports of HS 810510 + 282200 at the LME price
    # (257,096 thousand USD -> 9,849 t), fed from Congo; Norway's feed = its 2024 BACI imports of HS 810510 from
    # Canada at the LME price (40,181 thousand USD -> 1,539 t), a share of Canada's 3,350 t mine output (USGS)
    lme = 11.84 / LB * 1000
    t = load("trade")
    t = t[(t["year"] == 2024) & t["hs6"].isin(["810510", "282200"])]
    fin = t.loc[t["exporter"] == "FIN", "value_kusd"].sum() * 1000 / lme
    assert fin == pytest.approx(9_849.4, abs=0.1)
    nor = t[t["importer"] == "NOR"]
    from_can = nor.loc[nor["exporter"] == "CAN", "value_kusd"].sum()
    assert from_can / nor["value_kusd"].sum() == pytest.approx(0.9954, abs=1e-4)  # Canada supplies Norway's feed
    rows = load_routes().set_index(["mineral", "origin", "destination"])["share"]
    assert rows[("cobalt", "COD", "FIN")] == pytest.approx(fin * 1.05 / 226_000, abs=5e-6)
    assert rows[("cobalt", "CAN", "NOR")] == pytest.approx(from_can * 1000 / lme / 3_350, abs=5e-5)
    assert rows[("cobalt", "COD", "CHN")] + rows[("cobalt", "COD", "FIN")] == pytest.approx(1.0, abs=1e-12)
    assert rows[("cobalt", "CAN", "CAN")] + rows[("cobalt", "CAN", "NOR")] == pytest.approx(1.0, abs=1e-12)
    # Jervois Finland, one of Kokkola's two refiners, sold 1,239 + 1,163 + 1,354 t in Q1-Q3 2024 (full year
    # guidance 5,100-5,400 t): the BACI-sized output leaves room for Umicore's refinery next door
    assert 1_239 + 1_163 + 1_354 < 5_400 < fin


def test_routes_agree_with_baci_intermediate_and_metal_grade_exports():
    # BACI 2024: Congo's cobalt exports (HS 810510 + 282200) go to China (92% of value) at intermediate unit
    # values; Canada, Australia and Madagascar export metal-grade cobalt (unit value above the LME price), which
    # is why the routes refine their output at home
    lme = 11.84 / LB * 1000  # USGS MCS 2026, LME cash 2024, USD/lb -> USD/t
    t = load("trade")
    t = t[(t["year"] == 2024) & t["hs6"].isin(["810510", "282200"])]
    cod = t[t["exporter"] == "COD"]
    assert cod.loc[cod["importer"] == "CHN", "value_kusd"].sum() / cod["value_kusd"].sum() == pytest.approx(0.9225, abs=1e-3)
    assert cod["value_kusd"].sum() * 1000 / cod["quantity_t"].sum() < 0.4 * lme
    for exporter in ("CAN", "AUS", "MDG"):
        rows = t[(t["exporter"] == exporter) & (t["hs6"] == "810510")]
        assert rows["value_kusd"].sum() * 1000 / rows["quantity_t"].sum() > lme


def test_prices_and_refining_margin_from_their_rows(world):
    params = load_parameters()
    lme = 11.84 / LB * 1000  # 26,102.73 USD/t
    obs = world.observed
    assert obs.reference_price["refined_cobalt"] == pytest.approx(lme, rel=1e-6)
    # payable (conversion_costs.csv): BACI 2024 COD->CHN HS 810510 unit value / 0.30 t Co per t / LME
    t = load("trade")
    rows = t[(t["year"] == 2024) & (t["hs6"] == "810510") & (t["exporter"] == "COD") & (t["importer"] == "CHN")]
    payable = rows["value_kusd"].sum() * 1000 / rows["quantity_t"].sum() / 0.30 / lme
    assert parameter(params, "conversion_costs", "cobalt_hydroxide_payable_2024") == pytest.approx(payable, abs=5e-5)
    margin = lme * (1 - 1.05 * 0.6138)
    assert parameter(params, "conversion_costs", "cobalt_refining_margin_2024") == pytest.approx(margin, abs=0.01)
    # mined cobalt at exporters is the hydroxide price: (LME - margin) / 1.05 = payable x LME = 16,022 USD/t Co
    assert obs.reference_price["cobalt_mine"] == pytest.approx(0.6138 * lme, rel=1e-6)  # margin stored to 0.01 USD


def test_reconciliation_removes_congo_intermediates_counted_as_refined(world):
    # Congo refines nothing in the model, so its HS 810510 + 282200 exports (3,273.0 million USD, valued at the
    # LME price: 125,391 t) are mine-stage intermediates and reconciliation removes them from refined trade
    rec = world.observed.reconciliation.set_index(["product", "region"])["removed"]
    assert rec[("refined_cobalt", "COD")] == pytest.approx(3_273_042.921e3 / (11.84 / LB * 1000), rel=1e-3)


def test_cobalt_in_a_year_without_its_margin_is_a_clear_error():
    with pytest.raises(UnknownChoiceError, match=r"world.year for cobalt .*2024.* only.*2023"):
        build_world({"year": 2023, "minerals": ["cobalt"]})


def test_quota_scenario_solves_certified_and_binds():
    result, world = quota_run()
    assert result.residual <= result.tolerance
    quota = result.policies[result.policies["kind"] == "export_quota"].iloc[0]
    assert bool(quota["binding"]) and quota["quantity"] == pytest.approx(96_600, rel=1e-12)  # USGS MCS 2026: up to 96,600 t Co
    flows = result.flows
    out = flows[(flows["product"] == "cobalt_mine") & (flows["origin"] == "COD") & (flows["destination"] != "COD")]
    assert out["quantity"].sum() == pytest.approx(96_600, rel=1e-8)
    # the rent per tonne is the price gap on the used arc less its transport cost (closed form of a binding quota)
    cost = next(t["cost"] for t in world.market["transport"]
                if (t["product"], t["origin"], t["destination"]) == ("cobalt_mine", "COD", "CHN"))
    gap = price(result, "CHN", "cobalt_mine") - cost - price(result, "COD", "cobalt_mine")
    assert quota["rent"] == pytest.approx(96_600 * gap, rel=1e-8) and quota["rent"] > 0


def test_quota_raises_prices_outside_congo_and_lowers_them_inside():
    result, world = quota_run()
    base = world.result
    for region in world.observed.regions:
        if region != "COD":
            assert price(result, region, "refined_cobalt") > price(base, region, "refined_cobalt")
            assert price(result, region, "cobalt_mine") > price(base, region, "cobalt_mine")
    assert price(result, "COD", "cobalt_mine") < price(base, "COD", "cobalt_mine")
    welfare = result.welfare.set_index(["level", "id"])
    assert welfare.loc[("region", "COD"), "quota_rent"] > 0  # the rent is reported and accrues to Congo


def test_sources_name_the_routes_evidence(world):
    # world.sources() names every source behind the cobalt refining routes, not a blanket assumption
    row = world.sources().set_index("what").loc["refined_cobalt output location"]
    for source in ("CEPII BACI", "Sherritt", "SunSirs", "Darton Commodities", "critmin assumption", "Jervois", "Nikkelverk"):
        assert source in row["source"]
    assert row["table"] == "refining_routes.csv"


USGS_COBALT = ROOT.parent / "shared" / "data" / "usgs-mcs-2026" / "cobalt.json"


@pytest.mark.skipif(not USGS_COBALT.exists(), reason="raw USGS MCS 2026 files not present")
def test_the_quota_quoted_in_the_scenario_is_usgs_verbatim():
    import json

    quoted = ("In October, the temporary ban was replaced with export quotas of 18,125 tons of contained cobalt for the "
              "remainder of 2025, and up to 96,600 tons contained cobalt per year in 2026 and 2027, inclusive of 9,600 "
              "tons for national strategic reserves.")
    assert quoted in json.loads(USGS_COBALT.read_text())["events_trends_summary"]
    header = " ".join(l.lstrip("# ").strip() for l in QUOTA.read_text(encoding="utf-8").splitlines())
    assert quoted in header
    assert yaml.safe_load(QUOTA.read_text(encoding="utf-8"))["policies"][0]["quantity"] == 96_600
