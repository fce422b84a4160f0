"""FORGE reference prices on markets whose processing entries have recipes of their own (0082).

The market is ``routes(60)`` of tests/test_engine_routes.py, solved by hand there: one region A;
inputs a and b supplied flat at 6; metal by route 1 (1.5 a per t, conversion 6 + 0.5 z1,
capacity 20) and route 2 (its own recipe, 2 b per t, conversion 8 + 0.25 z2); demand
p = 60 - d. Baseline: p = 170/7, z1 = 130/7, z2 = 120/7.
"""

from __future__ import annotations

import pytest

from critmin.errors import InputFileError
from critmin.policies import chain_table, compile_policies
from critmin.policies.context import Context
from critmin.policies.reference import derived_demand
from critmin.scenario import load_scenario
from tests.test_engine_routes import routes

Z1, Z2 = 130 / 7, 120 / 7


def with_policies(*policies: dict) -> dict:
    data = routes(60)
    data["policies"] = list(policies)
    return data


def fixed(product: str, price: float) -> dict:
    return {"kind": "reference_price", "product": product, "zone": "A", "method": "fixed", "price": price,
            "enforcement": "cfd"}


def test_incentive_zone_supply_sums_every_route_at_its_own_recipe():
    """Share 0.5 of zone demand 60 - p: route 1 gives 2 (p - 15) (margin p - 1.5 x 6 over 6 + 0.5 z),
    route 2 gives 4 (p - 20) (margin p - 2 x 6 over 8 + 0.25 z); for p in [20, 25]
    6 p - 110 = 0.5 (60 - p) -> p = 280/13. Route 2 priced at route 1's recipe (margin p - 9)
    would give 4 (p - 17) and another root."""
    out = compile_policies(with_policies({"kind": "reference_price", "product": "metal", "zone": "A",
                                          "method": "incentive", "target_share": 0.5, "enforcement": "cfd"}))
    rec = out["instruments"][0]
    assert rec["price"] == pytest.approx(280 / 13, rel=1e-9)
    assert rec["detail"]["zone_supply"] == pytest.approx(2 * (280 / 13 - 15) + 4 * (280 / 13 - 20), rel=1e-9)


def test_derived_demand_books_input_use_entry_by_entry():
    """At baseline route 1 uses 1.5 z1 of a and route 2 uses 2 z2 of b; by products' recipes b would
    have no user at all."""
    ctx = Context(load_scenario(routes(60)), "routes")
    assert derived_demand(ctx, "a", ["A"]) == pytest.approx(1.5 * Z1, rel=1e-9)
    assert derived_demand(ctx, "b", ["A"]) == pytest.approx(2 * Z2, rel=1e-9)


def test_chain_is_checked_route_by_route():
    """Average conversion cost at baseline: route 1 6 + 0.25 z1 = 74.5/7, route 2 8 + 0.125 z2 = 71/7.
    With a and b at 6: route 1 needs 9 + 74.5/7 = 19.643, route 2 12 + 71/7 = 22.143. Metal at 23
    passes both (two rows, margins 23 - 19.643 and 23 - 22.143); at 21 route 2 fails by 1.143."""
    out = compile_policies(with_policies(fixed("a", 6), fixed("b", 6), fixed("metal", 23)))
    rows = chain_table(out).query("product == 'metal'")
    assert list(rows["inputs"]) == ["1.5 a", "2 b"]
    assert list(rows["conversion_cost"]) == pytest.approx([74.5 / 7, 71 / 7], rel=1e-9)
    assert list(rows["margin"]) == pytest.approx([23 - 9 - 74.5 / 7, 23 - 12 - 71 / 7], rel=1e-9)
    assert rows["consistent"].all()
    with pytest.raises(InputFileError) as err:
        compile_policies(with_policies(fixed("a", 6), fixed("b", 6), fixed("metal", 21)), source="routes.yaml")
    assert (err.value.field, err.value.value) == ("policies[2].price", 21)
    assert "route of processing[1]" in str(err.value) and f"gap {12 + 71 / 7 - 21:g}" in str(err.value)


def test_cost_plus_takes_the_dearest_route():
    """Operating cost 5 on every route, a at 6 and b at 8: route 1 costs 1.5 x 6 + 5 = 14, route 2
    2 x 8 + 5 = 21, so the reference is 21 and covers both routes (the chain passes with margin 0
    on route 2, the given operating cost standing for conversion)."""
    out = compile_policies(with_policies(fixed("a", 6), fixed("b", 8),
                                         {"kind": "reference_price", "product": "metal", "zone": "A", "method": "cost_plus",
                                          "operating_cost": 5, "enforcement": "cfd"}))
    rec = out["instruments"][2]
    assert rec["price"] == pytest.approx(21, rel=1e-12)
    assert [r["input_cost"] for r in rec["detail"]["routes"]] == pytest.approx([9, 16], rel=1e-12)
    rows = chain_table(out).query("product == 'metal'")
    assert list(rows["margin"]) == pytest.approx([7, 0], abs=1e-9)
