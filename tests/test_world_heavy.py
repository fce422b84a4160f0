"""Dysprosium oxide, terbium oxide and NdFeB magnets in the calibrated world (decision 0045).

Every expected number is recomputed by hand from the figures the parameter rows quote (the
source is named beside each), so a mistyped row or a changed derivation fails here.
"""

from __future__ import annotations

import json

import pytest
from cli_helpers import run_cli

from critmin.data import load
from critmin.world import build_world
from critmin.world.fit import CHECKED, TOLERANCE
from critmin.world.parameters import load_parameters, parameter

HEAVY = ("dy_oxide", "tb_oxide", "ndfeb_magnet")


@pytest.fixture(scope="module")
def tables():
    return load_parameters()


@pytest.fixture(scope="module")
def world():
    return build_world({"year": 2024, "minerals": ["rare_earths"]})


def q(tables, name: str) -> float:
    return parameter(tables, "quantities", name)


def test_magnet_output_outside_china_follows_from_the_iea_share(tables):
    # IEA: China makes 94 % of permanent magnets (embedded stage_shares); Argus/Acrei: China 300,000 t.
    shares = load("stage_shares")
    china = float(shares.query("mineral == 'rare_earths' and stage == 'components' and iso3 == 'CHN'")["share"].iloc[0])
    assert china == 0.94
    assert q(tables, "ndfeb_magnet_production_chn_2024") == 300_000
    assert q(tables, "ndfeb_magnet_production_jpn_2024") == pytest.approx(300_000 * (1 - china) / china, abs=0.005)


def test_magnet_exports_by_destination_add_up_to_the_customs_total(tables):
    # Adamas (China customs): 58,152 t in 2024; Metalnomist: Germany, Korea, US 42 % (Jan-Aug 2024);
    # mineralprices.com 2020 volumes split the three: 5,488.4 / 4,923.8 / 3,721.5 t.
    total = q(tables, "ndfeb_magnet_exports_chn_wld_2024")
    assert total == 58_152
    three = 0.42 * total
    split = {"deu": 5_488.4, "usa": 4_923.8, "kor": 3_721.5}
    for dest, v2020 in split.items():
        assert q(tables, f"ndfeb_magnet_exports_chn_{dest}_2024") == pytest.approx(three * v2020 / sum(split.values()), abs=0.5)
    assert q(tables, "ndfeb_magnet_exports_chn_row_2024") == pytest.approx(0.58 * total, abs=0.5)
    t = tables["quantities"]
    rows = t[(t["product"] == "ndfeb_magnet") & (t["measure"] == "exports") & (t["partner"] != "WLD")]
    assert rows["value"].sum() == pytest.approx(total, abs=1e-9)


def test_dy_and_tb_per_magnet_charge_all_output_to_magnets_within_published_contents(tables):
    world_magnets = q(tables, "ndfeb_magnet_production_chn_2024") + q(tables, "ndfeb_magnet_production_jpn_2024")
    a_dy = parameter(tables, "input_coefficients", "dy_oxide_per_magnet_2024")
    a_tb = parameter(tables, "input_coefficients", "tb_oxide_per_magnet_2024")
    # Argus: about 3,500 t Dy oxide and 650 t Tb oxide made in China in 2024.
    assert a_dy * world_magnets == pytest.approx(3_500, rel=1e-7)
    assert a_tb * world_magnets == pytest.approx(650, rel=1e-7)
    # The average lies inside the composition ranges: Dy 0.6-1.2 % (Courage Magnet) as oxide;
    # Tb 0-1 % (tb_share_ndfeb) x Tb4O7/4Tb = 1 + 7 x 15.999 / (4 x 158.925) = 1.1762.
    row = tables["input_coefficients"].set_index("parameter").loc["dy_oxide_per_magnet"]
    assert row["low"] <= a_dy <= row["high"]
    assert parameter(tables, "input_coefficients", "tb_oxide_per_metal") == pytest.approx(1 + 7 * 15.999 / (4 * 158.925), abs=5e-5)
    assert 0 < a_tb <= 0.01 * 1.1762


def test_reference_prices_recompute_from_the_quoted_figures(tables):
    pp = tables["price_points"].set_index("parameter")
    # Argus 2024 averages ex-works China: Dy 1,837 and Tb 5,789 yuan/kg, at Argus' 392 yuan = $53.60.
    assert pp.loc["dy_oxide_exw_china_2024_avg", "value"] == 1_837_000
    assert pp.loc["dy_oxide_reference_2024", "value"] == pytest.approx(1_837_000 * 53.60 / 392, abs=0.5)
    assert pp.loc["tb_oxide_reference_2024", "value"] == pytest.approx(5_789_000 * 53.60 / 392, abs=0.5)
    # Adamas: 2.86 bn USD for 58,152 t of magnets exported.
    assert pp.loc["ndfeb_magnet_reference_2024", "value"] == pytest.approx(2.86e9 / 58_152, abs=0.5)
    # Fastmarkets fob China 2024 quotes bound the averages: Dy $220-380/kg, Tb $730-1,100/kg.
    assert (pp.loc["dy_oxide_reference_2024", "low"], pp.loc["dy_oxide_reference_2024", "high"]) == (220_000, 380_000)
    assert (pp.loc["tb_oxide_reference_2024", "low"], pp.loc["tb_oxide_reference_2024", "high"]) == (730_000, 1_100_000)


