"""Two-way fixed-effects difference-in-differences, and the fixed-effects machinery the DiD estimators share.

The within transformation is done here with numpy only: for a balanced two-way panel in one pass
(``x - mean_unit - mean_time + mean``), otherwise by alternating projections with :func:`numpy.bincount`
(Gaure 2013), which is exact at convergence.  Covariances: cluster-robust (by unit by default) with the
fixest/Stata small-sample factor ``G/(G-1) * (n-1)/(n-K)``, HC1, or iid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import EstimationError, SpecificationError
from ._inputs import (
    check_columns,
    check_missing,
    check_nonempty,
    check_unique,
    factorize,
    first_treated_period,  # noqa: F401  (re-exported)
    numeric,
    time_values,
)
from .results import DiDResults, tidy_table

__all__ = ["twfe"]

VCOV_TYPES = ("cluster", "hc1", "iid")


# ---------------------------------------------------------------------------------------------------------------------
# input checks


# The checks live in ._inputs (shared by every estimator of this package); the old private names stay importable.
_check_columns = check_columns
_check_missing = check_missing
_numeric = numeric
_time_values = time_values
_check_unique = check_unique
_factorize = factorize


def fast_factorize(values) -> tuple[np.ndarray, np.ndarray]:
    """Sorted integer codes and unique values, as :func:`clusterecon.did._inputs.factorize`, by a counting pass
    (no hashing or sorting) for integer arrays with a compact range."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        span = hi - lo + 1
        if span <= 2 * arr.size + 1024:
            off = (arr - lo).astype(np.int64, copy=False)
            present = np.bincount(off, minlength=span) > 0
            levels = np.flatnonzero(present)
            codes = off if levels.size == span else (np.cumsum(present, dtype=np.int64) - 1)[off]
            return codes, (levels + lo).astype(arr.dtype)
    return _factorize(values)


# ---------------------------------------------------------------------------------------------------------------------
# within transformation


def _is_balanced_2way(codes, sizes, weights) -> bool:
    if len(codes) != 2 or weights is not None:
        return False
    n = codes[0].size
    if n != sizes[0] * sizes[1]:
        return False
    key = codes[0] * sizes[1] + codes[1]
    return np.bincount(key, minlength=n).max() == 1


def demean(x: np.ndarray, codes: list, weights: np.ndarray | None = None, *, tol: float = 1e-12,
           maxiter: int = 100_000) -> np.ndarray:
    """Residuals of the columns of ``x`` on the fixed effects given by integer ``codes``.

    Delegates to the panel core's :func:`clusterecon.panel.absorb.demean`: closed form for a balanced two-way panel
    without weights, a direct Frisch-Waugh-Lovell solve when the smaller of two factors is small, accelerated
    alternating projections otherwise (all exact at convergence).  ``tol`` is on the largest change of a column,
    relative to its scale; :func:`_demean_projections` is the plain alternating-projections reference.
    """
    from ..panel.absorb import demean as _absorb_demean

    x = np.asarray(x, dtype=float)
    if x.shape[0] == 0 or not codes:
        return _demean_projections(x, codes, weights, tol=tol, maxiter=maxiter)
    try:
        return _absorb_demean(x, list(codes), weights, tol=tol, maxiter=maxiter)
    except EstimationError:  # pragma: no cover - pathological designs: the slow reference path decides
        return _demean_projections(x, codes, weights, tol=tol, maxiter=maxiter)


def _demean_projections(x: np.ndarray, codes: list, weights: np.ndarray | None = None, *, tol: float = 1e-12,
                        maxiter: int = 100_000) -> np.ndarray:
    """Reference within transformation (alternating projections; one pass for a balanced two-way panel)."""
    x = np.asarray(x, dtype=float)
    one = x.ndim == 1
    if one:
        x = x[:, None]
    sizes = [int(c.max()) + 1 if c.size else 0 for c in codes]
    out = np.empty(x.shape, dtype=float, order="F")
    if _is_balanced_2way(codes, sizes, weights):
        n1, n2 = sizes
        for j in range(x.shape[1]):
            col = x[:, j]
            m1 = np.bincount(codes[0], col, minlength=n1) / n2
            m2 = np.bincount(codes[1], col, minlength=n2) / n1
            out[:, j] = col - m1[codes[0]] - m2[codes[1]] + col.mean()
        return out[:, 0] if one else out
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    counts = [np.bincount(c, w, minlength=s) for c, s in zip(codes, sizes)]
    for j in range(x.shape[1]):
        r = x[:, j].copy()
        scale = max(np.abs(r).max(), 1e-300) if r.size else 1.0
        for _ in range(maxiter):
            change = 0.0
            for c, s, cnt in zip(codes, sizes, counts):
                m = np.bincount(c, r * w, minlength=s)
                with np.errstate(invalid="ignore", divide="ignore"):
                    m = np.where(cnt > 0, m / cnt, 0.0)
                r -= m[c]
                change = max(change, np.abs(m).max() if m.size else 0.0)
            if change <= tol * scale or len(codes) == 1:
                break
        else:  # pragma: no cover - pathological designs
            raise EstimationError(f"fixed-effects demeaning did not converge in {maxiter} iterations")
        out[:, j] = r
    return out[:, 0] if one else out


