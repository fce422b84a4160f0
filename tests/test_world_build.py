"""The default world built from the embedded dataset: its calibration certificate, region
grouping, provenance checks against the trade table, and clear errors for bad specs."""

from __future__ import annotations

import pytest

from critmin.data.store import load
from critmin.errors import CritminError, InputFileError, UnknownChoiceError
from critmin.world import build_world
from critmin.world.build import normalise
from critmin.world.chains import DEFAULT_MINERALS, YEAR_LIMITED, default_minerals
from critmin.world.fit import CHECKED, TOLERANCE, largest
from critmin.world.parameters import load_parameters, parameter


@pytest.fixture(scope="module")
def world():
    return build_world({"year": 2024, "minerals": list(DEFAULT_MINERALS), "regions": "auto"})


def test_baseline_reproduces_observed_year(world):
    # the calibration certificate: production, processing, consumption, calibrated flows and prices
    cal = world.calibration
    assert set(cal["kind"]) >= set(CHECKED) | {"trade"}
    worst = largest(cal, 1)
    assert abs(float(worst["relative"].iloc[0])) <= TOLERANCE
    # and the engine's own certificate (residual within its tolerance)
    assert world.result.residual <= world.result.tolerance


def test_size_of_default_world(world):
    # about 15-30 regions (issue 4 guidance); five minerals, twelve products (Dy, Tb oxide and magnets: decision
    # 0045; lithium concentrate, carbonate and hydroxide: decision 0073; cobalt: 0076; gallium: 0079)
    assert 15 <= len(world.market["regions"]) <= 30
    assert [p["id"] for p in world.market["products"]] == [
        "re_concentrate", "ndpr_oxide", "dy_oxide", "tb_oxide", "ndfeb_magnet", "spodumene", "lithium_carbonate",
        "lithium_hydroxide", "natural_graphite", "cobalt_mine", "refined_cobalt", "gallium"]


def test_grouping_preserves_world_totals(world):
    # every mined tonne of the USGS MCS 2026 world tables (production, 2024) is in some region
    prod = load("production")
    q = world.observed.quantities.groupby("product")[["production", "processing", "consumption"]].sum()
    for product, mineral in (("re_concentrate", "rare_earths"), ("natural_graphite", "graphite")):
        rows = prod[(prod["mineral"] == mineral) & (prod["stage"] == "mining") & (prod["year"] == 2024)]
        assert q.loc[product, "production"] == pytest.approx(rows["quantity"].sum(), rel=1e-12)
    # lithium (decision 0073): hard-rock concentrate (t Li) plus brine sold as carbonate (5.323 t Li2CO3 per t Li)
    rows = prod[(prod["mineral"] == "lithium") & (prod["stage"] == "mining") & (prod["year"] == 2024)]
    mined = q.loc["spodumene", "production"] + q.loc["lithium_carbonate", "production"] / 5.323
    assert mined == pytest.approx(rows["quantity"].sum(), rel=1e-12)
    # every tonne of concentrate is used once: by carbonate converters or directly for hydroxide (decision 0083)
    routes = world.observed.routes
    direct = routes.loc[routes["input"] == "spodumene", "processing"].sum() / (5.323 * 1.1358)
    assert q.loc["lithium_carbonate", "processing"] / 5.323 + direct == pytest.approx(q.loc["spodumene", "production"],
                                                                                      rel=1e-12)
    # world consumption of each final product equals world output less input use (markets clear)
    use = world.observed.quantities.groupby("product")["input_use"].sum()
    li2co3 = q.loc["lithium_carbonate"]
    assert li2co3["consumption"] == pytest.approx(li2co3["production"] + li2co3["processing"] - use["lithium_carbonate"],
                                                  rel=1e-6)
    assert q.loc["lithium_hydroxide", "consumption"] == pytest.approx(q.loc["lithium_hydroxide", "processing"], rel=1e-6)
    # NdPr oxide (decision 0046): separation 106,000 (Argus) + 5,655 (Lynas) + 1,294 (MP) t plus 26,504 t from
    # magnet scrap (Argus); magnets use 0.3513 t each of 319,148.94 t; final demand takes the rest
    assert q.loc["ndpr_oxide", "processing"] == pytest.approx(106_000 + 5_655 + 1_294, rel=1e-12)
    assert q.loc["ndpr_oxide", "production"] == pytest.approx(26_504, rel=1e-12)
    assert use["ndpr_oxide"] == pytest.approx(0.3513 * 319_148.94, rel=1e-6)
    assert q.loc["ndpr_oxide", "consumption"] == pytest.approx(112_949 + 26_504 - 0.3513 * 319_148.94, rel=1e-6)
    # all mined concentrate goes to separation (REO balance)
    assert use["re_concentrate"] == pytest.approx(q.loc["re_concentrate", "production"], rel=1e-12)
    assert q.loc["natural_graphite", "consumption"] == pytest.approx(q.loc["natural_graphite", "production"], rel=1e-6)


