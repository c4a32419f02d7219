"""Dynamic (event-study) two-way fixed-effects regressions: leads and lags around adoption.

``y_it = a_i + l_t + sum_{k not in ref} b_k 1[t - G_i = k] + X_it'g + e_it``, with never-treated units (``G_i`` =
never) carrying no event-time dummy.  Reference period(s), a window with binned or trimmed end points, vcov options
(cluster by unit by default) and uniform sup-t bands for the plot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EstimationError, SpecificationError
from ._inputs import check_unique as _check_unique
from ._inputs import factorize as _factorize
from ._inputs import numeric as _numeric
from ._inputs import staggered_inputs
from .results import DiDResults, sup_t_critical_value, tidy_table
from .twfe import (
    FEFit,
    _is_balanced_2way,
    demean,
    fe_ols,
    resolve_vcov,
)

__all__ = ["event_study"]


def _event_times(rel: np.ndarray, leads, lags, bin_endpoints: bool):
    """Window and per-row event time after binning; rows outside an un-binned window are flagged for dropping."""
    treated = np.isfinite(rel)
    if not treated.any():
        raise EstimationError("no treated observations: every unit is never treated in the sample")
    lo_all, hi_all = int(rel[treated].min()), int(rel[treated].max())
    lo = lo_all if leads is None else -int(leads)
    hi = hi_all if lags is None else int(lags)
    if lo > -1 or hi < 0:
        raise SpecificationError(f"the window [{lo}, {hi}] must include event times -1 and 0")
    e = rel.copy()
    drop = np.zeros(rel.size, dtype=bool)
    if bin_endpoints:
        e[treated] = np.clip(rel[treated], lo, hi)
    else:
        drop = treated & ((rel < lo) | (rel > hi))
    return e, drop, max(lo, lo_all), min(hi, hi_all)


def event_study(
    data: pd.DataFrame,
    y: str,
    *,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    leads: int | None = None,
    lags: int | None = None,
    ref=-1,
    bin_endpoints: bool = False,
    drop_never_treated: bool = False,
    covariates=(),
    vcov: str = "cluster",
    cluster: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    uniform: bool = True,
    n_draws: int = 100_000,
    seed=0,
) -> DiDResults:
    """TWFE event study with leads and lags around adoption.

    Estimand
        ``b_k`` for each event time ``k = t - G`` in the window, relative to the reference period(s) ``ref``.
        Under parallel trends, no anticipation and effects that do not vary across adoption cohorts, ``b_k`` is the
        average effect ``k`` periods after adoption (leads ``k < 0`` are pre-trend checks).  With staggered adoption
        and cohort-specific dynamics the coefficients are contaminated by other periods' effects (Sun and Abraham
        2021): use :func:`sun_abraham` or :func:`did_imputation` then.
    Assumptions
        Absorbing treatment; parallel trends; no anticipation before ``min(ref) + 1``; inference cluster-robust by
        unit by default (CR1, fixest small-sample factor, t with G-1 df for pointwise intervals).

    Parameters
    ----------
    data : DataFrame (not modified)
    y, unit, time : column names
    cohort : column with the first treated period (never treated: missing, 0, ``inf`` or after the last period)
    treatment : alternatively, a 0/1 absorbing treatment column from which the cohort is derived
    leads, lags : window ``[-leads, lags]``; default all event times observed
    ref : event time(s) normalised to zero (default -1).  Without never-treated units a second one is needed
        (e.g. ``ref=(-1, -leads)``), otherwise the dummies are collinear with the fixed effects.
    bin_endpoints : if True, event times beyond the window are pooled into the end points; if False, treated
        observations outside the window are dropped (trimmed)
    drop_never_treated : if True, never-treated units are left out and identification comes from differences in
        adoption timing only (then a second reference period is needed)
    covariates : time-varying controls
    vcov, cluster, weights : see :func:`twfe`
    alpha : level; ``uniform`` adds sup-t bands (``ci_low_uniform``, ``ci_high_uniform``) from ``n_draws`` seeded
        normal draws (Montiel Olea and Plagborg-Moller 2019)

    References
    ----------
    Sun and Abraham (2021, J. Econometrics); Freyaldenhoven, Hansen, Perez and Shapiro (2021); Montiel Olea and
    Plagborg-Moller (2019).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.did.event_study import event_study
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"i": np.repeat(np.arange(40), 6), "t": np.tile(np.arange(6), 40)})
    >>> df["g"] = np.where(df.i < 20, 3, 0)
    >>> df["y"] = np.where((df.g > 0) & (df.t >= df.g), 1.0 + (df.t - df.g), 0.0) + rng.normal(0, .05, len(df))
    >>> res = event_study(df, "y", unit="i", time="t", cohort="g")
    >>> [round(v, 1) for v in res.estimate.loc[["event_time::0", "event_time::2"]]]
    [1.0, 3.0]
    """
    covariates = list(covariates)
    inp = staggered_inputs(data, y, unit=unit, time=time, cohort=cohort, treatment=treatment,
                           numeric_columns=[*covariates, weights], other_columns=[cluster])
    g, t = inp.g, inp.t
    rel = t - g  # -inf / nan for never treated
    rel = np.where(np.isfinite(g), rel, np.nan)
    e, drop, lo, hi = _event_times(rel, leads, lags, bin_endpoints)
    refs = sorted({int(r) for r in np.atleast_1d(ref)})
    if drop_never_treated:
        drop = drop | ~np.isfinite(g)
    keep = ~drop
    frame = data.loc[keep] if drop.any() else data
    e = e[keep]
    absent = [r for r in refs if not lo <= r <= hi]
    if absent:
        raise SpecificationError(f"reference event time(s) {absent} outside the event window [{lo}, {hi}]")
    ks = [k for k in range(lo, hi + 1) if k not in refs and np.any(e == k)]
    if not ks:
        raise EstimationError("no event-time coefficient to estimate outside the reference period(s)")
    ucodes, uvals = _factorize(frame[unit])
    tcodes, tvals = _factorize(frame[time])
    _check_unique(ucodes, tcodes, tvals.size, frame, unit, time)
    vtype, cl = resolve_vcov(frame, vcov, cluster, unit)
    n = e.size
    lut = np.full(hi - lo + 1, -1, dtype=np.int64)
    for j, k in enumerate(ks):
        lut[k - lo] = j
    fin = np.isfinite(e)
    col = np.full(n, -1, dtype=np.int64)
    col[fin] = lut[e[fin].astype(np.int64) - lo]
    w = _numeric(frame, weights) if weights else None
    has_never = bool((~fin).any())
    yv = _numeric(frame, y)
    cluster_is_unit = cluster is None or cluster == unit
    fast = (w is None and not covariates and (vtype != "cluster" or cluster_is_unit)
            and _is_balanced_2way([ucodes, tcodes], [uvals.size, tvals.size], None))
    try:
        if fast:
            fit = _cell_fit(yv, ucodes, tcodes, g[keep], col, len(ks), vtype)
        else:
            x = np.zeros((n, len(ks) + len(covariates)), order="F")
            rows = np.flatnonzero(col >= 0)
            x[rows, col[rows]] = 1.0
            for j, c in enumerate(covariates):
                x[:, len(ks) + j] = _numeric(frame, c)
            fit = fe_ols(yv, x, [ucodes, tcodes], vcov=vtype, cluster=cl, weights=w)
    except EstimationError as exc:
        hint = "" if has_never else (" -- there are no never-treated units, so normalise a second event time, e.g. "
                                     f"ref=(-1, {lo})")
        raise EstimationError(f"event-study regression failed: {exc}{hint}") from None
    se = np.sqrt(np.diag(fit.vcov))
    terms = [f"event_time::{k}" for k in ks] + covariates
    table = tidy_table(terms, fit.coef, se, alpha=alpha, df=fit.df_resid if vtype == "cluster" else None)
    table["event_time"] = [float(k) for k in ks] + [np.nan] * len(covariates)
    table["reference"] = False
    crit = np.nan
    if uniform and len(ks) > 1:
        crit = sup_t_critical_value(fit.vcov[: len(ks), : len(ks)], alpha, n_draws=n_draws, seed=seed)
        lo_u = np.full(len(terms), np.nan)
        hi_u = np.full(len(terms), np.nan)
        lo_u[: len(ks)] = fit.coef[: len(ks)] - crit * se[: len(ks)]
        hi_u[: len(ks)] = fit.coef[: len(ks)] + crit * se[: len(ks)]
        table["ci_low_uniform"] = lo_u
        table["ci_high_uniform"] = hi_u
    ref_rows = pd.DataFrame({"term": [f"event_time::{r}" for r in refs], "estimate": 0.0, "std_error": np.nan,
                             "statistic": np.nan, "p_value": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                             "event_time": [float(r) for r in refs], "reference": True})
    if "ci_low_uniform" in table:
        ref_rows["ci_low_uniform"] = np.nan
        ref_rows["ci_high_uniform"] = np.nan
    table = pd.concat([table, ref_rows], ignore_index=True)
    order = np.argsort(np.where(table["event_time"].isna(), np.inf, table["event_time"]), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    caveats = []
    n_out = int((drop & np.isfinite(g)).sum())
    if n_out:
        caveats.append(f"{n_out} treated observations outside the window [{lo}, {hi}] were dropped "
                       "(bin_endpoints=False)")
    if drop_never_treated:
        caveats.append("never-treated units dropped (drop_never_treated=True)")
    if not has_never:
        caveats.append("no never-treated units: identification comes from differences in timing only")
    if np.isfinite(crit):
        caveats.append(f"uniform band: sup-t critical value {crit:.4f} ({n_draws} draws, seed {seed})")
    info = {"n_obs": fit.n, "n_units": int(uvals.size), "n_periods": int(tvals.size), "vcov_type": vtype,
            "n_clusters": fit.n_clusters, "df": fit.df_resid, "alpha": alpha, "ref": refs, "window": (lo, hi),
            "bin_endpoints": bin_endpoints, "sup_t_crit": crit,
            "n_treated_units": int(np.bincount(ucodes, np.isfinite(e), minlength=uvals.size).astype(bool).sum())}
    return DiDResults(table=table, method="TWFE event study", vcov=fit.vcov, info=info, caveats=caveats)


def _cell_fit(y, ucodes, tcodes, g, col, k, vtype) -> FEFit:
    """Event-study OLS for a balanced panel without weights or covariates, exploiting that the two-way demeaned
    event-time dummies depend only on the (cohort, period) cell: cost O(n) plus O(units x periods x k)."""
    n_u, n_t = int(ucodes.max()) + 1, int(tcodes.max()) + 1
    n = y.size
    g_unit = np.empty(n_u)
    g_unit[ucodes] = np.where(np.isfinite(g), g, np.inf)  # constant within unit
    gvals, gcode_unit = np.unique(g_unit, return_inverse=True)  # unique over units, not rows
    gcode = gcode_unit[ucodes]
    n_g = gvals.size
    cell = gcode * n_t + tcodes
    n_cell = np.bincount(cell, minlength=n_g * n_t).reshape(n_g, n_t)
    units_g = n_cell[:, 0].astype(float)  # balanced: every unit of cohort g is in every period
    share = units_g / n_u
    col_cell = np.full(n_g * n_t, -1, dtype=np.int64)
    col_cell[cell] = col
    xg = np.zeros((n_g * n_t, k))
    hit = np.flatnonzero(col_cell >= 0)
    xg[hit, col_cell[hit]] = 1.0
    xg = xg.reshape(n_g, n_t, k)
    unit_mean = xg.mean(axis=1)
    time_mean = np.einsum("g,gtk->tk", share, xg)
    grand = share @ unit_mean
    xt = xg - unit_mean[:, None, :] - time_mean[None, :, :] + grand
    xtx = np.einsum("gt,gtk,gtl->kl", n_cell, xt, xt)
    sy = np.bincount(cell, y, minlength=n_g * n_t).reshape(n_g, n_t)
    scale = np.sqrt(np.diag(xtx))
    if (scale <= 1e-10).any():
        raise EstimationError(f"event-time dummies at position(s) {list(np.flatnonzero(scale <= 1e-10))} are "
                              "absorbed by the fixed effects")
    cond = np.linalg.cond(xtx / np.outer(scale, scale))
    if not np.isfinite(cond) or cond > 1e12:
        raise EstimationError(f"event-time dummies are collinear given the fixed effects (condition number {cond:.3g})")
    bread = np.linalg.inv(xtx)
    coef = bread @ np.einsum("gt,gtk->k", sy, xt)
    yd = demean(y, [ucodes, tcodes])
    fitted = xt @ coef
    resid = yd - fitted[gcode, tcodes]
    nfe = n_u + n_t - 1
    n_clusters = None
    if vtype == "iid":
        df = n - k - nfe
        v = bread * float(resid @ resid / df)
    elif vtype == "hc1":
        df = n - k - nfe
        e2 = np.bincount(cell, resid**2, minlength=n_g * n_t).reshape(n_g, n_t)
        meat = np.einsum("gt,gtk,gtl->kl", e2, xt, xt)
        v = bread @ meat @ bread * n / df
    else:
        emat = np.zeros(n_u * n_t)
        emat[ucodes * n_t + tcodes] = resid
        emat = emat.reshape(n_u, n_t)
        gu = gcode_unit
        scores = np.empty((n_u, k))
        for c in range(n_g):  # loop over cohorts, not units
            members = gu == c
            scores[members] = emat[members] @ xt[c]
        meat = scores.T @ scores
        n_clusters = n_u
        # unit FE nested in the unit clusters counts as one parameter: K = k + n_t (as fixest)
        v = bread @ meat @ bread * (n_u / (n_u - 1)) * ((n - 1) / (n - k - n_t))
        df = n_u - 1
    return FEFit(coef=coef, vcov=v, resid=resid, xd=np.empty((0, k)), n=n, k=k, n_fe=nfe, n_clusters=n_clusters,
                 df_resid=df, vcov_type=vtype)
