"""The reduced Newton matrix on a fixed kept set, assembled and factorised without symbolic work.

In most Newton iterations the kept variables are exactly the prices and policy variables and
the Jacobian is the model's constant matrix ``A``, so the sparsity pattern of

    S = diag(df_K) (A_KK - A_KE diag(w) A_EK) + diag(dx_K + reg)

never changes; only the numbers do. This class enumerates once every product term
``A_KE[r, e] A_EK[e, c]`` and the slot of ``S`` it lands in. Each iteration fills ``S`` with
one ``bincount`` (no sparse matrix product). The first factorisation orders ``S`` by SuperLU's
symmetric minimum degree (on ``S + S^T``, a function of the pattern alone); every later one
factorises the matrix pre-permuted by that ordering in natural order with diagonal-preferring
pivoting (no ordering phase). Measured on the 60 x 40 benchmark market (2,401 kept variables):
fill 145k -> 55k, factorisation ~5 ms -> ~2.5 ms, assembly ~3 ms -> ~0.5 ms; taking the
ordering from the first real factorisation instead of a separate one on the pattern saved
another ~5 ms per solve (decision 0011).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

#: SuperLU takes the diagonal pivot unless it is below this fraction of its column's largest
#: entry (then partial pivoting): the symmetric ordering stays in force for these diagonally
#: dominated matrices, and a vanishing diagonal is still pivoted away.
DIAG_PIVOT = 0.01
#: SuperLU's panel size (columns factorised together). Its default is tuned for larger, denser
#: factors; on these reduced matrices one column at a time was faster (measured on the matrices
#: of one solve, median of 7 passes: 60 x 40 2.45 -> 1.83 ms, 200 x 40 12.4 -> 8.0 ms per
#: factorisation; 2, 4 and 8 lay in between; ``relax`` made no difference).
PANEL_SIZE = 1


class StaticSchur:
    """Precomputed pattern and ordering of the reduced matrix of ``A`` with kept set ``0..k-1``."""

    def __init__(self, A: sp.csr_matrix, k: int):
        n = A.shape[0]
        AKE = A[:k, k:].tocsc()
        AEK = A[k:, :k].tocsr()
        AKK = A[:k, :k].tocoo()
        AKE.sort_indices(), AEK.sort_indices()
        # every product term A_KE[r, e] A_EK[e, c]: pair each entry of column e of A_KE with each of row e of A_EK
        ne = n - k
        e_of_a = np.repeat(np.arange(ne), np.diff(AKE.indptr))
        cnt = np.diff(AEK.indptr)[e_of_a]
        a_idx = np.repeat(np.arange(e_of_a.size), cnt)
        first = np.repeat(AEK.indptr[e_of_a], cnt)
        b_idx = first + np.arange(a_idx.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        t_row, t_col = AKE.indices[a_idx], AEK.indices[b_idx]
        diag = np.arange(k)
        rows = np.concatenate([t_row, AKK.row, diag])
        cols = np.concatenate([t_col, AKK.col, diag])
        # slots of S in CSC order (column-major keys)
        key_type = np.int32 if k * k < 2**31 else np.int64  # int32 sorts faster
        uniq, slot = np.unique(cols.astype(key_type) * key_type(k) + rows.astype(key_type), return_inverse=True)
        self.k, self.nnz = k, uniq.size
        indices = (uniq % k).astype(np.int32)
        indptr = np.searchsorted(uniq // k, np.arange(k + 1)).astype(np.int32)
        nt, na = t_row.size, AKK.row.size
        # the terms as a (slot x eliminated variable) matrix: S's A_KE diag(w) A_EK part is T @ w_E
        T = sp.csr_matrix((AKE.data[a_idx] * AEK.data[b_idx], (slot[:nt], e_of_a[a_idx])), shape=(self.nnz, ne))
        akk = np.bincount(slot[nt:nt + na], weights=AKK.data, minlength=self.nnz)
        #: (T, A_KK values, row of each slot, diagonal slots, CSC indices, CSC pointers) of S; after
        #: the first factorisation, of S pre-permuted by its ordering
        self.layout = (T, akk, indices, slot[nt + na:], indices, indptr)
        self.key = uniq.astype(np.int64)  # (column x k + row) of each slot, in the layout's order
        self.order: np.ndarray | None = None  # set by the first factorisation: the symmetric ordering
        self._ordered = False

    def _adopt(self, perm_c: np.ndarray) -> None:
        """Keep the first factorisation's column ordering for all later ones: the layout of S is
        rearranged once into the CSC order of the permuted matrix."""
        k = self.k
        T, akk, slot_row, diag_slot, indices, indptr = self.layout
        cols = np.repeat(np.arange(k), np.diff(indptr))
        keys = perm_c[cols].astype(np.int64) * k + perm_c[indices]
        take = np.argsort(keys, kind="stable")
        position = np.empty_like(take)
        position[take] = np.arange(take.size)
        self.order = np.argsort(perm_c)  # new position i holds old variable order[i]
        self.key = self.key[take]
        self.layout = (T[take], akk[take], slot_row[take], position[diag_slot], (keys[take] % k).astype(np.int32),
                       np.searchsorted(keys[take] // k, np.arange(k + 1)).astype(np.int32))
        self._ordered = True

    def slots(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Layout positions of the kept-block entries (rows, cols); KeyError if one has no slot."""
        order = np.argsort(self.key)
        keys = cols.astype(np.int64) * self.k + rows
        pos = np.clip(np.searchsorted(self.key[order], keys), 0, order.size - 1)
        if not np.array_equal(self.key[order][pos], keys):
            raise KeyError("entry outside the static pattern")
        return order[pos]

    def factor(self, df: np.ndarray, dx: np.ndarray, w: np.ndarray, reg: float, extra=None):
        """Factorise S for the current ``df``, ``dx`` (all variables) and elimination weights ``w``;
        returns a function solving ``S s = b`` for a right-hand side on the kept variables.
        ``extra``: COO (rows, cols, values) added to A_KK (a non-affine Jacobian part within the
        pattern the layout was built on).

        The first call orders S by SuperLU's minimum degree on ``S + S^T`` (the pattern is the
        same in every call, so that ordering serves them all); later calls factorise the
        pre-permuted matrix in natural order, skipping the ordering."""
        k = self.k
        T, akk, slot_row, diag_slot, indices, indptr = self.layout
        data = akk - T @ w[k:]
        if extra is not None:
            np.add.at(data, self.slots(extra[0], extra[1]), extra[2])
        data *= df[slot_row]
        data[diag_slot] += dx[:k] + reg
        S = sp.csc_matrix((data, indices, indptr), shape=(k, k))
        opts = {"SymmetricMode": True}
        if not self._ordered:
            lu = spla.splu(S, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=DIAG_PIVOT, panel_size=PANEL_SIZE,
                           options=opts)
            self._adopt(lu.perm_c)
            return lu.solve
        lu = spla.splu(S, permc_spec="NATURAL", diag_pivot_thresh=DIAG_PIVOT, panel_size=PANEL_SIZE, options=opts)
        order = self.order

        def solve(b: np.ndarray) -> np.ndarray:
            s = np.empty(k)
            s[order] = lu.solve(b[order])
            return s

        return solve
