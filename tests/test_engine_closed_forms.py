"""The engine against closed-form equilibria, each solved by hand in the test's docstring.

Two markets are reused. ``one``: a closed economy with supply p = 10 + q and demand
p = 100 - q (equilibrium p = 55, q = 45). ``two``: exporter X (supply p = 10 + q, demand
p = 100 - q, so export supply ES_X(p) = 2p - 110) and importer M (supply p = 40 + q, demand
p = 120 - q, so import demand ED_M(p) = 160 - 2p), transport X -> M costs 2. Free trade:
2 p_X - 110 = 160 - 2 (p_X + 2) gives p_X = 66.5, p_M = 68.5, trade 23.
"""

from __future__ import annotations

import math

import pytest

import critmin


def one(policies=(), **extra):
    sc = {
        "name": "one", "products": [{"id": "g"}], "regions": ["A"],
        "supply": [{"region": "A", "product": "g", "intercept": 10, "slope": 1}],
        "demand": [{"region": "A", "product": "g", "intercept": 100, "slope": 1}],
        "policies": list(policies),
    }
    sc.update(extra)
    return sc


def two(policies=(), sx=1.0, **extra):
    sc = {
        "name": "two", "products": [{"id": "g"}], "regions": ["X", "M"],
        "supply": [{"region": "X", "product": "g", "intercept": 10, "slope": sx},
                   {"region": "M", "product": "g", "intercept": 40, "slope": 1}],
        "demand": [{"region": "X", "product": "g", "intercept": 100, "slope": 1},
                   {"region": "M", "product": "g", "intercept": 120, "slope": 1}],
        "transport": [{"product": "g", "origin": "X", "destination": "M", "cost": 2}],
        "policies": list(policies),
    }
    sc.update(extra)
    return sc


def flow(r, origin="X", destination="M", product="g"):
    f = r.flows
    return float(f.loc[(f["origin"] == origin) & (f["destination"] == destination) & (f["product"] == product), "quantity"].sum())


def qty(r, table, region, product="g"):
    t = getattr(r, table)
    return float(t.loc[(t["region"] == region) & (t["product"] == product), "quantity"].sum())


def test_single_market():
    """p = 10 + q = 100 - q  ->  q = 45, p = 55; CS = PS = 45^2 / 2 = 1012.5."""
    r = critmin.solve(one())
    assert r.price("A", "g") == pytest.approx(55, abs=1e-8)
    assert qty(r, "supply", "A") == pytest.approx(45, abs=1e-8)
    assert qty(r, "demand", "A") == pytest.approx(45, abs=1e-8)
    w = r.welfare.set_index("id")
    assert w.loc["A", "consumer_surplus"] == pytest.approx(1012.5, abs=1e-6)
    assert w.loc["A", "producer_surplus"] == pytest.approx(1012.5, abs=1e-6)
    assert r.residual <= r.tolerance
    assert r.status == "optimal"


def test_free_trade_two_regions():
    """Hand solution in the module docstring: p_X = 66.5, p_M = 68.5, trade 23."""
    r = critmin.solve(two())
    assert r.price("X", "g") == pytest.approx(66.5, abs=1e-8)
    assert r.price("M", "g") == pytest.approx(68.5, abs=1e-8)
    assert flow(r) == pytest.approx(23, abs=1e-8)


