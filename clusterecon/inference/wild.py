"""Wild cluster bootstrap (Cameron, Gelbach and Miller 2008; Roodman, MacKinnon, Nielsen and Webb 2019).

Tests H0: beta_j = r for one coefficient of a linear regression with cluster-robust (CR1) t statistics and inverts
the test for a confidence set.  The bootstrap samples are y* = X beta_0 + e_0 * v_g with one auxiliary weight v_g per
cluster: restricted (WCR, ``impose_null=True``: beta_0 and e_0 from the fit imposing H0, recommended) or unrestricted
(WCU).  Rademacher (+-1) or Webb's six-point weights; with Rademacher weights and 2^G <= B every sign vector is used
once (full enumeration), so the p-value is exact and free of simulation noise.

All B replications are computed at once from cluster-level sums (the "fast" algorithm of Roodman et al. 2019): with
S_g = X_g'e_0 and m = (X'X)^-1 e_j, the bootstrap numerator is a'v with a_g = m'S_g and the bootstrap cluster scores
are (diag(a) - C) v with C_hg = m'X_h'X_h (X'X)^-1 S_g; the cost is O(N k + G^2 B) and there is no refit per draw.

Fixed effects: in a :class:`~clusterecon.panel.PanelResults` they are projected out when they are nested in the
bootstrap clusters and enter as dummies otherwise (:func:`clusterecon.panel.covariance.cluster_design`).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataWarning, EstimationError, SpecificationError
from ..panel.absorb import factorize
from ..panel.covariance import cluster_design
from ..results import Results
from ._checks import check_finite_formula_columns

__all__ = ["wild_cluster_bootstrap", "wild_bootstrap_arrays", "WildBootstrapResult", "auxiliary_weights"]

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def auxiliary_weights(kind: str, G: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """G x B matrix of auxiliary weights: ``"rademacher"`` (+-1), ``"webb"`` (six points), ``"mammen"``, ``"normal"``."""
    kind = kind.lower()
    if kind == "rademacher":
        return rng.integers(0, 2, size=(G, B)).astype(float) * 2 - 1
    if kind == "webb":
        return _WEBB[rng.integers(0, 6, size=(G, B))]
    if kind == "mammen":
        s5 = np.sqrt(5.0)
        lo, hi, p = -(s5 - 1) / 2, (s5 + 1) / 2, (s5 + 1) / (2 * s5)
        return np.where(rng.random((G, B)) < p, lo, hi)
    if kind == "normal":
        return rng.standard_normal((G, B))
    raise SpecificationError(f"unknown bootstrap weights {kind!r}; use 'rademacher', 'webb', 'mammen' or 'normal'")


@dataclass(repr=False)
class WildBootstrapResult(Results):
    """Outcome of :func:`wild_cluster_bootstrap`.  ``t_boot`` holds the B bootstrap t statistics at the null."""

    param: str
    estimate: float
    std_error: float
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    null: float
    B: int
    weights: str
    impose_null: bool
    n_clusters: int
    full_enumeration: bool
    level: float
    t_boot: np.ndarray = field(default_factory=lambda: np.empty(0))
    draws: np.ndarray | None = None
    title: str = "Wild cluster bootstrap"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": [self.param],
                "estimate": [self.estimate],
                "std_error": [self.std_error],
                "statistic": [self.statistic],
                "p_value": [self.p_value],
                "ci_low": [self.ci_low],
                "ci_high": [self.ci_high],
                "null": [self.null],
                "B": [self.B],
                "bootstrap": ["WCR" if self.impose_null else "WCU"],
                "weights": [self.weights],
                "n_clusters": [self.n_clusters],
            }
        )

    def notes(self) -> list[str]:
        kind = "restricted (WCR, null imposed)" if self.impose_null else "unrestricted (WCU)"
        enum = " (full enumeration)" if self.full_enumeration else ""
        return [
            f"H0: {self.param} = {self.null:g}; {kind} wild cluster bootstrap-t, {self.weights} weights, "
            f"B = {self.B}{enum}, G = {self.n_clusters}",
            f"{self.level:.0%} confidence set by test inversion; standard error is CR1 (for reference only)",
        ]

    def __repr__(self) -> str:
        return f"<WildBootstrapResult {self.param}: t = {self.statistic:.4f}, p = {self.p_value:.4f}>"


class _Engine:
    """Precomputes cluster sums so that the bootstrap t statistics for any null value r cost O(G^2 B)."""

    def __init__(self, X, y, codes, j, factor):
        self.X, self.y, self.j = X, y, j
        self.G = int(codes.max()) + 1
        self.codes = codes
        n, k = X.shape
        self.M = np.linalg.inv(X.T @ X)
        self.beta = self.M @ (X.T @ y)
        self.m = self.M[:, j]
        xm = X @ self.m
        # W_h = X_h'X_h m  (G x k)
        self.W = self._csum(X * xm[:, None])
        self.factor = factor
        # restricted fit pieces: residualise y and x_j on the other columns
        others = [c for c in range(k) if c != j]
        Xo = X[:, others]
        if Xo.shape[1]:
            Mo = np.linalg.pinv(Xo.T @ Xo)
            self.e0 = y - Xo @ (Mo @ (Xo.T @ y))
            self.f = X[:, j] - Xo @ (Mo @ (Xo.T @ X[:, j]))
        else:
            self.e0, self.f = y.copy(), X[:, j].copy()
        self.e_u = y - X @ self.beta

    def _csum(self, A):
        return np.stack([np.bincount(self.codes, weights=A[:, c], minlength=self.G) for c in range(A.shape[1])], axis=1)

    def scores(self, e):
        return self._csum(self.X * e[:, None])  # S: G x k

    def t_stat(self, r):
        a = self.scores(self.e_u) @ self.m
        se = np.sqrt(self.factor * np.sum(a * a))
        return (self.beta[self.j] - r) / se, se

    def _parts(self, e, V):
        S = self.scores(e)
        a = S @ self.m
        C = self.W @ (self.M @ S.T)  # C_hg = W_h' M S_g
        return a @ V, a[:, None] * V - C @ V

    def prepare(self, V, impose_null=True):
        """Cache the pieces of the bootstrap statistics; with the null imposed they are linear in r."""
        self._V = V
        self._null = impose_null
        if impose_null:
            self._n0, self._x0 = self._parts(self.e0, V)
            self._nf, self._xf = self._parts(self.f, V)
        else:
            self._n0, self._x0 = self._parts(self.e_u, V)
            self._nf = self._xf = None

    def t_boot(self, r):
        if self._null:
            num = self._n0 - r * self._nf
            xi = self._x0 - r * self._xf
        else:
            num, xi = self._n0, self._x0
        den = np.sqrt(self.factor * np.sum(xi * xi, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / den


def _pvalue(t, tb, kind):
    """Share of bootstrap statistics at least as extreme as t (ties count: with full enumeration the draws v = +-1
    reproduce |t| exactly, so the smallest attainable p-value is 2 / 2^G, as in MacKinnon and Webb 2018)."""
    slack = 1e-10 * max(abs(t), 1e-300)
    if kind == "symmetric":
        return float(np.mean(np.abs(tb) >= abs(t) - slack))
    if kind == "equal-tailed":
        return float(2 * min(np.mean(tb <= t + slack), np.mean(tb >= t - slack)))
    raise SpecificationError(f"p_type must be 'symmetric' or 'equal-tailed', got {kind!r}")


def wild_bootstrap_arrays(
    X: np.ndarray,
    y: np.ndarray,
    clusters: np.ndarray,
    j: int,
    *,
    r: float = 0.0,
    B: int = 9999,
    weights: str = "rademacher",
    impose_null: bool = True,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    conf_int: bool = True,
    p_type: str = "symmetric",
    full_enumeration: bool = True,
    k_ssc: int | None = None,
    name: str | None = None,
    keep_draws: bool = False,
) -> WildBootstrapResult:
    """Wild cluster bootstrap on arrays: regression of ``y`` on ``X`` (already free of absorbed effects), coefficient
    ``j``, clusters ``clusters``.  See :func:`wild_cluster_bootstrap` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(12), 10); x = rng.normal(size=120)
    >>> y = 0.5 * x + rng.normal(size=12)[g] + rng.normal(size=120)
    >>> X = np.column_stack([np.ones(120), x])
    >>> res = wild_bootstrap_arrays(X, y, g, 1, B=999, seed=1)
    >>> res.B, res.full_enumeration
    (999, False)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    codes = factorize(clusters)[0]
    n, k = X.shape
    G = int(codes.max()) + 1
    if G < 2:
        raise EstimationError("the wild cluster bootstrap needs at least two clusters")
    if not 0 <= j < k:
        raise SpecificationError(f"coefficient index {j} out of range")
    K = k if k_ssc is None else k_ssc
    factor = G / (G - 1) * (n - 1) / (n - K)
    eng = _Engine(X, y, codes, j, factor)
    weights = weights.lower()
    full = bool(full_enumeration and weights == "rademacher" and 2 ** G <= B)
    if full:
        V = np.array(list(itertools.product([1.0, -1.0], repeat=G))).T  # G x 2^G, first column all ones
        B_eff = V.shape[1]
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        V = auxiliary_weights(weights, G, B, rng)
        B_eff = B
    t0, se = eng.t_stat(r)
    eng.prepare(V, impose_null)
    tb = eng.t_boot(r)
    p = _pvalue(t0, tb, p_type)
    lo = hi = np.nan
    if not 0 < level < 1:
        raise SpecificationError(f"level must be in (0, 1), got {level!r}")
    if int(B) != B or B < 1:
        raise SpecificationError(f"B must be a positive integer, got {B!r}")
    alpha = 1 - level
    if conf_int:
        lo, hi = _invert(eng, p_type, alpha, se)
    return WildBootstrapResult(
        param=name or f"x{j}", estimate=float(eng.beta[j]), std_error=float(se), statistic=float(t0),
        p_value=p, ci_low=lo, ci_high=hi, null=float(r), B=B_eff, weights=weights, impose_null=impose_null,
        n_clusters=G, full_enumeration=full, level=level, t_boot=tb, draws=V if keep_draws else None,
    )


