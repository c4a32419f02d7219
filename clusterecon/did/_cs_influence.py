"""Compact influence functions for Callaway-Sant'Anna estimates (private).

Without covariates every ATT(g,t) of a balanced panel is a difference of cohort means of ``Y_t - Y_b``, so its
influence function has the closed form ``IF_i = w_i * (Y_i . a_{k(i)} + b_{k(i)}) + c`` where ``k(i)`` is unit i's
cohort, ``Y_i`` its row of outcomes (one column per period), ``a_k`` a vector over periods and ``b_k``, ``c``
scalars.  Linear combinations of such functions (aggregations, and the weight-estimation terms of R did's
``wif``, which are of the form ``w_i * gamma_{k(i)} + const``) stay in this form.  Their Gram matrix
``sum_i IF_i IF_i'`` follows from per-cohort sufficient statistics (``sum w^2 Y Y'``, ``sum w^2 Y``, ...), so no
n x (number of cells) matrix is ever built: this is what keeps ``att_gt`` fast and lean on 10^7-row panels.

With covariates (or repeated cross-sections) the influence functions are stored densely (n x m).
Units are always stored sorted by cohort, so each cohort is a contiguous block ``starts[k]:starts[k+1]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["UnitStore", "CSInfluence"]


@dataclass
class UnitStore:
    """Unit-level data shared by all influence functions of one ``att_gt`` fit (units sorted by cohort)."""

    w: np.ndarray  # (n,) unit weights
    starts: np.ndarray  # (K+1,) block boundaries of the cohorts
    cohorts: np.ndarray  # (K,) cohort values (0 = never treated)
    Y: np.ndarray | None = None  # (n, T) centred outcomes (lazy representation only)
    cluster: np.ndarray | None = None  # (n,) cluster codes 0..G-1 or None
    unit_weights: bool = False  # all weights are one (faster sufficient statistics)

    def __post_init__(self) -> None:
        self.n = int(self.w.shape[0])
        self.K = int(self.cohorts.shape[0])
        self.code = np.repeat(np.arange(self.K), np.diff(self.starts))
        if self.Y is not None:
            T = self.Y.shape[1]
            self.s1 = np.zeros(self.K)
            self.s2 = np.zeros(self.K)
            self.nk = np.diff(self.starts).astype(float)
            self.m1 = np.zeros((self.K, T))
            self.m2 = np.zeros((self.K, T))
            self.M2 = np.zeros((self.K, T, T))
            for k in range(self.K):
                sl = slice(self.starts[k], self.starts[k + 1])
                wk = self.w[sl]
                yk = self.Y[sl]
                if self.unit_weights:
                    self.s1[k] = self.s2[k] = float(yk.shape[0])
                    self.m1[k] = self.m2[k] = yk.sum(axis=0)
                    self.M2[k] = yk.T @ yk
                    continue
                self.s1[k] = wk.sum()
                self.s2[k] = (wk * wk).sum()
                self.m1[k] = wk @ yk
                w2 = wk * wk
                self.m2[k] = w2 @ yk
                self.M2[k] = (yk * w2[:, None]).T @ yk


class CSInfluence:
    """Influence functions of ``m`` estimates over the ``n`` units of a :class:`UnitStore`.

    ``IF = dense + w_i * (Y_i . A[k(i)] + B[k(i)]) + c`` where any of ``dense`` (n x m) and ``A`` (K x T x m)
    may be absent; ``B`` is (K x m) and ``c`` (m,).
    """

    def __init__(self, store: UnitStore, m: int, *, A=None, B=None, c=None, dense=None):
        self.store = store
        self.m = int(m)
        self.A = A
        self.B = np.zeros((store.K, m)) if B is None else B
        self.c = np.zeros(m) if c is None else c
        self.dense = dense

    @property
    def n(self) -> int:
        return self.store.n

    @property
    def lazy(self) -> bool:
        return self.dense is None

    # ------------------------------------------------------------------ algebra
    def combine(self, W: np.ndarray, wif_B: np.ndarray | None = None) -> CSInfluence:
        """Influence functions of ``theta @ W`` (W is m x m2), plus ``w_i * wif_B[k(i)]`` terms."""
        W = np.asarray(W, float)
        if W.ndim == 1:
            W = W[:, None]
        B = self.B @ W
        if wif_B is not None:
            B = B + wif_B
        A = None if self.A is None else np.einsum("ktm,mj->ktj", self.A, W)
        dense = None if self.dense is None else self.dense @ W
        return CSInfluence(self.store, W.shape[1], A=A, B=B, c=self.c @ W, dense=dense)

    def columns(self, idx) -> CSInfluence:
        idx = np.asarray(idx)
        W = np.zeros((self.m, len(idx)))
        W[idx, np.arange(len(idx))] = 1.0
        return self.combine(W)

    def materialize(self, rows: slice | None = None) -> np.ndarray:
        """The dense (n x m) matrix of influence values (units in cohort-sorted order), or a block of rows."""
        s = self.store
        rows = slice(0, s.n) if rows is None else rows
        code = s.code[rows]
        w = s.w[rows]
        out = w[:, None] * self.B[code] + self.c[None, :]
        if self.A is not None:
            Y = s.Y[rows]
            # sum_t Y_it A[k(i), t, :]; loop over cohorts present in the block
            for k in np.unique(code):
                sel = code == k
                out[sel] += w[sel, None] * (Y[sel] @ self.A[k])
        if self.dense is not None:
            out += self.dense[rows]
        return out

    def gram(self) -> np.ndarray:
        """``sum_i IF_i IF_i'`` (m x m); cluster sums are used when the store has clusters."""
        s = self.store
        if s.cluster is not None or not self.lazy:
            M = self.materialize()
            if s.cluster is not None:
                G = int(s.cluster.max()) + 1
                S = np.zeros((G, self.m))
                np.add.at(S, s.cluster, M)
                return S.T @ S
            return M.T @ M
        A = self.A
        B, c = self.B, self.c
        out = np.zeros((self.m, self.m))
        for k in range(s.K):
            b = B[k]
            t1 = np.outer(b, b) * s.s2[k] + np.outer(c, c) * s.nk[k]
            t1 += (np.outer(b, c) + np.outer(c, b)) * s.s1[k]
            if A is not None:
                a = A[k]  # T x m
                t1 += a.T @ s.M2[k] @ a
                u2 = s.m2[k] @ a  # (m,)
                u1 = s.m1[k] @ a
                t1 += np.outer(b, u2) + np.outer(u2, b)
                t1 += np.outer(c, u1) + np.outer(u1, c)
            out += t1
        return out

    def n_clusters(self) -> int:
        s = self.store
        return s.n if s.cluster is None else int(s.cluster.max()) + 1

    def se(self) -> np.ndarray:
        """Analytic standard errors ``sqrt(sum_i IF_i^2) / n`` (cluster sums when clustered)."""
        g = np.diag(self.gram())
        return np.sqrt(np.maximum(g, 0.0)) / self.n
