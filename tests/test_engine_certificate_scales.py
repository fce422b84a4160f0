"""The certificate measures each condition on the scales of the product(s) it involves.

Regression for the failure found on the FORGE scenarios: with one scale for the whole
scenario (its largest quantity, 100,000 t), a dysprosium-oxide export licence exceeded by
1.9% and a Dy market missing clearing by 1.8% passed with residual 4.9e-11. Here a
two-product market reproduces it by hand: product ``big`` trades 88,000 units, product
``small`` 3.9 under an export quota of 3.9.
"""

from __future__ import annotations

import pytest

import critmin
from critmin.engine.certificate import TOLERANCE, certify
from critmin.engine.model import _scales
from critmin.engine.scales import FLOOR, product_scales

TABLES = ("prices", "producer_prices", "supply", "demand", "processing", "flows", "policies", "policy_details")

#: big: X supply p = 10 + 0.0005 q (cap 200,000), M demand p = 100 - 0.0005 q, transport 2:
#: 10 + 0.0005 q + 2 = 100 - 0.0005 q -> q = 88,000, p_X = 54, p_M = 56.
#: small: X supply p = 200 + 2 q (cap 100), M demand p = 1000 - 100 q, transport 10, X's
#: exports capped at 3.9: M demand = 3.9 -> p_M = 610; X supplies 3.9 -> p_X = 207.8;
#: quota rent 610 - 207.8 - 10 = 392.2.
#: Scales (scales.py): P_big = 100, Q_big = max(200,000, 100 / 0.0005) = 200,000;
#: P_small = 1000, Q_small = max(100 (capacity), 1000 / 100, 3.9) = 100.
#: Scenario-wide (model._scales): P = 1000, Q = 200,000.
BIG_SMALL = {
    "name": "big-small", "products": [{"id": "big"}, {"id": "small"}], "regions": ["X", "M"],
    "supply": [{"region": "X", "product": "big", "intercept": 10, "slope": 0.0005, "capacity": 200000},
               {"region": "X", "product": "small", "intercept": 200, "slope": 2, "capacity": 100}],
    "demand": [{"region": "M", "product": "big", "intercept": 100, "slope": 0.0005},
               {"region": "M", "product": "small", "intercept": 1000, "slope": 100}],
    "transport": [{"product": "big", "origin": "X", "destination": "M", "cost": 2},
                  {"product": "small", "origin": "X", "destination": "M", "cost": 10}],
    "policies": [{"kind": "export_quota", "product": "small", "origin": "X", "destination": "*", "quantity": 3.9}],
}
DELTA = 0.078  # 2% of the 3.9 licence


def solved():
    sc = critmin.load_scenario(BIG_SMALL)
    result = critmin.solve(sc)
    return sc, {k: getattr(result, k).copy() for k in TABLES}, result


def test_big_small_solution_matches_hand_solution():
    _, _, r = solved()
    assert r.price("M", "big") == pytest.approx(56, abs=1e-8)
    assert r.price("X", "small") == pytest.approx(207.8, abs=1e-8)
    assert r.price("M", "small") == pytest.approx(610, abs=1e-8)
    f = r.flows.set_index(["product", "origin", "destination"])["quantity"]
    assert f[("big", "X", "M")] == pytest.approx(88000, abs=1e-6)
    assert f[("small", "X", "M")] == pytest.approx(3.9, abs=1e-10)
    assert r.policy_details.loc[r.policy_details["kind"] == "export_quota", "unit_value"].iloc[0] == pytest.approx(392.2, abs=1e-8)


def test_scales_of_big_small_by_hand():
    sc = critmin.load_scenario(BIG_SMALL)
    assert _scales(sc) == (1000.0, 200000.0)
    Pk, Qk = product_scales(sc, *_scales(sc))
    assert list(Pk) == [100.0, 1000.0]
    assert list(Qk) == [200000.0, 100.0]


