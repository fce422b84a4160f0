"""A semismooth Newton method for box-constrained mixed complementarity problems.

Find ``y`` in ``[l, u]`` with, for each i: ``F_i(y) >= 0`` if ``y_i = l_i``, ``F_i(y) <= 0`` if
``y_i = u_i``, and ``F_i(y) = 0`` in between. The conditions are rewritten as the semismooth
equation ``Phi(y) = 0`` with the Fischer-Burmeister function (Billups' composition for two
finite bounds) and solved by Newton's method with an Armijo line search on ``||Phi||^2 / 2``,
falling back to the merit's steepest descent when the Newton direction fails (De Luca,
Facchinei & Kanzow 1996, "A semismooth equation approach to the solution of nonlinear
complementarity problems", Math. Programming 75).

Why this and not a QP: one algorithm covers the integrable markets (a QP) and the
non-integrable ones (ad valorem duties, levies, budgets) alike, and Newton converges in a few
iterations from a warm start. Why it is fast: the variables split into a few "kept" ones
(prices and policy variables, ~|regions| x |products|) and many "eliminable" ones (flows,
quantities) whose rows in the Newton matrix are diagonal in themselves. Eliminating them (a
Schur complement) leaves a small sparse system on the kept variables, factorised by SuperLU
(``scipy.sparse.linalg.splu``). An eliminable variable whose diagonal vanishes (an arc that
carries a flow with zero arbitrage margin) gets the diagonal ``ELIMINATED_FLOOR`` instead, so
the reduced matrix keeps one pattern and one fill-reducing ordering, computed once
(:mod:`critmin.engine.schur`). A tiny Levenberg-Marquardt term
(<= min(1e-8, ||Phi||)) on the kept diagonal handles non-unique prices or flows.

Active-set finish: once the set of variables at their bounds (by the min-map rule
``y - l <= F``) is the same at two consecutive iterates, the equations of that active set are
solved in one Newton step (for an affine F and the right set, that step lands on the solution)
and the step is kept only if it shrinks ||Phi|| (the FB merit) at least by half; otherwise the
FB step is taken. While the set stays the same, its factorisation is reused, and once the
tolerance is met one more such step (no new factorisation) takes the residual to rounding
level. Measured on the 60 x 40 benchmark market: 21 -> 18 Newton iterations (decision 0011).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from critmin.engine.schur import StaticSchur

NonLinear = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
#: Jacobian-smoothing parameter: mu = SMOOTHING * ||Phi||^2 / 2. Iterations on the 60 x 40
#: benchmark markets for 0 / 1e-4 / 3e-4 / 1e-3 / 3e-3 / 1e-2 / 1e-1: 42 / 23 / 21 / 21 / 23 / 26 / 42.
SMOOTHING = 1e-3
_C0 = 1.0 - 1.0 / np.sqrt(2.0)  # a generalised-Jacobian element of FB at (0, 0)
#: Floor on the diagonal of the eliminated rows of the Newton matrix. A flow with zero arbitrage
#: margin (or a quantity on a flat curve) has a vanishing diagonal; flooring it keeps the kept set,
#: and so the reduced matrix's pattern and ordering, fixed in every iteration (engine/schur.py).
#: The step is then that of a perturbed Newton matrix whose error is 1e-8 x the step: convergence
#: stays fast (measured: 21 iterations on 60 x 40 and 28 on 200 x 40 with or without the floor).
ELIMINATED_FLOOR = 1e-8


@dataclass
class MCPSolution:
    y: np.ndarray
    converged: bool
    iterations: int
    merit: float  # max |Phi| at y
    seconds: float
    gradient_steps: int
    message: str
    active_set_steps: int = 0


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS: on a busy 2-core machine OpenBLAS's threaded ddot spin-waits
    and made the whole solve 5x slower (measured: 3.4 s vs 0.67 s on 60 regions x 40 products)."""
    return float(np.sum(a * b))