def test_published_prices_and_derived_input_price(world):
    obs = world.observed
    # USGS MCS 2026 price tables, 2024: NdPr oxide 55 USD/kg, lithium carbonate 11,800 USD/t, flake 1,050 USD/t
    assert obs.reference_price["ndpr_oxide"] == 55_000
    assert obs.reference_price["lithium_carbonate"] == 11_800
    assert obs.reference_price["natural_graphite"] == 1_050
    # concentrate price through the chain (decision 0046): (55,000 - margin) / coefficient, with the REO balance
    # coefficient 384,000 / 112,949 (USGS mined REO over primary NdPr oxide) and the margin 48,000 - 3.39976 x 4,183
    # (MP Materials Q2 2024 realized prices)
    params = load_parameters()
    margin = parameter(params, "conversion_costs", "concentrate_to_ndpr_oxide_margin_2024")
    coef = parameter(params, "input_coefficients", "treo_per_ndpr_oxide_2024")
    assert coef == pytest.approx(384_000 / 112_949, rel=1e-9)
    assert margin == pytest.approx(48_000 - 384_000 / 112_949 * 4_183, abs=0.01)
    assert obs.coefficients["ndpr_oxide"]["re_concentrate"] == pytest.approx(coef, rel=1e-9)
    assert obs.reference_price["re_concentrate"] == pytest.approx((55_000 - margin) / coef)
    assert obs.reference_price["re_concentrate"] == pytest.approx(6242.0, abs=0.1)  # hand computation


def test_brine_output_sold_as_chemicals_agrees_with_baci_exports():
    # decision 0073 sells Chile's and Argentina's (brine) mine output as carbonate at the site; check
    # against CEPII BACI 2024: their lithium-chemical exports in Li content are close to their mine output
    trade = load("trade")
    params = load_parameters()
    li_per_lce = 1 / parameter(params, "input_coefficients", "lce_per_li")
    lioh_per_lce = parameter(params, "input_coefficients", "lioh_per_lce")
    t = trade[(trade["year"] == 2024)]
    for iso3, mine in (("CHL", 48_900), ("ARG", 13_800)):  # USGS MCS 2026, t Li, 2024
        x = t[t["exporter"] == iso3]
        lce = x.loc[x["hs6"] == "283691", "quantity_t"].sum() + x.loc[x["hs6"] == "282520", "quantity_t"].sum() / lioh_per_lce
        assert lce * li_per_lce == pytest.approx(mine, rel=0.15)


def test_blocs_reach_grouped_members(world):
    # decision 0007: FORGE includes the EU-27; the grouped EU states are in both blocs
    blocs = world.market["blocs"]
    assert {"REST_EU27", "REST_FORGE", "USA", "DEU"} <= set(blocs["forge"])
    assert blocs["eu27"] == ["DEU", "FIN", "REST_EU27"]  # Finland: 3.4% of refined cobalt (Kokkola, decision 0084)
    assert "CHN" not in blocs["forge"] and "REST_WORLD" not in blocs["forge"]
    members = {b: set(g["iso3"]) for b, g in load("bloc_members").groupby("bloc")}
    mapping = world.observed.mapping
    assert all(mapping[c] == "REST_EU27" for c in ("FRA", "NLD", "EST") if c in mapping)
    assert all(c in members["forge"] for c, r in mapping.items() if r == "REST_FORGE")
    assert not any(c in members["forge"] for c, r in mapping.items() if r == "REST_WORLD")


