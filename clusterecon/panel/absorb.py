"""Absorbing fixed effects: the within transformation by alternating projections.

For one set of fixed effects the transformation is the exact one-pass deviation from (weighted) group means.  For
two or more sets it is the method of alternating projections (Guimaraes and Portugal 2010; Gaure 2013): demean by
each factor in turn until the largest change is below ``tol``.  Group sums use :func:`numpy.bincount`, so the cost
is linear in the number of rows and there is no Python loop over groups.

Two fast paths give the same projection without iterating:

* a balanced two-way layout without weights (every pair of levels observed exactly once): the closed form
  x - mean_a - mean_b + grand mean (as row and column means of a (Ga, Gb) view when the rows are sorted by the
  first factor and then the second);
* any two factors of which the smaller has at most ``SMALL_FACTOR`` levels (the usual unit x period panel, balanced or
  not, weighted or not): by Frisch-Waugh-Lovell, demean by the large factor, then regress on the demeaned dummies of
  the small factor, whose G x G normal matrix is built from the entity x level incidence counts
  (D'WM_aD = diag(w_b) - N' diag(1/w_a) N).  The result is checked (the small factor's weighted group means of the
  residual must vanish to ``tol``) and polished by alternating projections if it does not.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import EstimationError

__all__ = ["demean", "fe_dof", "is_nested", "factorize"]

SMALL_FACTOR = 2000  # largest number of levels of the smaller factor for the direct two-way solve
_DENSE_INCIDENCE_MAX = 30_000_000  # largest Ga x Gb incidence table built densely (240 MB) in the direct solve


def _int_codes(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Sorted factorisation of an integer array with a compact range by a presence table (no hashing); None when the
    range is too wide for that to be cheap."""
    if arr.dtype.kind not in "iu" or arr.size == 0:
        return None
    lo, hi = int(arr.min()), int(arr.max())
    span = hi - lo + 1
    if span > 2 * arr.size + 1024:
        return None
    off = arr - lo if lo != 0 else arr
    present = np.bincount(off, minlength=span) > 0
    levels = np.flatnonzero(present)
    if len(levels) == span:
        codes = off.astype(np.int64, copy=False)
    else:
        lut = np.cumsum(present, dtype=np.int64) - 1
        codes = lut[off]
    return codes, levels + lo


