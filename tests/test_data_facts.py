"""Known figures of the embedded dataset against their published sources.

Every expected number is copied from the named raw file and table (USGS Mineral Commodity
Summaries 2026 as JSON in ../shared/data/usgs-mcs-2026/, World Mining Data in
../shared/data/world-mining-data/production_2018_2024.csv) or computed by hand from them.
"""

from __future__ import annotations

import pytest

import critmin.data as data


def _prod(mineral: str, stage: str, year: int, iso3: str) -> float:
    p = data.load("production")
    row = p[(p.mineral == mineral) & (p.stage == stage) & (p.year == year) & (p.iso3 == iso3)]
    assert len(row) == 1, (mineral, stage, year, iso3)
    return float(row["quantity"].iloc[0])


def _world(mineral: str, stage: str, year: int) -> float:
    w = data.load("world_totals")
    row = w[(w.mineral == mineral) & (w.stage == stage) & (w.year == year)]
    assert len(row) == 1
    return float(row["quantity"].iloc[0])


def test_rare_earths_mine_production_china_2025():
    # rare-earths.json, world_production "World Mine Production and Reserves", 2025e column:
    # China 270,000 t REO; World total (rounded) 390,000 t REO.
    assert _prod("rare_earths", "mining", 2025, "CHN") == 270_000
    assert _world("rare_earths", "mining", 2025) == 390_000
    assert _prod("rare_earths", "mining", 2025, "CHN") / _world("rare_earths", "mining", 2025) == pytest.approx(0.6923, abs=1e-4)


def test_rare_earths_china_share_2024():
    # rare-earths.json, world_production, 2024 column: China 270,000 of 380,000 t REO = 71.05%.
    share = _prod("rare_earths", "mining", 2024, "CHN") / _world("rare_earths", "mining", 2024)
    assert share == pytest.approx(270 / 380)
    assert share == pytest.approx(0.7105, abs=1e-4)


@pytest.mark.parametrize("year, drc, world", [(2024, 226_000, 302_000), (2025, 230_000, 310_000)])
def test_cobalt_mining_share_drc(year, drc, world):
    # cobalt.json, world_production "World Mine Production and Reserves": Congo (Kinshasa)
    # 226,000 (2024) and 230,000 (2025e) t Co of 302,000 and 310,000: 74.8% and 74.2%.
    assert _prod("cobalt", "mining", year, "COD") == drc
    assert _world("cobalt", "mining", year) == world
    assert drc / world == pytest.approx({2024: 0.7483, 2025: 0.7419}[year], abs=1e-4)


def test_gallium_refining_share_china():
    # gallium.json, "World Low-Purity Production and Production Capacity" (kilograms):
    # China 839,000 of 848,000 kg in 2024 (98.9%); shipped in metric tons.
    assert _prod("gallium", "refining", 2024, "CHN") == pytest.approx(839.0)
    assert _world("gallium", "refining", 2024) == pytest.approx(848.0)
    share = _prod("gallium", "refining", 2024, "CHN") / _world("gallium", "refining", 2024)
    assert share == pytest.approx(0.9894, abs=1e-4)
    # gallium.json events_trends_summary: "China accounted for 99% of worldwide primary
    # low-purity gallium production."
    assert round(share * 100) == 99


def test_ndpr_oxide_prices():
    # rare-earths.json, price_quotes "Neodymium-praseodymium (NdPr) oxide, 99% minimum",
    # dollars per kilogram (Argus, FOB China): 92, 124, 75, 55, 69 (2021-2025e).
    prices = data.load("prices")
    ndpr = prices[prices["product"] == "ndpr_oxide"].set_index("year")
    assert ndpr["price"].to_dict() == {2021: 92, 2022: 124, 2023: 75, 2024: 55, 2025: 69}
    assert set(ndpr["unit"]) == {"USD/kg"}
    assert ndpr.loc[2025, "estimate"] and not ndpr.loc[2024, "estimate"]
    assert ndpr.loc[2022, "usd_per_t"] == 124_000


def test_copper_world_table_is_refinery_production():
    # copper.json: the world table's United States 2024 figure, 921 thousand t, equals the
    # salient statistics refinery production, primary 882 + secondary 39.
    assert _prod("copper", "refining", 2024, "USA") == pytest.approx((882 + 39) * 1000)
    assert _world("copper", "refining", 2024) == 27_600_000


def test_platinum_group_split():
    # platinum-group-metals.json, world_production sub_metal_production_latest (2025e, kg):
    # South Africa palladium 70,000 and platinum 120,000; world 190,000 and 170,000.
    assert _prod("palladium", "mining", 2025, "ZAF") == pytest.approx(70.0)
    assert _prod("platinum", "mining", 2025, "ZAF") == pytest.approx(120.0)
    assert _world("platinum", "mining", 2025) == pytest.approx(170.0)