def test_scenario_merges_policies_and_solves(world):
    from critmin.engine import solve

    # a 25% tariff on NdPr oxide from China into FORGE raises the FORGE price and lowers China's
    sc = world.scenario("tariff", [{"kind": "tariff", "product": "ndpr_oxide", "origin": "CHN", "destination": "forge",
                                    "ad_valorem": 0.25}])
    res = solve(sc, warm_start=world.result)
    base = world.result
    assert res.price("USA", "ndpr_oxide") > base.price("USA", "ndpr_oxide")
    assert res.price("CHN", "ndpr_oxide") < base.price("CHN", "ndpr_oxide")


def test_same_spec_same_market():
    a = build_world({"minerals": ["graphite"]}, fit=False)
    b = build_world({"minerals": ["graphite"]}, fit=False)
    assert a.market == b.market


def test_explicit_regions_are_kept_and_rest_grouped():
    w = build_world({"minerals": ["graphite"], "regions": ["CHN", "USA", "MOZ"]})
    assert [r["id"] for r in w.market["regions"]] == ["CHN", "MOZ", "USA", "REST_EU27", "REST_FORGE", "REST_WORLD"]
    assert abs(float(largest(w.calibration, 1)["relative"].iloc[0])) <= TOLERANCE


@pytest.mark.parametrize("spec, error, text", [
    ({"minerals": ["unobtainium"]}, UnknownChoiceError, "unknown world.minerals entry 'unobtainium'"),
    ({"minerals": ["gallium"], "year": 2023}, UnknownChoiceError, "unknown world.year for the price of gallium"),
    ({"year": 1990}, UnknownChoiceError, "world.year"),
    ({"year": 2025}, UnknownChoiceError, "unknown world.year for trade of"),  # USGS has 2025e, BACI ends in 2024
    ({"year": "2024"}, InputFileError, "world.year"),
    ({"regions": ["CHN", "XXX"]}, UnknownChoiceError, "world.regions entry 'XXX'"),
    ({"regions": ["CHN", "EUU"]}, UnknownChoiceError, "world.regions entry 'EUU'"),  # a union, not a country
    ({"minerals": []}, InputFileError, "world.minerals"),
    ({"yaer": 2024}, InputFileError, "world.yaer"),
])
def test_bad_spec_gives_clear_error(spec, error, text):
    with pytest.raises(error, match=text.replace("[", "\\[").replace(".", "\\.")) as info:
        build_world(spec, fit=False)
    assert isinstance(info.value, CritminError)


def test_defaults():
    spec = normalise(None)
    assert spec == {"year": 2024, "minerals": list(DEFAULT_MINERALS), "regions": "auto", "elasticities": "default"}


def test_expand_merges_world_into_a_scenario():
    from critmin.engine import solve
    from critmin.world.build import expand

    data = {"name": "g", "world": {"minerals": ["graphite"]}, "blocs": {"pair": ["CHN", "USA"]},
            "policies": [{"kind": "export_ban", "product": "natural_graphite", "origin": "CHN", "destination": "USA"}]}
    merged, world = expand(data)
    assert "world" not in merged and merged["blocs"]["pair"] == ["CHN", "USA"] and "forge" in merged["blocs"]
    res = solve(merged)
    # the ban stops the calibrated CHN->USA flow and raises the US price above the baseline
    f = res.flows
    assert f[(f["origin"] == "CHN") & (f["destination"] == "USA")]["quantity"].sum() == 0
    assert res.price("USA", "natural_graphite") > world.result.price("USA", "natural_graphite")


def test_myanmar_rare_earth_exports_all_go_to_china():
    # refining_routes.csv (rare_earths MMR -> CHN) cites this: CEPII BACI 2024, HS 284690
    t = load("trade")
    t = t[(t["year"] == 2024) & (t["hs6"] == "284690") & (t["exporter"] == "MMR")]
    by_importer = t.groupby("importer")["value_kusd"].sum()
    assert by_importer.idxmax() == "CHN"
    assert by_importer["CHN"] / by_importer.sum() > 0.99
    assert by_importer["CHN"] == pytest.approx(817_835, abs=1)  # thousand USD, as quoted in the CSV


