"""Cold starts on period scenarios of the vault-2026 world (issue 3, H8).

The fixtures are three period scenarios the dynamics built from ``scenarios/vault-2026.yaml``
(regions, products and curves of the calibrated world; a variable levy at 110,000 USD/t on
NdPr oxide into FORGE; one adds a 34.52 t Dy oxide stock purchase in Japan). Before decision
0047 they failed from the engine's default start ("line search failed after 10 Newton
iterations, merit 0.155") although they solve from a warm start: the concentrate's supply
curves run through the origin but one intercept is calibration noise (9.09e-13), which made
that noise the product's price scale (FLOOR x P = 0.02 USD/t instead of ~3,700), so the
concentrate rows were scaled by ~1e-5 of their size and Newton's steps lost all meaning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from critmin.engine.model import _scales
from critmin.engine.scales import FLOOR, product_scales
from critmin.engine.solve import solve
from critmin.scenario.loader import load_scenario

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "engine").glob("cold_start_*.json"))


def test_three_fixtures() -> None:
    assert [f.name for f in FIXTURES] == ["cold_start_0.json", "cold_start_1.json", "cold_start_2.json"]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_solves_cold_and_certifies(path: Path) -> None:
    r = solve(path)
    assert r.status == "optimal"
    assert r.residual <= r.tolerance == 1e-6
    assert r.solver["merit"] <= 1e-9


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_noise_intercept_is_not_a_price_scale(path: Path) -> None:
    """re_concentrate's curves are p = b q (intercepts 0 and one 9.09e-13): its scales are those
    of the same scenario with that intercept exactly 0, not FLOOR x P."""
    sc = load_scenario(path)
    P, Q = _scales(sc)
    Pk, Qk = product_scales(sc, P, Q)
    k = sc.product_ids.index("re_concentrate")
    noisy = [i for i, s in enumerate(sc.supply) if s.product == "re_concentrate" and s.intercept != 0]
    assert [sc.supply[i].intercept for i in noisy] == [pytest.approx(9.094947017729282e-13)]
    clean = sc.model_copy(update={"supply": [s.model_copy(update={"intercept": 0.0}) if i in noisy else s
                                             for i, s in enumerate(sc.supply)]})
    Pk0, Qk0 = product_scales(clean, P, Q)
    assert Pk[k] > 1e6 * FLOOR * P
    np.testing.assert_array_equal(Pk, Pk0)
    np.testing.assert_array_equal(Qk, Qk0)


@pytest.mark.parametrize("i, j", [(0, 1), (1, 0), (2, 1)])
def test_cold_and_warm_agree(i: int, j: int) -> None:
    """Solved cold and warm-started from another period's equilibrium, every reported price agrees
    to 1e-8 relative, and so does the levy. Before decision 0047 MMR's and REST_WORLD's NdPr oxide
    (idle: no curves, no flows) kept the solver's price, and as the lowest landed price into FORGE
    it set the levy: 59,797 cold vs 59,736 warm (1e-3) on cold_start_0."""
    cold = solve(FIXTURES[i])
    warm = solve(FIXTURES[i], warm_start=solve(FIXTURES[j]))
    assert warm.solver["iterations"] < cold.solver["iterations"]
    assert cold.prices[["region", "product"]].equals(warm.prices[["region", "product"]])
    np.testing.assert_allclose(warm.prices["price"], cold.prices["price"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(warm.policy_details["unit_value"], cold.policy_details["unit_value"], rtol=1e-8, atol=0)
    # MMR has only concentrate supply and one concentrate arc to China; its NdPr oxide market is
    # at its import parity: China's price plus the default transport cost (1,100 USD/t)
    mmr = cold.price("MMR", "ndpr_oxide")
    assert mmr == pytest.approx(cold.price("CHN", "ndpr_oxide") + 1100.0, rel=1e-12)