@pytest.mark.parametrize("t", [1.0, 4.0, 10.0])
def test_specific_tariff_incidence(t):
    """A specific tariff t raises the importer's price by t * Sx / (Sx + Dm), where Sx and Dm are
    the slopes (dQ/dp) of export supply and import demand: the textbook incidence of a tariff
    in a two-country partial equilibrium (e.g. Houck, "Elements of Agricultural Trade Policies",
    1986, ch. 4; Krugman, Obstfeld & Melitz, "International Economics", ch. 9). With exporter
    supply slope 0.5 (q = 2(p - 10)), ES_X(p) = 3p - 120 so Sx = 3; ED_M(p) = 160 - 2p so Dm = 2.
    Free trade: 3 p_X - 120 = 160 - 2 (p_X + 2) -> p_X = 55.2, p_M = 57.2; the tariff adds 3t/5."""
    free = critmin.solve(two(sx=0.5))
    taxed = critmin.solve(two([{"kind": "tariff", "destination": "M", "specific": t}], sx=0.5))
    assert free.price("M", "g") == pytest.approx(57.2, abs=1e-8)
    assert taxed.price("M", "g") - free.price("M", "g") == pytest.approx(t * 3 / 5, abs=1e-8)
    assert free.price("X", "g") - taxed.price("X", "g") == pytest.approx(t * 2 / 5, abs=1e-8)
    trade = 3 * taxed.price("X", "g") - 120
    pol = taxed.policies.iloc[0]
    assert pol["revenue"] == pytest.approx(t * trade, abs=1e-7)
    gov = taxed.welfare.set_index("id")["government"]
    assert gov["M"] == pytest.approx(t * trade, abs=1e-7)  # tariff revenue goes to the destination
    assert gov["X"] == pytest.approx(0.0, abs=1e-9)


def test_ad_valorem_tariff_on_origin_price():
    """Duty 10% of the origin price: p_M = 1.1 p_X + 2, so 2 p_X - 110 = 160 - 2 (1.1 p_X + 2)
    -> p_X = 266 / 4.2 = 63.333..., p_M = 71.666..., trade 16.666..., revenue 0.1 p_X * trade."""
    r = critmin.solve(two([{"kind": "tariff", "product": "g", "origin": "X", "destination": "M", "ad_valorem": 0.1}]))
    px = 266 / 4.2
    assert r.price("X", "g") == pytest.approx(px, abs=1e-8)
    assert r.price("M", "g") == pytest.approx(1.1 * px + 2, abs=1e-8)
    assert r.policies.iloc[0]["revenue"] == pytest.approx(0.1 * px * (2 * px - 110), abs=1e-7)


def test_export_tax_goes_to_origin():
    """A specific export tax of 4 moves prices exactly like a tariff of 4 (p_M - p_X = 6):
    2 p_X - 110 = 160 - 2 (p_X + 6) -> p_X = 64.5, p_M = 70.5, trade 19; revenue 76 to X."""
    r = critmin.solve(two([{"kind": "export_tax", "origin": "X", "specific": 4}]))
    assert r.price("X", "g") == pytest.approx(64.5, abs=1e-8)
    assert r.price("M", "g") == pytest.approx(70.5, abs=1e-8)
    gov = r.welfare.set_index("id")["government"]
    assert gov["X"] == pytest.approx(76, abs=1e-7)
    assert gov["M"] == pytest.approx(0, abs=1e-9)


def test_exempt_origin_pays_no_tariff():
    """A tariff on all origins with X exempt (a preferential zone) leaves free trade unchanged."""
    r = critmin.solve(two([{"kind": "tariff", "origin": "*", "destination": "M", "specific": 50, "exempt": "X"}]))
    assert r.price("M", "g") == pytest.approx(68.5, abs=1e-8)
    assert r.policies.iloc[0]["revenue"] == pytest.approx(0, abs=1e-12)


def test_export_quota_and_rent():
    """Quota 10 < free-trade 23: ES_X(p_X) = 10 -> p_X = 60; ED_M(p_M) = 10 -> p_M = 75;
    unit rent = 75 - 60 - 2 = 13, total rent 130, accruing to the exporter X."""
    r = critmin.solve(two([{"kind": "export_quota", "product": "g", "origin": "X", "quantity": 10}]))
    assert r.price("X", "g") == pytest.approx(60, abs=1e-8)
    assert r.price("M", "g") == pytest.approx(75, abs=1e-8)
    pol = r.policies.iloc[0]
    assert pol["unit_value"] == pytest.approx(13, abs=1e-8)
    assert pol["rent"] == pytest.approx(130, abs=1e-7)
    assert bool(pol["binding"])
    assert r.welfare.set_index("id").loc["X", "quota_rent"] == pytest.approx(130, abs=1e-7)