def test_rare_earth_concentrate_follows_documented_routes(world):
    # Lynas feeds Malaysia first; MP Materials and Myanmar ship to China (refining_routes.csv)
    f = world.observed.flows
    f = f[f["product"] == "re_concentrate"].set_index(["origin", "destination"])["quantity"]
    # USGS MCS 2026: US mine output 2024, 45,500 t REO, less what MP's own 1,294 t of NdPr oxide use (decision 0046)
    assert f[("USA", "CHN")] == pytest.approx(45_500 - 1_294 * 384_000 / 112_949)
    assert f[("MMR", "CHN")] == pytest.approx(27_000)
    assert ("AUS", "MYS") in f.index


def test_year_before_the_2025_controls_also_calibrates():
    # 2023: NdPr oxide 75 USD/kg (USGS MCS 2026 price tables); without a minerals list the world is
    # the default minerals that calibrate in 2023 (YEAR_LIMITED leaves out lithium, cobalt and gallium)
    assert default_minerals(2023) == ["rare_earths", "graphite"]
    w = build_world({"year": 2023})
    assert w.spec["minerals"] == ["rare_earths", "graphite"]
    assert w.observed.reference_price["ndpr_oxide"] == 75_000
    assert abs(float(largest(w.calibration, 1)["relative"].iloc[0])) <= TOLERANCE
    # lithium needs hydroxide output by country, which quantities.csv has for 2024 only (decision 0073)
    with pytest.raises(UnknownChoiceError, match=r"world\.year for lithium \(quantities\.csv has lithium_hydroxide "
                       r"output for \[2024\] only; decision 0073\) 2023"):
        build_world({"year": 2023, "minerals": ["lithium"]}, fit=False)


@pytest.mark.parametrize("mineral", sorted(YEAR_LIMITED))
def test_year_limited_minerals_are_refused_outside_their_years(mineral):
    # YEAR_LIMITED must say the truth: outside its years the mineral fails to build with a clear error
    # (an UnknownChoiceError naming world.year), and in them it builds
    years, _ = YEAR_LIMITED[mineral]
    with pytest.raises(UnknownChoiceError, match=r"world\.year"):
        build_world({"year": min(years) - 1, "minerals": [mineral]}, fit=False)
    assert build_world({"year": years[0], "minerals": [mineral]}, fit=False).spec["minerals"] == [mineral]


def test_every_curve_of_the_default_world_passes_through_its_observed_point(world):
    # closed forms of decision 0026 on the real market: the curve's level at the observed
    # quantity is the observed price (or margin) and its point elasticity is the table's value
    obs = world.observed
    q = obs.quantities.set_index(["region", "product"])
    p = obs.prices.set_index(["region", "product"])["price"]
    table = load_parameters()["elasticities"].set_index("parameter")["value"]
    chains = {c.id: c for c in obs.products}
    for s in world.market["supply"]:
        q0, p0 = q.loc[(s["region"], s["product"]), "production"], p[(s["region"], s["product"])]
        assert s["intercept"] + s["slope"] * q0 == pytest.approx(p0, rel=1e-12)
        assert p0 / (s["slope"] * q0) == pytest.approx(table[world.elasticities.source(chains[s["product"]], "supply")])
    for d in world.market["demand"]:
        q0, p0 = q.loc[(d["region"], d["product"]), "consumption"], p[(d["region"], d["product"])]
        assert d["intercept"] - d["slope"] * q0 == pytest.approx(p0, rel=1e-12)
        assert -p0 / (d["slope"] * q0) == pytest.approx(table[world.elasticities.source(chains[d["product"]], "demand")])
    routes = obs.routes.set_index(["region", "product", "input"])["processing"]
    for e in world.market["processing"]:
        # an entry with its own recipe (decision 0083) passes through its route's output and margin
        recipe = e.get("inputs", obs.coefficients[e["product"]])
        z0 = q.loc[(e["region"], e["product"]), "processing"]
        own = obs.routes[(obs.routes["region"] == e["region"]) & (obs.routes["product"] == e["product"])]
        z0 = routes[(e["region"], e["product"], *recipe)] if "inputs" in e else z0 - own["processing"].sum()
        margin = p[(e["region"], e["product"])] - sum(a * p[(e["region"], i)] for i, a in recipe.items())
        assert margin > 0
        assert e["intercept"] + e["slope"] * z0 == pytest.approx(margin, rel=1e-12)


