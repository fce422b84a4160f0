"""Curves through the observed point with the stated elasticity (closed forms), flow netting,
reconciliation and the forest allocation on hand-made cases."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import InputFileError
from critmin.world import flows as fl
from critmin.world.calibrate import Elasticities, demand_curve, supply_curve
from critmin.world.chains import chain
from critmin.world.parameters import load_parameters

positive = st.floats(min_value=1e-2, max_value=1e6, allow_nan=False)


@given(p0=positive, q0=positive, e=st.floats(min_value=0.05, max_value=5.0))
def test_supply_curve_passes_through_point_with_elasticity(p0, q0, e):
    # closed form: on p = a + b q the point elasticity is (dq/dp)(p/q) = p0 / (b q0)
    a, b = supply_curve(p0, q0, e)
    assert a + b * q0 == pytest.approx(p0, rel=1e-12)
    assert p0 / (b * q0) == pytest.approx(e, rel=1e-12)


@given(p0=positive, q0=positive, e=st.floats(min_value=-5.0, max_value=-0.05))
def test_demand_curve_passes_through_point_with_elasticity(p0, q0, e):
    # closed form: on p = a - b q the point elasticity is -(1/b)(p/q) = -p0 / (b q0)
    a, b = demand_curve(p0, q0, e)
    assert a - b * q0 == pytest.approx(p0, rel=1e-12)
    assert -p0 / (b * q0) == pytest.approx(e, rel=1e-12)


def test_hand_computed_supply_curve():
    # p0 = 55 USD/kg, q0 = 100 t, e = 0.5: b = 55 / (0.5 * 100) = 1.1, a = 55 - 110 = -55
    assert supply_curve(55.0, 100.0, 0.5) == pytest.approx((-55.0, 1.1))


def test_net_pairs_cancels_cross_hauling():
    gross = pd.DataFrame({"origin": ["A", "B", "A", "A"], "destination": ["B", "A", "C", "A"], "quantity": [10.0, 4.0, 3.0, 9.0]})
    net = fl.net_pairs(gross)
    # A->B 10 and B->A 4 net to A->B 6; A->A (intra-region) is dropped
    assert net.to_dict("records") == [{"origin": "A", "destination": "B", "quantity": 6.0},
                                      {"origin": "A", "destination": "C", "quantity": 3.0}]


def test_reconcile_scales_exports_of_a_region_that_would_consume_less_than_nothing():
    # B produces 2 and receives nothing but ships 4 (2 to C, 2 to D): its exports halve
    output = pd.Series({"A": 10.0, "B": 2.0, "C": 0.0, "D": 0.0})
    flows = pd.DataFrame({"origin": ["B", "B", "A"], "destination": ["C", "D", "C"], "quantity": [2.0, 2.0, 1.0]})
    out, removed = fl.reconcile(output, flows)
    assert out.set_index(["origin", "destination"])["quantity"].to_dict() == {("B", "C"): 1.0, ("B", "D"): 1.0, ("A", "C"): 1.0}
    assert removed["B"] == pytest.approx(2.0)
    assert (fl.balance(output, out) >= 0).all()


def test_forest_keeps_largest_shares_and_has_no_cycle():
    # exporters A (6), B (4); importers C (5), D (5); observed A->C 5, A->D 1, B->D 4, B->C 0.5
    position = pd.Series({"A": 6.0, "B": 4.0, "C": -5.0, "D": -5.0})
    observed = pd.DataFrame({"origin": ["A", "A", "B", "B"], "destination": ["C", "D", "D", "C"], "quantity": [5.0, 1.0, 4.0, 0.5]})
    out = fl.forest(position, observed)
    got = out.set_index(["origin", "destination"])["quantity"].to_dict()
    # the observed pattern without the smallest arc B->C is itself a forest carrying the positions
    assert got == pytest.approx({("A", "C"): 5.0, ("A", "D"): 1.0, ("B", "D"): 4.0})
    assert fl.is_forest(out)


def test_is_forest_detects_cycle():
    cyc = pd.DataFrame({"origin": ["A", "A", "B", "B"], "destination": ["C", "D", "C", "D"]})
    assert not fl.is_forest(cyc)


def test_elasticities_default_override_and_errors():
    table = load_parameters()["elasticities"]
    ndpr = chain("rare_earths")[1]
    default = Elasticities(table)
    # elasticities.csv row rare_earths_ndpr_oxide_supply_short
    assert default.value(ndpr, "supply", "CHN") == pytest.approx(float(table.set_index("parameter").loc["rare_earths_ndpr_oxide_supply_short", "value"]))
    spec = {"horizon": "long", "overrides": [{"side": "supply", "mineral": "rare_earths", "value": 0.7},
                                              {"side": "supply", "product": "ndpr_oxide", "region": "CHN", "value": 0.05}]}
    e = Elasticities(table, spec)
    assert e.value(ndpr, "supply", "CHN") == 0.05
    assert e.value(ndpr, "supply", "USA") == 0.7
    assert e.value(ndpr, "demand", "USA") == pytest.approx(float(table.set_index("parameter").loc["rare_earths_ndpr_oxide_demand_long", "value"]))
    with pytest.raises(InputFileError, match="world.elasticities.overrides\\[0\\].value"):
        Elasticities(table, {"overrides": [{"side": "demand", "value": 0.3}]})
    with pytest.raises(InputFileError, match="horizon"):
        Elasticities(table, {"horizon": "medium"})


def test_refining_routes_file_is_valid_and_bad_rows_are_named(tmp_path):
    from critmin.errors import DataError
    from critmin.world.routes import routes

    table = routes()
    assert set(table["role"]) == {"location", "flows"}
    good = (tmp_path / "good.csv")
    from importlib import resources

    text = (resources.files("critmin.world") / "refining_routes.csv").read_text()
    good.write_text(text)
    assert len(routes(good)) == len(table)
    bad = tmp_path / "refining_routes.csv"
    lines = text.splitlines()
    lines[1] = lines[1].replace(",1.0,location,", ",1.5,location,", 1)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="refining_routes.csv, row 1: column 'share' \\(value '1.5'\\)"):
        routes(bad)
    lines = text.splitlines()
    lines[1] = lines[1].replace(",1.0,location,", ",1.0,sideways,", 1)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="column 'role' \\(value 'sideways'\\)"):
        routes(bad)


def test_elasticity_bounds_bracket_with_the_table_ranges():
    table = load_parameters()["elasticities"].set_index("parameter")
    li = chain("lithium")[1]
    elastic = Elasticities(load_parameters()["elasticities"], {"bound": "elastic"})
    inelastic = Elasticities(load_parameters()["elasticities"], {"bound": "inelastic"})
    # elasticities.csv lithium_lithium_carbonate_*_short: supply 0.3 (0.1-0.6), demand -0.2 (-0.4 to -0.1)
    assert elastic.value(li, "supply", "CHN") == table.loc["lithium_lithium_carbonate_supply_short", "high"] == 0.6
    assert elastic.value(li, "demand", "CHN") == table.loc["lithium_lithium_carbonate_demand_short", "low"] == -0.4
    assert inelastic.value(li, "supply", "CHN") == 0.1
    assert inelastic.value(li, "demand", "CHN") == -0.1
    with pytest.raises(InputFileError, match="world.elasticities.bound"):
        Elasticities(load_parameters()["elasticities"], {"bound": "wide"})