def test_slack_quota_has_no_rent():
    """Quota 30 > free-trade 23: prices as in free trade, rent 0."""
    r = critmin.solve(two([{"kind": "export_quota", "origin": "X", "quantity": 30}]))
    assert r.price("M", "g") == pytest.approx(68.5, abs=1e-8)
    assert r.policies.iloc[0]["rent"] == pytest.approx(0, abs=1e-9)


def test_export_ban_gives_autarky():
    """No trade: p_X = 55 (10 + q = 100 - q), p_M = 80 (40 + q = 120 - q)."""
    r = critmin.solve(two([{"kind": "export_ban", "product": "g", "origin": "X", "destination": "M"}]))
    assert r.price("X", "g") == pytest.approx(55, abs=1e-8)
    assert r.price("M", "g") == pytest.approx(80, abs=1e-8)
    assert len(r.flows) == 0


def test_floor_cfd():
    """CfD floor 70: producers get 70 -> supply 60; consumers take 60 at p = 100 - 60 = 40;
    the treasury pays (70 - 40) * 60 = 1800."""
    r = critmin.solve(one([{"kind": "price_floor", "product": "g", "scope": "A", "price": 70, "mechanism": "cfd"}]))
    assert r.price("A", "g") == pytest.approx(40, abs=1e-8)
    pp = r.producer_prices
    assert float(pp.loc[pp["region"] == "A", "price"].iloc[0]) == pytest.approx(70, abs=1e-8)
    assert qty(r, "supply", "A") == pytest.approx(60, abs=1e-8)
    assert r.policies.iloc[0]["payment"] == pytest.approx(1800, abs=1e-6)
    assert r.welfare.set_index("id").loc["A", "government"] == pytest.approx(-1800, abs=1e-6)


def test_floor_purchase_unlimited():
    """Purchase floor 70: price 70, supply 60, demand 30, the government buys 30 for 2100."""
    r = critmin.solve(one([{"kind": "price_floor", "product": "g", "scope": "A", "price": 70, "mechanism": "purchase"}]))
    assert r.price("A", "g") == pytest.approx(70, abs=1e-8)
    pol = r.policies.iloc[0]
    assert pol["purchases"] == pytest.approx(30, abs=1e-8)
    assert pol["spending"] == pytest.approx(2100, abs=1e-6)
    # binding means the instrument is in effect, as for cfd, levy and quota rows: the government buys
    assert bool(pol["binding"])
    assert pol["unit_value"] == pytest.approx(70, abs=1e-8)  # no budget: support price = the floor


def test_floor_purchase_binding_budget():
    """Budget 1000 < 2100: the government spends it all at the support price s it can hold:
    purchases S(s) - D(s) = 2s - 110 and s (2s - 110) = 1000, so s = (110 + sqrt(110^2 + 8000)) / 4
    = 62.9436...; purchases 2s - 110 = 15.887..."""
    r = critmin.solve(one([{"kind": "price_floor", "product": "g", "scope": "A", "price": 70, "mechanism": "purchase",
                            "budget": 1000}]))
    s = (110 + math.sqrt(110**2 + 8000)) / 4
    assert r.price("A", "g") == pytest.approx(s, abs=1e-8)
    pol = r.policies.iloc[0]
    assert pol["spending"] == pytest.approx(1000, abs=1e-6)
    assert pol["purchases"] == pytest.approx(2 * s - 110, abs=1e-8)
    assert pol["unit_value"] == pytest.approx(s, abs=1e-8)
    assert bool(pol["binding"])


def test_floor_purchase_slack_budget():
    """Budget 5000 > 2100 needed: as without a budget."""
    r = critmin.solve(one([{"kind": "price_floor", "product": "g", "scope": "A", "price": 70, "mechanism": "purchase",
                            "budget": 5000}]))
    assert r.price("A", "g") == pytest.approx(70, abs=1e-8)
    assert r.policies.iloc[0]["spending"] == pytest.approx(2100, abs=1e-6)


