"""Borusyak, Jaravel and Spiess (2024) imputation estimator for staggered adoption."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EstimationError, SpecificationError
from ._inputs import check_unique as _check_unique
from ._inputs import factorize as _factorize
from ._inputs import numeric as _numeric
from ._inputs import staggered_inputs
from .results import DiDResults, tidy_table
from .twfe import (
    fe_ols,
)

__all__ = ["did_imputation"]


def _two_way_solve(rhs_u, rhs_t, ucodes, tcodes, n_u, n_t, *, tol=1e-13, maxiter=100_000):
    """Solve the normal equations of a two-way FE model on a set of rows, given right-hand sides per unit and per
    period (columns = several problems at once).  Gauss-Seidel; returns unit and period levels."""
    k = rhs_u.shape[1]
    cnt_u = np.bincount(ucodes, minlength=n_u).astype(float)
    cnt_t = np.bincount(tcodes, minlength=n_t).astype(float)
    a = np.zeros((n_u, k))
    b = np.zeros((n_t, k))
    scale = max(np.abs(rhs_u).max(initial=0.0), np.abs(rhs_t).max(initial=0.0), 1e-300)
    for _ in range(maxiter):
        sb = np.stack([np.bincount(ucodes, b[tcodes, j], minlength=n_u) for j in range(k)], 1)
        a_new = np.where(cnt_u[:, None] > 0, (rhs_u - sb) / np.maximum(cnt_u, 1)[:, None], 0.0)
        sa = np.stack([np.bincount(tcodes, a_new[ucodes, j], minlength=n_t) for j in range(k)], 1)
        b_new = np.where(cnt_t[:, None] > 0, (rhs_t - sa) / np.maximum(cnt_t, 1)[:, None], 0.0)
        change = max(np.abs(a_new - a).max(), np.abs(b_new - b).max())
        a, b = a_new, b_new
        if change <= tol * scale:
            break
    else:  # pragma: no cover
        raise EstimationError("imputation first stage did not converge")
    return a, b


def did_imputation(
    data: pd.DataFrame,
    y: str,
    *,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    horizon=None,
    pretrends=None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> DiDResults:
    """Imputation estimator of Borusyak, Jaravel and Spiess (2024), with their conservative standard errors.

    Estimand
        Weighted averages of unit-period effects ``tau_it = Y_it - Y_it(0)`` over treated observations: the overall
        ATT (``horizon=None``: all treated observations equally weighted) or one average per event time
        ``e = t - G`` (``horizon=True`` for all ``e >= 0``, or a list).  ``Y_it(0)`` is imputed from a two-way
        fixed-effects model ``a_i + l_t`` fitted on untreated (never- and not-yet-treated) observations only.
    Assumptions
        Parallel trends in the form ``E[Y_it(0)] = a_i + l_t``, no anticipation, absorbing treatment.  Standard errors
        follow BJS Theorem 3: clustered by unit (or ``cluster``), with treated residuals ``tau_it`` centred at
        their ``v^2``-weighted mean within cohort x event-time cells (conservative when effects vary within cells).
        ``pretrends``: event times ``k < 0`` whose dummies are added to a TWFE regression on the untreated
        observations (BJS's pre-trend test), SEs clustered by unit.

    References
    ----------
    Borusyak, K., Jaravel, X. and Spiess, J. (2024), "Revisiting event-study designs: robust and efficient
    estimation", Review of Economic Studies.

    Examples
    --------
    >>> from clusterecon.simulate import staggered_panel
    >>> from clusterecon.did.imputation import did_imputation
    >>> df = staggered_panel(200, 8, cohorts=[4, 6], effect=1.5, noise_sd=0.1, seed=2)
    >>> round(float(did_imputation(df, "y", unit="unit", time="time", cohort="cohort").estimate["ATT"]), 1)
    1.5
    """
    inp = staggered_inputs(data, y, unit=unit, time=time, cohort=cohort, treatment=treatment, other_columns=[cluster])
    g, t = inp.g, inp.t
    yv = _numeric(data, y)
    ucodes, uvals = _factorize(data[unit])
    tcodes, tvals = _factorize(data[time])
    _check_unique(ucodes, tcodes, tvals.size, data, unit, time)
    n_u, n_t = uvals.size, tvals.size
    treat = np.isfinite(g) & (t >= g)
    if not treat.any():
        raise EstimationError("no treated observations")
    unt = ~treat
    rel = np.where(np.isfinite(g), t - g, np.nan)
    # identification: every treated unit and period needs untreated observations
    has_u = np.bincount(ucodes[unt], minlength=n_u) > 0
    bad_u = np.unique(ucodes[treat & ~has_u[ucodes]])
    if bad_u.size:
        raise EstimationError(f"unit(s) {uvals[bad_u][:10].tolist()} are treated in every period observed: their unit "
                              "effect cannot be imputed; drop them")
    has_t = np.bincount(tcodes[unt], minlength=n_t) > 0
    bad_t = np.unique(tcodes[treat & ~has_t[tcodes]])
    if bad_t.size:
        raise EstimationError(f"period(s) {tvals[bad_t][:10].tolist()} have no untreated observation: their period "
                              "effect cannot be imputed; drop them")
    # first stage on untreated observations
    u0, t0 = ucodes[unt], tcodes[unt]
    a, b = _two_way_solve(np.bincount(u0, yv[unt], minlength=n_u)[:, None],
                          np.bincount(t0, yv[unt], minlength=n_t)[:, None], u0, t0, n_u, n_t)
    y0hat = a[ucodes, 0] + b[tcodes, 0]
    resid = yv - y0hat  # tau_it on treated rows, first-stage residual on untreated rows
    # estimands: columns of treated-observation weights
    rel1 = rel[treat]
    if horizon is None:
        names, evs = ["ATT"], [np.nan]
        wts = np.ones((rel1.size, 1))
    else:
        avail = np.unique(rel1)
        try:
            hs = avail if horizon is True else np.asarray(list(np.atleast_1d(horizon)), dtype=float)
        except (TypeError, ValueError):
            raise SpecificationError(f"horizon must be None, True or event times (integers), got {horizon!r}") from None
        missing = [h for h in hs if h not in set(avail)]
        if missing:
            raise SpecificationError(f"horizon(s) {missing} have no treated observations; available: {list(avail)}")
        names = [f"event_time::{h:g}" for h in hs]
        evs = list(hs)
        wts = np.stack([(rel1 == h).astype(float) for h in hs], 1)
    wts = wts / wts.sum(axis=0)
    n_est = wts.shape[1]
    est = wts.T @ resid[treat]
    # v* for untreated rows: -Z0 (Z0'Z0)^{-1} Z1' w1
    u1, t1 = ucodes[treat], tcodes[treat]
    rhs_u = np.stack([np.bincount(u1, wts[:, j], minlength=n_u) for j in range(n_est)], 1)
    rhs_t = np.stack([np.bincount(t1, wts[:, j], minlength=n_t) for j in range(n_est)], 1)
    ga, gb = _two_way_solve(rhs_u, rhs_t, u0, t0, n_u, n_t)
    v = np.empty((yv.size, n_est))
    v[unt] = -(ga[u0] + gb[t0])
    v[treat] = wts
    # centre tau within cohort x event-time cells with v^2 weights
    cell_codes, _ = _factorize(pd.Series(g[treat]).astype(str) + "|" + pd.Series(rel1).astype(str))
    n_cells = int(cell_codes.max()) + 1
    eps = np.repeat(resid[:, None], n_est, axis=1)
    tau1 = resid[treat]
    for j in range(n_est):
        v2 = wts[:, j] ** 2
        num = np.bincount(cell_codes, v2 * tau1, minlength=n_cells)
        den = np.bincount(cell_codes, v2, minlength=n_cells)
        tbar = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        eps[treat, j] = tau1 - tbar[cell_codes]
    ccodes = ucodes if cluster is None else _factorize(data[cluster])[0]
    n_cl = int(ccodes.max()) + 1
    scores = np.stack([np.bincount(ccodes, v[:, j] * eps[:, j], minlength=n_cl) for j in range(n_est)], 1)
    se = np.sqrt((scores**2).sum(axis=0))
    table = tidy_table(names, est, se, alpha=alpha)
    table["event_time"] = evs
    caveats = ["conservative SEs (BJS 2024, Theorem 3), clustered by " + (cluster or unit)]
    info = {"n_obs": int(yv.size), "n_units": int(n_u), "n_periods": int(n_t), "n_treated_obs": int(treat.sum()),
            "n_treated_units": int(np.unique(u1).size), "vcov_type": "cluster", "alpha": alpha,
            "weights": wts}
    if pretrends is not None:
        pre_avail = np.unique(rel[unt & np.isfinite(rel)])
        ks = pre_avail[pre_avail < 0] if pretrends is True else np.asarray(list(np.atleast_1d(pretrends)), float)
        bad = [k for k in ks if k not in set(pre_avail) or k >= 0]
        if bad:
            raise SpecificationError(f"pretrends {bad} are not pre-treatment event times in the data: "
                                     f"{list(pre_avail)}")
        sub = np.flatnonzero(unt)
        x = np.stack([(rel[sub] == k).astype(float) for k in ks], 1)
        uc, _ = _factorize(ucodes[sub])
        tc, _ = _factorize(tcodes[sub])
        fit = fe_ols(yv[sub], x, [uc, tc], vcov="cluster", cluster=(ccodes[sub]))
        pre = tidy_table([f"event_time::{k:g}" for k in ks], fit.coef, np.sqrt(np.diag(fit.vcov)), alpha=alpha,
                         df=fit.df_resid)
        pre["event_time"] = list(ks)
        pre["pretrend"] = True
        table["pretrend"] = False
        table = pd.concat([pre, table], ignore_index=True)
        info["pretrend_vcov"] = fit.vcov
    method = "Imputation DiD (Borusyak, Jaravel and Spiess)"
    return DiDResults(table=table, method=method, info=info, caveats=caveats)