def test_world_has_the_products_linked_and_fitted(world):
    products = {p["id"]: p for p in world.market["products"]}
    assert set(HEAVY) <= set(products)
    # decision 0046: magnets take NdPr oxide (0.3513 t/t, ndpr_oxide_per_magnet) with Dy and Tb oxide
    assert products["ndfeb_magnet"]["inputs"] == pytest.approx(
        {"ndpr_oxide": 0.3513, "dy_oxide": 3_500 / 319_148.94, "tb_oxide": 650 / 319_148.94}, rel=1e-6)
    qty = world.observed.quantities.set_index(["region", "product"])
    assert qty.loc[("CHN", "dy_oxide"), "production"] == 3_500
    assert qty.loc[("CHN", "ndfeb_magnet"), "processing"] == 300_000
    assert qty.loc[("CHN", "ndfeb_magnet"), "consumption"] == pytest.approx(300_000 - 58_152, rel=1e-12)
    # China uses 300,000 x 3,500 / 319,148.94 t of Dy oxide; Japan imports the rest.
    flows = world.observed.flows.set_index(["product", "origin", "destination"])["quantity"]
    assert flows[("dy_oxide", "CHN", "JPN")] == pytest.approx(3_500 * 19_148.94 / 319_148.94, rel=1e-6)
    cal = world.calibration
    rows = cal[cal["product"].isin(HEAVY) & cal["kind"].isin(CHECKED)]
    assert set(rows["kind"]) == {"production", "processing", "consumption", "flow", "price"}
    assert rows["relative"].abs().max() <= TOLERANCE
    assert world.result.price("CHN", "ndfeb_magnet") == pytest.approx(49_181, rel=1e-6)


def test_sources_name_every_quantity_and_price_row(world):
    tables = set(world.sources()["table"])
    t = load_parameters()["quantities"]
    used = t[(t["year"] == 2024) & ((t["measure"] == "production") | (t["partner"] != "WLD"))]["parameter"]
    assert {f"quantities.csv: {pid}" for pid in used} <= tables
    assert {f"price_points.csv: {p}_reference_2024" for p in HEAVY} <= tables
    by_product = world.products().set_index("product")
    assert "Adamas" in by_product.loc["ndfeb_magnet", "sources"] and "Argus" in by_product.loc["dy_oxide", "sources"]


def test_years_without_quantities_leave_the_products_out_and_say_so():
    w = build_world({"year": 2023, "minerals": ["rare_earths"]})
    assert [p["id"] for p in w.market["products"]] == ["re_concentrate", "ndpr_oxide"]
    note = w.sources().query("what.str.contains('not modelled in 2023')", engine="python")
    assert len(note) == 1 and "[2024]" in note["table"].iloc[0]


def test_cli_world_lists_the_new_products_with_sources(capsys):
    code, out, _ = run_cli(capsys, "world", "--minerals", "rare_earths", "--json", "-")
    assert code == 0
    sources = json.loads(out)["sources"]
    assert any(r["table"] == "quantities.csv: ndfeb_magnet_production_chn_2024" for r in sources)
    code, out, _ = run_cli(capsys, "world", "--minerals", "rare_earths")
    assert code == 0 and "products: world output" in out
    assert all(pid in out for pid in HEAVY)


@pytest.mark.parametrize("horizon", ["short", "long"])
@pytest.mark.parametrize("bound", ["inelastic", "elastic"])
def test_every_elasticity_bound_gives_a_unique_fitted_world(horizon, bound):
    # Dy and Tb are used only jointly by magnets: with both outputs fixed (elasticity 0) the split
    # of the magnet margin between their prices would be indeterminate, so the world's own rows
    # (dy_tb_oxide) keep the low end at 0.05 (short) and 0.3 (long); the fit must hold at every end.
    w = build_world({"year": 2024, "minerals": ["rare_earths"], "elasticities": {"horizon": horizon, "bound": bound}})
    used = w.elasticities.value(next(p for p in w.observed.products if p.id == "tb_oxide"), "supply", "CHN")
    expected = {("short", "inelastic"): 0.05, ("short", "elastic"): 0.3, ("long", "inelastic"): 0.3, ("long", "elastic"): 1.5}
    assert used == expected[(horizon, bound)]
    cal = w.calibration
    assert cal[cal["kind"].isin(CHECKED)]["relative"].abs().max() <= TOLERANCE