@pytest.mark.parametrize("budget", [1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2])
def test_floor_purchase_tiny_budget(budget):
    """Budgets far below the market's value, found by the property test (a 1e-8 USD budget made
    Newton stall at merit 1.7e-9: purchases of ~1e-10 t were below its resolution in units of the
    product's scale; decision 0013 addendum). The closed form of the binding-budget case above:
    s (2s - 110) = budget, so s = (110 + sqrt(110^2 + 8 budget)) / 4, just above autarky's 55,
    and the whole budget is spent."""
    r = critmin.solve(one([{"kind": "price_floor", "product": "g", "scope": "A", "price": 70, "mechanism": "purchase",
                            "budget": budget}]))
    s = (110 + math.sqrt(110**2 + 8 * budget)) / 4
    assert r.price("A", "g") == pytest.approx(s, abs=1e-9)
    pol = r.policies.iloc[0]
    assert pol["spending"] == pytest.approx(budget, rel=1e-6)
    assert pol["purchases"] == pytest.approx(2 * s - 110, rel=1e-6)


def test_floor_variable_levy_binding():
    """Floor 75 in M by a variable levy on imports from X: the levy makes landed imports cost 75,
    so ED_M(75) = 10 = ES_X(p_X) -> p_X = 60, lowest landed price 62, levy 13, revenue 130 to M."""
    r = critmin.solve(two([{"kind": "price_floor", "product": "g", "scope": "M", "price": 75, "mechanism": "variable_levy"}]))
    assert r.price("M", "g") == pytest.approx(75, abs=1e-8)
    assert r.price("X", "g") == pytest.approx(60, abs=1e-8)
    pol = r.policies.iloc[0]
    assert pol["unit_value"] == pytest.approx(13, abs=1e-8)
    assert pol["revenue"] == pytest.approx(130, abs=1e-6)
    assert r.welfare.set_index("id").loc["M", "government"] == pytest.approx(130, abs=1e-6)


def test_floor_variable_levy_prohibitive():
    """Floor 85 > M's autarky price 80: imports stop; p_X = 55 (autarky), landed 57, levy 28."""
    r = critmin.solve(two([{"kind": "price_floor", "product": "g", "scope": "M", "price": 85, "mechanism": "variable_levy"}]))
    assert r.price("M", "g") == pytest.approx(80, abs=1e-8)
    assert r.policies.iloc[0]["unit_value"] == pytest.approx(28, abs=1e-8)
    assert len(r.flows) == 0


def test_stockpile_release_and_purchase():
    """Release 10: (p - 10) + 10 = 100 - p -> p = 50. Purchase 10: (p - 10) - 10 = 100 - p -> p = 60."""
    rel = critmin.solve(one([{"kind": "stockpile", "region": "A", "product": "g", "release": 10}]))
    buy = critmin.solve(one([{"kind": "stockpile", "region": "A", "product": "g", "purchase": 10}]))
    assert rel.price("A", "g") == pytest.approx(50, abs=1e-8)
    assert buy.price("A", "g") == pytest.approx(60, abs=1e-8)
    assert rel.policies.iloc[0]["revenue"] == pytest.approx(500, abs=1e-6)
    assert buy.policies.iloc[0]["spending"] == pytest.approx(600, abs=1e-6)


