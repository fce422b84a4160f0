"""critmin.dynamics on one- and two-region linear markets, against closed forms.

One market: supply p = 10 + q, demand p = 100 - q (equilibrium 55, 45). Demand grown by g has
slope 1/g, so p = (10 + 100 g) / (1 + g) and q = p - 10 (solve 10 + q = 100 - q / g).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from markets import ONE_MARKET, TWO_REGION

from critmin.dynamics import prepare, simulate
from critmin.dynamics.targets import check_target
from critmin.engine import solve
from critmin.errors import InputFileError, ScenarioError

ONE = {
    "name": "one-market",
    **ONE_MARKET,
    "horizon": {"start": 2024, "end": 2030},
}


def one(**sections):
    data = copy.deepcopy(ONE)
    data.update(sections)
    return data


def price(tr, region="A", product="good"):
    p = tr.tables["prices"]
    return p[(p["region"] == region) & (p["product"] == product)].sort_values("time")["price"].to_numpy()


def test_constant_growth_gives_the_analytic_price_path():
    tr = simulate(prepare(one(growth=[{"product": "good", "rate": 0.05, "source": "closed-form test"}])))
    g = 1.05 ** np.arange(7)
    assert price(tr) == pytest.approx((10 + 100 * g) / (1 + g), rel=1e-10)
    q = tr.tables["demand"]["quantity"].to_numpy()
    assert q == pytest.approx((10 + 100 * g) / (1 + g) - 10, rel=1e-10)
    assert tr.residual <= tr.tolerance and len(tr.tables["periods"]) == 7


def test_quarters_match_years_at_whole_years_and_the_closed_form_between():
    spec = {"growth": [{"product": "good", "rate": 0.05, "source": "closed-form test"}]}
    years = simulate(prepare(one(**spec)))
    quarters = simulate(prepare(one(horizon={"start": 2024, "end": 2030, "step": "quarter"}, **spec)))
    pq = price(quarters)
    assert pq.size == 28
    assert pq[::4] == pytest.approx(price(years), rel=1e-10)
    g = 1.05 ** (0.25 * np.arange(28))
    assert pq == pytest.approx((10 + 100 * g) / (1 + g), rel=1e-10)


def test_lithium_path_growth_is_the_busch_demand_index():
    from critmin.data import load

    path = "Ambitious-Baseline-Baseline-Baseline-Baseline"
    tr = simulate(prepare(one(growth=[{"product": "good", "path": path}], horizon={"start": 2024, "end": 2026})))
    d = load("lithium_demand_paths")
    d = d[d["scenario"] == path].set_index("year")["demand_kt_li"]
    g = d.loc[[2024, 2025, 2026]].to_numpy() / d.loc[2024]  # index over the base year (2024: 179.78 kt Li)
    assert price(tr) == pytest.approx((10 + 100 * g) / (1 + g), rel=1e-10)


def test_warm_start_gives_the_cold_start_equilibrium():
    m = prepare(one(growth=[{"product": "good", "rate": 0.3, "source": "test"}]))
    sc = m.scenario.model_copy(update={"demand": [m.scenario.demand[0].model_copy(update={"slope": 0.5})]})
    cold, warm = solve(sc), solve(sc, warm_start=m.base_result)
    assert warm.prices["price"].to_numpy() == pytest.approx(cold.prices["price"].to_numpy(), rel=1e-12)
    assert warm.supply["quantity"].to_numpy() == pytest.approx(cold.supply["quantity"].to_numpy(), rel=1e-12)


def project(**kw):
    base = {"project": "mine", "product": "good", "region": "A", "capacity_per_year": 20, "operating_cost": 5,
            "earliest_start": 2024, "build_years": 3, "source": "test project"}
    return {**base, **kw}


def test_a_project_whose_incentive_price_is_never_reached_never_commits():
    tr = simulate(prepare(one(pipeline={"projects": [project(incentive_price=1e6)]})))
    assert tr.tables["projects"]["committed"].isna().all()
    assert price(tr) == pytest.approx([55.0] * 7)


def test_a_project_commits_at_the_first_period_end_and_produces_after_its_build_time():
    # price 55 >= incentive 50: commits at the end of 2024 (t = 2025), produces from 2025 + 3 = 2028
    tr = simulate(prepare(one(pipeline={"projects": [project(incentive_price=50)]})))
    pr = tr.tables["projects"].iloc[0]
    assert pr["committed"] == 2025 and pr["online"] == 2028
    p = price(tr)
    assert p[:4] == pytest.approx([55.0] * 4)
    # from 2028: 20 more units at cost 5 < price; 10 + q + 20 = 100 - (10 + q)... p = (10 + 100 - 20) / 2 = 45
    assert p[4:] == pytest.approx([45.0] * 3)
    cap = tr.tables["capacity"]
    assert sorted(cap["time"].unique()) == [2028.0, 2029.0, 2030.0]


def test_a_ramp_limits_the_first_years():
    tr = simulate(prepare(one(pipeline={"projects": [project(status="committed", earliest_start=2025, ramp_per_year=8)]})))
    cap = tr.tables["capacity"].set_index("time")["capacity_per_year"]
    assert cap.loc[2025.0] == 8 and cap.loc[2026.0] == 16 and cap.loc[2027.0] == 20
    # with 8 extra units at cost 5: p = (110 - 8) / 2 = 51
    assert price(tr)[1] == pytest.approx(51.0)


TWO = {
    "name": "two-region",
    **TWO_REGION,
    "horizon": {"start": 2024, "end": 2027},
}


def two(**sections):
    data = copy.deepcopy(TWO)
    data.update(sections)
    return data


def test_a_disruption_withholds_its_share_of_undisrupted_exports_for_the_time_it_covers():
    # 1.5 years from 2025: all of 2025 (f = 1), half of 2026 (f = 0.5)
    dis = [{"id": "ban", "supplier": "X", "products": ["good"], "destinations": "M", "share_withheld": 0.8,
            "start": 2025, "duration": 1.5}]
    tr = simulate(prepare(two(disruptions=dis)))
    ev = tr.tables["events"].set_index("time")
    assert list(ev.index) == [2025.0, 2026.0]
    assert ev["coverage"].tolist() == [1.0, 0.5]
    assert ev["quota"].to_numpy() == pytest.approx(ev["undisrupted_exports"].to_numpy() * np.array([0.2, 0.6]))
    flows = tr.tables["events"]
    # undisrupted trade X -> M (no tariff): x solves 10 + 0.5 s = p_X, p_M = p_X + 2 ... = 45.6 (hand solution)
    assert flows["undisrupted_exports"].iloc[0] == pytest.approx(45.6, rel=1e-9)
    sf = tr.tables["shortfall"]
    m = sf[(sf["region"] == "M")].set_index("time")
    assert m.loc[2024.0, "shortfall"] == 0 and m.loc[2027.0, "shortfall"] == 0
    assert m.loc[2025.0, "shortfall"] > m.loc[2026.0, "shortfall"] > 0
    assert tr.outcomes["shortfall_t:good"] == pytest.approx(float(sf["shortfall"].sum()))


def test_random_disruptions_need_an_rng_and_are_reproducible():
    dis = [{"id": "r", "supplier": "X", "products": ["good"], "destinations": "M", "share_withheld": 0.5,
            "probability": 0.5, "duration": {"distribution": "uniform", "low": 0.5, "high": 2}}]
    m = prepare(two(disruptions=dis, horizon={"start": 2024, "end": 2033}))
    with pytest.raises(ScenarioError, match="needs an rng"):
        simulate(m)
    a = simulate(m, rng=np.random.default_rng(7))
    b = simulate(m, rng=np.random.default_rng(7))
    assert a.tables["events_drawn"].equals(b.tables["events_drawn"])
    assert a.tables["prices"].equals(b.tables["prices"])
    assert len(a.tables["events_drawn"]) >= 1
    # a drawn probability makes a fixed event random: it then needs an rng too
    fixed = [{**dis[0], "probability": None, "start": 2025, "duration": 1}]
    m = prepare(two(disruptions=fixed))
    with pytest.raises(ScenarioError, match="needs an rng"):
        simulate(m, {"disruption:r.probability": 0.3})
    assert len(simulate(m, {"disruption:r.probability": 1.0}, np.random.default_rng(0)).tables["events_drawn"]) >= 1


def test_stock_carried_exactly_and_quarters_consistent_with_years():
    rule = {"holdings": [{"product": "good", "region": "A", "initial": 0, "capacity": 100, "buy_at_or_below": 80,
                          "max_fill_per_year": 4, "max_draw_per_year": 4}]}
    ty = simulate(prepare(one(reserve=rule, horizon={"start": 2024, "end": 2025})))
    tq = simulate(prepare(one(reserve=rule, horizon={"start": 2024, "end": 2025, "step": "quarter"})))
    ry, rq = ty.tables["reserve"], tq.tables["reserve"]
    # buying 4 a year never lifts the price to 80: the cap binds; a quarter buys 4 x 0.25
    assert ry["bought_t"].tolist() == pytest.approx([4.0, 4.0])
    assert rq["bought_t"].tolist() == pytest.approx([1.0] * 8)
    assert ry["held_end_t"].iloc[-1] == pytest.approx(rq["held_end_t"].iloc[-1]) == pytest.approx(8.0)
    assert (rq["held_start_t"].iloc[1:].to_numpy() == rq["held_end_t"].iloc[:-1].to_numpy()).all()
    # a purchase of 4 a year: 10 + q = 100 - (q + 4) -> p = 57
    assert ry["price"].tolist() == pytest.approx([57.0, 57.0])


def test_error_names_file_field_and_value():
    with pytest.raises(InputFileError, match=r"field 'growth\[0\].product' \(value 'gold'\)"):
        prepare(one(growth=[{"product": "gold", "rate": 0.1, "source": "x"}]))
    with pytest.raises(InputFileError, match=r"field 'horizon.step' \(value 'month'\)"):
        prepare(one(horizon={"start": 2024, "end": 2030, "step": "month"}))
    with pytest.raises(InputFileError, match=r"field 'disruptions\[0\].destinations' \(value 'Z'\)"):
        prepare(two(disruptions=[{"id": "a", "supplier": "X", "products": ["good"], "destinations": "Z",
                                  "share_withheld": 0.5, "start": 2025, "duration": 1}]))
    with pytest.raises(InputFileError, match=r"field 'reserve.holdings\[0\].region' \(value 'Q'\)"):
        prepare(one(reserve={"holdings": [{"product": "good", "region": "Q", "capacity": 1, "max_fill_per_year": 1,
                                           "max_draw_per_year": 1}]}))
    island = two(regions=["X", "M", "Z"])
    with pytest.raises(InputFileError, match=r"field 'reserve.holdings\[0\].region' \(value 'Z'\): no market"):
        prepare(dict(island, reserve={"holdings": [{"product": "good", "region": "Z", "capacity": 1,
                                                    "max_fill_per_year": 1, "max_draw_per_year": 1}]}))
    with pytest.raises(InputFileError, match="horizon"):
        prepare({k: v for k, v in ONE.items() if k != "horizon"})


def test_bad_file_errors_name_the_file(tmp_path):
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(one(growth=[{"product": "good", "series": "nope"}])))
    with pytest.raises(InputFileError, match=rf"{path}: field 'growth\[0\].series' \(value 'nope'\)"):
        prepare(path)


def test_targets_grammar_and_draws():
    for ok in ("elasticity.demand:good", "growth:good", "disruption:a.probability", "cost:pipeline",
               "reserve.release_above:good", "reserve:budget_usd"):
        check_target(ok)
    for bad in ("elasticity:good", "growth", "disruption:a.colour", "cost:plants", 3):
        with pytest.raises(ScenarioError, match="target"):
            check_target(bad)
    m = prepare(one())
    with pytest.raises(ScenarioError, match="unknown product 'gold'"):
        simulate(m, {"growth:gold": 0.1})
    # a drawn growth rate replaces the path: the same closed form as a constant rate
    tr = simulate(m, {"growth:good": 0.05})
    g = 1.05 ** np.arange(7)
    assert price(tr) == pytest.approx((10 + 100 * g) / (1 + g), rel=1e-10)
    # a drawn demand elasticity pivots the curve through (45, 55): e = -2 -> slope 55 / (2 x 45)
    tr = simulate(m, {"elasticity.demand:good": -2.0})
    assert price(tr)[0] == pytest.approx(55.0)


def test_cost_and_supply_elasticity_draws():
    m = prepare(one(pipeline={"projects": [project(incentive_price=50)]}))
    # costs x 1.2: incentive 60 > 55, the project never commits; at x 1.0 it commits (test above)
    assert simulate(m, {"cost:pipeline": 1.2}).tables["projects"]["committed"].isna().all()
    # supply elasticity 0.5 at (45, 55): slope 55 / (0.5 x 45); the base price stays 55
    tr = simulate(prepare(one(growth=[{"product": "good", "rate": 0.05, "source": "test"}])), {"elasticity.supply:good": 0.5})
    s = 55 / (0.5 * 45)
    c = 55 - s * 45
    g = 1.05 ** np.arange(7)
    # supply p = c + s q, demand p = 100 - q / g: p = (c + 100 s g) / (1 + s g)
    assert price(tr) == pytest.approx((c + 100 * s * g) / (1 + s * g), rel=1e-10)


def test_recycling_grows_with_consumption_lag_years_earlier():
    # rate 0.5, lag 2: recycled R(t) = 0.5 max(0, C(t - 2) - C(2024)) at cost 0; with demand grown by
    # g, 10 + q - ... : p = (10 - R + 100 g) / (1 + g), C = g (100 - p)
    tr = simulate(prepare(one(growth=[{"product": "good", "rate": 0.1, "source": "test"}],
                              recycling=[{"product": "good", "rate": 0.5, "lag_years": 2}])))
    g = 1.1 ** np.arange(7)
    p, c, r = np.zeros(7), np.zeros(7), np.zeros(7)
    for t in range(7):
        r[t] = 0.5 * max(0.0, (c[t - 2] if t >= 2 else 45.0) - 45.0)
        p[t] = (10 - r[t] + 100 * g[t]) / (1 + g[t])
        c[t] = g[t] * (100 - p[t])
    assert price(tr) == pytest.approx(p, rel=1e-10)
    cap = tr.tables["capacity"].set_index("time")["capacity_per_year"]
    assert list(cap.index) == [2027.0, 2028.0, 2029.0, 2030.0]  # C(2024) = C(base): nothing in 2026
    assert cap.to_numpy() == pytest.approx(r[3:], rel=1e-10)


CHAIN = {
    "name": "chain", "products": [{"id": "ore"}, {"id": "metal", "inputs": {"ore": 2}}], "regions": ["X", "M"],
    "supply": [{"region": "X", "product": "ore", "intercept": 5, "slope": 0.1}],
    "processing": [{"region": "M", "product": "metal", "intercept": 10, "slope": 0.2}],
    "demand": [{"region": "M", "product": "metal", "intercept": 200, "slope": 1}],
    "transport": [{"product": "ore", "origin": "X", "destination": "M", "cost": 1}],
    "horizon": {"start": 2024, "end": 2025},
}


def test_a_plant_for_a_product_made_from_inputs_draws_its_inputs():
    # a must-run metal plant in M (conversion cost 0, 10 a year) from 2025: it is a processing entry,
    # so M's ore use is 2 x all metal made there, and metal output rises by less than 10 (ore dearer)
    plant = {"project": "smelter", "product": "metal", "region": "M", "capacity_per_year": 10, "operating_cost": 0,
             "status": "committed", "earliest_start": 2025, "source": "test"}
    tr = simulate(prepare(dict(copy.deepcopy(CHAIN), pipeline={"projects": [plant]})))
    proc = tr.tables["processing"].groupby("time")["quantity"].sum()
    use = tr.tables["shortfall"].set_index(["time", "region", "product"])["final"]
    for t in (2024.0, 2025.0):
        assert use.loc[(t, "M", "ore")] == pytest.approx(2 * proc.loc[t], rel=1e-10)
    assert 0 < proc.loc[2025.0] - proc.loc[2024.0] < 10
    p = tr.tables["prices"].set_index(["time", "region", "product"])["price"]
    assert p.loc[(2025.0, "X", "ore")] > p.loc[(2024.0, "X", "ore")]


def test_intermediate_products_have_a_shortfall_through_their_use_as_inputs():
    chain = {
        "name": "chain", "products": [{"id": "ore"}, {"id": "metal", "inputs": {"ore": 2}}], "regions": ["X", "M"],
        "supply": [{"region": "X", "product": "ore", "intercept": 5, "slope": 0.1}],
        "processing": [{"region": "M", "product": "metal", "intercept": 10, "slope": 0.2}],
        "demand": [{"region": "M", "product": "metal", "intercept": 200, "slope": 1}],
        "transport": [{"product": "ore", "origin": "X", "destination": "M", "cost": 1}],
        "horizon": {"start": 2024, "end": 2025},
        "disruptions": [{"id": "d", "supplier": "X", "products": ["ore"], "destinations": "M", "share_withheld": 0.5,
                         "start": 2025, "duration": 1}],
    }
    tr = simulate(prepare(chain))
    sf = tr.tables["shortfall"].set_index(["time", "region", "product"])
    ore = sf.loc[(2025.0, "M", "ore")]
    # M uses 2 ore per metal; the licence halves ore arriving in M, so ore use halves
    assert ore["no_action"] == pytest.approx(0.5 * ore["undisrupted"], rel=1e-9)
    metal = sf.loc[(2025.0, "M", "metal")]
    assert ore["shortfall"] == pytest.approx(2 * metal["shortfall"], rel=1e-9)


def test_a_bloc_floor_is_the_price_a_project_expects_under_reference_price():
    # market price 55 < incentive 60, but a CfD floor of 70 covers the project's region: it commits
    floor = [{"kind": "price_floor", "product": "good", "scope": "A", "price": 70, "mechanism": "cfd"}]
    spec = {"projects": [project(incentive_price=60)]}
    with_floor = simulate(prepare(one(policies=floor, pipeline={**spec, "expectation": "reference_price"})))
    assert with_floor.tables["projects"]["committed"].iloc[0] == 2025
    myopic = simulate(prepare(one(policies=floor, pipeline={**spec, "expectation": "last_price"})))
    assert myopic.tables["projects"]["committed"].isna().all()
