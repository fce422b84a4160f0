"""FORGE instruments compiled into engine primitives, on hand-solvable markets.

tests/fixtures/policies/one_stage.yaml (one product; zone forge = A, B; C outside):
A: p = 20 + q; C: p = 5 + q/2 and demand p = 40 - d/2; B: demand p = 100 - d; transport A->B 1,
C->B 2. Free trade: A and C both ship to B, so p_A = p_B - 1, p_C = p_B - 2; C's net exports
are (2 p_C - 10) - (80 - 2 p_C) = 4 p_C - 90; clearing in B: 100 - p_B = (p_B - 21) + 4 (p_B - 2) - 90
gives p_B = 36.5, p_A = 35.5, p_C = 34.5, q_A = 15.5, exports C->B = 48.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import critmin
from critmin.errors import InputFileError, ScenarioError
from critmin.policies import chain_table, compile_policies, engine_scenario
from critmin.policies.reference import crf

FIX = Path(__file__).parent / "fixtures" / "policies"


def market(name: str) -> dict:
    return yaml.safe_load((FIX / f"{name}.yaml").read_text())


def with_policies(name: str, *policies: dict) -> dict:
    d = market(name)
    d["policies"] = list(policies)
    return d


REF = {"kind": "reference_price", "product": "ore", "zone": "forge"}


def test_baseline_matches_the_hand_solution():
    res = critmin.solve(market("one_stage"))
    assert res.price("B", "ore") == pytest.approx(36.5, abs=1e-9)
    assert res.price("A", "ore") == pytest.approx(35.5, abs=1e-9)
    assert res.price("C", "ore") == pytest.approx(34.5, abs=1e-9)


def test_fixed_reference_with_adjustable_tariff_is_the_engines_variable_levy():
    # B's price is held at 60 while C still ships: A supplies q_A = 59 - 20 = 39 of B's demand 40,
    # so C ships 1: 4 p_C - 90 = 1, p_C = 22.75, landed 24.75, levy = 60 - 24.75 = 35.25.
    sc = with_policies("one_stage", {**REF, "method": "fixed", "price": 60, "enforcement": "adjustable_tariff"})
    out = compile_policies(sc)
    assert out["policies"] == [{"kind": "price_floor", "product": "ore", "scope": "forge", "price": 60.0,
                                "mechanism": "variable_levy"}]
    res = critmin.solve(engine_scenario(out))
    direct = critmin.solve(with_policies("one_stage", out["policies"][0]))
    assert res.prices.equals(direct.prices)
    lev = res.policies.iloc[0]
    assert lev["unit_value"] == pytest.approx(35.25, abs=1e-8)
    assert lev["revenue"] == pytest.approx(35.25, abs=1e-8)
    assert res.price("B", "ore") == pytest.approx(60, abs=1e-8)
    assert res.price("C", "ore") == pytest.approx(22.75, abs=1e-8)
    assert res.residual <= res.tolerance


@pytest.mark.parametrize("enforcement,mechanism", [("cfd", "cfd"), ("purchase", "purchase")])
def test_other_enforcements_compile_to_their_floor_mechanism(enforcement, mechanism):
    extra = {"budget": 500.0} if enforcement == "purchase" else {}
    out = compile_policies(with_policies("one_stage", {**REF, "method": "fixed", "price": 60,
                                                       "enforcement": enforcement, **extra}))
    assert out["policies"] == [{"kind": "price_floor", "product": "ore", "scope": "forge", "price": 60.0,
                                "mechanism": mechanism, **extra}]


def test_incentive_price_of_linear_curves():
    # Zone supply S(p) = p - 20 (A), zone demand D(p) = 100 - p (B); S = 0.5 D at p = 140/3.
    out = compile_policies(with_policies("one_stage", {**REF, "method": "incentive", "target_share": 0.5}))
    rec = out["instruments"][0]
    assert rec["price"] == pytest.approx(140 / 3, rel=1e-9)
    det = rec["detail"]
    assert det["final_bracket"][0] <= rec["price"] <= det["final_bracket"][1]
    assert det["bracket"][0] <= rec["price"] <= det["bracket"][1]
    assert abs(det["residual"]) < 1e-9
    assert det["zone_supply"] == pytest.approx(0.5 * det["zone_demand"], rel=1e-9)


def test_incentive_with_a_pipeline_step_stops_at_its_cost():
    # A project of 30 units at cost 40: S(40) = 20 + 30 = 50 >= 0.5 x 60 = 30, while just below 40
    # S = 20 - 0 < 0.5 D, so the incentive price is the step's cost, 40 (the root sits on the step).
    step = {"region": "A", "capacity": 30, "cost": 40}
    out = compile_policies(with_policies("one_stage", {**REF, "method": "incentive", "target_share": 0.5,
                                                       "pipeline": [step]}))
    assert out["instruments"][0]["price"] == pytest.approx(40, rel=1e-8)


def test_incentive_with_derived_demand_of_an_intermediate():
    # Ore has no demand curve in the zone; its zone demand is B's baseline processing x 2 t ore/t
    # oxide. Zone supply is A's p - 20, so the 0.5 share is reached at p = 20 + 0.5 x 2 x z_B.
    base = critmin.solve(market("two_stage"))
    z_b = float(base.processing.query("region == 'B'")["quantity"].iloc[0])
    out = compile_policies(with_policies("two_stage", {**REF, "method": "incentive", "target_share": 0.5}), base)
    assert out["instruments"][0]["price"] == pytest.approx(20 + 0.5 * 2 * z_b, rel=1e-9)
    assert out["instruments"][0]["detail"]["derived_demand"] == pytest.approx(2 * z_b, rel=1e-12)


def test_incentive_of_a_processed_product_uses_the_processors_margin():
    # Zone supply of oxide is B's processing, z = (p - 2 p_ore_B - 10) / 0.2 with ore at its baseline
    # price in B; zone demand is B's 300 - p. z = 0.5 (300 - p) gives p = (150 x 0.2 + 2 p_ore_B + 10) / 1.1.
    base = critmin.solve(market("two_stage"))
    p_ore = base.price("B", "ore")
    out = compile_policies(with_policies("two_stage", {"kind": "reference_price", "product": "oxide", "zone": "forge",
                                                       "method": "incentive", "target_share": 0.5}), base)
    assert out["instruments"][0]["price"] == pytest.approx((30 + 2 * p_ore + 10) / 1.1, rel=1e-9)


def test_cost_plus_of_a_processed_product_from_baseline_costs():
    # B processes z_B at baseline on 10 + 0.2 z: average conversion cost 10 + 0.1 z_B; input cost
    # 2 x baseline ore price in B; no capital charge.
    base = critmin.solve(market("two_stage"))
    z_b = float(base.processing.query("region == 'B'")["quantity"].iloc[0])
    out = compile_policies(with_policies("two_stage", {"kind": "reference_price", "product": "oxide", "zone": "forge",
                                                       "method": "cost_plus"}), base)
    rec = out["instruments"][0]
    assert rec["detail"]["input_cost"] == pytest.approx(2 * base.price("B", "ore"), rel=1e-12)
    assert rec["price"] == pytest.approx(2 * base.price("B", "ore") + 10 + 0.1 * z_b, rel=1e-12)


def test_incentive_unreachable_share_is_a_clear_error():
    sc = with_policies("one_stage", {**REF, "method": "incentive", "target_share": 0.9})
    # With capacity 10 in A and a fixed demand of 50 in B, zone supply never exceeds 10 < 0.9 x 50.
    sc["supply"][0]["capacity"] = 10
    sc["demand"][0] = {"region": "B", "product": "ore", "quantity": 50}
    with pytest.raises(ScenarioError, match="unreachable"):
        compile_policies(sc)


def test_cost_plus_formula():
    # Baseline q_A = 35.5 - 20 = 15.5; average cost = 20 + 15.5 / 2 = 27.75; capital charge =
    # 100 x CRF(8 %, 20 y), CRF = 0.08 / (1 - 1.08^-20) = 0.10185 (standard annuity factor).
    out = compile_policies(with_policies("one_stage", {**REF, "method": "cost_plus", "capital_cost": 100,
                                                       "return_on_capital": 0.08, "lifetime_years": 20}))
    assert crf(0.08, 20) == pytest.approx(0.10185, abs=5e-6)
    assert crf(0.0, 20) == pytest.approx(0.05)
    rec = out["instruments"][0]
    assert rec["detail"]["operating_cost"] == pytest.approx(27.75, rel=1e-9)
    assert rec["price"] == pytest.approx(27.75 + 100 * 0.08 / (1 - 1.08 ** -20), rel=1e-9)


def test_cost_plus_with_given_operating_cost_and_input_reference():
    # oxide = 2 x ore reference (60) + operating cost 15 + no capital charge = 135.
    out = compile_policies(with_policies(
        "two_stage", {**REF, "method": "fixed", "price": 60},
        {"kind": "reference_price", "product": "oxide", "zone": "forge", "method": "cost_plus", "operating_cost": 15}))
    oxide = next(r for r in out["instruments"] if r["product"] == "oxide")
    assert oxide["price"] == pytest.approx(135)
    row = next(r for r in out["chain"] if r["product"] == "oxide")
    assert row["checked"] and row["consistent"]


def test_chain_consistent_and_inconsistent_fixed_prices():
    ore = {**REF, "method": "fixed", "price": 60}
    oxide = {"kind": "reference_price", "product": "oxide", "zone": "forge", "method": "fixed", "conversion_cost": 10}
    out = compile_policies(with_policies("two_stage", ore, {**oxide, "price": 200}))
    table = chain_table(out)
    assert list(table["product"]) == ["ore", "oxide"]  # stage order, inputs first
    row = table.set_index("product").loc["oxide"]
    assert row["input_cost"] == pytest.approx(120) and row["margin"] == pytest.approx(70) and row["consistent"]
    # 100 < 2 x 60 + 10: the gap is 30, and the error names both products and the field.
    with pytest.raises(InputFileError) as err:
        compile_policies(with_policies("two_stage", ore, {**oxide, "price": 100}))
    msg = str(err.value)
    assert "oxide 100 < 2 x ore 60 + conversion cost 10" in msg and "gap 30" in msg and "policies[1].price" in msg


def test_chain_conversion_cost_defaults_to_zone_processors_average():
    # B's processing curve is 10 + 0.2 z; at baseline output z_B the average cost is 10 + 0.1 z_B.
    base = critmin.solve(market("two_stage"))
    z_b = float(base.processing.query("region == 'B'")["quantity"].iloc[0])
    out = compile_policies(with_policies("two_stage", {**REF, "method": "fixed", "price": 60},
                                         {"kind": "reference_price", "product": "oxide", "zone": "forge",
                                          "method": "fixed", "price": 400}), base)
    row = next(r for r in out["chain"] if r["product"] == "oxide")
    assert row["conversion_cost"] == pytest.approx(10 + 0.1 * z_b, rel=1e-9)


def test_export_licence_share_withheld_is_a_quota_on_baseline_exports():
    # Baseline exports C -> B are 48 (module docstring); withholding 40 % leaves a quota of 28.8.
    ctl = {"kind": "export_controls", "supplier": "C", "products": ["ore"], "destinations": "forge",
           "mode": "license", "share_withheld": 0.4}
    out = compile_policies(with_policies("one_stage", ctl))
    assert out["policies"] == [{"kind": "export_quota", "product": "ore", "origin": "C", "destination": "forge",
                                "quantity": pytest.approx(0.6 * 48, rel=1e-9)}]
    assert out["instruments"][0]["detail"]["quotas"]["ore"]["baseline_exports"] == pytest.approx(48, rel=1e-9)
    res = critmin.solve(engine_scenario(out))
    assert float(res.flows.query("origin == 'C'")["quantity"].sum()) == pytest.approx(28.8, rel=1e-7)
    # The quota binds: B clears with A and the licensed 28.8, 100 - p_B = (p_B - 21) + 28.8, p_B = 46.1.
    assert res.price("B", "ore") == pytest.approx(46.1, abs=1e-8)


def test_export_ban_and_fixed_licence():
    ban = {"kind": "export_controls", "supplier": "C", "products": ["ore"], "destinations": "forge", "mode": "ban"}
    out = compile_policies(with_policies("one_stage", ban))
    assert out["policies"] == [{"kind": "export_ban", "product": "ore", "origin": "C", "destination": "forge"}]
    res = critmin.solve(engine_scenario(out))
    # Without C, B is supplied by A alone: 100 - p_B = p_B - 21, p_B = 60.5.
    assert res.price("B", "ore") == pytest.approx(60.5, abs=1e-8)
    lic = {**ban, "mode": "license", "quantity": 5}
    assert compile_policies(with_policies("one_stage", lic))["policies"][0]["quantity"] == 5.0


def test_engine_policies_pass_through_in_order():
    tariff = {"kind": "tariff", "product": "ore", "origin": "C", "destination": "B", "specific": 1.0}
    out = compile_policies(with_policies("one_stage", tariff, {**REF, "method": "fixed", "price": 50}))
    assert out["policies"][0] == tariff and out["policies"][1]["kind"] == "price_floor"
    assert out["instruments"][0]["engine_policies"] == [1]


@pytest.mark.parametrize("entry,field", [
    ({**REF, "method": "fixed"}, "policies[0]"),
    ({**REF, "method": "fixed", "price": -1}, "policies[0].price"),
    ({**REF, "method": "fixed", "price": 5, "typo": 1}, "policies[0].typo"),
    ({**REF, "product": "gold", "method": "fixed", "price": 5}, "policies[0].product"),
    ({**REF, "zone": "nowhere", "method": "fixed", "price": 5}, "policies[0].zone"),
    ({"kind": "export_controls", "supplier": "C", "products": ["ore"], "mode": "license"}, "policies[0]"),
])
def test_bad_instruments_name_the_field(entry, field):
    with pytest.raises(InputFileError) as err:
        compile_policies(with_policies("one_stage", entry), source="s.yaml")
    assert str(err.value).startswith(f"s.yaml: field '{field}'")


def test_input_is_not_modified_and_duplicates_are_refused():
    sc = with_policies("one_stage", {**REF, "method": "fixed", "price": 50})
    before = copy.deepcopy(sc)
    compile_policies(sc)
    assert sc == before
    dup = with_policies("one_stage", {**REF, "method": "fixed", "price": 50}, {**REF, "method": "fixed", "price": 55})
    with pytest.raises(InputFileError, match="second reference price"):
        compile_policies(dup)


def test_compiling_twice_gives_the_same_bytes():
    sc = with_policies("two_stage", {**REF, "method": "incentive", "target_share": 0.5},
                       {"kind": "reference_price", "product": "oxide", "zone": "forge", "method": "cost_plus"},
                       {"kind": "export_controls", "supplier": "C", "products": ["oxide"], "destinations": "B",
                        "mode": "license", "share_withheld": 0.5})
    first, second = compile_policies(sc), compile_policies(sc)
    assert yaml.safe_dump(first, sort_keys=True) == yaml.safe_dump(second, sort_keys=True)