def test_processing_chain_with_input_coefficient():
    """Ore supply p_ore = 10 + q; oxide made from 1.25 ore at marginal cost 4 + 0.1 z; oxide demand
    p = 100 - z. Ore used = 1.25 z, so p_ore = 10 + 1.25 z and p_oxide = 4 + 0.1 z + 1.25 p_ore
    = 16.5 + 1.6625 z = 100 - z -> z = 83.5 / 2.6625."""
    sc = {
        "name": "chain", "regions": ["A"],
        "products": [{"id": "ore"}, {"id": "oxide", "inputs": {"ore": 1.25}}],
        "supply": [{"region": "A", "product": "ore", "intercept": 10, "slope": 1}],
        "processing": [{"region": "A", "product": "oxide", "intercept": 4, "slope": 0.1}],
        "demand": [{"region": "A", "product": "oxide", "intercept": 100, "slope": 1}],
    }
    r = critmin.solve(sc)
    z = 83.5 / 2.6625
    assert qty(r, "processing", "A", "oxide") == pytest.approx(z, abs=1e-8)
    assert qty(r, "supply", "A", "ore") == pytest.approx(1.25 * z, abs=1e-8)
    assert r.price("A", "oxide") == pytest.approx(100 - z, abs=1e-8)
    assert r.price("A", "ore") == pytest.approx(10 + 1.25 * z, abs=1e-8)
    # processing surplus = integral of (margin - marginal cost) = 0.1 z^2 / 2
    assert r.welfare.set_index("id").loc["A", "processing_surplus"] == pytest.approx(0.05 * z * z, abs=1e-6)


def test_world_welfare_is_gross_value_minus_costs():
    """Accounting identity (docs/engine.md): the world total equals consumers' gross value minus
    production and transport costs, whatever the tariffs and rents (they are transfers).
    With the quota of test_export_quota_and_rent: X consumes 40, M consumes 45; X produces 50,
    M produces 35; 10 shipped at cost 2."""
    r = critmin.solve(two([{"kind": "export_quota", "origin": "X", "quantity": 10},
                           {"kind": "tariff", "destination": "M", "specific": 1}]))
    dx, dm = qty(r, "demand", "X"), qty(r, "demand", "M")
    sx, sm = qty(r, "supply", "X"), qty(r, "supply", "M")
    gross = 100 * dx - dx**2 / 2 + 120 * dm - dm**2 / 2
    cost = 10 * sx + sx**2 / 2 + 40 * sm + sm**2 / 2 + 2 * flow(r)
    world = r.welfare.set_index("id").loc["world", "total"]
    assert world == pytest.approx(gross - cost, abs=1e-6)


def test_bloc_welfare_sums_members():
    r = critmin.solve(two([{"kind": "tariff", "destination": "M", "specific": 3}], blocs={"club": ["X", "M"]}))
    w = r.welfare.set_index(["level", "id"])
    assert w.loc[("bloc", "club"), "total"] == pytest.approx(w.loc[("region", "X"), "total"] + w.loc[("region", "M"), "total"])
    assert w.loc[("bloc", "club"), "total"] == pytest.approx(w.loc[("world", "world"), "total"])