def _invert(eng: _Engine, p_type, alpha, se, tol=1e-10, maxit=200):
    """Confidence set {r : p(r) > alpha} by bracketing and bisection on each side of the estimate."""
    b = eng.beta[eng.j]

    def p_of(r):
        t, _ = eng.t_stat(r)
        return _pvalue(t, eng.t_boot(r), p_type)

    if p_of(b) <= alpha:
        return np.nan, np.nan
    bounds = []
    for sign in (-1.0, 1.0):
        step = 2.0 * se
        inner, outer = b, b + sign * step
        it = 0
        while p_of(outer) > alpha:
            inner, outer = outer, b + sign * step * 2 ** (it + 1)
            it += 1
            if it > 60:
                raise EstimationError("could not bracket the bootstrap confidence bound (p-value never falls below alpha)")
        for _ in range(maxit):
            mid = (inner + outer) / 2
            if p_of(mid) > alpha:
                inner = mid
            else:
                outer = mid
            if abs(outer - inner) <= tol * max(se, 1e-300):
                break
        bounds.append((inner + outer) / 2)
    return float(bounds[0]), float(bounds[1])


def wild_cluster_bootstrap(
    result_or_spec: Any,
    param: str,
    *,
    cluster: Any = None,
    B: int = 9999,
    weights: str = "rademacher",
    impose_null: bool = True,
    r: float = 0.0,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    conf_int: bool = True,
    p_type: str = "symmetric",
    full_enumeration: bool = True,
    keep_draws: bool = False,
) -> WildBootstrapResult:
    """Wild cluster bootstrap-t test of H0: ``param`` = ``r`` and its inverted confidence set.

    Estimand: the regression coefficient ``param`` of the fitted panel model; the bootstrap supplies its p-value
    and confidence set (Cameron, Gelbach and Miller 2008; Roodman, MacKinnon, Nielsen and Webb 2019).

    Parameters
    ----------
    result_or_spec : PanelResults or dict
        A fitted :func:`clusterecon.panel.fit` result, or a dict of ``fit`` keyword arguments (``formula``, ``data``,
        ``entity``, ``time``, ``model``, ``effects``, ``weights``).
    param : str
        Coefficient to test.
    cluster : column name, ``"entity"``, ``"time"`` or array; default: the entity.
    B : int
        Number of bootstrap replications (ignored under full enumeration).
    weights : ``"rademacher"`` (default) or ``"webb"`` (better with fewer than ~12 clusters; Webb 2014); also
        ``"mammen"``, ``"normal"``.
    impose_null : bool
        True: restricted bootstrap (WCR, recommended by Cameron, Gelbach and Miller 2008 and MacKinnon and Webb
        2017); False: unrestricted (WCU).
    r : float
        Null value.
    seed : int or numpy Generator
        Same seed, same draws, same answer.
    level : float
        Confidence level of the inverted confidence set.
    p_type : ``"symmetric"`` (share of |t*| >= |t|) or ``"equal-tailed"``.
    full_enumeration : bool
        With Rademacher weights and 2^G <= B, use all 2^G sign vectors (as boottest does).

    Returns
    -------
    WildBootstrapResult

    Notes
    -----
    The t statistic uses CR1 with G/(G-1) (N-1)/(N-K), K the columns of the bootstrap design (the model's
    regressors plus dummies of fixed effects not nested in the clusters); the factor does not affect the p-value or
    the confidence set.  Assumes independence across clusters and a linear model; the restricted bootstrap is
    reliable with few clusters unless very few are treated (MacKinnon and Webb 2017).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.panel import fit
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"firm": np.repeat(np.arange(10), 6), "year": np.tile(np.arange(6), 10)})
    >>> df["x"] = rng.normal(size=60); df["y"] = 0.3 * df["x"] + rng.normal(size=60)
    >>> res = fit("y ~ x", df, entity="firm", time="year")
    >>> wb = wild_cluster_bootstrap(res, "x", B=9999, seed=42)
    >>> wb.full_enumeration, wb.B   # 2^10 = 1024 <= 9999: every sign vector once
    (True, 1024)
    """
    from ..panel import PanelResults, fit

    if isinstance(result_or_spec, dict):
        spec = dict(result_or_spec)
        formula, data = spec.pop("formula"), spec.pop("data")
        check_finite_formula_columns(formula, data, [spec.get("entity"), spec.get("time"), spec.get("weights")])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("always", DataWarning)  # dropped rows must still be reported
            result_or_spec = fit(formula, data, **spec)
    if not isinstance(result_or_spec, PanelResults):
        raise SpecificationError("wild_cluster_bootstrap needs a PanelResults or a dict of fit() arguments")
    res = result_or_spec
    if not np.isfinite(np.asarray(res.params, dtype=float)).all():
        raise EstimationError(f"the fitted model has non-finite coefficients {res.params.to_dict()}: check the data "
                              "for infinite values")
    ctx = res._context
    if param not in res.params.index:
        raise SpecificationError(f"parameter {param!r} is not in the model ({list(res.params.index)})")
    codes, cname = ctx.cluster_codes("entity" if cluster is None else cluster)
    G = int(codes.max()) + 1
    few_clusters_warning_note = G < 30
    X, y, _, _ = cluster_design(ctx, codes, purpose="the wild cluster bootstrap")
    j = list(res.params.index).index(param)
    out = wild_bootstrap_arrays(
        X, y, codes, j, r=r, B=B, weights=weights, impose_null=impose_null, seed=seed, level=level,
        conf_int=conf_int, p_type=p_type, full_enumeration=full_enumeration, name=param, keep_draws=keep_draws,
    )
    if few_clusters_warning_note and weights.lower() == "rademacher" and G <= 11 and not out.full_enumeration:
        warnings.warn(f"{G} clusters in {cname!r}: Rademacher weights give few distinct draws; consider weights='webb'",
                      UserWarning, stacklevel=2)
    return out