def test_quota_exceeded_by_2_percent_on_the_small_product_fails():
    """3.978 shipped under a licence of 3.9: 0.078 over, 7.8e-4 of Q_small = 100.

    On the old scenario-wide scale the same error was 0.078 / 200,000 = 3.9e-7 < 1e-6 and passed.
    """
    sc, t, _ = solved()
    assert certify(sc, t, *_scales(sc)).residual <= TOLERANCE
    t["flows"].loc[t["flows"]["product"] == "small", "quantity"] += DELTA
    cert = certify(sc, t, *_scales(sc))
    assert DELTA / _scales(sc)[1] < TOLERANCE  # what the old certificate measured
    assert cert.parts["quota"] == pytest.approx(DELTA / 100, rel=1e-9)
    assert cert.residual == pytest.approx(DELTA / 100, rel=1e-9)
    assert cert.residual > TOLERANCE


def test_small_market_missing_clearing_by_2_percent_fails():
    """M's small demand reported 3.978 while 3.9 arrive: clearing misses by 0.078 = 7.8e-4 of Q_small."""
    sc, t, _ = solved()
    sel = (t["demand"]["region"] == "M") & (t["demand"]["product"] == "small")
    t["demand"].loc[sel, "quantity"] += DELTA
    cert = certify(sc, t, *_scales(sc))
    assert DELTA / _scales(sc)[1] < TOLERANCE
    assert cert.parts["market clearing"] == pytest.approx(DELTA / 100, rel=1e-9)
    assert cert.residual == pytest.approx(DELTA / 100, rel=1e-9)
    assert cert.residual > TOLERANCE


def test_small_price_error_is_measured_on_the_small_price_scale():
    """The big product's arbitrage gap is measured by P_big = 100, not by the scenario's P = 1000:
    M's big price reported 0.01 high breaks arbitrage by 0.01 / 100 = 1e-4 (1e-5 on the old scale)."""
    sc, t, _ = solved()
    sel = (t["prices"]["region"] == "M") & (t["prices"]["product"] == "big")
    t["prices"].loc[sel, "price"] += 0.01
    cert = certify(sc, t, *_scales(sc))
    assert cert.parts["arbitrage"] == pytest.approx(0.01 / 100, rel=1e-6)


#: A chain: ore (A: p = 60 + q, cap 500) -> oxide (1.25 ore per unit; processing in B at
#: 4 + 0.1 z, cap 600; demand in B p = 54 - 3 d; a cfd floor of 80 on oxide in B).
#: P_ore = 60; P_oxide = max(54, 4, floor 80, 1.25 x 60 = 75) = 80.
#: Q_oxide = max(54 / 3 = 18, 600) = 600; Q_ore = max(500, 1.25 x 600 = 750) = 750.
CHAIN = {
    "name": "chain", "products": [{"id": "ore"}, {"id": "oxide", "inputs": {"ore": 1.25}}], "regions": ["A", "B"],
    "supply": [{"region": "A", "product": "ore", "intercept": 60, "slope": 1, "capacity": 500}],
    "demand": [{"region": "B", "product": "oxide", "intercept": 54, "slope": 3}],
    "processing": [{"region": "B", "product": "oxide", "intercept": 4, "slope": 0.1, "capacity": 600}],
    "transport": [{"product": "ore", "origin": "A", "destination": "B", "cost": 3}],
    "policies": [{"kind": "price_floor", "product": "oxide", "scope": "B", "price": 80, "mechanism": "cfd"}],
}


def test_chain_scales_propagate_prices_up_and_quantities_down():
    sc = critmin.load_scenario(CHAIN)
    Pk, Qk = product_scales(sc, *_scales(sc))
    assert list(Pk) == [60.0, 80.0]
    assert list(Qk) == [750.0, 600.0]
    CHAIN_NO_FLOOR = {**CHAIN, "policies": []}
    Pk, _ = product_scales(critmin.load_scenario(CHAIN_NO_FLOOR), 60.0, 600.0)
    assert Pk[1] == pytest.approx(75.0)  # the inputs' value 1.25 x 60 exceeds every oxide intercept