def n_fe_params(codes: list) -> int:
    """Number of fixed-effect parameters: levels minus one redundancy per extra dimension (connected sets)."""
    if not codes:
        return 0
    if all(c.size for c in codes):
        from ..panel.absorb import fe_dof

        return int(fe_dof(list(codes)))  # same count, connected components from a small graph
    return _n_fe_params_reference(codes)


def _n_fe_params_reference(codes: list) -> int:
    """Reference count of :func:`n_fe_params` (connected components of the full unit-period graph)."""
    total = sum(int(c.max()) + 1 for c in codes)
    if len(codes) >= 2:
        total -= _n_components(codes[0], codes[1]) + (len(codes) - 2)
    return total


def _n_components(a: np.ndarray, b: np.ndarray) -> int:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    na, nb = int(a.max()) + 1, int(b.max()) + 1
    g = coo_matrix((np.ones(a.size), (a, b + na)), shape=(na + nb, na + nb))
    return int(connected_components(g, directed=False)[0])


@dataclass
class FEFit:
    """Result of :func:`fe_ols` (internal)."""

    coef: np.ndarray
    vcov: np.ndarray
    resid: np.ndarray
    xd: np.ndarray
    n: int
    k: int
    n_fe: int
    n_clusters: int | None
    df_resid: int
    vcov_type: str


def fe_ols(y: np.ndarray, x: np.ndarray, codes: list, *, vcov: str = "cluster", cluster: np.ndarray | None = None,
           weights: np.ndarray | None = None, xd: np.ndarray | None = None, yd: np.ndarray | None = None) -> FEFit:
    """OLS of ``y`` on ``x`` absorbing the fixed effects ``codes`` (internal; arrays already validated).

    ``vcov``: ``"cluster"`` (CR1 with ``G/(G-1) (n-1)/(n-K)``, K counting the regressors and the fixed effects not
    nested in the clusters, as fixest and Stata's reghdfe do), ``"hc1"`` (``n/(n-K)``) or ``"iid"``.
    """
    if vcov not in VCOV_TYPES:
        raise SpecificationError(f"vcov must be one of {VCOV_TYPES}, got {vcov!r}")
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n, k = x.shape
    if xd is None and yd is None:  # one call: the factor structure is analysed once for y and x together
        both = np.empty((n, k + 1), order="F")  # column-major: each column contiguous for the within transform
        both[:, 0] = y
        both[:, 1:] = x
        both = demean(both, codes, weights)
        yd, xd = both[:, 0], both[:, 1:]
        del both
    if xd is None:
        xd = demean(x, codes, weights)
    if yd is None:
        yd = demean(np.asarray(y, dtype=float), codes, weights)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if weights is None:
        xw, yw = xd, yd
    else:
        sw = np.sqrt(w)
        xw, yw = xd * sw[:, None], yd * sw
    xtx = xw.T @ xw
    scale = np.sqrt(np.diag(xtx))
    if (scale <= 1e-10 * max(1.0, np.abs(xd).max() if xd.size else 1.0)).any():
        dead = np.flatnonzero(scale <= 1e-10 * max(1.0, np.abs(xd).max()))
        raise EstimationError(f"regressor(s) at position(s) {list(dead)} are absorbed by the fixed effects")
    cond = np.linalg.cond(xtx / np.outer(scale, scale))
    if not np.isfinite(cond) or cond > 1e12:
        raise EstimationError(f"regressors are collinear given the fixed effects (condition number {cond:.3g})")
    bread = np.linalg.inv(xtx)
    coef = bread @ (xw.T @ yw)
    resid = yd - xd @ coef
    nfe = n_fe_params(codes)
    n_clusters = None
    if vcov == "iid":
        df = n - k - nfe
        s2 = float((w * resid**2).sum() / df)
        v = bread * s2
    elif vcov == "hc1":
        df = n - k - nfe
        meat = (xd * (w * resid)[:, None]).T @ (xd * (w * resid)[:, None])
        v = bread @ meat @ bread * n / df
    else:
        if cluster is None:
            raise SpecificationError("vcov='cluster' needs cluster codes")
        ccodes, n_clusters = _cluster_codes(cluster)
        we = resid if weights is None else w * resid
        xdf = np.asfortranarray(xd)
        scores = np.stack([np.bincount(ccodes, xdf[:, j] * we, minlength=n_clusters) for j in range(k)], 1)
        meat = scores.T @ scores
        # fixed effects nested in the cluster variable count as one parameter (fixest's fixef.K = "nested",
        # Stata's reghdfe): K = k + sum over FE dims of (1 if nested else levels) - (dims - 1)
        k_fe = sum(1 if _is_nested(c, ccodes) else int(c.max()) + 1 for c in codes) - max(len(codes) - 1, 0)
        v = bread @ meat @ bread * (n_clusters / (n_clusters - 1)) * ((n - 1) / (n - k - k_fe))
        df = n_clusters - 1
    return FEFit(coef=coef, vcov=v, resid=resid, xd=xd, n=n, k=k, n_fe=nfe, n_clusters=n_clusters, df_resid=df,
                 vcov_type=vcov)