def test_lithium_wmd_li2o_converted_to_lithium_content():
    # production_2018_2024.csv: Lithium (Li2O), Australia, 2023 = 204,200 t Li2O.
    # Li content = 204,200 x 2(6.94) / (2(6.94) + 15.999) = 94,859.13 t (hand computation).
    assert _prod("lithium", "mining", 2023, "AUS") == pytest.approx(94_859.13, abs=0.01)


def test_manganese_thousand_tons_converted():
    # manganese.json (thousand metric tons, manganese content): South Africa 7,490 in 2024.
    assert _prod("manganese", "mining", 2024, "ZAF") == 7_490_000


def test_vanadium_reserves_thousand_tons():
    # vanadium.json reserves column: China 5,800 (thousand metric tons; a reserves figure of
    # 5,800 t would be under a month of China's 84,000 t/yr output).
    r = data.load("reserves")
    china = r[(r.mineral == "vanadium") & (r.iso3 == "CHN")]
    assert float(china["quantity"].iloc[0]) == 5_800_000


def test_every_mineral_has_four_stages_and_mining_or_refining_quantities():
    stages = data.load("stages")
    minerals = data.load("minerals")["mineral"]
    assert len(stages) == 4 * len(minerals)
    covered = stages[stages.coverage == "quantities"].groupby("mineral").size()
    required = set(minerals) - {"platinum_group_metals"}  # group used for reserves only
    assert required <= set(covered.index)


def test_us_import_sources_rare_earths():
    # rare-earths.json, import_sources_by_category "Rare-earth compounds and metals" (2021-24):
    # China 71%, Malaysia 13%, Japan 5%, Estonia 5%, other 6%.
    s = data.load("us_import_sources")
    re_ = s[s.mineral == "rare_earths"].set_index("iso3")["share"]
    assert re_.to_dict() == pytest.approx({"CHN": 0.71, "MYS": 0.13, "JPN": 0.05, "EST": 0.05, "ROW": 0.06})
    sums = s.groupby(["mineral", "category"])["share"].sum()
    assert ((sums - 1).abs() <= 0.02).all()  # whole-percent rounding (manganese ore sums to 101%)


def test_us_net_import_reliance():
    # cobalt.json salient statistics, net import reliance: 74% (2024), 79% (2025e);
    # lithium.json: ">50" in 2024 (a lower bound); titanium.json: TiO2 pigment "E" (net exporter).
    n = data.load("us_net_import_reliance").set_index(["mineral", "series", "year"])
    assert n.loc[("cobalt", "total", 2024), "percent"] == 74
    assert n.loc[("cobalt", "total", 2025), "estimate"]
    assert (n.loc[("lithium", "total", 2024), ["percent", "qualifier"]] == [50.0, "lower bound"]).all()
    pigment = n.loc[("titanium", "titanium dioxide pigment", 2024)]
    assert pigment["qualifier"] == "net exporter" and pigment["percent"] != pigment["percent"]  # NaN


@pytest.mark.parametrize("product, year, price, unit, usd_per_t", [
    # copper.json price_quotes "London Metal Exchange, grade A, cash", cents per pound, 2024: 414.7
    # -> 414.7 / 100 / 0.45359237 kg/lb x 1000 = 9,142.57 USD/t (hand computation).
    ("copper_cathode_lme", 2024, 414.7, "USc/lb", 9_142.57),
    # platinum-group-metals.json price_quotes "Platinum", dollars per troy ounce, 2024: 960.70
    # -> 960.70 / 0.0311034768 kg/ozt x 1000 = 30,887,222 USD/t.
    ("platinum_metal", 2024, 960.70, "USD/ozt", 30_887_222),
    # tungsten.json: 252 USD per metric ton unit (10 kg) of WO3, 2024 -> 25,200 USD/t WO3.
    ("tungsten_concentrate", 2024, 252, "USD/mtu WO3", 25_200),
    # lithium.json: battery-grade lithium carbonate 11,800 USD/t (2024).
    ("lithium_carbonate", 2024, 11_800, "USD/t", 11_800),
])
def test_price_units_and_per_tonne_conversion(product, year, price, unit, usd_per_t):
    p = data.load("prices").set_index(["product", "year"])
    row = p.loc[(product, year)]
    assert row["price"] == price and row["unit"] == unit
    assert row["usd_per_t"] == pytest.approx(usd_per_t, rel=1e-6)