def test_processing_margin_in_china_by_hand(world):
    # lithium in China: carbonate at the importers' price 11,800 x 1.01, concentrate at the
    # importers' price 45,932.17 x 1.05 (freight shares, trade_costs.csv), 1/5.323 t Li per t Li2CO3:
    # 11,918 - 48,228.78 / 5.323 = 2,857.55 USD/t (the 3,171 margin less freight on ore plus on carbonate)
    q = world.observed.quantities.set_index(["region", "product"])
    e = next(x for x in world.market["processing"] if x["region"] == "CHN" and x["product"] == "lithium_carbonate")
    z0 = q.loc[("CHN", "lithium_carbonate"), "processing"]
    assert e["intercept"] + e["slope"] * z0 == pytest.approx(11_918 - 45_932.167 * 1.05 / 5.323, rel=1e-9)
    assert e["intercept"] + e["slope"] * z0 == pytest.approx(2857.55, abs=0.01)
    # hydroxide in China (an exporter: 12,510.87 USD/t, price_points.csv) made directly from concentrate
    # (decision 0083), 1 / (5.323 x 1.1358) t Li per t LiOH.H2O at 48,228.78:
    # 12,510.87 - 7,977.15 = 4,533.72 USD/t LiOH.H2O (the direct margin 4,913.58 less freight on the ore)
    e = next(x for x in world.market["processing"] if x["region"] == "CHN" and x["product"] == "lithium_hydroxide")
    assert e["inputs"] == {"spodumene": pytest.approx(1 / (5.323 * 1.1358), rel=1e-12)}
    z0 = q.loc[("CHN", "lithium_hydroxide"), "processing"]
    assert z0 == 360_000  # MIIT via Reuters (quantities.csv)
    assert e["intercept"] + e["slope"] * z0 == pytest.approx(12_510.87 - 45_932.167 * 1.05 / (5.323 * 1.1358), rel=1e-9)
    assert e["intercept"] + e["slope"] * z0 == pytest.approx(4533.72, abs=0.01)


def test_long_run_elasticities_and_overrides_also_calibrate():
    spec = {"minerals": ["rare_earths"], "elasticities": {"horizon": "long", "overrides": [
        {"side": "supply", "region": "CHN", "product": "ndpr_oxide", "value": 0.05}]}}
    w = build_world(spec)
    assert abs(float(largest(w.calibration, 1)["relative"].iloc[0])) <= TOLERANCE
    chn = next(s for s in w.market["processing"] if s["region"] == "CHN")
    usa = next(d for d in w.market["demand"] if d["region"] == "USA")
    assert chn["slope"] > 0 and usa["slope"] > 0


def test_a_world_that_misses_the_observed_year_is_an_error():
    from critmin.world.fit import CalibrationError

    w = build_world({"minerals": ["graphite"]}, fit=False)
    # shift US demand up by 10 % of the price: the baseline can no longer reproduce 2024
    usa = next(d for d in w.market["demand"] if d["region"] == "USA")
    usa["intercept"] += 0.1 * 1050 * 1.05
    with pytest.raises(CalibrationError, match="world calibration misses the observed year: .* natural_graphite"):
        w.fit()
    assert w.calibration is not None and abs(float(largest(w.calibration, 1)["relative"].iloc[0])) > TOLERANCE


def test_errors_name_the_scenario_file():
    from critmin.world.build import expand

    with pytest.raises(InputFileError, match="^scenarios/x.yaml: field 'world.elasticities.horizon' \\(value 'medium'\\)"):
        expand({"name": "x", "world": {"elasticities": {"horizon": "medium"}}}, source="scenarios/x.yaml")
    with pytest.raises(InputFileError, match="^scenarios/x.yaml: field 'world.minerals' \\(value 'cobalt'\\)"):
        expand({"name": "x", "world": {"minerals": "cobalt"}}, source="scenarios/x.yaml")  # a string, not a list