def _cluster_codes(cluster) -> tuple[np.ndarray, int]:
    """Integer codes and count of the cluster values (no hashing for compact integer ids)."""
    from ..panel.absorb import factorize as _absorb_factorize

    arr = np.asarray(cluster)
    if arr.dtype.kind in "iu":
        return _absorb_factorize(arr)
    codes, levels = _factorize(cluster)
    return codes, int(levels.size)


def _is_nested(fe_codes: np.ndarray, cluster_codes: np.ndarray) -> bool:
    """True when every fixed-effect level lies within a single cluster."""
    if fe_codes.size:
        from ..panel.absorb import is_nested

        return bool(is_nested(fe_codes, cluster_codes))
    return _is_nested_reference(fe_codes, cluster_codes)


def _is_nested_reference(fe_codes: np.ndarray, cluster_codes: np.ndarray) -> bool:
    """Reference check of :func:`_is_nested` (min and max cluster per fixed-effect level)."""
    nfe = int(fe_codes.max()) + 1
    lo = np.full(nfe, np.iinfo(np.int64).max)
    hi = np.full(nfe, -1)
    np.minimum.at(lo, fe_codes, cluster_codes)
    np.maximum.at(hi, fe_codes, cluster_codes)
    return bool((lo == hi).all())


def resolve_vcov(data: pd.DataFrame, vcov: str, cluster: str | None, unit: str):
    """Map the user's ``vcov``/``cluster`` to (vcov type, cluster values); clusters default to the unit."""
    v = str(vcov).lower()
    if v in ("cr1", "clustered"):
        v = "cluster"
    if v not in VCOV_TYPES:
        raise SpecificationError(f"vcov must be one of {VCOV_TYPES}, got {vcov!r}")
    if v != "cluster":
        return v, None
    col = cluster or unit
    _check_columns(data, [col])
    return v, data[col].to_numpy()


# ---------------------------------------------------------------------------------------------------------------------
# TWFE DiD


