"""Reserve operation rules on a one-market linear model with closed forms.

Supply p = 10 + q, demand p = 100 - q. A release R per year clears at p = (110 - R) / 2; a purchase
B per year at p = (110 + B) / 2 (solve 10 + q = 100 - (q -/+ R)).
"""

from __future__ import annotations

import copy

import pytest
from markets import ONE_MARKET

from critmin.dynamics import prepare, simulate
from critmin.errors import InputFileError
from critmin.reserve.financing import annuity_payment as annuity
from critmin.reserve.operation import Book, decide
from critmin.reserve.rules import Holding, Reserve

ONE = {
    "name": "one-market",
    **ONE_MARKET,
    "horizon": {"start": 2024, "end": 2026},
}


def run(holding: dict, **reserve):
    data = copy.deepcopy(ONE)
    base = {"product": "good", "region": "A", "capacity": 100, "max_fill_per_year": 50, "max_draw_per_year": 50}
    data["reserve"] = {"holdings": [{**base, **holding}], **reserve}
    return simulate(prepare(data))


def test_release_above_a_level_brings_the_price_exactly_to_it():
    # price 55 > 50: release R with (110 - R) / 2 = 50 -> R = 10 a year while holdings last
    tr = run({"initial": 25, "release_above": 50})
    r = tr.tables["reserve"]
    assert r["price"].tolist() == pytest.approx([50.0, 50.0, 52.5], rel=1e-9)
    assert r["released_t"].tolist() == pytest.approx([10.0, 10.0, 5.0], rel=1e-7)  # the last year: 5 left
    assert r["held_end_t"].iloc[-1] == pytest.approx(0.0, abs=1e-6)
    assert r["sales_usd"].iloc[0] == pytest.approx(500.0, rel=1e-7)


def test_release_is_capped_by_the_draw_rate():
    tr = run({"initial": 25, "release_above": 40, "max_draw_per_year": 6})
    r = tr.tables["reserve"]
    # R = 30 would reach 40; the draw cap gives 6: p = (110 - 6) / 2 = 52
    assert r["released_t"].tolist() == pytest.approx([6.0, 6.0, 6.0])
    assert r["price"].tolist() == pytest.approx([52.0] * 3)


def test_purchase_stops_at_the_buy_level():
    # price 55 <= 60: buy B with (110 + B) / 2 = 60 -> B = 10, never lifting the price above 60
    tr = run({"buy_at_or_below": 60})
    r = tr.tables["reserve"]
    assert r["bought_t"].tolist() == pytest.approx([10.0] * 3, rel=1e-7)
    assert r["price"].tolist() == pytest.approx([60.0] * 3, rel=1e-9)


def test_purchase_respects_capacity_and_budget():
    tr = run({"buy_at_or_below": 60, "capacity": 15})
    assert tr.tables["reserve"]["bought_t"].tolist() == pytest.approx([10.0, 5.0, 0.0], rel=1e-7)
    # budget 900: year 1 spends 10 x 60 = 600; year 2 buys B with B (110 + B) / 2 = 300 -> B = 5.0 (p = 57.5... check)
    tr = run({"buy_at_or_below": 60}, budget_usd=900)
    r = tr.tables["reserve"]
    b2 = r["bought_t"].iloc[1]
    assert b2 * (110 + b2) / 2 == pytest.approx(300.0, rel=1e-6)
    assert r["purchase_usd"].sum() <= 900 * (1 + 1e-9)
    assert r["bought_t"].iloc[2] == pytest.approx(0.0, abs=1e-6)


def test_release_in_shortage_restores_the_undisrupted_price():
    data = copy.deepcopy(ONE)
    data["regions"] = ["X", "M"]
    data["supply"] = [{"region": "X", "product": "good", "intercept": 10, "slope": 0.5},
                      {"region": "M", "product": "good", "intercept": 40, "slope": 1}]
    data["demand"] = [{"region": "X", "product": "good", "intercept": 100, "slope": 1},
                      {"region": "M", "product": "good", "intercept": 120, "slope": 1}]
    data["transport"] = [{"product": "good", "origin": "X", "destination": "M", "cost": 2}]
    data["disruptions"] = [{"id": "d", "supplier": "X", "products": ["good"], "destinations": "M",
                            "share_withheld": 0.5, "start": 2025, "duration": 1}]
    data["reserve"] = {"holdings": [{"product": "good", "region": "M", "initial": 100, "capacity": 100,
                                     "max_fill_per_year": 10, "max_draw_per_year": 50}]}
    tr = simulate(prepare(data))
    r = tr.tables["reserve"].set_index("time")
    p = tr.tables["prices"]
    m = p[p["region"] == "M"].set_index("time")
    assert r.loc[2025.0, "action"] == "release"
    # the undisrupted price of M is 57.2 (hand solution of the two-region market, x = 45.6)
    assert m.loc[2025.0, "price_undisrupted"] == pytest.approx(57.2)
    assert m.loc[2025.0, "price"] == pytest.approx(57.2, rel=1e-8)
    # the quota halves exports (22.8), the release replaces the other half: R = 22.8
    assert r.loc[2025.0, "released_t"] == pytest.approx(22.8, rel=1e-6)
    sf = tr.outcomes
    assert sf["shortfall_no_action_t:good"] > 0
    assert sf["avoided_shortfall_t:good"] == pytest.approx(sf["shortfall_no_action_t:good"], rel=1e-6)
    assert sf["shortfall_t:good"] == pytest.approx(0.0, abs=1e-6)