def test_curves_through_the_origin_take_their_price_at_the_quantity_scale():
    """Product ``o``: supply p = 2 q (cap 10), fixed demand 5 -> Q_o = max(5, 10) = 10; no intercept or
    floor gives a price, so P_o = 2 x min(10, 10) = 20 (the equilibrium price is 2 x 5 = 10)."""
    sc = critmin.load_scenario({
        "name": "origin", "products": [{"id": "o"}], "regions": ["A"],
        "supply": [{"region": "A", "product": "o", "intercept": 0, "slope": 2, "capacity": 10}],
        "demand": [{"region": "A", "product": "o", "quantity": 5}],
    })
    Pk, Qk = product_scales(sc, *_scales(sc))
    assert (Pk[0], Qk[0]) == (20.0, 10.0)
    assert critmin.solve(sc).price("A", "o") == pytest.approx(10, abs=1e-10)


def test_scales_are_floored_at_1e_7_of_the_scenario_wide_ones():
    """Product ``trace``: capacity 1e-4 and demand choke 0.001 / 10 = 1e-4, below 1e-7 x the
    scenario's Q = 100,000 = 1e-2, so it is measured in units of 1e-2; its prices (intercepts 1e-4,
    1e-3) are above 1e-7 x P = 1e-5 and keep their own scale 1e-3. Product ``free`` (flat supply at
    0, fixed demand 0) has no magnitude at all and takes both floors."""
    sc = critmin.load_scenario({
        "name": "tiny", "products": [{"id": "bulk"}, {"id": "trace"}, {"id": "free"}], "regions": ["A"],
        "supply": [{"region": "A", "product": "bulk", "intercept": 1, "slope": 0.001, "capacity": 100000},
                   {"region": "A", "product": "trace", "intercept": 0.0001, "slope": 1, "capacity": 1e-4},
                   {"region": "A", "product": "free", "intercept": 0, "slope": 0}],
        "demand": [{"region": "A", "product": "bulk", "intercept": 100, "slope": 0.001},
                   {"region": "A", "product": "trace", "intercept": 0.001, "slope": 10},
                   {"region": "A", "product": "free", "quantity": 0}],
    })
    P, Q = _scales(sc)
    assert (P, Q) == (100.0, 100000.0)
    Pk, Qk = product_scales(sc, P, Q)
    assert list(Pk) == pytest.approx([100.0, 1e-3, FLOOR * P], rel=1e-12)
    assert list(Qk) == pytest.approx([100000.0, FLOOR * Q, FLOOR * Q], rel=1e-12)
    assert FLOOR == 1e-7


def test_floor_asks_no_more_than_the_solver_stop_delivers():
    """The solver stops at max |Phi| <= SOLVER_TOL in units of each product's floored scales
    (model._block_scales), the certificate's own; at TOLERANCE x FLOOR = 1e-13 that is far inside
    TOLERANCE even for a product at the floor. A looser stop would make the certificate reject
    solutions the solver calls converged."""
    from critmin.engine.solve import SOLVER_TOL

    assert SOLVER_TOL <= TOLERANCE * FLOOR * (1 + 1e-12)


def _spread(factor: float) -> dict:
    """BIG_SMALL with the big product's slopes divided by ``factor``: its quantities grow by
    ``factor`` (88,000 x factor traded) and its prices stay 54 / 56; the small market is unchanged."""
    sc = {**BIG_SMALL, "supply": [dict(e) for e in BIG_SMALL["supply"]], "demand": [dict(e) for e in BIG_SMALL["demand"]]}
    sc["supply"][0].update(slope=0.0005 / factor, capacity=200000 * factor)
    sc["demand"][0].update(slope=0.0005 / factor)
    return sc


def test_small_market_solved_exactly_beside_a_10000_times_larger_one():
    """Quantities 88,000,000 vs 3.9 (resolved even when the solver used one scenario-wide scale)."""
    r = critmin.solve(_spread(1e4))
    assert r.price("M", "small") == pytest.approx(610, rel=1e-9)
    assert r.price("X", "small") == pytest.approx(207.8, rel=1e-9)


