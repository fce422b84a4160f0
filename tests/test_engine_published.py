"""Published spatial-equilibrium / transportation examples, reproduced through scenario files.

Each example is solved by critmin and by the independent cvxpy reference
(benchmarks/cvxpy_spe.py); both must reproduce the published numbers. Sources, and how each
number was checked, are in docs/validation/engine-published-examples.md.

Only what the source's problem determines uniquely is compared; where a source prints one
of several optimal flow plans, the test says so and checks the invariant quantities instead.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from benchmarks.adapters import FIXTURES, SOLVERS

TRNSPORT = FIXTURES / "trnsport.yaml"
MF = FIXTURES / "miranda_fackler_spatial.yaml"


@pytest.fixture(params=sorted(SOLVERS))
def solve(request):
    return SOLVERS[request.param]


# --- GAMS model library TRNSPORT (Dantzig 1963, ch. 3.3; Rosenthal 1988, GAMS tutorial) ---------
# Published solution (GAMS listing of trnsport.gms, "EQU DEMAND" / "EQU SUPPLY" / "VAR X" / "VAR Z"):
#   z = 153.675 (thousand USD); demand marginals new-york 0.225, chicago 0.153, topeka 0.126;
#   supply marginals seattle EPS (= 0), san-diego 0; x levels seattle->new-york 50, seattle->chicago
#   300, san-diego->new-york 275, san-diego->topeka 275; reduced costs seattle->topeka 0.036,
#   san-diego->chicago 0.009.
# In a spatial equilibrium the demand marginals are the market prices and the supply marginals the
# plant prices. The split of New York's 325 cases between the two plants is NOT unique (both cost
# 0.225 per case): GAMS's simplex prints 50/275, GLPK's transp.mod prints 0/325, both at 153.675.


def test_trnsport_prices_are_the_published_marginals(solve):
    t = solve(TRNSPORT)
    published = {"new-york": 0.225, "chicago": 0.153, "topeka": 0.126, "seattle": 0.0, "san-diego": 0.0}
    for region, marginal in published.items():
        assert t.price(region, "cases") == pytest.approx(marginal, abs=1e-6), region


def test_trnsport_cost_and_unique_shipments(solve):
    t = solve(TRNSPORT)
    scenario = yaml.safe_load(TRNSPORT.read_text())
    cost = {(a["origin"], a["destination"]): a["cost"] for a in scenario["transport"]}
    total = sum(t.flow("cases", o, d) * c for (o, d), c in cost.items())
    assert total == pytest.approx(153.675, abs=1e-4)  # published optimal z
    # Unique parts of the published plan: only seattle can serve chicago at 0.153, only
    # san-diego topeka at 0.126; the arcs with positive reduced cost carry nothing.
    assert t.flow("cases", "seattle", "chicago") == pytest.approx(300, abs=1e-3)
    assert t.flow("cases", "san-diego", "topeka") == pytest.approx(275, abs=1e-3)
    assert t.flow("cases", "seattle", "topeka") == pytest.approx(0, abs=1e-3)
    assert t.flow("cases", "san-diego", "chicago") == pytest.approx(0, abs=1e-3)
    ny = t.flow("cases", "seattle", "new-york") + t.flow("cases", "san-diego", "new-york")
    assert ny == pytest.approx(325, abs=1e-3)
    # Seattle ships 300 to chicago plus 0..50 to new-york (published: 50, at capacity 350).
    assert 300 - 1e-3 <= t.quantity("supply", "seattle", "cases") <= 350 + 1e-3


def test_trnsport_reduced_costs_match_published(solve):
    """Reduced cost of an arc = cost - (destination price - origin price): published 0.036 and 0.009."""
    t = solve(TRNSPORT)
    assert 0.162 - (t.price("topeka", "cases") - t.price("seattle", "cases")) == pytest.approx(0.036, abs=1e-6)
    assert 0.162 - (t.price("chicago", "cases") - t.price("san-diego", "cases")) == pytest.approx(0.009, abs=1e-6)


# --- Miranda & Fackler (2002) three-country spatial equilibrium (CompEcon demo demslv14) --------
# Published (randall-romero/CompEcon, notebooks/slv/14 Spacial Equilibrium Model.ipynb):
#   output cell 6: prices [24, 27, 30], net exports [6, 3, -9], one optimal flow plan
#   1->2 1.6347, 1->3 4.3653, 2->3 4.6347 (transport cost 1->3 = 6 as the demo's code indexes c);
#   output cell 8 (autarky): quantities [11, 10.2, 16.5], prices [20, 23.4, 34.5].


def test_miranda_fackler_prices_and_net_exports(solve):
    t = solve(MF)
    for region, price in {"1": 24.0, "2": 27.0, "3": 30.0}.items():
        assert t.price(region, "good") == pytest.approx(price, abs=1e-5), region
    for region, net in {"1": 6.0, "2": 3.0, "3": -9.0}.items():
        assert t.net_exports(region, "good") == pytest.approx(net, abs=1e-4), region


def test_miranda_fackler_quantities_follow_from_published_prices(solve):
    """Hand computation from the published prices: supply q = (p - a)/b, demand q = (a - p)/b.

    Supply 1: (24-9)/1 = 15, 2: (27-3)/2 = 12, 3: (30-18)/1 = 12.
    Demand 1: (42-24)/2 = 9, 2: (54-27)/3 = 9, 3: (51-30)/1 = 21.
    """
    t = solve(MF)
    for region, q in {"1": 15.0, "2": 12.0, "3": 12.0}.items():
        assert t.quantity("supply", region, "good") == pytest.approx(q, abs=1e-4)
    for region, q in {"1": 9.0, "2": 9.0, "3": 21.0}.items():
        assert t.quantity("demand", region, "good") == pytest.approx(q, abs=1e-4)


def test_miranda_fackler_transport_bill_equals_published_plan(solve):
    """The flow plan is not unique (1->3 at 6 ties with 1->2->3 at 3+3); its cost is.

    Published plan's cost: 1.6347*3 + 4.3653*6 + 4.6347*3 = 45.0 (hand computation).
    """
    t = solve(MF)
    costs = {("1", "2"): 3, ("1", "3"): 6, ("2", "1"): 3, ("2", "3"): 3, ("3", "1"): 9, ("3", "2"): 3}
    bill = sum(t.flow("good", o, d) * c for (o, d), c in costs.items())
    assert bill == pytest.approx(1.6347 * 3 + 4.3653 * 6 + 4.6347 * 3, abs=1e-3)
    assert bill == pytest.approx(45.0, abs=1e-3)


def test_miranda_fackler_autarky(solve):
    """No transport arcs: each country clears alone (published autarky output, cell 8)."""
    scenario = yaml.safe_load(MF.read_text())
    scenario["transport"] = []
    t = solve(scenario)
    for region, (q, p) in {"1": (11.0, 20.0), "2": (10.2, 23.4), "3": (16.5, 34.5)}.items():
        assert t.price(region, "good") == pytest.approx(p, abs=1e-5)
        assert t.quantity("demand", region, "good") == pytest.approx(q, abs=1e-5)


def test_miranda_fackler_cost_table_as_printed(solve):
    """The source's table read as printed (row = from): 1->3 costs 9, 3->1 costs 6.

    Hand derivation: critmin markets allow re-export, so country 1 reaches 3 through 2 at 3+3 = 6 < 9;
    the published prices 24, 27, 30 still satisfy every condition (27-24 = 3 and 30-27 = 3 on the
    used arcs, 30-24 = 6 <= 9 on the direct one), and the flows become unique: 1->2 = 6, 2->3 = 9.
    """
    scenario = copy.deepcopy(yaml.safe_load(MF.read_text()))
    for arc in scenario["transport"]:
        if (arc["origin"], arc["destination"]) == ("1", "3"):
            arc["cost"] = 9
        elif (arc["origin"], arc["destination"]) == ("3", "1"):
            arc["cost"] = 6
    t = solve(scenario)
    for region, price in {"1": 24.0, "2": 27.0, "3": 30.0}.items():
        assert t.price(region, "good") == pytest.approx(price, abs=1e-5)
    assert t.flow("good", "1", "2") == pytest.approx(6.0, abs=1e-4)
    assert t.flow("good", "2", "3") == pytest.approx(9.0, abs=1e-4)
    assert t.flow("good", "1", "3") == pytest.approx(0.0, abs=1e-4)