def factorize(values) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 (in sorted order of the values) of any 1-d array and the number of groups."""
    import pandas as pd

    arr = np.asarray(values)
    fast = _int_codes(arr)
    if fast is not None:
        return fast[0], len(fast[1])
    codes, levels = pd.factorize(arr, sort=True)
    if (codes < 0).any():
        raise EstimationError("grouping variable has missing values")
    return codes.astype(np.int64), len(levels)


def demean(
    X: np.ndarray,
    fes: list[np.ndarray],
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    maxiter: int = 10_000,
    method: str = "auto",
) -> np.ndarray:
    """Project the columns of ``X`` off the dummies of every factor in ``fes`` (weighted if ``weights`` given).

    Parameters
    ----------
    X : array (n,) or (n, k)
    fes : list of integer code arrays (0..G-1), one per set of fixed effects
    weights : optional positive weights; the projection is then orthogonal in the weighted inner product
    tol : convergence tolerance on the largest absolute change, relative to the column's scale
    maxiter : iteration cap for two or more factors; exceeding it raises :class:`EstimationError`
    method : ``"auto"`` (default) uses the closed form / direct solve for two factors when it applies (see the module
        docstring) and alternating projections otherwise; ``"projections"`` always iterates (the reference path)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 3.0, 5.0])
    >>> demean(x, [np.array([0, 0, 1, 1])])
    array([-0.5,  0.5, -1. ,  1. ])
    """
    X = np.asarray(X, dtype=float)
    one_d = X.ndim == 1
    if method not in ("auto", "projections"):
        raise EstimationError(f"unknown demeaning method {method!r}; use 'auto' or 'projections'")
    if not fes or X.reshape(len(X), -1).shape[1] == 0:
        Z = np.array(X.reshape(len(X), -1), dtype=float, copy=True)
        return Z[:, 0] if one_d else Z
    codes = [np.asarray(c, dtype=np.intp) for c in fes]
    sizes = [int(c.max()) + 1 for c in codes]
    if method == "auto" and len(codes) == 2:
        out = _two_way_direct(X.reshape(len(X), -1), codes, sizes, weights, tol, maxiter)
        if out is not None:
            return out[:, 0] if one_d else out
    Z = np.array(X.reshape(len(X), -1), dtype=float, copy=True)
    wsums = []
    for c, g in zip(codes, sizes):
        ws = np.bincount(c, weights=weights, minlength=g).astype(float)
        ws[ws == 0] = 1.0
        wsums.append(ws)
    for j in range(Z.shape[1]):
        col = np.ascontiguousarray(Z[:, j])
        scale = max(float(np.max(np.abs(col))), 1e-300)
        if len(codes) == 1:
            col -= (np.bincount(codes[0], weights=col if weights is None else col * weights, minlength=sizes[0])
                    / wsums[0])[codes[0]]
        else:
            col = _accelerated_projections(col, codes, sizes, wsums, weights, tol * scale, maxiter)
        Z[:, j] = col
    return Z[:, 0] if one_d else Z


def _two_way_direct(X, codes, sizes, weights, tol, maxiter):
    """Exact two-way projection without iterations, or None when neither fast path applies (see module docstring)."""
    n = X.shape[0]
    (a, b), (Ga, Gb) = codes, sizes
    if Gb > Ga:
        a, b, Ga, Gb = b, a, Gb, Ga
    if weights is None and n == Ga * Gb and _grid_layout(a, b, Ga, Gb):
        # rows ordered as the full (a, b) grid, a major: means along the axes of a (Ga, Gb) view, no scatter/gather
        out = np.empty((n, X.shape[1]), order="F")
        ones_a, ones_b = np.full(Ga, 1.0 / Ga), np.full(Gb, 1.0 / Gb)
        for j in range(X.shape[1]):
            M = X[:, j].reshape(Ga, Gb)
            ma = M @ ones_b  # row and column means as matrix-vector products (BLAS)
            mb = ones_a @ M
            mb -= ma.mean()
            R = out[:, j].reshape(Ga, Gb)
            np.subtract(M, ma[:, None], out=R)
            R -= mb[None, :]
        return out
    if weights is None and n == Ga * Gb:
        key = a * Gb + b
        if np.bincount(key, minlength=n).max() == 1:  # balanced: every (a, b) pair exactly once
            out = np.empty((n, X.shape[1]), order="F")
            for j in range(X.shape[1]):
                col = X[:, j]
                ma = np.bincount(a, weights=col, minlength=Ga) / Gb
                mb = np.bincount(b, weights=col, minlength=Gb) / Ga
                mb -= col.sum() / n
                r = out[:, j]
                np.subtract(col, ma[a], out=r)
                r -= mb[b]
            return out
    if Gb > SMALL_FACTOR:
        return None
    w = None if weights is None else np.asarray(weights, dtype=float)
    wa = np.bincount(a, weights=w, minlength=Ga).astype(float)
    wb = np.bincount(b, weights=w, minlength=Gb).astype(float)
    wa[wa == 0] = 1.0
    # incidence N[a, b] = (weighted) count of rows, a Ga x Gb matrix (dense when small enough, else sparse);
    # A = D'WD - N' diag(1/wa) N
    if Ga * Gb <= min(max(2 * n, 1_000_000), _DENSE_INCIDENCE_MAX):
        N = np.bincount(a * Gb + b, weights=w, minlength=Ga * Gb).reshape(Ga, Gb).astype(float, copy=False)
        N /= np.sqrt(wa)[:, None]
        A = np.diag(wb) - N.T @ N
        del N
    else:
        from scipy.sparse import csr_matrix

        N = csr_matrix((np.ones(n) if w is None else w, (a, b)), shape=(Ga, Gb))
        N.sum_duplicates()
        Ns = csr_matrix(N.multiply(1.0 / np.sqrt(wa)[:, None]))
        A = np.diag(wb) - (Ns.T @ Ns).toarray()
    A = (A + A.T) / 2
    vals, vecs = np.linalg.eigh(A)
    keep = vals > 1e-11 * max(float(vals.max()), 1e-300)
    Ainv = (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T
    out = np.empty((n, X.shape[1]), order="F")
    wb_safe = np.where(wb == 0, 1.0, wb)
    for j in range(X.shape[1]):
        col = X[:, j]
        r = out[:, j]
        ma = np.bincount(a, weights=col if w is None else col * w, minlength=Ga) / wa
        np.subtract(col, ma[a], out=r)  # M_a x
        rhs = np.bincount(b, weights=r if w is None else r * w, minlength=Gb)  # D'W M_a x
        g = Ainv @ rhs
        gb = g[b]
        mg = np.bincount(a, weights=gb if w is None else gb * w, minlength=Ga) / wa
        r -= gb
        r += mg[a]  # M_a x - M_a D g
        scale = max(float(np.max(np.abs(col))), 1e-300)
        chk = np.bincount(b, weights=r if w is None else r * w, minlength=Gb) / wb_safe
        if float(np.max(np.abs(chk))) > tol * scale:  # ill-conditioned incidence: polish by projections
            wsums = [wa, wb_safe]
            r[:] = _accelerated_projections(r.copy(), [a, b], [Ga, Gb], wsums, w, tol * scale, maxiter)
    return out


def _grid_layout(a, b, Ga, Gb) -> bool:
    """True when row r is level r // Gb of ``a`` and level r % Gb of ``b`` (a balanced panel sorted by a, then b)."""
    if a[0] != 0 or a[-1] != Ga - 1 or b[Gb - 1] != Gb - 1:
        return False
    return bool((a.reshape(Ga, Gb) == np.arange(Ga)[:, None]).all()) and bool(
        (b.reshape(Ga, Gb) == np.arange(Gb)[None, :]).all()
    )


