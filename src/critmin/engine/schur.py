"""The reduced Newton matrix on a fixed kept set, assembled and factorised without symbolic work.

In most Newton iterations the kept variables are exactly the prices and policy variables and
the Jacobian is the model's constant matrix ``A``, so the sparsity pattern of

    S = diag(df_K) (A_KK - A_KE diag(w) A_EK) + diag(dx_K + reg)

never changes; only the numbers do. This class enumerates once every product term
``A_KE[r, e] A_EK[e, c]`` and the slot of ``S`` it lands in, and computes once a symmetric
fill-reducing ordering of that pattern (SuperLU's minimum degree on ``S + S^T``). Each
iteration then fills ``S`` with one ``bincount`` (no sparse matrix product, no symbolic phase)
and factorises the pre-permuted matrix with SuperLU's natural order and diagonal-preferring
pivoting. Measured on the 60 x 40 benchmark market (2,401 kept variables): fill 145k -> 55k,
factorisation ~5 ms -> ~2.5 ms, assembly ~3 ms -> ~0.5 ms.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

#: SuperLU takes the diagonal pivot unless it is below this fraction of its column's largest
#: entry (then partial pivoting): the symmetric ordering stays in force for these diagonally
#: dominated matrices, and a vanishing diagonal is still pivoted away.
DIAG_PIVOT = 0.01


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
        self.t_elim = e_of_a[a_idx] + k  # the eliminated variable of each term
        self.t_coef = AKE.data[a_idx] * AEK.data[b_idx]
        diag = np.arange(k)
        rows = np.concatenate([t_row, AKK.row, diag])
        cols = np.concatenate([t_col, AKK.col, diag])
        # fill-reducing symmetric ordering from the pattern alone (values: a diagonally dominant stand-in)
        pat = sp.csc_matrix((np.ones(rows.size), (rows, cols)), shape=(k, k))
        pat = (abs(pat) + abs(pat.T)).tocsc()
        pat.data[:] = 1.0
        pat = pat + sp.diags(np.asarray(pat.sum(axis=0)).ravel() + 1.0)
        perm_c = spla.splu(pat.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                           options={"SymmetricMode": True}).perm_c
        self.order = np.argsort(perm_c)  # new position i holds old variable order[i]
        new = perm_c  # old variable -> new position
        # slots of the permuted matrix in CSC order (column-major keys)
        keys = new[cols].astype(np.int64) * k + new[rows]
        uniq, slot = np.unique(keys, return_inverse=True)
        self.k, self.nnz = k, uniq.size
        self.indices = (uniq % k).astype(np.int32)
        self.indptr = np.searchsorted(uniq // k, np.arange(k + 1)).astype(np.int32)
        nt, na = t_row.size, AKK.row.size
        self.t_slot = slot[:nt]
        self.akk = np.bincount(slot[nt:nt + na], weights=AKK.data, minlength=self.nnz)
        self.diag_slot = slot[nt + na:]
        self.slot_row = self.order[self.indices]  # old row (kept variable) of each slot

    def factor(self, df: np.ndarray, dx: np.ndarray, w: np.ndarray, reg: float):
        """Factorise S for the current ``df``, ``dx`` (all variables) and elimination weights ``w``;
        returns a function solving ``S s = b`` for a right-hand side on the kept variables."""
        k = self.k
        data = self.akk - np.bincount(self.t_slot, weights=self.t_coef * w[self.t_elim], minlength=self.nnz)
        data *= df[self.slot_row]
        data[self.diag_slot] += dx[:k] + reg
        S = sp.csc_matrix((data, self.indices, self.indptr), shape=(k, k))
        lu = spla.splu(S, permc_spec="NATURAL", diag_pivot_thresh=DIAG_PIVOT, options={"SymmetricMode": True})
        order = self.order

        def solve(b: np.ndarray) -> np.ndarray:
            s = np.empty(k)
            s[order] = lu.solve(b[order])
            return s

        return solve
