"""The certificate catches a wrong solution in each kind of condition (it reads only the tables).

Each case solves a closed-form market (the hand solutions are in test_engine_closed_forms.py),
corrupts one number of the printed solution by a known amount, and checks that the residual
equals that amount on the product's price or quantity scale (engine/scales.py; these markets
have one product, so they equal the scenario-wide P and Q) and names the right condition.
"""

from __future__ import annotations

import pytest

import critmin
from critmin.engine.certificate import TOLERANCE, certify
from test_engine_closed_forms import one, two

TABLES = ("prices", "producer_prices", "supply", "demand", "processing", "flows", "policies", "policy_details")


def tables_of(result):
    return {k: getattr(result, k).copy() for k in TABLES}


def check(scenario, corrupt, expected, conditions):
    sc = critmin.load_scenario(scenario)
    result = critmin.solve(sc)
    t = tables_of(result)
    from critmin.engine.model import _scales
    from critmin.engine.scales import product_scales

    P, Q = _scales(sc)
    assert certify(sc, t, P, Q).residual <= TOLERANCE  # the untouched solution passes
    corrupt(t)
    cert = certify(sc, t, P, Q)
    (Pk,), (Qk,) = product_scales(sc, P, Q)
    assert (Pk, Qk) == (P, Q)
    assert cert.residual == pytest.approx(expected(Pk, Qk), rel=1e-6)
    assert cert.worst in conditions


def _shift(frame, col, amount, **where):
    sel = True
    for k, v in where.items():
        sel = sel & (frame[k] == v)
    frame.loc[sel, col] += amount


def test_demand_off_its_curve():
    """Demand in A moved by +2: off the curve by 2 and the market no longer clears by 2 (scale Q = 100)."""
    check(one(), lambda t: _shift(t["demand"], "quantity", 2.0, region="A"), lambda P, Q: 2.0 / Q,
          {"demand on curve", "market clearing"})


def test_flow_on_a_banned_arc():
    """Free-trade flows reported under an export ban: the whole flow (23) is on a closed arc."""
    free = critmin.solve(two())
    banned = two([{"kind": "export_ban", "origin": "X"}])
    sc = critmin.load_scenario(banned)
    from critmin.engine.model import _scales

    P, Q = _scales(sc)
    t = tables_of(critmin.solve(sc))
    t["flows"] = free.flows.copy()
    cert = certify(sc, t, P, Q)
    assert cert.residual >= 23.0 / Q - 1e-12
    assert cert.parts["flow on closed arc"] == pytest.approx(23.0 / Q)


def test_wrong_quota_rent():
    """Quota rent reported 1 too low: arbitrage on the quota arc fails by 1 (scale P = 120)."""
    check(two([{"kind": "export_quota", "origin": "X", "quantity": 10}]),
          lambda t: _shift(t["policy_details"], "unit_value", -1.0, kind="export_quota"), lambda P, Q: 1.0 / P,
          {"arbitrage"})


def test_wrong_levy():
    """Levy reported 0.5 too high: the levy condition is off by 0.5."""
    check(two([{"kind": "price_floor", "product": "g", "scope": "M", "price": 75, "mechanism": "variable_levy"}]),
          lambda t: _shift(t["policy_details"], "unit_value", 0.5, kind="variable_levy"), lambda P, Q: 0.5 / P,
          {"variable levy", "flow complementarity"})


def test_wrong_producer_price_under_cfd():
    """Producer price reported 3 below the floor of 70."""
    check(one([{"kind": "price_floor", "product": "g", "scope": "A", "price": 70, "mechanism": "cfd"}]),
          lambda t: _shift(t["producer_prices"], "price", -3.0, region="A"), lambda P, Q: 3.0 / P,
          {"producer price", "supply on curve"})


def test_floor_purchase_missing():
    """Floor purchases of 30 not reported: 30 units of excess supply at a positive price (70)."""
    check(one([{"kind": "price_floor", "product": "g", "scope": "A", "price": 70, "mechanism": "purchase"}]),
          lambda t: _shift(t["policy_details"], "quantity", -30.0, kind="purchase"), lambda P, Q: 30.0 / Q,
          {"clearing complementarity"})


def test_budget_overspent():
    """Support price reported 1 above the equilibrium one (62.94 -> 63.94) under a binding budget."""
    check(one([{"kind": "price_floor", "product": "g", "scope": "A", "price": 70, "mechanism": "purchase",
                "budget": 1000}]),
          lambda t: _shift(t["policies"], "unit_value", 1.0, kind="price_floor"), lambda P, Q: 1.0 / P,
          {"price >= support"})
