"""Absorbing fixed effects: the within transformation by alternating projections.

For one set of fixed effects the transformation is the exact one-pass deviation from (weighted) group means.  For
two or more sets it is the method of alternating projections (Guimaraes and Portugal 2010; Gaure 2013): demean by
each factor in turn until the largest change is below ``tol``.  Group sums use :func:`numpy.bincount`, so the cost
is linear in the number of rows and there is no Python loop over groups.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import EstimationError

__all__ = ["demean", "fe_dof", "is_nested", "factorize"]


def factorize(values) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 of any 1-d array and the number of groups."""
    import pandas as pd

    codes, levels = pd.factorize(np.asarray(values), sort=True)
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
) -> np.ndarray:
    """Project the columns of ``X`` off the dummies of every factor in ``fes`` (weighted if ``weights`` given).

    Parameters
    ----------
    X : array (n,) or (n, k)
    fes : list of integer code arrays (0..G-1), one per set of fixed effects
    weights : optional positive weights; the projection is then orthogonal in the weighted inner product
    tol : convergence tolerance on the largest absolute change, relative to the column's scale
    maxiter : iteration cap for two or more factors; exceeding it raises :class:`EstimationError`

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 3.0, 5.0])
    >>> demean(x, [np.array([0, 0, 1, 1])])
    array([-0.5,  0.5, -1. ,  1. ])
    """
    X = np.asarray(X, dtype=float)
    one_d = X.ndim == 1
    Z = np.array(X.reshape(len(X), -1), dtype=float, copy=True)
    if not fes or Z.shape[1] == 0:
        return Z[:, 0] if one_d else Z
    codes = [np.asarray(c, dtype=np.intp) for c in fes]
    sizes = [int(c.max()) + 1 for c in codes]
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
        a, b = fes[0], fes[1]
        n = len(a)
        graph = coo_matrix((np.ones(n), (a, b + sizes[0])), shape=(sizes[0] + sizes[1],) * 2)
        ncomp, _ = connected_components(graph, directed=False)
        dof = sizes[0] + sizes[1] - ncomp
    for g in sizes[2:]:
        dof += g - 1
    return dof


def is_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True when every level of ``inner`` lies within one level of ``outer`` (e.g. firm FE within firm clusters)."""
    inner = np.asarray(inner, dtype=np.int64)
    outer = np.asarray(outer, dtype=np.int64)
    if len(inner) == 0:
        return True
    first = np.empty(int(inner.max()) + 1, dtype=np.int64)
    first[inner] = outer  # one outer level per inner level (the last seen); nested iff all rows agree with it
    return bool(np.all(first[inner] == outer))