def test_shipped_example_matches_its_hand_solution():
    """scenarios/examples/two-region-tariff.yaml: the numbers in its comments (and docs/engine.md)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "two-region-tariff.yaml"
    r = critmin.solve(path)
    assert r.price("X", "good") == pytest.approx(53.2, abs=1e-9)
    assert r.price("M", "good") == pytest.approx(60.2, abs=1e-9)
    assert flow(r, product="good") == pytest.approx(39.6, abs=1e-9)
    assert r.policies.iloc[0]["revenue"] == pytest.approx(198, abs=1e-7)


def test_idle_market_gets_its_import_parity_price():
    """H1 and H2 have no curves and trade nothing (A -> B direct costs 2; via H1 it would cost
    5 + 1). Any price up to their import parity is an equilibrium; critmin reports the import
    parity (engine/hubs.py): p_H1 = p_A + 5 and, through H1, p_H2 = p_A + 5 + 1.5. Free trade
    A -> B as in ``two`` (A = X, B = M): p_A = 66.5."""
    sc = two(regions=["X", "M", "H1", "H2"], transport=[
        {"product": "g", "origin": "X", "destination": "M", "cost": 2},
        {"product": "g", "origin": "X", "destination": "H1", "cost": 5},
        {"product": "g", "origin": "H1", "destination": "M", "cost": 1},
        {"product": "g", "origin": "H1", "destination": "H2", "cost": 1.5},
    ])
    r = critmin.solve(sc)
    assert r.price("X", "g") == pytest.approx(66.5, abs=1e-8)
    assert r.price("H1", "g") == pytest.approx(71.5, abs=1e-8)
    assert r.price("H2", "g") == pytest.approx(73.0, abs=1e-8)
    assert flow(r, "X", "H1") == 0


def test_idle_market_without_imports_bounds_its_neighbours():
    """H1 can only export (no arc into it), so its price is the solver's; H2's import parity must
    then be min(p_H1 + 1, p_X + 10), not p_X + 10 (a regression found by the cross-check)."""
    sc = two(regions=["X", "M", "H1", "H2"], transport=[
        {"product": "g", "origin": "X", "destination": "M", "cost": 2},
        {"product": "g", "origin": "H1", "destination": "H2", "cost": 1},
        {"product": "g", "origin": "X", "destination": "H2", "cost": 10},
    ])
    r = critmin.solve(sc)
    assert r.residual <= r.tolerance
    expected = min(r.price("H1", "g") + 1, r.price("X", "g") + 10)
    assert r.price("H2", "g") == pytest.approx(expected, abs=1e-9)


def levy_via_hub(hub_reachable: bool):
    """Exporter C (supply p = 10 + q, demand p = 100 - q: autarky 55), importer F (supply
    p = 40 + q, demand p = 120 - q: autarky 80) under a variable levy to a floor of 90 on imports
    into F; C -> F costs 5; an idle hub H ships to F for 1 and (if reachable) buys from C for 1."""
    transport = [{"product": "g", "origin": "C", "destination": "F", "cost": 5},
                 {"product": "g", "origin": "H", "destination": "F", "cost": 1}]
    if hub_reachable:
        transport.append({"product": "g", "origin": "C", "destination": "H", "cost": 1})
    return {
        "name": "levy-hub", "products": [{"id": "g"}], "regions": ["C", "F", "H"], "blocs": {"f": ["F"]},
        "supply": [{"region": "C", "product": "g", "intercept": 10, "slope": 1},
                   {"region": "F", "product": "g", "intercept": 40, "slope": 1}],
        "demand": [{"region": "C", "product": "g", "intercept": 100, "slope": 1},
                   {"region": "F", "product": "g", "intercept": 120, "slope": 1}],
        "transport": transport,
        "policies": [{"kind": "price_floor", "product": "g", "scope": "f", "price": 90, "mechanism": "variable_levy"}],
    }


def test_idle_levy_origin_gets_its_import_parity_and_the_levy_follows():
    """No trade (F's autarky price 80 is below the floor). H's price could be anything up to its
    import parity p_C + 1 = 56, and the levy 90 - min(p_H + 1, p_C + 5) with it; critmin reports
    the import parity, so the lowest landed price is 56 + 1 = 57 and the levy 90 - 57 = 33
    (decision 0047: before, H kept the solver's price and the levy depended on the start)."""
    r = critmin.solve(levy_via_hub(True))
    assert r.price("C", "g") == pytest.approx(55, abs=1e-9)
    assert r.price("F", "g") == pytest.approx(80, abs=1e-9)
    assert r.price("H", "g") == pytest.approx(56, abs=1e-9)
    assert r.policy_details.iloc[0]["unit_value"] == pytest.approx(33, abs=1e-9)
    assert len(r.flows) == 0


def test_levy_follows_an_unreachable_origin():
    """As above but nothing reaches H: H keeps the solver's price (its interval has no top), and
    the levy is computed from it: 90 - min(p_H + 1, 55 + 5)."""
    r = critmin.solve(levy_via_hub(False))
    assert r.residual <= r.tolerance
    lowest = min(r.price("H", "g") + 1, 60.0)
    assert r.policy_details.iloc[0]["unit_value"] == pytest.approx(max(0.0, 90 - lowest), abs=1e-9)
