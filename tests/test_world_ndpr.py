"""The NdPr oxide stage re-based on real 2024 output, and magnets made from it (decision 0046).

Expected numbers are recomputed by hand from the figures the parameter rows quote (source named
beside each): Argus (China 106,000 t NdPr oxide; 26,504 t from magnet scrap), Lynas (5,655 t,
FY2024), MP Materials (1,294 t), USGS MCS 2026 (384,000 t REO mined in 2024; NdPr 55 USD/kg).
"""

from __future__ import annotations

import pytest

from critmin.data import load
from critmin.errors import DataError
from critmin.world import build_world
from critmin.world.observed import observe
from critmin.world.parameters import load_parameters, parameter

PRIMARY = 106_000 + 5_655 + 1_294  # Argus (China), Lynas (Malaysia), MP Materials (USA), t NdPr oxide
RECYCLED = 26_504  # Argus 2678157: NdPr oxide from NdFeB magnet scrap in China, 2024
MAGNETS = 300_000 + 19_148.94  # quantities.csv: China (Argus/Acrei) + Japan (IEA share), t


@pytest.fixture(scope="module")
def tables():
    return load_parameters()


@pytest.fixture(scope="module")
def world():
    return build_world({"year": 2024, "minerals": ["rare_earths"]})


def test_ndpr_output_rows_are_the_quoted_figures(tables):
    q = tables["quantities"].set_index("parameter")["value"]
    assert (q["ndpr_oxide_production_chn_2024"], q["ndpr_oxide_production_mys_2024"],
            q["ndpr_oxide_production_usa_2024"], q["ndpr_oxide_recycling_chn_2024"]) == (106_000, 5_655, 1_294, RECYCLED)


def test_reo_balance_coefficient_recomputes_from_the_dataset(tables):
    # all reported concentrate is charged to primary NdPr: USGS world mine output / primary NdPr output
    prod = load("production")
    mined = prod.query("mineral == 'rare_earths' and stage == 'mining' and year == 2024")["quantity"].sum()
    assert mined == 384_000
    a = parameter(tables, "input_coefficients", "treo_per_ndpr_oxide_2024")
    assert a == pytest.approx(mined / PRIMARY, rel=1e-9)
    # below Mountain Pass' physical ratio (0.99 / 0.157 = 6.306): reported ore alone could not give this output
    assert a < parameter(tables, "input_coefficients", "treo_per_ndpr_oxide")
    # the separation margin on the same basis: MP Materials Q2 2024, NdPr 48 USD/kg, REO 4,183 USD/t
    margin = parameter(tables, "conversion_costs", "concentrate_to_ndpr_oxide_margin_2024")
    assert margin == pytest.approx(48_000 - a * 4_183, abs=0.01)


def test_magnets_need_less_ndpr_than_the_world_makes(tables):
    # 0.3513 t NdPr oxide per t magnet (composition, no machining scrap) x 319,148.94 t = 112,117 t,
    # against 139,453 t made; the rest (about a fifth) is final demand for other uses
    need = parameter(tables, "input_coefficients", "ndpr_oxide_per_magnet") * MAGNETS
    assert need == pytest.approx(112_117, abs=1)
    assert need < PRIMARY + RECYCLED
    assert (PRIMARY + RECYCLED - need) / (PRIMARY + RECYCLED) == pytest.approx(0.196, abs=0.001)


def test_world_separates_recycles_and_feeds_magnets(world):
    qty = world.observed.quantities.set_index(["region", "product"])
    assert qty.loc[("CHN", "ndpr_oxide"), "processing"] == 106_000
    assert qty.loc[("CHN", "ndpr_oxide"), "production"] == RECYCLED  # a supply that uses no concentrate
    assert qty.loc[("MYS", "ndpr_oxide"), "processing"] == 5_655
    assert qty.loc[("USA", "ndpr_oxide"), "processing"] == 1_294
    assert qty.loc[("CHN", "ndpr_oxide"), "input_use"] == pytest.approx(0.3513 * 300_000, rel=1e-12)
    assert qty.loc[("JPN", "ndpr_oxide"), "input_use"] == pytest.approx(0.3513 * 19_148.94, rel=1e-12)
    # concentrate used where NdPr is separated, at the balance coefficient
    a = 384_000 / PRIMARY
    assert qty.loc[("MYS", "re_concentrate"), "input_use"] == pytest.approx(5_655 * a, rel=1e-9)
    # the world's supply and processing entries for NdPr in China are both calibrated and fitted
    cal = world.calibration.query("product == 'ndpr_oxide' and region == 'CHN'").set_index("kind")
    assert cal.loc["production", "model"] == pytest.approx(RECYCLED, rel=1e-4)
    assert cal.loc["processing", "model"] == pytest.approx(106_000, rel=1e-4)
    assert world.result.price("CHN", "ndpr_oxide") == pytest.approx(55_000, rel=1e-6)


def test_magnet_margin_is_net_of_ndpr_dy_and_tb(world):
    # China's magnet processing curve passes through 49,181 - 0.3513 x 55,000 - Dy - Tb (USD/t):
    # Adamas unit value, USGS NdPr price, Argus Dy 251,182 and Tb 791,557 USD/t
    margin = 49_181 - 0.3513 * 55_000 - 3_500 / MAGNETS * 251_182 - 650 / MAGNETS * 791_557
    assert margin == pytest.approx(25_493, abs=1)
    curve = next(p for p in world.market["processing"] if p["region"] == "CHN" and p["product"] == "ndfeb_magnet")
    assert curve["intercept"] + curve["slope"] * 300_000 == pytest.approx(margin, rel=1e-6)


def test_an_ndpr_price_change_reaches_magnets(world):
    from critmin.engine import solve

    # a 25 % export tax on Chinese NdPr oxide raises Japan's NdPr and magnet prices and cuts its magnet output
    sc = world.scenario("tax", [{"kind": "export_tax", "product": "ndpr_oxide", "origin": "CHN", "ad_valorem": 0.25}])
    res, base = solve(sc, warm_start=world.result), world.result
    assert res.price("JPN", "ndpr_oxide") > base.price("JPN", "ndpr_oxide")
    assert res.price("JPN", "ndfeb_magnet") > base.price("JPN", "ndfeb_magnet")
    jpn = "region == 'JPN' and product == 'ndfeb_magnet'"
    assert res.processing.query(jpn)["quantity"].sum() < base.processing.query(jpn)["quantity"].sum()


def test_a_stale_balance_row_is_an_error(tables):
    t = {k: v.copy() for k, v in tables.items()}
    ic = t["input_coefficients"]
    ic.loc[ic["parameter"] == "treo_per_ndpr_oxide_2024", "value"] = 3.5
    with pytest.raises(DataError, match="treo_per_ndpr_oxide_2024 is 3.5 but the 2024 balance"):
        observe(2024, ["rare_earths"], "auto", t)


def test_years_without_ndpr_rows_keep_the_0023_stand_in_and_say_so():
    w = build_world({"year": 2023, "minerals": ["rare_earths"]}, fit=False)
    assert w.observed.coefficients["ndpr_oxide"]["re_concentrate"] == pytest.approx(6.306)
    what = " | ".join(w.sources()["what"])
    assert "ndpr_oxide 2023: output from shares with treo_per_ndpr_oxide (decision 0023 stand-in)" in what