def _sweep(col, codes, sizes, wsums, weights):
    """One pass of demeaning by every factor in turn (in place); returns the largest group mean removed."""
    change = 0.0
    for c, g, ws in zip(codes, sizes, wsums):
        m = np.bincount(c, weights=col if weights is None else col * weights, minlength=g)
        m /= ws
        change = max(change, float(np.max(np.abs(m))))
        col -= m[c]
    return change


def _accelerated_projections(col, codes, sizes, wsums, weights, tol, maxiter):
    """Alternating projections with Irons and Tuck (1969) extrapolation every two sweeps (as fixest does).

    The sweep is affine and every step only adds fixed-effect combinations to the column, so the extrapolated point
    has the same limit: the residual of the projection on all the dummies.
    """
    x0 = col
    it = 0
    while it < maxiter:
        x1 = x0.copy()
        c1 = _sweep(x1, codes, sizes, wsums, weights)
        it += 1
        if c1 <= tol:
            return x1
        x2 = x1.copy()
        c2 = _sweep(x2, codes, sizes, wsums, weights)
        it += 1
        if c2 <= tol:
            return x2
        d1 = x2 - x1
        d2 = d1 - (x1 - x0)
        denom = float(d2 @ d2)
        if denom <= 0 or not np.isfinite(denom):
            x0 = x2
            continue
        x0 = x2 - (float(d1 @ d2) / denom) * d1
    raise EstimationError(f"alternating projections did not converge in {maxiter} sweeps")


def fe_dof(fes: list[np.ndarray]) -> int:
    """Number of parameters absorbed by the fixed effects.

    One factor: its number of levels.  Two factors: levels1 + levels2 - (connected components of the bipartite
    graph), which is exact.  Each further factor adds its levels minus one (exact when it is not redundant with the
    others; fixest makes the same approximation for three or more sets).
    """
    if not fes:
        return 0
    sizes = [int(c.max()) + 1 for c in fes]
    dof = sizes[0]
    if len(fes) >= 2:
        dof = sizes[0] + sizes[1] - _n_components(fes[0], fes[1], sizes[0], sizes[1])
    for g in sizes[2:]:
        dof += g - 1
    return dof


def _n_components(a, b, Ga, Gb) -> int:
    """Connected components of the bipartite graph linking the levels of two factors observed together.

    When the smaller factor has few levels, every level of the larger one is tied to one of its small-factor levels
    (any row's), so the components are those of the small factor's levels linked through that anchor: a Gb x Gb graph
    built in one pass, instead of a graph with one edge per row.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if Gb > Ga:
        a, b, Ga, Gb = b, a, Gb, Ga
    n = len(a)
    if Gb * Gb <= max(n, 1_000_000):
        present_a = np.bincount(a, minlength=Ga) > 0
        anchor = np.zeros(Ga, dtype=np.int64)
        anchor[a] = b
        edges = np.bincount(anchor[a] * Gb + b, minlength=Gb * Gb).reshape(Gb, Gb) > 0
        ii, jj = np.nonzero(edges)
        graph = coo_matrix((np.ones(len(ii)), (ii, jj)), shape=(Gb, Gb))
        ncomp, _ = connected_components(graph, directed=False)
        # unobserved small-factor levels are isolated nodes of both graphs; unobserved large-factor levels only of
        # the full one
        return int(ncomp + (~present_a).sum())
    graph = coo_matrix((np.ones(n), (a, b + Ga)), shape=(Ga + Gb,) * 2)
    ncomp, _ = connected_components(graph, directed=False)
    return int(ncomp)


def is_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True when every level of ``inner`` lies within one level of ``outer`` (e.g. firm FE within firm clusters)."""
    if inner is outer:
        return True
    inner = np.asarray(inner, dtype=np.int64)
    outer = np.asarray(outer, dtype=np.int64)
    if len(inner) == 0:
        return True
    m = min(len(inner), 65_536)
    if m < len(inner) and not is_nested(inner[:m], outer[:m]):  # a counterexample among the first rows suffices
        return False
    first = np.empty(int(inner.max()) + 1, dtype=np.int64)
    first[inner] = outer  # one outer level per inner level (the last seen); nested iff all rows agree with it
    return bool(np.all(first[inner] == outer))
