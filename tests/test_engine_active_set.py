"""The active-set finish of the Newton solver (engine/mcp.py): the min-map residual by hand, and
on a generated market the finish is used and changes nothing but the path (same equilibrium as
pure Fischer-Burmeister Newton)."""

import numpy as np
import pytest

import critmin
from benchmarks.generate import generate_market
from critmin.engine import mcp
from critmin.engine.mcp import BoxMCP, box_minmap


def test_minmap_residual_and_active_set_by_hand():
    # y in [0, inf): at y = 0 with F = 2 the variable is held (residual y - l = 0); at y = 3 with
    # F = -1 it is free (residual F); y in [0, 1] at y = 1 with F = -5 is held at the upper bound.
    y, f = np.array([0.0, 3.0, 1.0, 0.5]), np.array([2.0, -1.0, -5.0, 0.25])
    lo, up = np.array([0.0, 0.0, 0.0, -np.inf]), np.array([np.inf, np.inf, 1.0, np.inf])
    phi, active = box_minmap(y, f, lo, up)
    assert phi.tolist() == [0.0, -1.0, 0.0, 0.25]
    assert active.tolist() == [1, 0, 2, 0]


def test_affine_problem_with_known_active_set_finishes_in_one_step():
    # F(y) = M y + c on y >= 0 with y* = (1, 0): M = [[2, 1], [1, 2]], c = (-2, 1) gives
    # F(y*) = (0, 2), so y*_1 is free and y*_2 held; from a start with that active set twice in a
    # row (first an FB step, then the min-map step), the active-set step lands on y*.
    import scipy.sparse as sp

    M = sp.csr_matrix(np.array([[2.0, 1.0], [1.0, 2.0]]))
    prob = BoxMCP(M, np.array([-2.0, 1.0]), np.zeros(2), np.full(2, np.inf), n_kept=2)
    sol = prob.solve(np.array([0.9, 0.0]), tol=1e-14)
    assert sol.converged and sol.active_set_steps >= 1
    assert np.allclose(sol.y, [1.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("regions, products", [(20, 6), (30, 10)])
def test_finish_changes_the_path_not_the_equilibrium(regions, products, monkeypatch):
    market = generate_market(regions, products, 2026, neighbours=6)
    fast = critmin.solve(critmin.load_scenario(market))
    assert fast.solver["active_set_steps"] >= 1
    monkeypatch.setattr(mcp.BoxMCP, "_active_set_step", lambda *a, **k: None)
    plain = critmin.solve(critmin.load_scenario(market))
    assert plain.solver["active_set_steps"] == 0
    P = fast.prices["price"].abs().max()
    assert np.allclose(fast.prices["price"], plain.prices["price"], rtol=0, atol=1e-9 * P)
    assert fast.residual <= fast.tolerance and plain.residual <= plain.tolerance
    # the finish is polished with its stored factorisation: rounding level, far below the stop (1e-13)
    assert fast.solver["merit"] <= 1e-15
