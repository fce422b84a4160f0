"""A second reference for ad valorem tariffs and export taxes: diagonalisation over the surplus QP.

An ad valorem rate on the origin price makes the landed cost depend on a price, so the
equilibrium no longer maximises a surplus (Takayama & Judge 1971 treat such cases by
"diagonalisation"). But at the equilibrium prices, an ad valorem rate t on an arc from o is the
same per-unit charge as a specific duty of t * p_o. So: fix the origin prices, turn every ad
valorem rate into that specific charge, solve the integrable QP of :mod:`benchmarks.cvxpy_spe`,
read new prices, repeat until the prices stop moving. A fixed point satisfies every condition of
the equilibrium (the charges are then exactly t * p_o), which the certificate re-checks.

Convergence is not guaranteed in general; for the moderate rates used in the tests the map is a
contraction (prices settle in a handful of rounds). Failure to converge raises, it never returns
an unconverged answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.cvxpy_spe import Result, parse, read, solve_market


def _origin_prices(result: Result, arcs: list[tuple[str, str, str]]) -> np.ndarray:
    price = {(r, k): p for r, k, p in result.prices.itertuples(index=False)}
    return np.array([price[(o, k)] for k, o, _ in arcs])


def _arc_flows(result: Result, arcs: list[tuple[str, str, str]]) -> np.ndarray:
    flow = {(k, o, d): q for k, o, d, q in result.flows.itertuples(index=False)}
    return np.array([flow.get(a, 0.0) for a in arcs])


def solve(
    source: str | Path | Mapping[str, Any],
    solver: str = "CLARABEL",
    tol: float = 1e-6,
    max_rounds: int = 100,
    **solver_opts: Any,
) -> Result:
    """Equilibrium with ad valorem rates by fixed-point iteration on the origin prices."""
    m = parse(read(source), allow_ad_valorem=True)
    p_origin = np.zeros(len(m.arcs))
    for rounds in range(1, max_rounds + 1):
        result = solve_market(m, solver, extra_arc_cost=m.arc_ad_valorem * p_origin, **solver_opts)
        new = _origin_prices(result, m.arcs) if m.arcs else p_origin
        step = float(np.max(np.abs(new - p_origin), initial=0.0))
        p_origin = new
        if step <= tol * max(1.0, float(np.max(np.abs(new), initial=0.0))):
            break
    else:
        raise RuntimeError(f"diagonalisation did not converge in {max_rounds} rounds (last step {step:.3g})")
    # One more solve at the converged prices so that flows and charges belong to the same round.
    result = solve_market(m, solver, extra_arc_cost=m.arc_ad_valorem * p_origin, **solver_opts)
    flows = _arc_flows(result, m.arcs)
    revenues = dict(result.duty_revenues)
    for idx, rate, covered in m.ad_valorem:
        revenues[idx] = revenues.get(idx, 0.0) + rate * float(p_origin[covered] @ flows[covered])
    ad_valorem_total = float((m.arc_ad_valorem * p_origin) @ flows)
    return dataclasses.replace(
        result,
        duty_revenue=result.duty_revenue + ad_valorem_total,
        duty_revenues=revenues,
        extra={**result.extra, "rounds": rounds},
    )
