"""Levy iterations on the static Schur layout (decision 0011, "Repeated solves of levied markets").

A variable levy's Jacobian entries (its row, its origins' price columns) lie among the kept
variables; the static layout is built with slots for them. Checked against the general sparse
path: the same Newton system (a linear-algebra identity) and the same equilibrium.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from critmin.engine.mcp import BoxMCP
from critmin.engine.model import build
from critmin.engine.solve import SOLVER_TOL, _start
from critmin.scenario.loader import load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "engine" / "cold_start_0.json"  # vault-2026 period, NdPr levy


def _mcp(pattern: bool) -> tuple[BoxMCP, object]:
    m = build(load_scenario(FIXTURE))
    return BoxMCP(m.M, m.c, m.lower, m.upper, m.n_kept, m.nonlinear, m.nonlinear_pattern() if pattern else None), m


def test_levy_pattern_is_kept_block() -> None:
    mcp, m = _mcp(True)
    rows, cols = mcp.pattern
    assert rows.size == 24  # 3 origins outside FORGE (CHN, MMR, REST_WORLD) x 8 FORGE members
    assert rows.max() < m.n_kept and cols.max() < m.n_kept


def test_static_factor_solves_the_same_newton_system() -> None:
    """At a point where the levy binds, the static path's solve of (diag(dx) + diag(df) A) d = r
    matches a direct sparse solve of that matrix to 1e-9 relative."""
    mcp, m = _mcp(True)
    y = _start(m, None)
    f, jn = mcp.F(y)
    assert jn is not None  # the levy binds at the start (floor 110,000 above every landed price)
    A = mcp.jacobian(jn)
    rng = np.random.default_rng(0)
    dx, df = rng.uniform(0.1, 1.0, m.n), rng.uniform(0.1, 1.0, m.n)
    rhs = rng.standard_normal(m.n)
    mcp.factor(dx, df, mcp.M, 1e-12)  # first factorisation: fixes the ordering
    d = mcp.factor(dx, df, A, 0.0, jn)(rhs)
    J = sp.diags(dx) + sp.diags(df) @ A
    d_ref = sp.linalg.spsolve(J.tocsc(), rhs)
    # the eliminated block's diagonal is floored at ELIMINATED_FLOOR = 1e-8 in both: far below 0.1 here
    assert np.max(np.abs(d - d_ref)) <= 1e-9 * np.max(np.abs(d_ref))


def test_static_and_general_paths_reach_the_same_equilibrium() -> None:
    (a, m), (b, _) = _mcp(True), _mcp(False)
    sa = a.solve(_start(m, None), tol=SOLVER_TOL)
    sb = b.solve(_start(m, None), tol=SOLVER_TOL)
    assert sa.converged and sb.converged
    p = m.block("p")
    np.testing.assert_allclose(sa.y[p], sb.y[p], rtol=1e-9, atol=0)