def test_small_market_solved_exactly_beside_a_million_times_larger_one():
    """Quantities 88,000,000,000 vs 3.9; the hand solution of the small market is unchanged (p_M = 610).
    Solved because the MCP is scaled per product (model._block_scales); with one scenario-wide
    P, Q Newton stalled at merit 1.5e-13 with the small price 1% off (615.9)."""
    r = critmin.solve(_spread(1e6))
    assert r.price("M", "small") == pytest.approx(610, rel=1e-9)


def test_trace_market_solved_beside_a_bulk_one():
    """trace: supply p = 1e-4 + q (cap 1e-7), demand p = 1e-3 - 1e4 q -> 1e-4 + q = 1e-3 - 1e4 q,
    q = 9e-4 / 10001 = 8.9991e-8, p = 1e-4 + q. bulk: p = 1 + 0.001 q = 100 - 0.001 q -> q = 49,500."""
    r = critmin.solve({
        "name": "trace", "products": [{"id": "bulk"}, {"id": "trace"}], "regions": ["A"],
        "supply": [{"region": "A", "product": "bulk", "intercept": 1, "slope": 0.001, "capacity": 100000},
                   {"region": "A", "product": "trace", "intercept": 0.0001, "slope": 1, "capacity": 1e-7}],
        "demand": [{"region": "A", "product": "bulk", "intercept": 100, "slope": 0.001},
                   {"region": "A", "product": "trace", "intercept": 0.001, "slope": 1e4}],
    })
    q = 9e-4 / 10001
    d = r.demand.set_index("product")["quantity"]
    assert d["trace"] == pytest.approx(q, rel=1e-6)
    assert r.price("A", "trace") == pytest.approx(1e-4 + q, rel=1e-6)


def test_levy_and_budget_solved_exactly_beside_a_billion_times_larger_market():
    """Policy rows are scaled per product too. big: _spread(1e6)'s big product (88,000,000,000
    traded). g: floor 75 in M by a variable levy, hand solution as in test_engine_closed_forms
    (X: p = 10 + q, demand 100 - d; M: p = 40 + q, demand 120 - d; transport 2): p_M = 75,
    p_X = 60, levy 13. h (in X only): supply p = 10 + q, demand p = 100 - d, purchase floor 70
    with budget 1000: s (2s - 110) = 1000, s = (110 + sqrt(110^2 + 8000)) / 4.
    With one scenario-wide P, Q this failed the certificate (SolverError)."""
    big = _spread(1e6)
    sc = {
        "name": "policies-beside-big", "products": [{"id": "big"}, {"id": "g"}, {"id": "h"}], "regions": ["X", "M"],
        "supply": [big["supply"][0],
                   {"region": "X", "product": "g", "intercept": 10, "slope": 1},
                   {"region": "M", "product": "g", "intercept": 40, "slope": 1},
                   {"region": "X", "product": "h", "intercept": 10, "slope": 1}],
        "demand": [big["demand"][0],
                   {"region": "X", "product": "g", "intercept": 100, "slope": 1},
                   {"region": "M", "product": "g", "intercept": 120, "slope": 1},
                   {"region": "X", "product": "h", "intercept": 100, "slope": 1}],
        "transport": [big["transport"][0], {"product": "g", "origin": "X", "destination": "M", "cost": 2}],
        "policies": [{"kind": "price_floor", "product": "g", "scope": "M", "price": 75, "mechanism": "variable_levy"},
                     {"kind": "price_floor", "product": "h", "scope": "X", "price": 70, "mechanism": "purchase",
                      "budget": 1000}],
    }
    r = critmin.solve(sc)
    assert r.price("M", "big") == pytest.approx(56, rel=1e-9)
    assert r.price("M", "g") == pytest.approx(75, rel=1e-9)
    assert r.price("X", "g") == pytest.approx(60, rel=1e-9)
    assert r.policies.iloc[0]["unit_value"] == pytest.approx(13, rel=1e-9)
    s = (110 + (110**2 + 8000) ** 0.5) / 4
    assert r.price("X", "h") == pytest.approx(s, rel=1e-9)
    assert r.policies.iloc[1]["spending"] == pytest.approx(1000, rel=1e-9)