def _norm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sqrt(a^2 + b^2). ``np.hypot`` guards against overflow but took 274 us against 49 us for
    the plain formula on a 29,000-entry vector of the 60 x 40 benchmark (glibc's hypot), and FB
    evaluation needs it ~50 times per solve; the plain formula is used unless a square overflowed
    (then hypot). Squares below 1e-308 lose digits, but such an r < 1e-150 takes the zero
    branch of ``_fb_parts`` anyway."""
    with np.errstate(over="ignore"):
        r = a * a
        r += b * b
    np.sqrt(r, out=r)
    return r if r.size == 0 or np.isfinite(r.max()) else np.hypot(a, b)


def _fb_phi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fischer-Burmeister phi(a, b) = a + b - sqrt(a^2 + b^2), computed without cancellation
    (a + b - r = 2ab / (a + b + r) when a + b > 0)."""
    r = _norm(a, b)
    s = a + b
    out = s - r  # (0, 0): s - r = 0
    with np.errstate(invalid="ignore", divide="ignore", under="ignore", over="ignore"):
        q = a * b
        q *= 2.0
        r += s
        np.divide(q, r, out=out, where=s > 0)
    return out


def _fb_parts(a: np.ndarray, b: np.ndarray, rm: np.ndarray, mu: float, a_pos: np.ndarray, b_pos: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of a + b - sqrt(a^2 + b^2 + 2 mu) given ``rm`` = that square root
    (``a_pos``, ``b_pos``: a > 0, b > 0). Where a > 0 the derivative 1 - a / rm is computed as
    (b^2 + 2 mu) / (rm (rm + a)), which has no cancellation; the same for b."""
    with np.errstate(invalid="ignore", divide="ignore", under="ignore", over="ignore"):
        # in units of rm, so that tiny a, b (1e-200) do not underflow to 0/0
        inv = 1.0 / rm
        ca, cb = a * inv, b * inv
        cm = 2.0 * mu * inv * inv if mu > 0 else None
        da, db = 1.0 - ca, 1.0 - cb
        num_a, num_b = cb * cb, ca * ca
        if cm is not None:
            num_a += cm
            num_b += cm
        ca += 1.0
        cb += 1.0
        np.divide(num_a, ca, out=da, where=a_pos)
        np.divide(num_b, cb, out=db, where=b_pos)
    zero = rm < 1e-150  # (0, 0) or so close that 1 / rm overflows: use the generalised derivative at (0, 0)
    da[zero] = _C0
    db[zero] = _C0
    return da, db


def _fb_grad(a: np.ndarray, b: np.ndarray, mu: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Partial derivatives of phi (da, db) and of its smoothed version (Jacobian smoothing,
    ``mu > 0``), sharing one norm. With smoothing, the true derivatives only give the merit's
    slope for the Armijo test and the steepest-descent fallback, so they are taken as
    1 - a / r without the cancellation-free form (an absolute error below 1e-16 there)."""
    r = _norm(a, b)
    if mu <= 0:
        da, db = _fb_parts(a, b, r, 0.0, a > 0, b > 0)
        return da, db, da, db
    with np.errstate(invalid="ignore", divide="ignore", under="ignore", over="ignore"):
        inv = 1.0 / r
        da, db = a * inv, b * inv
        np.subtract(1.0, da, out=da)
        np.subtract(1.0, db, out=db)
    zero = r < 1e-150
    da[zero] = _C0
    db[zero] = _C0
    r *= r
    r += 2.0 * mu
    return (da, db, *_fb_parts(a, b, np.sqrt(r, out=r), mu, a > 0, b > 0))


def box_minmap(y: np.ndarray, f: np.ndarray, lo: np.ndarray, up: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """The min-map residual ``mid(y - l, F, y - u)`` and the active set: 1 where ``y`` is held
    at its lower bound (``y - l <= F``), 2 at its upper bound (``y - u >= F``), 0 where ``F = 0``."""
    a, b = y - lo, y - up
    at_lo, at_up = a <= f, b >= f
    phi = np.where(at_lo, a, np.where(at_up, b, f))
    return phi, at_lo.astype(np.int8) + 2 * (at_up & ~at_lo).astype(np.int8)


class Box:
    """The bounds ``[lo, up]`` and the FB residual Phi and its derivative parts on them.

    Most variables have only a lower bound: Phi is computed for all of them at once on the whole
    vector, then overwritten for the few free, upper-bounded and two-sided ones (Billups'
    composition), whose indices are found once here.
    """

    def __init__(self, lo: np.ndarray, up: np.ndarray):
        self.lo, self.up = lo, up
        hl, hu = np.isfinite(lo), np.isfinite(up)
        self.free = np.flatnonzero(~hl & ~hu)
        self.upper = np.flatnonzero(~hl & hu)
        self.both = np.flatnonzero(hl & hu)

    def phi(self, y: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Phi(y) for F(y) = ``f``."""
        with np.errstate(invalid="ignore", over="ignore"):
            phi = _fb_phi(y - self.lo, f)  # the free and upper-bounded entries are overwritten
        i = self.free
        phi[i] = f[i]
        i = self.upper
        if i.size:
            phi[i] = -_fb_phi(self.up[i] - y[i], -f[i])
        i = self.both
        if i.size:
            phi[i] = _fb_phi(y[i] - self.lo[i], -_fb_phi(self.up[i] - y[i], -f[i]))
        return phi

    def derivatives(self, y: np.ndarray, f: np.ndarray, mu: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Diagonal derivative parts of Phi, dPhi = Dx * dy + DF * dF (Dx, DF >= 0), and those of
        the smoothed function with ``mu`` (Jacobian smoothing): (Dx, DF, smoothed Dx, smoothed DF)."""
        with np.errstate(invalid="ignore", over="ignore"):
            dx, df, sdx, sdf = _fb_grad(y - self.lo, f, mu)
        if sdx is dx:  # mu = 0: the same arrays, which are written below
            sdx, sdf = dx.copy(), df.copy()
        i = self.free
        for x, v in ((dx, 0.0), (df, 1.0), (sdx, 0.0), (sdf, 1.0)):
            x[i] = v
        i = self.upper
        if i.size:
            dx[i], df[i], sdx[i], sdf[i] = _fb_grad(self.up[i] - y[i], -f[i], mu)
        i = self.both
        if i.size:
            a, b = self.up[i] - y[i], -f[i]
            p1 = _fb_phi(a, b)
            a1, b1, sa1, sb1 = _fb_grad(a, b, mu)
            a2, b2, sa2, sb2 = _fb_grad(y[i] - self.lo[i], -p1, mu)
            dx[i], df[i], sdx[i], sdf[i] = a2 + b2 * a1, b2 * b1, sa2 + sb2 * sa1, sb2 * sb1
        return dx, df, sdx, sdf


class BoxMCP:
    """``F(y) = M y + c + N(y)`` on the box ``[lo, up]``; the first ``n_kept`` variables are never eliminated.

    Rows of variables after ``n_kept`` must depend on other such variables only through their own
    diagonal (true for the market model: a flow's arbitrage condition involves prices and policy
    variables, never another flow).
    """

    def __init__(self, M: sp.csr_matrix, c: np.ndarray, lo: np.ndarray, up: np.ndarray, n_kept: int,
                 nonlinear: NonLinear | None = None, pattern: tuple[np.ndarray, np.ndarray] | None = None):
        self.M, self.c, self.lo, self.up, self.n_kept = M.tocsr(), c, lo, up, n_kept
        #: every (row, column) the non-affine Jacobian part can occupy, when all lie among the kept
        #: variables (levies: a levy row and its origins' prices): the static Schur pattern then
        #: covers them and such iterations skip the general sparse path (decision 0011)
        self.pattern = pattern if pattern is not None and pattern[0].size and \
            max(pattern[0].max(), pattern[1].max()) < n_kept else None
        self.box = Box(lo, up)
        self.diag = self.M.diagonal()
        self.nonlinear = nonlinear
        self.n = c.size
        self._rows_k: sp.csr_matrix | None = None  # the kept rows of M
        self._rows_e: sp.csr_matrix | None = None  # the eliminated rows of M on the kept columns
        self._schur: StaticSchur | None = None
        self._active: tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]] | None = None

    def F(self, y: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
        f = self.M @ y + self.c
        if self.nonlinear is None:
            return f, None
        rows, vals, jr, jc, jv = self.nonlinear(y)
        np.add.at(f, rows, vals)
        return f, (jr, jc, jv) if jr.size else None

    def _kept_rows(self, A: sp.csr_matrix) -> sp.csr_matrix:
        """The rows of the kept variables; cached for the constant matrix."""
        if A is not self.M:
            return A[:self.n_kept]
        if self._rows_k is None:
            self._rows_k = self.M[:self.n_kept]
        return self._rows_k

    def _eliminated_rows(self) -> sp.csr_matrix:
        """M's eliminated rows restricted to the kept columns (an eliminated row's only other
        entry is its own diagonal, which multiplies the zero part of the back-substituted step)."""
        if self._rows_e is None:
            self._rows_e = self.M[self.n_kept:, :self.n_kept].tocsr()
        return self._rows_e

    def jacobian(self, jn) -> sp.csr_matrix:
        if jn is None:
            return self.M
        return (self.M + sp.csr_matrix((jn[2], (jn[0], jn[1])), shape=self.M.shape)).tocsr()

    def merit(self, y: np.ndarray) -> tuple[np.ndarray, object, np.ndarray]:
        """Phi at ``y`` (its derivatives are computed only at accepted points), the non-affine
        Jacobian part and F."""
        f, jn = self.F(y)
        return self.box.phi(y, f), jn, f

    def factor(self, dx: np.ndarray, df: np.ndarray, A: sp.csr_matrix, reg: float, jn=None
               ) -> Callable[[np.ndarray], np.ndarray]:
        """Factorise ``diag(dx) + diag(df) A`` (with the eliminated diagonal floored at
        ``ELIMINATED_FLOOR``) by eliminating the eliminable variables onto the kept ones; returns
        a function solving that system for a right-hand side. ``jn``: the non-affine part of
        ``A`` (COO), if any."""
        k = self.n_kept
        inv = np.zeros(self.n)
        inv[k:] = 1.0 / np.maximum(dx[k:] + df[k:] * self.diag[k:], ELIMINATED_FLOOR)
        w = df * inv
        static = A is self.M or (self.pattern is not None and jn is not None)
        # a non-affine part on kept rows and columns leaves the kept rows' products with the
        # (zero on the kept part) vector rhs * inv, and the eliminated rows, as they are in M
        AK = self._kept_rows(self.M if static else A)
        if static:  # precomputed pattern and ordering
            if self._schur is None:
                self._schur = StaticSchur(self._pattern_matrix(), k)
            solve_k = self._schur.factor(df, dx, w, reg, None if A is self.M else jn)
        else:
            T = AK @ sp.diags(w) @ A.tocsc()[:, :k]
            S = sp.diags(df[:k]) @ (AK[:, :k] - T) + sp.diags(dx[:k] + reg)
            solve_k = spla.splu(S.tocsc(), permc_spec="COLAMD").solve

        AE_K = self._eliminated_rows() if A is self.M else A[k:, :k]

        def solve(rhs: np.ndarray) -> np.ndarray:
            d = np.zeros(self.n)
            d[:k] = solve_k(rhs[:k] - df[:k] * (AK @ (rhs * inv)))
            d[k:] = (rhs[k:] - df[k:] * (AE_K @ d[:k])) * inv[k:]
            return d

        return solve

    def _pattern_matrix(self) -> sp.csr_matrix:
        """M with explicit zeros at ``pattern``: the static Schur layout then has a slot for each."""
        if self.pattern is None:
            return self.M
        coo = self.M.tocoo()
        r, c = self.pattern
        return sp.coo_matrix((np.r_[coo.data, np.zeros(r.size)], (np.r_[coo.row, r], np.r_[coo.col, c])),
                             shape=self.M.shape).tocsr()

    @staticmethod
    def _strategies(err: float):
        """Newton with a Levenberg-Marquardt term that vanishes near the solution (min(1e-8, err^2):
        quadratic convergence), then with ever larger terms, then steepest descent; each with the
        smallest step its line search accepts (a Newton step cut below 1e-4 means the direction is
        poor: the next strategy is tried instead of crawling). Larger terms
        damp moves along (near-)null directions of the Jacobian, which appear when flows are not
        unique (ties in transport costs) and would otherwise give huge, useless steps."""
        yield "newton", min(1e-8, max(1e-15, err * err)), 1e-4
        yield "newton", 1e-6, 1e-4
        yield "newton", 1e-4, 1e-4
        yield "newton", 1e-2, 1e-10
        yield "gradient", 0.0, 1e-10

    def _try_direction(self, kind, reg, phi, dx, df, sdx, sdf, A, jn) -> np.ndarray | None:
        if kind == "gradient":
            return -(dx * phi + A.T @ (df * phi))
        try:
            d = self.factor(sdx, sdf, A, reg, jn)(-phi)
        except RuntimeError:  # SuperLU: factor is exactly singular
            return None
        return d if np.all(np.isfinite(d)) else None

    def _active_set_step(self, y, phi_m, active, psi, err, A, jn):
        """The Newton step on the min-map equations of ``active`` (held variables move to their
        bound, the others solve F = 0), kept if it at least halves ||Phi||; None otherwise. The
        factorisation is reused while the active set (and the constant Jacobian) stay the same."""
        solve = None
        if A is self.M and self._active is not None and np.array_equal(self._active[0], active):
            solve = self._active[1]
        if solve is None:
            held = (active > 0).astype(float)
            try:
                solve = self.factor(held, 1.0 - held, A, min(1e-8, max(1e-15, err * err)), jn)
            except RuntimeError:  # SuperLU: exactly singular
                return None
            self._active = (active, solve) if A is self.M else None
        d = solve(-phi_m)
        if not np.all(np.isfinite(d)):
            return None
        y_new = y + d
        phi_n, jn_n, f_n = self.merit(y_new)
        psi_n = 0.5 * _dot(phi_n, phi_n)
        return (y_new, phi_n, jn_n, f_n, psi_n) if psi_n <= 0.25 * psi else None

    def _polish(self, y, phi, jn, f, err):
        """One more step of the active-set finish with its stored factorisation (no new one),
        kept if it lowers max |Phi|: the finish stops just below the tolerance, where quadratic
        FB steps would have overshot to rounding level; this gives back those digits."""
        phi_m, active = box_minmap(y, f, self.lo, self.up)
        if self._active is None or not np.array_equal(self._active[0], active):
            return y, phi, jn, f, err
        y_new = y + self._active[1](-phi_m)
        phi_n, jn_n, f_n = self.merit(y_new)
        err_n = float(np.max(np.abs(phi_n)))
        return (y_new, phi_n, jn_n, f_n, err_n) if err_n < err else (y, phi, jn, f, err)

    def _line_search(self, y, d, psi, slope, t_min: float, sigma: float = 1e-4):
        """Armijo backtracking on psi = ||Phi||^2 / 2; None if no acceptable step >= t_min."""
        t = 1.0
        while t >= t_min:
            y_new = y + t * d
            phi_n, jn_n, f_n = self.merit(y_new)
            psi_n = 0.5 * _dot(phi_n, phi_n)
            if psi_n <= psi + sigma * t * slope:
                return y_new, phi_n, jn_n, f_n, psi_n
            t *= 0.5
        return None

    def solve(self, y0: np.ndarray, tol: float = 1e-10, max_iter: int = 300) -> MCPSolution:
        t0 = time.perf_counter()
        y = y0.copy()
        phi, jn, f = self.merit(y)
        psi = 0.5 * _dot(phi, phi)
        grad_steps = active_steps = 0
        message = "iteration limit"
        previous = None  # the active set at the previous iterate
        finished = False  # the last step was an active-set step
        for it in range(max_iter + 1):
            err = float(np.max(np.abs(phi))) if phi.size else 0.0
            if err <= tol:
                if finished:
                    y, phi, jn, f, err = self._polish(y, phi, jn, f, err)
                return MCPSolution(y, True, it, err, time.perf_counter() - t0, grad_steps, "converged", active_steps)
            if it == max_iter or not np.isfinite(err) or np.max(np.abs(y)) > 1e12:
                message = "diverged" if (not np.isfinite(err) or np.max(np.abs(y)) > 1e12) else message
                break
            A = self.jacobian(jn)
            phi_m, active = box_minmap(y, f, self.lo, self.up)
            stable = previous is not None and np.array_equal(active, previous)
            previous = active
            step = self._active_set_step(y, phi_m, active, psi, err, A, jn) if stable else None
            finished = step is not None
            if finished:
                active_steps += 1
                y, phi, jn, f, psi = step
                continue
            # Jacobian smoothing (Kanzow & Pieper 1999): the Newton matrix uses the derivatives
            # of the smoothed FB function with mu = SMOOTHING * psi, which vanishes as psi -> 0
            # (so convergence stays quadratic); it halved the iterations on chain markets. The
            # true derivatives give the merit's slope and the steepest descent.
            dx, df, sdx, sdf = self.box.derivatives(y, f, SMOOTHING * psi)
            step = None
            for kind, reg, t_min in self._strategies(err):
                d = self._try_direction(kind, reg, phi, dx, df, sdx, sdf, A, jn)
                if d is None:
                    continue
                slope = _dot(phi, dx * d + df * (A @ d))
                if not slope < 0:
                    continue
                step = self._line_search(y, d, psi, slope, t_min=t_min)
                if step is not None:
                    grad_steps += kind == "gradient"
                    break
            if step is None:
                message = "line search failed"
                break
            y, phi, jn, f, psi = step
        err = float(np.max(np.abs(phi))) if phi.size else 0.0
        return MCPSolution(y, False, it, err, time.perf_counter() - t0, grad_steps, message, active_steps)
