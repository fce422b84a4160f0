"""Budget allocation by marginal analysis (decision 0064): hand-worked case, LP check, concavity, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from critmin.errors import DataError, ScenarioError
from critmin.reserve.allocation import allocate, benefit_curves, increments
from critmin.reserve.products import PRODUCTS, product


def _curve(name, spends, avoided):
    return pd.DataFrame({"product": name, "capacity": np.arange(len(spends), dtype=float), "spend": spends,
                         "avoided": avoided})


def test_hand_worked_allocation():
    """Increments per dollar: A 3 then 1, B 2 then 0.5, each costing 1; a budget of 2.5 buys A1, B1 and half of A2."""
    curves = pd.concat([_curve("A", [0, 1, 2], [0, 3, 4]), _curve("B", [0, 1, 2], [0, 2, 2.5])], ignore_index=True)
    result = allocate(curves, 2.5)
    assert result.avoided == pytest.approx(3 + 2 + 0.5)
    assert result.spent == pytest.approx(2.5)
    assert result.steps["product"].tolist() == ["A", "B", "A"]
    assert result.table.set_index("product").loc["A", "capacity"] == pytest.approx(1.5)
    # the LP dual with shadow price 1 (the increment bought in part): 1 x 2.5 + (3 - 1) + (2 - 1) = 5.5
    assert result.shadow_price == 1.0
    assert result.duality_gap == pytest.approx(0.0, abs=1e-12)


def _lp_optimum(curves, budget):
    """max sum d_avoided x s.t. sum d_spend x <= budget, 0 <= x <= 1 (the LP relaxation of the grid problem)."""
    inc = increments(curves)
    res = linprog(-inc["avoided"].to_numpy(), A_ub=inc["spend"].to_numpy()[None, :], b_ub=[budget], bounds=(0, 1),
                  method="highs")
    assert res.status == 0
    return -res.fun


@pytest.fixture(scope="module")
def product_curves():
    return benefit_curves([product(n) for n in PRODUCTS], points=11)


@pytest.mark.parametrize("budget", [5e6, 3e7, 6e7, 12e9])
def test_greedy_equals_the_lp_on_the_products(product_curves, budget):
    result = allocate(product_curves, budget)
    assert result.avoided == pytest.approx(_lp_optimum(product_curves, budget), rel=1e-9)
    assert abs(result.duality_gap) <= 1e-9 * result.avoided
    assert result.spent <= budget * (1 + 1e-12)


def test_large_budget_stops_where_nothing_more_is_avoided(product_curves):
    """Project Vault's 12e9 USD is far more than these three exposed markets can use: the rest stays unspent."""
    result = allocate(product_curves, 12e9)
    assert result.unspent > 0 and result.shadow_price == 0.0
    assert (result.steps["per_dollar"] > 0).all()
    assert result.avoided > 0
    # every product's curve is certified by the MDP's Bellman residuals
    assert (product_curves["residual"] <= 1e-6 * product_curves["avoided"].abs().max()).all()


def test_zero_budget_buys_nothing_and_is_certified():
    curves = _curve("A", [0, 1, 2], [0, 3, 4])
    result = allocate(curves, 0.0)
    assert result.avoided == 0.0 and result.shadow_price == 3.0 and result.duality_gap == 0.0


def test_non_concave_benefit_is_refused():
    curves = _curve("C", [0, 1, 2, 3], [0, 1, 3, 3.5])
    with pytest.raises(DataError, match="not concave between capacities 1 and 2"):
        allocate(curves, 2.0)


def test_bad_budget():
    with pytest.raises(ScenarioError, match="field 'budget' \\(value -1.0\\)"):
        allocate(_curve("A", [0, 1], [0, 1]), -1.0)
