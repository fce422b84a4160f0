"""The precomputed reduced Newton system (engine/schur.py) against the same system formed densely.

Expected values: S = diag(df_K) (A_KK - A_KE diag(w) A_EK) + diag(dx_K + reg) written out with
numpy dense matrices from the model's own constant Jacobian, and solved by numpy.linalg.solve.
"""

import numpy as np
import pytest

import critmin
from benchmarks.generate import generate_market
from critmin.engine.model import build
from critmin.engine.schur import StaticSchur


@pytest.mark.parametrize("regions, products", [(6, 3), (12, 5)])
def test_static_schur_solves_the_dense_reduced_system(regions, products):
    model = build(critmin.load_scenario(generate_market(regions, products, 7)))
    A, k = model.M, model.n_kept
    rng = np.random.default_rng(regions)
    D = A.toarray()
    schur = StaticSchur(A, k)
    # the first factorisation chooses the ordering, later ones reuse it on the pre-permuted matrix
    for _ in range(3):
        df, dx = rng.uniform(0.1, 1.0, model.n), rng.uniform(0.0, 0.5, model.n)
        w = np.zeros(model.n)
        w[k:] = rng.uniform(0.1, 2.0, model.n - k)
        b = rng.normal(size=k)
        S = np.diag(df[:k]) @ (D[:k, :k] - D[:k, k:] @ np.diag(w[k:]) @ D[k:, :k]) + np.diag(dx[:k] + 1e-8)
        expected = np.linalg.solve(S, b)
        got = schur.factor(df, dx, w, 1e-8)(b)
        assert np.allclose(got, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())
