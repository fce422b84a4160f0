"""Optimal operation and size of a one-product reserve as a finite Markov decision problem.

States are (market state, stock level) pairs: the market is normal or disrupted and moves between
the two by a Markov chain that the reserve cannot influence; the stock lies on a grid. An action
chooses next year's stock on the same grid (fill, hold or draw), within fill and draw rates. The
stage cost is the holder's consumer-surplus loss at the price the action leaves in the market,
plus what the purchase costs (or the release earns) at that price, plus storage on the stock
carried (Teisberg 1981's formulation, decision 0060). The problem is solved exactly twice, by
value iteration and by linear programming (HiGHS); :func:`solve` checks that the two agree and
certifies the result by its Bellman residual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.linalg import spsolve

from critmin.errors import ScenarioError, SolverError

#: default stopping tolerance of value iteration (sup norm of successive values, relative)
TOL = 1e-10
#: largest Bellman residual (relative to the largest |value|) a result may carry
CERT_TOL = 1e-8
#: largest relative difference allowed between the value-iteration and the LP values
AGREE_TOL = 1e-6


@dataclass(frozen=True)
class IsoelasticDemand:
    """Demand D(p) = shift + scale * p**-elasticity (Teisberg's form; shift = 0 is constant elasticity)."""

    scale: float
    elasticity: float
    shift: float = 0.0

    @classmethod
    def through(cls, price: float, quantity: float, elasticity: float) -> IsoelasticDemand:
        """Constant-elasticity demand passing through (price, quantity)."""
        return cls(scale=quantity * price**elasticity, elasticity=elasticity)

    def price(self, quantity: np.ndarray) -> np.ndarray:
        """Inverse demand; +inf where the quantity is at or below the shift (no finite price clears)."""
        room = np.asarray(quantity, dtype=float) - self.shift
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(room > 0, (self.scale / np.where(room > 0, room, 1.0)) ** (1.0 / self.elasticity), np.inf)
        return p

    def surplus_loss(self, price: np.ndarray, base: float) -> np.ndarray:
        """Consumer-surplus loss when the price rises from ``base`` to ``price``: the integral of D from base to price."""
        e = self.elasticity
        p = np.asarray(price, dtype=float)
        if e == 1.0:
            growth = self.scale * (np.log(p) - np.log(base))
        else:
            growth = self.scale * (p ** (1.0 - e) - base ** (1.0 - e)) / (1.0 - e)
        return self.shift * (p - base) + growth


@dataclass(frozen=True)
class LinearDemand:
    """Demand D(p) = intercept - slope * p down to zero at the choke price intercept / slope."""

    intercept: float
    slope: float

    @classmethod
    def through(cls, price: float, quantity: float, elasticity: float) -> LinearDemand:
        """Linear demand through (price, quantity) with that absolute point elasticity there."""
        slope = elasticity * quantity / price
        return cls(intercept=quantity + slope * price, slope=slope)

    def price(self, quantity: np.ndarray) -> np.ndarray:
        """Inverse demand: zero beyond the intercept (free disposal); +inf for a negative quantity."""
        q = np.asarray(quantity, dtype=float)
        return np.where(q < 0, np.inf, np.clip((self.intercept - q) / self.slope, 0.0, None))

    def surplus_loss(self, price: np.ndarray, base: float) -> np.ndarray:
        """Consumer-surplus loss from ``base`` to ``price``: a (p - p0) - b (p^2 - p0^2) / 2."""
        p = np.asarray(price, dtype=float)
        return self.intercept * (p - base) - 0.5 * self.slope * (p**2 - base**2)


#: the inverse-demand forms a reserve market can use
Demand = IsoelasticDemand | LinearDemand


@dataclass(frozen=True)
class ReserveProblem:
    """A finite MDP: ``cost[i, s, a]`` is the stage cost in market state i at stock s choosing stock a.

    ``transition[i, j]`` is the probability of market state j next year given i; infeasible actions
    have cost +inf. ``weights`` is the distribution of starting states the LP objective (and the
    reported expected cost) averages over, shape (n_states, n_levels).
    """

    levels: np.ndarray
    states: tuple[str, ...]
    transition: np.ndarray
    cost: np.ndarray
    discount: float
    weights: np.ndarray

    def __post_init__(self) -> None:
        n, m = len(self.states), len(self.levels)
        if self.transition.shape != (n, n) or not np.allclose(self.transition.sum(axis=1), 1.0, atol=1e-12):
            raise ScenarioError(f"reserve MDP: transition must be a {n}x{n} stochastic matrix, got {self.transition.tolist()}")
        if (self.transition < 0).any():
            raise ScenarioError(f"reserve MDP: transition has a negative probability: {self.transition.tolist()}")
        if self.cost.shape != (n, m, m):
            raise ScenarioError(f"reserve MDP: cost must have shape {(n, m, m)}, got {self.cost.shape}")
        if not 0.0 < self.discount < 1.0:
            raise ScenarioError(f"reserve MDP: discount factor must lie in (0, 1), got {self.discount}")
        if self.weights.shape != (n, m) or (self.weights < 0).any() or not self.weights.sum() > 0:
            raise ScenarioError(f"reserve MDP: weights must be a non-negative {n}x{m} array with a positive sum")
        if not np.isfinite(self.cost).any(axis=2).all():
            i, s = np.argwhere(~np.isfinite(self.cost).any(axis=2))[0]
            raise ScenarioError(f"reserve MDP: no feasible action in state {self.states[i]!r} at stock {self.levels[s]:g}")


@dataclass(frozen=True)
class Solution:
    """An optimal policy with its value and certificates.

    ``value[i, s]`` is the expected discounted cost from state (i, s) under ``policy`` (index of
    the chosen next stock); ``residual`` the Bellman residual of ``value`` (sup norm, in cost
    units); ``lp_gap`` the largest difference between the value-iteration and LP values.
    """

    problem: ReserveProblem
    policy: np.ndarray
    value: np.ndarray
    residual: float
    lp_gap: float
    iterations: int

    @property
    def expected_cost(self) -> float:
        """Expected discounted cost over the starting distribution ``problem.weights``."""
        return float((self.problem.weights * self.value).sum())

    def policy_table(self) -> pd.DataFrame:
        """One row per (state, stock): the chosen next stock, the action, its stage cost and the value."""
        p = self.problem
        rows = []
        for i, state in enumerate(p.states):
            for s, level in enumerate(p.levels):
                a = self.policy[i, s]
                rows.append({"state": state, "stock": float(level), "next_stock": float(p.levels[a]),
                             "action": float(p.levels[a] - level), "stage_cost": float(p.cost[i, s, a]),
                             "value": float(self.value[i, s])})
        return pd.DataFrame(rows)

    def stationary(self, max_iter: int = 1_000_000) -> pd.DataFrame:
        """Long-run distribution over (state, stock) when the optimal policy is followed for ever.

        Started from ``problem.weights`` (the chain may have several recurrent classes, and the one
        reached depends on the start) and iterated on the lazy chain (I + P) / 2, which has the same
        stationary distributions and is aperiodic, until it moves by less than 1e-14.
        """
        p = self.problem
        n, m = self.policy.shape
        chain = _policy_chain(p, self.policy)
        lazy = (0.5 * (chain + sparse.identity(n * m, format="csr"))).T.tocsr()
        pi = p.weights.ravel() / p.weights.sum()
        for _ in range(max_iter):
            nxt = lazy @ pi
            if np.abs(nxt - pi).max() < 1e-14:
                break
            pi = nxt
        else:
            raise SolverError(f"reserve MDP: the stationary distribution did not converge in {max_iter} steps")
        pi = np.where(nxt < 1e-13, 0.0, nxt)
        pi /= pi.sum()
        stage = p.cost[np.arange(n)[:, None], np.arange(m)[None, :], self.policy].ravel()
        return pd.DataFrame({"state": np.repeat(p.states, m), "stock": np.tile(p.levels, n).astype(float),
                             "probability": pi, "stage_cost": stage})

    def long_run_cost(self) -> float:
        """Average yearly cost under the stationary distribution (undiscounted)."""
        st = self.stationary()
        return float((st["probability"] * st["stage_cost"]).sum())

    def targets(self) -> pd.DataFrame:
        """Stock the policy settles at in each market state, starting from empty (normal) or full (others)."""
        p = self.problem
        rows = []
        for i, state in enumerate(p.states):
            s = 0 if i == 0 else len(p.levels) - 1
            for _ in range(len(p.levels) + 1):
                nxt = self.policy[i, s]
                if nxt == s:
                    break
                s = nxt
            rows.append({"state": state, "start": float(p.levels[0 if i == 0 else -1]), "target": float(p.levels[s])})
        return pd.DataFrame(rows)


def market_problem(levels: np.ndarray, demand: Demand, supply: dict[str, float], transition: np.ndarray,
                   discount: float, holding: float, base_price: float, share: float = 1.0,
                   max_fill: float = np.inf, max_draw: float = np.inf, fill_in: tuple[str, ...] | None = None,
                   weights: np.ndarray | None = None) -> ReserveProblem:
    """The reserve MDP of one market: stage costs from the price each action leaves in the market.

    ``supply[state]`` is the quantity reaching the market in that state before the reserve acts
    (normal supply minus the disruption gap); choosing next stock a at stock s puts s - a more on
    the market, so the price is ``demand.price(supply - (a - s))``. The stage cost is
    ``share * surplus_loss(price) + price * (a - s) + holding * a``: the holder's share of the
    consumer-surplus loss against ``base_price``, the purchase bill (a release earns the price)
    and storage on the stock carried. Filling is allowed only in the states named in ``fill_in``
    (default: the first, normal, state).
    """
    levels = np.asarray(levels, dtype=float)
    states = tuple(supply)
    fill_in = states[:1] if fill_in is None else fill_in
    unknown = [s for s in fill_in if s not in states]
    if unknown:
        raise ScenarioError(f"reserve MDP: fill_in names unknown market state(s) {unknown}; states are {list(states)}")
    change = levels[None, :] - levels[:, None]  # change[s, a] = a - s
    allowed = (change <= max_fill + 1e-12) & (-change <= max_draw + 1e-12)
    cost = np.empty((len(states), len(levels), len(levels)))
    for i, state in enumerate(states):
        price = demand.price(supply[state] - change)
        with np.errstate(invalid="ignore"):
            stage = share * demand.surplus_loss(price, base_price) + price * change + holding * levels[None, :]
        ok = allowed & np.isfinite(stage)
        if state not in fill_in:
            ok &= change <= 0
        cost[i] = np.where(ok, stage, np.inf)
    if weights is None:
        weights = np.zeros((len(states), len(levels)))
        weights[0, 0] = 1.0
    return ReserveProblem(levels=levels, states=states, transition=np.asarray(transition, dtype=float), cost=cost,
                          discount=discount, weights=np.asarray(weights, dtype=float))


def bellman(problem: ReserveProblem, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One Bellman step: (T value, greedy policy)."""
    expected = problem.transition @ value  # expected[i, a]: value next year after choosing stock a in state i
    q = problem.cost + problem.discount * expected[:, None, :]
    policy = q.argmin(axis=2)
    return np.take_along_axis(q, policy[:, :, None], axis=2)[:, :, 0], policy


def value_iteration(problem: ReserveProblem, tol: float = TOL, max_iter: int = 100_000) -> tuple[np.ndarray, np.ndarray, int]:
    """Value iteration to ``tol`` (relative sup norm), then the greedy policy's exact value.

    Stops when successive values differ by less than tol * (1 - beta) / (2 beta) of their scale, which
    bounds the distance to the fixed point by tol / 2; the greedy policy is then evaluated exactly
    by solving (I - beta P_pi) v = c_pi.
    """
    n, m = problem.cost.shape[:2]
    value = np.zeros((n, m))
    beta = problem.discount
    for it in range(1, max_iter + 1):
        new, policy = bellman(problem, value)
        scale = max(1.0, float(np.abs(new).max()))
        if np.abs(new - value).max() <= tol * scale * (1.0 - beta) / (2.0 * beta):
            return evaluate(problem, policy), policy, it
        value = new
    raise SolverError(f"reserve MDP: value iteration did not reach tolerance {tol:g} in {max_iter} iterations")


def _policy_chain(problem: ReserveProblem, policy: np.ndarray) -> sparse.csr_matrix:
    """Transition matrix over flattened (state, stock) under a policy: (i, s) -> (j, policy[i, s]) w.p. P[i, j]."""
    n, m = policy.shape
    rows = np.repeat(np.arange(n * m), n)
    cols = (np.arange(n)[None, :] * m + policy.ravel()[:, None]).ravel()
    vals = np.repeat(problem.transition, m, axis=0).ravel()
    return sparse.csr_matrix((vals, (rows, cols)), shape=(n * m, n * m))


def evaluate(problem: ReserveProblem, policy: np.ndarray) -> np.ndarray:
    """Exact discounted value of a stationary policy: solves (I - beta P_pi) v = c_pi."""
    n, m = policy.shape
    stage = problem.cost[np.arange(n)[:, None], np.arange(m)[None, :], policy].ravel()
    system = sparse.identity(n * m, format="csc") - problem.discount * _policy_chain(problem, policy).tocsc()
    return spsolve(system, stage).reshape(n, m)


def linear_program(problem: ReserveProblem) -> np.ndarray:
    """Values by the primal LP: maximise sum(w * v) s.t. v[i,s] - beta sum_j P[i,j] v[j,a] <= cost[i,s,a]."""
    n, m = problem.cost.shape[:2]
    feasible = np.argwhere(np.isfinite(problem.cost))  # (i, s, a) triples
    k = len(feasible)
    i, s, a = feasible.T
    row = np.arange(k)
    rows = [row]
    cols = [i * m + s]
    vals = [np.ones(k)]
    for j in range(n):
        rows.append(row)
        cols.append(j * m + a)
        vals.append(-problem.discount * problem.transition[i, j])
    matrix = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(k, n * m))
    # costs scaled to order one for HiGHS; a uniform objective weight keeps every state's value
    # determined (the LP is exact for any positive weights)
    rhs = problem.cost[i, s, a]
    scale = max(1.0, float(np.abs(rhs).max()))
    res = linprog(-np.ones(n * m), A_ub=matrix, b_ub=rhs / scale, bounds=(None, None), method="highs")
    if res.status != 0:
        raise SolverError(f"reserve MDP: the LP did not solve ({res.message})")
    return res.x.reshape(n, m) * scale


def solve(problem: ReserveProblem, tol: float = TOL, lp: bool = True) -> Solution:
    """Solve by value iteration and (``lp=True``) by LP; raise unless both agree and the Bellman residual is small.

    Without the LP (capacity sweeps) the result is certified by its Bellman residual alone and
    ``lp_gap`` is NaN.
    """
    value, policy, iterations = value_iteration(problem, tol=tol)
    scale = max(1.0, float(np.abs(value).max()))
    gap = float("nan")
    if lp:
        gap = float(np.abs(linear_program(problem) - value).max())
        if gap > AGREE_TOL * scale:
            raise SolverError(f"reserve MDP: value iteration and LP disagree by {gap:.3g} (scale {scale:.3g})")
    backed_up, _ = bellman(problem, value)
    residual = float(np.abs(backed_up - value).max())
    if residual > CERT_TOL * scale:
        raise SolverError(f"reserve MDP: Bellman residual {residual:.3g} exceeds {CERT_TOL:g} x {scale:.3g}")
    return Solution(problem=problem, policy=policy, value=value, residual=residual, lp_gap=gap, iterations=iterations)


def optimal_size(build: Callable[[float], ReserveProblem], capacities: Sequence[float],
                 capacity_cost: float = 0.0) -> pd.DataFrame:
    """Sweep reserve capacities; each row is one capacity solved from an empty reserve in the normal state.

    ``build(capacity)`` returns the MDP of that capacity (same grid step for all, so the sweep
    compares like with like). ``capacity_cost`` (money per unit of capacity per year, e.g. for
    storage built) is charged for ever: its present value is capacity_cost * capacity / (1 - beta).
    ``total`` is the value from empty plus that charge and ``optimal`` marks the smallest capacity
    whose total is within a relative 1e-9 of the least: beyond it extra capacity is never used
    (decision 0060). Each row carries its Bellman residual.
    """
    if len(capacities) == 0:
        raise ScenarioError("reserve MDP: optimal_size needs at least one capacity")
    rows = []
    for capacity in sorted(capacities):
        if not capacity >= 0:
            raise ScenarioError(f"reserve MDP: capacity must be non-negative, got {capacity}")
        sol = solve(build(float(capacity)), lp=False)
        beta = sol.problem.discount
        charge = capacity_cost * float(capacity) / (1.0 - beta)
        target = sol.targets()
        rows.append({"capacity": float(capacity), "value_from_empty": float(sol.value[0, 0]), "capacity_charge": charge,
                     "total": float(sol.value[0, 0]) + charge, "fill_target": float(target["target"].iloc[0]),
                     "long_run_cost": sol.long_run_cost(), "residual": sol.residual})
    table = pd.DataFrame(rows)
    best = table["total"].min()
    tol = 1e-9 * max(1.0, abs(best))
    table["optimal"] = False
    table.loc[(table["total"] <= best + tol).idxmax(), "optimal"] = True
    return table
