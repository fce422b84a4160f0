"""Arc generation (engine/arcgen.py) is exact: the same equilibrium as solving with every arc."""

from __future__ import annotations

import pytest

import critmin
from benchmarks.generate import generate_market  # synthetic markets (not data), see its docstring
from critmin.engine import arcgen


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arc_generation_matches_the_full_arc_set(monkeypatch, seed):
    market = generate_market(12, 6, seed)
    market["default_transport_cost"] = 20.0  # every pair can trade: 792 arcs for ~70 markets
    market["policies"] = list(market["policies"]) + [
        {"kind": "price_floor", "product": market["products"][0]["id"], "scope": market["regions"][0], "price": 60,
         "mechanism": "variable_levy"},
        {"kind": "tariff", "destination": market["regions"][1], "ad_valorem": 0.2},
    ]
    monkeypatch.setattr(arcgen, "ARCS_PER_MARKET", 10**9)
    full = critmin.solve(market)
    monkeypatch.setattr(arcgen, "ARCS_PER_MARKET", 0)
    monkeypatch.setattr(arcgen, "INITIAL_ORIGINS", 1)
    generated = critmin.solve(market)
    assert full.solver["arc_rounds"] == 1
    assert generated.solver["arc_rounds"] > 1  # the pricing loop really added arcs
    assert generated.residual <= generated.tolerance  # the certificate checks every open arc
    # Prices of markets with no trade and no positive demand or interior supply are not unique (any
    # price between the arbitrage bounds is an equilibrium), so compare what the equilibrium
    # determines: quantities on strictly sloped curves, and world welfare.
    for table in ("supply", "demand", "processing"):
        a = getattr(full, table).set_index(["region", "product"])["quantity"]
        b = getattr(generated, table).set_index(["region", "product"])["quantity"]
        assert (a - b.loc[a.index]).abs().max() < 1e-6, table
    wa = full.welfare.set_index("id").loc["world", "total"]
    wb = generated.welfare.set_index("id").loc["world", "total"]
    assert wb == pytest.approx(wa, rel=1e-9)
