"""Multiplier bootstrap for Callaway-Sant'Anna estimates, with uniform (sup-t) critical values.

The procedure is the one of Callaway and Sant'Anna (2021, Algorithm 1) as implemented in R did's ``mboot``:
for each draw ``b`` the influence functions are multiplied by i.i.d. Rademacher weights ``v_i`` (one per unit, or
one per cluster with ``clustervars``; R did uses Rademacher weights through ``BMisc::multiplier_bootstrap``) and

    bres_b = sqrt(G) * mean_c(v_c * S_c),     S_c = sum of the influence functions in cluster c

(``G = n`` and ``S_i = IF_i`` without clustering).  The bootstrap standard error is the interquartile range of
``bres`` over ``qnorm(.75) - qnorm(.25)``, times ``sqrt(G) / n``; the uniform critical value is the ``1 - alp``
quantile (type 1, i.e. the inverse empirical CDF) of ``max_j |bres_bj / bSigma_j|``.  Columns whose draws are
degenerate (sum of squares below ``10 sqrt(eps)``) get missing standard errors, as in R.

Draws are made in blocks of :data:`CHUNK` units from ``numpy.random.default_rng(seed)`` (random bytes unpacked
to bits), so the same seed gives the same numbers; :func:`rademacher_matrix` rebuilds the full ``biters x G``
matrix for checking.  For speed the product of the weights with a block of influence values is taken in float32
on centred columns and accumulated in float64 (relative error about 1e-6 of a bootstrap draw, far below the
Monte Carlo error of the bootstrap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..errors import SpecificationError
from ._cs_influence import CSInfluence

__all__ = ["BootstrapResult", "multiplier_bootstrap", "rademacher_matrix", "CHUNK"]

CHUNK = 8192
_EPS = np.sqrt(np.finfo(float).eps) * 10


@dataclass
class BootstrapResult:
    bres: np.ndarray  # (biters, m)
    se: np.ndarray  # (m,)  NaN where degenerate
    crit_val: float
    n_clusters: int


def _draw_bits(rng: np.random.Generator, biters: int, size: int) -> np.ndarray:
    """Bernoulli(1/2) bits (biters x size, uint8); the Rademacher weights are ``2 * bits - 1``."""
    by = rng.integers(0, 256, size=(biters, (size + 7) // 8), dtype=np.uint8)
    return np.unpackbits(by, axis=1, count=size)


def _blocks(starts: np.ndarray | None, n: int):
    """Unit blocks of at most CHUNK units that never straddle a cohort boundary."""
    bounds = [0, n] if starts is None else list(starts)
    for a, b in zip(bounds[:-1], bounds[1:]):
        for st in range(a, b, CHUNK):
            yield st, min(st + CHUNK, b)


def rademacher_matrix(seed, biters: int, n: int, starts: np.ndarray | None = None) -> np.ndarray:
    """The full ``biters x n`` Rademacher matrix that :func:`multiplier_bootstrap` uses for this seed.

    ``starts`` are the cohort block boundaries of a lazy (no-covariate) influence function, whose draws are made
    cohort by cohort; leave it None otherwise (dense or clustered influence functions).
    """
    rng = np.random.default_rng(seed)
    blocks = [_draw_bits(rng, biters, b - a) for a, b in _blocks(starts, n) if b > a]
    bits = np.hstack(blocks) if blocks else np.zeros((biters, 0), np.uint8)
    return 2.0 * bits.astype(np.float64) - 1.0


class _Buf:
    """A reusable float32 buffer for the unpacked bits (avoids page faults from fresh allocations)."""

    def __init__(self, biters: int):
        self.a = np.empty((biters, CHUNK), dtype=np.float32)

    def bits(self, rng, biters, size):
        out = self.a[:, :size]
        np.copyto(out, _draw_bits(rng, biters, size), casting="unsafe")
        return out


def _signed_sum(bits32: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(2 bits - 1) @ rhs`` in float64, with the product taken in float32 on centred columns.

    Centring makes the float32 sums small (their error is about 1e-7 of the centred sum); the mean part is added
    back exactly through the count of ones per draw.  Also returns ``sum_i v_i`` per draw.
    """
    mu = rhs.mean(axis=0)
    k = rhs.shape[1]
    width = -(-(k + 1) // 8) * 8  # BLAS is faster on a multiple of 8 columns
    rc = np.zeros((rhs.shape[0], width), dtype=np.float32)
    rc[:, :k] = rhs - mu
    rc[:, k] = 1.0
    z = (bits32 @ rc).astype(np.float64)
    vs = 2.0 * z[:, k] - rhs.shape[0]  # sum of the weights per draw (exact)
    centred = 2.0 * z[:, :k] - rc[:, :k].astype(np.float64).sum(axis=0)
    return centred + np.outer(vs, mu), vs


def _sums(inf: CSInfluence, biters: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """``sum_c v_bc S_c`` (biters x m) and the number of clusters G."""
    s = inf.store
    m = inf.m
    out = np.zeros((biters, m))
    buf = _Buf(biters)
    if s.cluster is not None:
        G = int(s.cluster.max()) + 1
        M = inf.materialize()
        S = np.zeros((G, m))
        np.add.at(S, s.cluster, M)
        for a, b in _blocks(None, G):
            out += _signed_sum(buf.bits(rng, biters, b - a), S[a:b])[0]
        return out, G
    n = s.n
    if not inf.lazy or inf.A is None:
        for a, b in _blocks(None, n):
            out += _signed_sum(buf.bits(rng, biters, b - a), inf.materialize(slice(a, b)))[0]
        return out, n
    # lazy: accumulate per cohort V @ [w*Y, w] and combine with the coefficients at the end
    T = s.Y.shape[1]
    Z = np.zeros((s.K, biters, T + 1))
    vsum = np.zeros(biters)
    code = s.code
    for a, b in _blocks(s.starts, n):
        if b <= a:
            continue
        k = int(code[a])
        wk = s.w[a:b]
        rhs = np.empty((b - a, T + 1))
        np.multiply(s.Y[a:b], wk[:, None], out=rhs[:, :T])
        rhs[:, T] = wk
        z, vs = _signed_sum(buf.bits(rng, biters, b - a), rhs)
        Z[k] += z
        vsum += vs
    for k in range(s.K):
        out += Z[k][:, :T] @ inf.A[k] + np.outer(Z[k][:, T], inf.B[k])
    out += np.outer(vsum, inf.c)
    return out, n


def multiplier_bootstrap(inf: CSInfluence, biters: int = 1000, alp: float = 0.05, seed=None,
                         weights: str = "rademacher", crit_cols=None) -> BootstrapResult:
    """Run the multiplier bootstrap on the influence functions ``inf`` (see the module docstring).

    ``weights="rademacher"`` (R did's choice) draws one sign per unit (or cluster).  ``weights="gaussian"`` uses
    standard normal multipliers: then each draw ``bres_b`` is exactly ``N(0, sum_c S_c S_c' / G)`` given the data,
    so it is sampled directly from that covariance (a Cholesky factor of the Gram matrix) at a cost that does not
    grow with n.  ``crit_cols`` restricts the sup-t critical value to some columns (default: all).
    """
    if isinstance(biters, bool) or int(biters) != biters or biters < 2:
        raise SpecificationError(f"biters must be an integer >= 2, got {biters!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if weights == "rademacher":
        sums, G = _sums(inf, int(biters), rng)
        bres = sums / np.sqrt(G)
    elif weights == "gaussian":
        G = inf.n_clusters()
        cov = inf.gram() / G
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        root = vecs * np.sqrt(np.clip(vals, 0.0, None))
        bres = rng.standard_normal((int(biters), inf.m)) @ root.T
    else:
        raise ValueError(f"weights must be 'rademacher' or 'gaussian', got {weights!r}")
    ok = np.isfinite(bres).all(axis=0) & ((bres**2).sum(axis=0) > _EPS)
    q75 = np.quantile(bres[:, ok], 0.75, axis=0, method="inverted_cdf")
    q25 = np.quantile(bres[:, ok], 0.25, axis=0, method="inverted_cdf")
    bsigma = np.full(inf.m, np.nan)
    bsigma[ok] = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    se = bsigma * np.sqrt(G) / inf.n
    crit = np.nan
    cols = np.zeros(inf.m, bool)
    cols[np.arange(inf.m) if crit_cols is None else np.asarray(crit_cols)] = True
    cols &= ok
    if cols.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            tt = np.abs(bres[:, cols] / bsigma[None, cols])
        tt = np.where(np.isfinite(tt), tt, -np.inf)
        bT = tt.max(axis=1)
        bT = bT[np.isfinite(bT)]
        if bT.size:
            crit = float(np.quantile(bT, 1 - alp, method="inverted_cdf"))
    return BootstrapResult(bres=bres, se=se, crit_val=crit, n_clusters=G)
