"""Dynamic (event-study) two-way fixed-effects regressions: leads and lags around adoption.

``y_it = a_i + l_t + sum_{k not in ref} b_k 1[t - G_i = k] + X_it'g + e_it``, with never-treated units (``G_i`` =
never) carrying no event-time dummy.  Reference period(s), a window with binned or trimmed end points, vcov options
(cluster by unit by default) and uniform sup-t bands for the plot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EstimationError, SpecificationError
from ._inputs import numeric as _numeric
from ._inputs import staggered_inputs
from .results import DiDResults, sup_t_critical_value, tidy_table
from .twfe import (
    FEFit,
    _is_balanced_2way,
    demean,
    fast_factorize,
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
    fin = np.isfinite(e)
    epos = e[fin].astype(np.int64) - lo  # event times in the window, as offsets from its start
    if epos.size and (epos.min() < 0 or epos.max() > hi - lo):  # pragma: no cover - binned/trimmed above
        raise EstimationError(f"event times outside the window [{lo}, {hi}] after binning")
    present = np.bincount(epos, minlength=hi - lo + 1) > 0  # one counting pass instead of one scan per event time
    ks = [k for k in range(lo, hi + 1) if k not in refs and present[k - lo]]
    if not ks:
        raise EstimationError("no event-time coefficient to estimate outside the reference period(s)")
    ucodes, uvals = fast_factorize(frame[unit])
    tcodes, tvals = fast_factorize(frame[time])
    # (unit, time) pairs are unique: staggered_inputs checked the whole frame, of which ``frame`` is a subset
    vtype, cl = resolve_vcov(frame, vcov, cluster, unit)
    n = e.size
    lut = np.full(hi - lo + 1, -1, dtype=np.int64)
    for j, k in enumerate(ks):
        lut[k - lo] = j
    col = np.full(n, -1, dtype=np.int64)
    col[fin] = lut[epos]
    w = _numeric(frame, weights) if weights else None
    has_never = bool((~fin).any())
    yv = _numeric(frame, y)
    cluster_is_unit = cluster is None or cluster == unit
    fast = (w is None and (vtype != "cluster" or cluster_is_unit)
            and n == uvals.size * tvals.size
            and (_grid_layout(ucodes, tcodes, uvals.size, tvals.size)
                 or _is_balanced_2way([ucodes, tcodes], [uvals.size, tvals.size], None)))
    try:
        if fast:
            yx = None
            if covariates:  # y and the covariates in one column-major block, as the within transform wants
                yx = np.empty((n, 1 + len(covariates)), order="F")
                yx[:, 0] = yv
                for j, c in enumerate(covariates):
                    yx[:, 1 + j] = _numeric(frame, c)
            fit = _cell_fit(yv, ucodes, tcodes, g[keep], col, len(ks), vtype, yx=yx)
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


def _grid_layout(ucodes, tcodes, n_u, n_t) -> bool:
    """True when the rows are the full unit x period grid sorted by unit, then period (a balanced panel)."""
    n = ucodes.size
    if n != n_u * n_t or n == 0 or ucodes[-1] != n_u - 1 or tcodes[n_t - 1] != n_t - 1:
        return False
    return bool((ucodes.reshape(n_u, n_t) == np.arange(n_u)[:, None]).all()) and bool(
        (tcodes.reshape(n_u, n_t) == np.arange(n_t)[None, :]).all())


def _cell_fit(y, ucodes, tcodes, g, col, k, vtype, xc=None, yx=None) -> FEFit:
    """Event-study OLS for a balanced panel without weights, exploiting that the two-way demeaned event-time
    dummies depend only on the (cohort, period) cell: cost O(n) per covariate plus O(units x periods x k).

    With covariates ``xc`` (n x p) the normal equations of the dummies and the demeaned covariates are assembled
    by Frisch-Waugh-Lovell: dummy-covariate cross products are cell sums of the demeaned covariates times the
    cell's demeaned dummy, so the n x k dummy matrix is never built.  ``yx``: alternatively ``[y, xc]`` as one
    column-major (n, 1 + p) array (saves a copy).
    """
    if yx is not None and yx.shape[1] > 1:
        xc = yx[:, 1:]
    n_u, n_t = int(ucodes.max()) + 1, int(tcodes.max()) + 1
    n = y.size
    p = 0 if xc is None else xc.shape[1]
    K = k + p
    g_unit = np.empty(n_u)
    g_unit[ucodes] = g  # constant within unit
    g_unit[~np.isfinite(g_unit)] = np.inf
    gvals, gcode_unit = np.unique(g_unit, return_inverse=True)  # unique over units, not rows
    gcode_unit = gcode_unit.ravel()
    n_g = gvals.size
    grid = _grid_layout(ucodes, tcodes, n_u, n_t)
    if grid:  # rows sorted by unit then period: (n_u, n_t) views; cohort sums by a sparse cohort x unit product
        from scipy.sparse import csr_matrix

        onehot = csr_matrix((np.ones(n_u), (gcode_unit, np.arange(n_u))), shape=(n_g, n_u))
        n_cell = np.repeat(np.bincount(gcode_unit, minlength=n_g)[:, None], n_t, axis=1)
        rep = np.empty(n_g, dtype=np.int64)
        rep[gcode_unit] = np.arange(n_u)  # one unit of each cohort
        col_cell = col.reshape(n_u, n_t)[rep].ravel()

        def cell_sum(v):
            return np.asarray(onehot @ v.reshape(n_u, n_t))
    else:
        gcode = gcode_unit[ucodes]
        cell = gcode * n_t + tcodes
        n_cell = np.bincount(cell, minlength=n_g * n_t).reshape(n_g, n_t)
        col_cell = np.full(n_g * n_t, -1, dtype=np.int64)
        col_cell[cell] = col

        def cell_sum(v):
            return np.bincount(cell, v, minlength=n_g * n_t).reshape(n_g, n_t)
    units_g = n_cell[:, 0].astype(float)  # balanced: every unit of cohort g is in every period
    share = units_g / n_u
    xg = np.zeros((n_g * n_t, k))
    hit = np.flatnonzero(col_cell >= 0)
    xg[hit, col_cell[hit]] = 1.0
    xg = xg.reshape(n_g, n_t, k)
    unit_mean = xg.mean(axis=1)
    time_mean = np.einsum("g,gtk->tk", share, xg)
    grand = share @ unit_mean
    xt = xg - unit_mean[:, None, :] - time_mean[None, :, :] + grand
    xtx = np.zeros((K, K))
    xtx[:k, :k] = np.einsum("gt,gtk,gtl->kl", n_cell, xt, xt)
    sy = cell_sum(y)
    if p:
        if yx is None:
            yx = np.empty((n, p + 1), order="F")  # column-major: each column is contiguous for the within transform
            yx[:, 0] = y
            yx[:, 1:] = xc
        both = demean(yx, [ucodes, tcodes])
        yd, xcd = both[:, 0], np.asfortranarray(both[:, 1:])
        del both
        sx = np.stack([cell_sum(xcd[:, j]) for j in range(p)], 2)
        xtx[:k, k:] = np.einsum("gtk,gtp->kp", xt, sx)
        xtx[k:, :k] = xtx[:k, k:].T
        xtx[k:, k:] = xcd.T @ xcd
    else:
        yd = demean(y, [ucodes, tcodes])
        xcd = None
    scale = np.sqrt(np.diag(xtx))
    if (scale[:k] <= 1e-10).any():
        raise EstimationError(f"event-time dummies at position(s) {list(np.flatnonzero(scale[:k] <= 1e-10))} are "
                              "absorbed by the fixed effects")
    if p:
        big = max(1.0, float(np.abs(xt).max()), float(xcd.max()), -float(xcd.min()))
        dead = np.flatnonzero(scale <= 1e-10 * big)
        if dead.size:
            raise EstimationError(f"regressor(s) at position(s) {list(dead)} are absorbed by the fixed effects")
    cond = np.linalg.cond(xtx / np.outer(scale, scale))
    if not np.isfinite(cond) or cond > 1e12:
        what = "regressors" if p else "event-time dummies"
        raise EstimationError(f"{what} are collinear given the fixed effects (condition number {cond:.3g})")
    bread = np.linalg.inv(xtx)
    xty = np.empty(K)
    xty[:k] = np.einsum("gt,gtk->k", sy, xt)
    if p:
        xty[k:] = xcd.T @ yd
    coef = bread @ xty
    fitted = xt @ coef[:k]
    resid = (yd.reshape(n_u, n_t) - fitted[gcode_unit]).ravel() if grid else yd - fitted[gcode, tcodes]
    if p:
        resid -= xcd @ coef[k:]
    nfe = n_u + n_t - 1
    n_clusters = None
    if vtype == "iid":
        df = n - K - nfe
        v = bread * float(resid @ resid / df)
    elif vtype == "hc1":
        df = n - K - nfe
        r2 = resid**2
        meat = np.zeros((K, K))
        e2 = cell_sum(r2)
        meat[:k, :k] = np.einsum("gt,gtk,gtl->kl", e2, xt, xt)
        if p:
            sxe = np.stack([cell_sum(xcd[:, j] * r2) for j in range(p)], 2)
            meat[:k, k:] = np.einsum("gtk,gtp->kp", xt, sxe)
            meat[k:, :k] = meat[:k, k:].T
            xe = xcd * resid[:, None]
            meat[k:, k:] = xe.T @ xe
        v = bread @ meat @ bread * n / df
    else:
        if grid:  # rows sorted by unit then period: the residual matrix is a view
            emat = resid.reshape(n_u, n_t)
        else:
            emat = np.zeros(n_u * n_t)
            emat[ucodes * n_t + tcodes] = resid
            emat = emat.reshape(n_u, n_t)
        # units grouped by cohort (the meat does not depend on the order of the units)
        emat_rows = emat
        order = np.argsort(gcode_unit, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(gcode_unit, minlength=n_g))])
        emat = emat[order]
        scores = np.empty((n_u, K))
        for c in range(n_g):  # loop over cohorts, not units
            scores[bounds[c]:bounds[c + 1], :k] = emat[bounds[c]:bounds[c + 1]] @ xt[c]
        for j in range(p):
            if grid:
                sc = np.einsum("ut,ut->u", xcd[:, j].reshape(n_u, n_t), emat_rows)
            else:
                sc = np.bincount(ucodes, xcd[:, j] * resid, minlength=n_u)
            scores[:, k + j] = sc[order]
        meat = scores.T @ scores
        n_clusters = n_u
        # unit FE nested in the unit clusters counts as one parameter: K = k + n_t (as fixest)
        v = bread @ meat @ bread * (n_u / (n_u - 1)) * ((n - 1) / (n - K - n_t))
        df = n_u - 1
    return FEFit(coef=coef, vcov=v, resid=resid, xd=np.empty((0, K)), n=n, k=K, n_fe=nfe, n_clusters=n_clusters,
                 df_resid=df, vcov_type=vtype)
