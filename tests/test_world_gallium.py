"""Primary gallium in the calibrated 2024 world (decisions 0079-0081).

Expected numbers are recomputed from the figures the parameter rows quote (the source is named
beside each) or from closed forms of the licensed market, so a mistyped row, a changed derivation
or a licence left out of the baseline fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from critmin.data import load
from critmin.engine import solve
from critmin.errors import UnknownChoiceError
from critmin.world import build_world
from critmin.world.build import expand
from critmin.world.calibrate import UNUSED_MARKUP
from critmin.world.fit import CHECKED, TOLERANCE
from critmin.world.parameters import load_parameters, parameter

RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: China's 2024 gallium exports, kg -> t: rohstoff.net, 'Im Gesamtjahr 2024 ... 69.440 Kilogramm' (Chinese customs)
EXPORTS = 69.44
#: USGS MCS 2026 gallium, salient statistics: imports for consumption, metal, 2024 = 11,000 kg
US_IMPORTS = 11.0
#: USGS MCS 2026 gallium (embedded dataset prices, gallium_metal 2024): U.S. import unit value 439 USD/kg
IMPORTERS_PRICE = 439_000.0
#: Mysteel mid-August 2024, 2,550-2,600 yuan/kg (midpoint), at Argus' 2024 rate 392 yuan = 53.60 USD
CHINA_PRICE = round(2_575_000 * 53.60 / 392, 2)  # the row is stored to the cent
BAN = {"kind": "export_ban", "product": "gallium", "origin": "CHN", "destination": "USA"}


@pytest.fixture(scope="module")
def tables():
    return load_parameters()


@pytest.fixture(scope="module")
def world():
    return build_world({"year": 2024, "minerals": ["gallium"]})


def q(tables, name: str) -> float:
    return parameter(tables, "quantities", name)


def _row(calibration, kind: str, region: str, destination: str = ""):
    c = calibration
    hit = c[(c["kind"] == kind) & (c["product"] == "gallium") & (c["region"] == region) & (c["destination"] == destination)]
    assert len(hit) == 1, (kind, region, destination)
    return hit.iloc[0]


def test_china_exports_by_destination_add_up_to_the_customs_total(tables):
    # Yomiuri Shimbun: exports to Japan "around 10 tons" under licensing; Sohu Finance: U.S. 2.9 % in 2024; the rest
    # split Germany : other as in Fastmarkets' 2022-2023 shares (Germany 35.2 %, Japan 51.4 %, other 13.4 %)
    assert q(tables, "gallium_exports_chn_wld_2024") == EXPORTS
    assert q(tables, "gallium_exports_chn_jpn_2024") == 10
    assert q(tables, "gallium_exports_chn_usa_2024") == pytest.approx(EXPORTS * 0.029, abs=1e-9)
    rest = EXPORTS - 10 - EXPORTS * 0.029
    assert q(tables, "gallium_exports_chn_deu_2024") == pytest.approx(rest * 35.2 / (100 - 51.4), abs=1e-5)
    t = tables["quantities"]
    rows = t[(t["product"] == "gallium") & (t["region"] == "CHN") & (t["measure"] == "exports") & (t["partner"] != "WLD")]
    assert sorted(rows["partner"]) == ["DEU", "JPN", "ROW", "USA"]
    assert rows["value"].sum() == pytest.approx(EXPORTS, abs=1e-9)


def test_us_imports_by_source_add_up_to_usgs(tables):
    # USGS import sources 2021-24 (metal): Canada 28, Japan 22, China 18, Germany 16, other 16 %; the non-China
    # part of the 11 t is split 22 : 16 : 44 (Canada and other in ROW)
    rest = US_IMPORTS - q(tables, "gallium_exports_chn_usa_2024")
    for origin, share in {"jpn": 22, "deu": 16, "row": 44}.items():
        assert q(tables, f"gallium_exports_{origin}_usa_2024") == pytest.approx(rest * share / 82, abs=1e-6)
    t = tables["quantities"]
    rows = t[(t["product"] == "gallium") & (t["partner"] == "USA")]
    assert rows["value"].sum() == pytest.approx(US_IMPORTS, abs=1e-9)


@pytest.mark.skipif(not (RAW / "usgs-mcs-2026" / "gallium.json").is_file(), reason="raw USGS files not present")
def test_us_imports_and_price_are_the_usgs_figures():
    data = json.loads((RAW / "usgs-mcs-2026" / "gallium.json").read_text())
    stats = {(s["section"], s["label"]): s["values"] for s in data["salient_stats"]}
    assert stats[("Imports for consumption", "Metal")]["2024"] == US_IMPORTS * 1000  # kg
    assert data["price_quotes"][0]["values"]["2024"] * 1000 == IMPORTERS_PRICE


def test_china_price_is_the_mysteel_quote_at_argus_rate(tables):
    assert parameter(tables, "price_points", "gallium_exw_china_2024_08") == 2_575_000
    assert parameter(tables, "price_points", "gallium_china_reference_2024") == pytest.approx(CHINA_PRICE, abs=0.005)
    prices = load("prices")
    row = prices[(prices["product"] == "gallium_metal") & (prices["year"] == 2024)]
    assert float(row["usd_per_t"].iloc[0]) == IMPORTERS_PRICE


def test_calibration_reproduces_usgs_production_and_china_exports(world):
    cal = world.calibration
    checked = cal[cal["kind"].isin(CHECKED)]
    assert checked["relative"].abs().max() <= TOLERANCE
    # USGS MCS 2026 world low-purity production 2024 (embedded dataset): China 839 t, Japan 3, Russia 6 (grouped)
    prod = load("production")
    usgs = prod[(prod["mineral"] == "gallium") & (prod["year"] == 2024)].set_index("iso3")["quantity"]
    assert _row(cal, "production", "CHN")["model"] == pytest.approx(usgs["CHN"], abs=1e-6) == pytest.approx(839)
    # Japan (3 t) is below the 2 % threshold in a gallium-only world and sits in REST_FORGE; Russia in REST_WORLD
    assert world.observed.mapping["JPN"] == "REST_FORGE"
    assert _row(cal, "production", "REST_FORGE")["model"] == pytest.approx(usgs["JPN"], abs=1e-6)
    assert _row(cal, "production", "REST_WORLD")["model"] == pytest.approx(usgs["RUS"], abs=1e-6)
    flows = world.result.flows
    assert flows[flows["origin"] == "CHN"]["quantity"].sum() == pytest.approx(EXPORTS, abs=1e-6)
    assert _row(cal, "consumption", "CHN")["model"] == pytest.approx(839 - EXPORTS, abs=1e-6)
    assert _row(cal, "consumption", "USA")["model"] == pytest.approx(US_IMPORTS, abs=1e-6)


def test_baseline_reproduces_the_gap_between_china_and_importers(world):
    r = world.result
    assert r.price("CHN", "gallium") == pytest.approx(CHINA_PRICE, rel=1e-9)
    for region in ("DEU", "USA", "REST_FORGE", "REST_WORLD"):
        assert r.price(region, "gallium") == pytest.approx(IMPORTERS_PRICE, rel=1e-9)
    # the licence rent is the gap less freight (1 % of China's price, freight_share_refined_products)
    quota = r.policies[r.policies["kind"] == "export_quota"].iloc[0]
    assert bool(quota["binding"]) and quota["quantity"] == pytest.approx(EXPORTS, abs=1e-6)
    assert quota["unit_value"] == pytest.approx(IMPORTERS_PRICE - 1.01 * CHINA_PRICE, rel=1e-6)
    assert r.residual <= 1e-6


def test_without_the_licence_the_observed_year_is_not_an_equilibrium(world):
    # decision 0079: strip the standing quota and trade arbitrages the gap down to freight
    free = {**world.scenario(), "policies": []}
    r = solve(free)
    freight = 0.01 * CHINA_PRICE
    assert r.price("USA", "gallium") - r.price("CHN", "gallium") == pytest.approx(freight, rel=1e-6)
    # outside demand is inelastic (-0.1), so importers' prices fall about a fifth and China exports a little more
    assert r.price("USA", "gallium") < 0.85 * IMPORTERS_PRICE
    assert r.flows[r.flows["origin"] == "CHN"]["quantity"].sum() > EXPORTS


def test_ban_on_exports_to_the_usa_raises_the_us_price(world):
    # December 2024: no licences for gallium exports to the USA, on top of the licence
    r = solve(world.scenario("ban", [BAN]))
    assert r.residual <= 1e-6
    base = world.result
    assert r.price("USA", "gallium") > base.price("USA", "gallium")
    f = r.flows
    assert f[(f["origin"] == "CHN") & (f["destination"] == "USA")]["quantity"].sum() == 0
    # the quota still binds on the other destinations, and the USA buys re-exports on arcs unused in 2024, whose cost
    # is (1 + UNUSED_MARKUP) x freight: the closed form of the U.S. price
    assert f[f["origin"] == "CHN"]["quantity"].sum() == pytest.approx(EXPORTS, abs=1e-6)
    unused = (1 + UNUSED_MARKUP) * 0.01 * CHINA_PRICE
    assert r.price("USA", "gallium") == pytest.approx(r.price("DEU", "gallium") + unused, rel=1e-9)
    assert r.price("DEU", "gallium") < base.price("DEU", "gallium")
    assert r.demand[r.demand["region"] == "USA"]["quantity"].sum() < US_IMPORTS


def test_gallium_with_other_minerals_solves_certified():
    w = build_world({"year": 2024, "minerals": ["rare_earths", "graphite", "gallium"]})
    assert w.result.residual <= 1e-6
    cal = w.calibration
    ga = cal[(cal["product"] == "gallium") & cal["kind"].isin(CHECKED)]
    assert ga["relative"].abs().max() <= TOLERANCE
    assert [p for p in w.market["policies"] if p["product"] == "gallium"][0]["kind"] == "export_quota"


def test_scenario_policies_come_after_the_licence():
    data = {"name": "ga-ban", "world": {"minerals": ["gallium"]}, "policies": [BAN]}
    merged, world = expand(data)
    assert [p["kind"] for p in merged["policies"]] == ["export_quota", "export_ban"]
    assert solve(merged).price("USA", "gallium") > world.result.price("USA", "gallium")


def test_other_years_are_a_clear_error():
    with pytest.raises(UnknownChoiceError, match=r"world\.year for the price of gallium.*2024"):
        build_world({"year": 2023, "minerals": ["gallium"]}, fit=False)


def test_ban_as_a_scenario_export_control():
    # the scenario form of the December 2024 announcement (decision 0081): export_controls, mode ban
    import critmin

    sc = critmin.load_scenario({"name": "ga-us-ban", "world": {"minerals": ["gallium"]}, "policies": [
        {"kind": "export_controls", "supplier": "CHN", "products": ["gallium"], "destinations": "USA", "mode": "ban",
         "source": "MOFCOM, early December 2024 (SMM, 2024 Gallium Market Brief Analysis)"}]})
    r = critmin.solve(sc)
    assert r.residual <= 1e-6
    unused = (1 + UNUSED_MARKUP) * 0.01 * CHINA_PRICE
    assert r.price("USA", "gallium") == pytest.approx(r.price("DEU", "gallium") + unused, rel=1e-9)
    assert r.price("USA", "gallium") > IMPORTERS_PRICE


def test_a_self_sufficient_producer_outside_china_trades_at_the_importers_price():
    # Russia (6 t, USGS) is its own region when kept (cobalt keeps it in `minerals: all`); no observed trade, so
    # it consumes its output, at the price outside China: at China's price it would export and break the fit
    w = build_world({"year": 2024, "minerals": ["gallium"], "regions": ["CHN", "DEU", "JPN", "RUS", "USA"]})
    assert w.result.price("RUS", "gallium") == pytest.approx(IMPORTERS_PRICE, rel=1e-9)
    cal = w.calibration
    assert _row(cal, "production", "RUS")["model"] == pytest.approx(6.0, abs=1e-6)
    assert cal[cal["kind"].isin(CHECKED)]["relative"].abs().max() <= TOLERANCE
