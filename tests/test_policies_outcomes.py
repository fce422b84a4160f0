"""Outcome tables of a policy run against its baseline, on the hand-solved one-stage market.

Market: tests/fixtures/policies/one_stage.yaml (see tests/test_policies_compile.py for the
algebra). Baseline: p_B = 36.5, p_A = 35.5, q_A = 15.5, d_B = 63.5, imports C -> B = 48.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import critmin
from critmin.policies import compile_policies, engine_scenario
from critmin.policies.outcomes import MEMBER_COLUMNS, PRODUCT_COLUMNS, outcomes

FIX = Path(__file__).parent / "fixtures" / "policies"
MEMBERS = ["A", "B"]


def run(*policies: dict, name: str = "one_stage"):
    d = yaml.safe_load((FIX / f"{name}.yaml").read_text())
    base = critmin.solve(d)
    d["policies"] = list(policies)
    return base, critmin.solve(engine_scenario(compile_policies(d, base)))


def ref(enforcement: str, price: float = 60, product: str = "ore") -> dict:
    return {"kind": "reference_price", "product": product, "zone": "forge", "method": "fixed", "price": price,
            "enforcement": enforcement}


def row(frame, region, product=None):
    sel = frame["region"] == region
    if product is not None:
        sel &= frame["product"] == product
    return frame[sel].iloc[0]


def test_adjustable_tariff_outcomes_by_hand():
    # Policy: p_B = 60, d_B = 40, q_A = 39, imports C -> B = 1, levy 35.25 per unit.
    base, pol = run(ref("adjustable_tariff"))
    out = outcomes(base, pol, MEMBERS, "forge")
    bp, bm = out["by_product"], out["by_member"]
    assert list(bp.columns) == PRODUCT_COLUMNS and list(bm.columns) == MEMBER_COLUMNS
    b = row(bp, "B", "ore")
    assert b["price_change"] == pytest.approx(23.5, abs=1e-8)
    assert b["buyer_cost_change"] == pytest.approx(23.5 * 40, abs=1e-6)  # extra paid on what B still buys
    assert (b["imports_outside_baseline"], b["imports_outside_policy"]) == pytest.approx((48, 1), abs=1e-8)
    assert (b["imports_inside_baseline"], b["imports_inside_policy"]) == pytest.approx((15.5, 39), abs=1e-8)
    a = row(bp, "A", "ore")
    assert a["new_capacity"] == pytest.approx(39 - 15.5, abs=1e-8)
    bloc = row(bp, "forge", "ore")
    assert bloc["self_sufficiency_baseline"] == pytest.approx(15.5 / 63.5, rel=1e-9)
    assert bloc["self_sufficiency_policy"] == pytest.approx(39 / 40, rel=1e-9)
    assert bloc["imports_inside_policy"] == pytest.approx(39, abs=1e-8)  # intra-bloc trade
    mb = row(bm, "B")
    assert mb["levy_revenue"] == pytest.approx(35.25, abs=1e-8)
    assert row(bm, "A")["levy_revenue"] == 0
    assert row(bm, "forge")["levy_revenue"] == pytest.approx(float(pol.policies["revenue"].sum()), rel=1e-12)
    # CS of B: d^2 / 2 with slope 1: 40^2/2 - 63.5^2/2; PS of A: q^2 / 2: 39^2/2 - 15.5^2/2.
    assert mb["consumer_surplus_change"] == pytest.approx(800 - 2016.125, abs=1e-6)
    assert row(bm, "A")["producer_gains"] == pytest.approx(760.5 - 120.125, abs=1e-6)
    assert mb["fiscal_cost"] == 0


def test_cfd_fiscal_cost_by_hand():
    # A's producers receive 60: q_A = 40; market: 100 - p_B = 40 + 4 (p_B - 2) - 90, p_B = 31.6,
    # p_A = 30.6; the treasury pays (60 - 30.6) x 40 = 1176.
    base, pol = run(ref("cfd"))
    bm = outcomes(base, pol, MEMBERS, "forge")["by_member"]
    assert row(bm, "A")["fiscal_cost"] == pytest.approx(1176, abs=1e-6)
    assert row(bm, "forge")["fiscal_cost"] == pytest.approx(1176, abs=1e-6)
    assert row(bm, "A")["government_change"] == pytest.approx(-1176, abs=1e-6)
    assert row(bm, "B")["buyer_cost_change"] < 0  # a cfd lowers the market price buyers pay


@pytest.mark.parametrize("enforcement", ["adjustable_tariff", "cfd", "purchase"])
def test_accounting_identities_and_signs(enforcement):
    base, pol = run(ref(enforcement, 230, "oxide"), name="two_stage")
    out = outcomes(base, pol, MEMBERS, "forge")
    bm = out["by_member"]
    parts = bm["consumer_surplus_change"] + bm["producer_gains"] + bm["quota_rent_change"] + bm["government_change"]
    assert (parts - bm["welfare_change"]).abs().max() < 1e-8
    bloc = row(bm, "forge")
    members = bm[bm["level"] == "member"]
    for col in MEMBER_COLUMNS[2:]:
        assert bloc[col] == pytest.approx(float(members[col].sum()), abs=1e-8)
    # The bloc's welfare change is the sum of the engine's regional welfare changes of its members.
    wb, wp = base.welfare.set_index("id"), pol.welfare.set_index("id")
    assert bloc["welfare_change"] == pytest.approx(float((wp.loc[MEMBERS, "total"] - wb.loc[MEMBERS, "total"]).sum()), abs=1e-8)
    # A floor raises the price zone producers receive, so their gains are not negative; a cfd and a
    # purchase cost the treasury, a levy does not.
    assert bloc["producer_gains"] >= -1e-9
    assert bloc["fiscal_cost"] >= 0 if enforcement != "adjustable_tariff" else bloc["fiscal_cost"] == 0
    bp = out["by_product"]
    assert (bp["new_capacity"] >= 0).all()