def test_annuity_closed_form_and_loan_cash_flows():
    # 10 billion over 15 years at 4%: P r / (1 - (1 + r)^-n); the present-value annuity factor
    # at 4% over 15 years is 11.1184 in standard annuity tables
    assert annuity(10e9, 0.04, 15) == pytest.approx(10e9 * 0.04 / (1 - 1.04 ** -15), rel=1e-12)
    assert 10e9 / annuity(10e9, 0.04, 15) == pytest.approx(11.1184, abs=5e-5)
    assert annuity(150.0, 0.0, 15) == pytest.approx(10.0)
    tr = run({"initial": 0}, loan={"principal_usd": 1000, "years": 2, "rate": 0.1})
    f = tr.tables["fiscal"]
    pay = 1000 * 0.1 / (1 - 1.1 ** -2)
    assert f["loan_payment_usd"].tolist() == pytest.approx([pay, pay, 0.0])
    assert f["loan_drawdown_usd"].tolist() == [1000, 0, 0]
    assert tr.outcomes["fiscal_cost_usd:total"] == pytest.approx(2 * pay - 1000)  # the interest
    assert f["loan_outstanding_usd"].tolist() == pytest.approx([pay / 1.1, 0.0, 0.0])  # one payment left, discounted
    long = run({"initial": 0}, loan={"principal_usd": 1000, "years": 10, "rate": 0.1})
    # after 3 of 10 payments the balance is the present value of the other 7
    pay10 = 1000 * 0.1 / (1 - 1.1 ** -10)
    assert long.outcomes["loan_outstanding_end_usd:total"] == pytest.approx(pay10 * (1 - 1.1 ** -7) / 0.1)


def test_decide_rules():
    h = Holding(product="k", region="A", capacity=10, initial=5, buy_at_or_below=50, release_above=90,
                max_fill_per_year=4, max_draw_per_year=3)
    assert decide(h, 5, 95, 95, 1.0, None).kind == "release"
    assert decide(h, 5, 95, 95, 1.0, None).target == 90
    d = decide(h, 5, 70, 60, 0.25, None)  # shortage: towards the undisrupted price, draw cap 3 a year
    assert (d.kind, d.target, d.cap) == ("release", 60, 3)
    assert decide(h, 0, 70, 60, 1.0, None).kind == "hold"  # nothing to release
    d = decide(h, 8, 40, 40, 1.0, 100.0)  # room 2, budget 100 / 40 = 2.5
    assert (d.kind, d.cap) == ("buy", 2)
    assert decide(h, 8, 40, 40, 1.0, 40.0).cap == 1.0
    assert decide(h, 5, 60, 60, 1.0, None).kind == "hold"


def test_book_rejects_overdraw_and_rules_reject_bad_levels():
    from critmin.errors import SolverError

    h = Holding(product="k", region="A", capacity=10, initial=1, max_fill_per_year=4, max_draw_per_year=3)
    book = Book.open(Reserve(holdings=[h]))
    with pytest.raises(SolverError, match="holdings"):
        book.apply(h, "release", 2.0, 10.0, 1.0)
    with pytest.raises(InputFileError, match=r"reserve.holdings\[0\]"):
        run({"buy_at_or_below": 90, "release_above": 80})


def test_buy_at_the_floor_uses_the_scenarios_floor_as_level():
    # a CfD floor of 60 on the market: the reserve buys up to the price 60, B = 10 a year as above
    data = copy.deepcopy(ONE)
    data["policies"] = [{"kind": "price_floor", "product": "good", "scope": "A", "price": 60, "mechanism": "cfd"}]
    data["reserve"] = {"holdings": [{"product": "good", "region": "A", "capacity": 100, "buy_at_floor": True,
                                     "max_fill_per_year": 50, "max_draw_per_year": 50}]}
    model = prepare(data)
    assert model.reserve.holdings[0].buy_at_or_below == 60
    r = simulate(model).tables["reserve"]
    assert (r["action"] == "buy").all() and r["price"].max() <= 60 * (1 + 1e-9)
    data["policies"] = []
    with pytest.raises(InputFileError, match=r"field 'reserve.holdings\[0\].buy_at_floor' \(value True\): no price floor"):
        prepare(data)
