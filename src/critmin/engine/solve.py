"""``critmin.solve``: scenario -> MCP -> Newton -> tables -> certificate -> Result."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linprog

from critmin.engine import arcgen
from critmin.engine.certificate import TOLERANCE, certify
from critmin.engine.hubs import set_import_parity
from critmin.engine.mcp import BoxMCP
from critmin.engine.model import Model, build
from critmin.engine.policies import account
from critmin.engine.result import Result
from critmin.engine.tables import Solution, market_tables
from critmin.engine.welfare import welfare
from critmin.errors import ScenarioError, SolverError
from critmin.scenario.checks import product_order
from critmin.scenario.loader import load_scenario
from critmin.scenario.schema import Scenario

#: Newton stops when max |Phi| (scaled units: each row relative to its product's scale, see
#: ``model._block_scales``) is below this; far below the certificate's TOLERANCE, so that printed
#: numbers are exact to 12 significant digits.
SOLVER_TOL = 1e-13
#: If rounding stalls Newton above SOLVER_TOL, a point with max |Phi| below this is still handed to
#: the certificate (which decides); above it the solve fails.
ACCEPT_TOL = 1e-9


def _keys(model: Model) -> dict[str, np.ndarray]:
    """Stable keys of the warm-startable blocks (markets, entries, arcs) on the region x product grid."""
    nR, nK = len(model.scenario.regions), len(model.scenario.products)
    grid = model.mkt_region * nK + model.mkt_product  # market key
    per_policy = nR * nK

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    return {
        "p": grid,
        "u": cat([cf["policy"] * per_policy + grid[cf["markets"]] for cf in model.cfd]),
        "lam": cat([np.array([q["policy"]]) for q in model.quotas]),
        "v": cat([np.array([lv["policy"] * nK + lv["product"]]) for lv in model.levies if "row" in lv]),
        "mu": cat([np.array([pu["policy"]]) for pu in model.purchases if pu["row"] is not None]),
        "q": model.sup_entry, "d": model.dem_entry, "z": model.proc_entry,
        "x": (model.arc_k * nR + model.arc_i) * nR + model.arc_j,
        "g": cat([pu["policy"] * per_policy + grid[pu["markets"]] for pu in model.purchases]),
    }


def _price_guess(sc: Scenario) -> dict[str, float]:
    """A starting price per product: midway between its mean cost (supply intercepts, or for
    each recipe its entries use, their mean conversion cost plus inputs at their guesses) and
    its mean demand intercept. Starting Newton near the right price level saves ~20% of
    iterations on chain markets."""
    cost: dict[str, list[float]] = {p.id: [] for p in sc.products}
    top: dict[str, list[float]] = {p.id: [] for p in sc.products}
    # per product: (recipe, conversion cost intercepts of the entries using it), recipes in order of first use
    routes: dict[str, list[tuple[dict[str, float], list[float]]]] = {p.id: [] for p in sc.products}
    for s in sc.supply:
        cost[s.product].append(s.intercept)
    for d in sc.demand:
        if not d.fixed:
            top[d.product].append(d.intercept)
    for e, recipe in zip(sc.processing, sc.recipes()):
        same = [conv for rc, conv in routes[e.product] if rc == recipe]
        if same:
            same[0].append(e.intercept)
        else:
            routes[e.product].append((recipe, [e.intercept]))
    guess: dict[str, float] = {}
    for pid in product_order(sc):
        lows = list(cost[pid])
        for recipe, conv in routes[pid]:
            if recipe:
                lows.append(float(np.mean(conv)) + sum(c * guess[i] for i, c in recipe.items()))
        lo = float(np.mean(lows)) if lows else None
        hi = float(np.mean(top[pid])) if top[pid] else None
        if lo is not None and hi is not None:
            guess[pid] = 0.5 * (lo + hi) if hi > lo else max(lo, 0.0)
        else:
            guess[pid] = max(lo if lo is not None else (hi if hi is not None else 0.0), 0.0)
    return guess


def _state(model: Model, solution: Solution) -> dict[str, Any]:
    """What a later solve needs to warm-start from this solution."""
    sc = model.scenario
    keys = _keys(model)
    return {"ids": (tuple(sc.region_ids), tuple(sc.product_ids)), "keys": keys,
            "values": {b: solution[b].copy() for b in keys}}


def _start(model: Model, warm: dict[str, Any] | None) -> np.ndarray:
    """Cold start: prices at :func:`_price_guess`, quantities zero; warm start: match by key."""
    sc = model.scenario
    y = np.zeros(model.n)
    guess = _price_guess(sc)
    per_product = np.array([guess[k] for k in sc.product_ids]) / model.Pk
    y[model.block("p")] = np.where(per_product > 0, per_product, 0.5)[model.mkt_product]
    if not warm or warm.get("ids") != (tuple(sc.region_ids), tuple(sc.product_ids)):
        return y
    old_keys, old_vals = warm["keys"], warm["values"]
    for b, keys in _keys(model).items():
        ok, ov = old_keys[b], old_vals[b]
        if ok.size == 0 or keys.size == 0:
            continue
        order = np.argsort(ok)
        pos = np.clip(np.searchsorted(ok[order], keys), 0, ok.size - 1)
        hit = ok[order][pos] == keys
        seg = y[model.block(b)]
        seg[hit] = ov[order][pos][hit] / model.colscale[model.block(b)][hit]
    return y


def _infeasible_sinks(model: Model) -> bool:
    """True when no supply/processing/trade plan within capacities, bans and quotas meets the
    fixed sinks (an LP feasibility problem, solved by HiGHS; run only when fixed sinks exist).
    Without this check Newton would chase prices to infinity before giving up."""
    if not (model.sink > 0).any():
        return False
    cols = np.r_[model.block("q"), model.block("z"), model.block("x")]
    rows = np.r_[model.block("p"), model.block("lam")]
    A = model.M[rows][:, cols]
    res = linprog(np.zeros(cols.size), A_ub=-A, b_ub=model.c[rows],
                  bounds=list(zip(model.lower[cols], np.where(np.isinf(model.upper[cols]), None, model.upper[cols]))),
                  method="highs")
    return res.status == 2


def solve(scenario: Scenario | str | Path | dict[str, Any], *, warm_start: Result | None = None,
          max_iter: int = 300) -> Result:
    """Compute and certify the market equilibrium of ``scenario`` (a Scenario, a path or a dict).

    ``warm_start``: a previous Result on the same regions and products; its prices, quantities
    and flows start the Newton iteration (useful when re-solving after a policy change).
    """
    t0 = time.perf_counter()
    sc = load_scenario(scenario)
    full = build(sc)
    if _infeasible_sinks(full):
        raise ScenarioError(f"{sc.source}: fixed demand (or stockpile purchase) cannot be met by any supply, "
                            "processing and trade within capacities, bans and quotas")
    ch = full.charges
    subset = arcgen.initial(full, ch) if arcgen.wanted(ch, full.mkt_region.size) else None
    state = warm_start.state if warm_start is not None else None
    iterations = gradient_steps = active_steps = rounds = 0
    model = full
    while True:
        rounds += 1
        model = full if subset is None else build(sc, subset, ch)
        mcp = BoxMCP(model.M, model.c, model.lower, model.upper, model.n_kept, model.nonlinear,
                     model.nonlinear_pattern())
        sol = mcp.solve(_start(model, state), tol=SOLVER_TOL, max_iter=max_iter)
        iterations += sol.iterations
        gradient_steps += sol.gradient_steps
        active_steps += sol.active_set_steps
        if not (sol.converged or sol.merit <= ACCEPT_TOL):
            raise SolverError(f"{sc.source}: no equilibrium found ({sol.message} after {sol.iterations} Newton "
                              f"iterations, merit {sol.merit:.3g})")
        if subset is None:
            break
        solution = Solution(model, sol.y)
        add = arcgen.violated(model, solution.values, ch, subset)
        if not add.any():
            break
        subset |= add
        state = _state(model, solution)
    solution = Solution(model, sol.y)
    set_import_parity(model, solution, ch)
    tables = market_tables(solution)
    tables["policies"], tables["policy_details"], gov, rent = account(model, solution)
    cert = certify(sc, tables, model.P, model.Q, ch, (model.Pk, model.Qk))
    if not cert.residual <= TOLERANCE:
        raise SolverError(f"{sc.source}: equilibrium certificate failed: residual {cert.residual:.3g} > tolerance "
                          f"{TOLERANCE:g} (worst condition: {cert.worst})")
    return Result(
        scenario=sc.name, status="optimal", **tables, welfare=welfare(model, solution, gov, rent),
        residual=cert.residual, tolerance=TOLERANCE, worst_condition=cert.worst,
        solver={"method": "semismooth Newton (Fischer-Burmeister), Schur complement on prices", "iterations": iterations,
                "gradient_steps": gradient_steps, "active_set_steps": active_steps, "arc_rounds": rounds, "merit": sol.merit, "variables": model.n,
                "seconds": time.perf_counter() - t0},
        state=_state(model, solution),
    )