def twfe(data: pd.DataFrame, y: str, *, unit: str, time: str, treatment: str, covariates=(), vcov: str = "cluster",
         cluster: str | None = None, weights: str | None = None, alpha: float = 0.05) -> DiDResults:
    """Two-way fixed-effects DiD: ``y_it = a_i + l_t + beta D_it + X_it'g + e_it``.

    Estimand
        ``beta``, the coefficient of the treatment indicator with unit and period fixed effects.  With a single
        adoption date and parallel trends (no anticipation) it is the ATT; with staggered adoption and
        heterogeneous or dynamic effects it is a variance-weighted average of 2x2 comparisons, some with negative
        weights (Goodman-Bacon 2021, see :func:`bacon_decomposition`; de Chaisemartin and D'Haultfoeuille 2020).
    Assumptions
        Parallel trends, no anticipation, homogeneous effects for the staggered case; SEs cluster-robust by unit by
        default (CR1, fixest/Stata small-sample factor; t with G-1 df).

    Parameters
    ----------
    data : DataFrame (not modified)
    y, unit, time, treatment : column names (treatment: 0/1 or continuous)
    covariates : sequence of column names (time-varying controls)
    vcov : ``"cluster"`` (default, by ``cluster`` or the unit), ``"hc1"`` or ``"iid"``; any other specification
        (``"CR2"``, ``"driscoll-kraay"``, ``{"CR1": ["a", "b"]}``, ...) is passed to the panel core
        :func:`clusterecon.panel.fit` (two-way within model), which supplies its covariance estimators
    weights : optional column of observation weights
    alpha : level of the confidence intervals

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.did.twfe import twfe
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"i": np.repeat(np.arange(20), 4), "t": np.tile(np.arange(4), 20)})
    >>> df["d"] = ((df.i < 10) & (df.t >= 2)).astype(int)
    >>> df["y"] = 0.1 * df.i + 0.5 * df.t + 2.0 * df.d + rng.normal(0, 0.1, len(df))
    >>> round(float(twfe(df, "y", unit="i", time="t", treatment="d").estimate["d"]), 1)
    2.0
    """
    covariates = list(covariates)
    cols = [y, unit, time, treatment, *covariates] + ([weights] if weights else [])
    _check_columns(data, cols)
    check_nonempty(data)
    _check_missing(data, cols, numeric_columns=[y, time, treatment, *covariates] + ([weights] if weights else []))
    _time_values(data, time)
    if not (isinstance(vcov, str) and vcov.lower() in (*VCOV_TYPES, "cr1", "clustered")):
        return _twfe_panel_core(data, y, unit, time, treatment, covariates, vcov, weights, alpha)
    ucodes, uvals = _factorize(data[unit])
    tcodes, tvals = _factorize(data[time])
    _check_unique(ucodes, tcodes, tvals.size, data, unit, time)
    vtype, cl = resolve_vcov(data, vcov, cluster, unit)
    x = np.column_stack([_numeric(data, c) for c in [treatment, *covariates]])
    w = _numeric(data, weights) if weights else None
    fit = fe_ols(_numeric(data, y), x, [ucodes, tcodes], vcov=vtype, cluster=cl, weights=w)
    terms = [treatment, *covariates]
    se = np.sqrt(np.diag(fit.vcov))
    df = fit.df_resid if vtype == "cluster" else fit.df_resid
    table = tidy_table(terms, fit.coef, se, alpha=alpha, df=df)
    info = {"n_obs": fit.n, "n_units": int(uvals.size), "n_periods": int(tvals.size), "vcov_type": vtype,
            "n_clusters": fit.n_clusters, "df": df, "alpha": alpha}
    caveats = []
    d = x[:, 0]
    if np.isin(d, (0, 1)).all():
        g = np.full(uvals.size, np.inf)
        np.minimum.at(g, ucodes, np.where(d == 1, tvals[tcodes].astype(float), np.inf))
        if np.unique(g[np.isfinite(g)]).size > 1:
            caveats.append("staggered adoption: TWFE averages 2x2 comparisons with possibly negative weights; see "
                           "bacon_decomposition and the heterogeneity-robust estimators")
    return DiDResults(table=table, method="TWFE difference-in-differences", vcov=fit.vcov, info=info,
                      caveats=caveats)


def _twfe_panel_core(data, y, unit, time, treatment, covariates, vcov, weights, alpha) -> DiDResults:
    """TWFE through :func:`clusterecon.panel.fit` for the covariance estimators only the panel core has."""
    from ..panel import fit

    rhs = " + ".join([treatment, *covariates])
    res = fit(f"{y} ~ {rhs}", data, entity=unit, time=time, model="within", effects="twoways", vcov=vcov,
              weights=weights)
    frame = res.to_frame()
    df = frame["df"].iloc[0] if "df" in frame.columns and np.isfinite(frame["df"].iloc[0]) else None
    table = tidy_table(frame["term"], frame["estimate"], frame["std_error"], alpha=alpha, df=df)
    info = {"n_obs": int(len(data)), "vcov_type": str(vcov), "alpha": alpha, "df": df, "panel_core": True}
    return DiDResults(table=table, method="TWFE difference-in-differences", vcov=getattr(res, "vcov", None),
                      info=info, caveats=[f"covariance {vcov!r} from clusterecon.panel.fit"])
