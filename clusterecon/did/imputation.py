"""Borusyak, Jaravel and Spiess (2024) imputation estimator for staggered adoption."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EstimationError, SpecificationError
from ._inputs import numeric as _numeric
from ._inputs import staggered_inputs
from .results import DiDResults, tidy_table
from .twfe import (
    fast_factorize,
    fe_ols,
)

__all__ = ["did_imputation"]


def _two_way_solve(rhs_u, rhs_t, ucodes, tcodes, n_u, n_t, *, tol=1e-13, maxiter=100_000, prep=None):
    """Solve the normal equations of a two-way FE model on a set of rows, given right-hand sides per unit and per
    period (columns = several problems at once); returns unit and period levels.

    A connected design whose smaller factor (the periods) has few levels is solved directly: eliminating the unit
    levels leaves an ``n_t x n_t`` system (one redundancy, solved by pseudo-inverse), then the unit levels follow in
    closed form.  Otherwise Gauss-Seidel (:func:`_two_way_gauss_seidel`).  ``a_i + b_t`` is the same either way.
    ``prep``: a dict shared by calls on the same rows, caching the design (counts, incidence, eigen-decomposition).
    """
    direct = _two_way_direct(rhs_u, rhs_t, ucodes, tcodes, n_u, n_t, prep=prep)
    if direct is not None:
        return direct
    return _two_way_gauss_seidel(rhs_u, rhs_t, ucodes, tcodes, n_u, n_t, tol=tol, maxiter=maxiter)


_DIRECT_MAX_PERIODS = 2000
_DIRECT_MAX_CELLS = 30_000_000


def _two_way_design(ucodes, tcodes, n_u, n_t):
    """Counts, incidence matrix and pseudo-inverse of the period system of :func:`_two_way_direct` (None when the
    direct solve does not apply)."""
    if n_t > _DIRECT_MAX_PERIODS or n_u * n_t > max(_DIRECT_MAX_CELLS, 0) or ucodes.size == 0:
        return None
    from ..panel.absorb import fe_dof

    cnt_u = np.bincount(ucodes, minlength=n_u).astype(float)
    cnt_t = np.bincount(tcodes, minlength=n_t).astype(float)
    if (cnt_u == 0).any() or (cnt_t == 0).any():
        return None
    if n_u + n_t - fe_dof([ucodes, tcodes]) != 1:  # not one connected set: let Gauss-Seidel pick its solution
        return None
    N = np.bincount(ucodes * n_t + tcodes, minlength=n_u * n_t).astype(float).reshape(n_u, n_t)
    Ns = N / cnt_u[:, None]
    A = np.diag(cnt_t) - N.T @ Ns  # Schur complement of the unit block
    A = (A + A.T) / 2
    vals, vecs = np.linalg.eigh(A)
    keep = vals > 1e-11 * max(float(vals.max()), 1e-300)
    if keep.sum() != n_t - 1:
        return None
    return cnt_u, cnt_t, N, Ns, (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T


def _two_way_direct(rhs_u, rhs_t, ucodes, tcodes, n_u, n_t, prep=None):
    """Direct solve of :func:`_two_way_solve`, or None when it does not apply (large/disconnected designs)."""
    if prep is not None and "design" in prep:
        design = prep["design"]
    else:
        design = _two_way_design(ucodes, tcodes, n_u, n_t)
        if prep is not None:
            prep["design"] = design
    if design is None:
        return None
    cnt_u, cnt_t, N, Ns, Apinv = design
    r = rhs_t - Ns.T @ rhs_u
    b = Apinv @ r
    a = (rhs_u - N @ b) / cnt_u[:, None]
    # check the normal equations; fall back to the iterative solver when they are not met to the tolerance
    scale = max(np.abs(rhs_u).max(initial=0.0), np.abs(rhs_t).max(initial=0.0), 1e-300)
    res_t = cnt_t[:, None] * b + N.T @ a - rhs_t
    if not np.abs(res_t).max(initial=0.0) <= 1e-9 * scale:
        return None
    return a, b


def _two_way_gauss_seidel(rhs_u, rhs_t, ucodes, tcodes, n_u, n_t, *, tol=1e-13, maxiter=100_000):
    """Reference solver of :func:`_two_way_solve` (Gauss-Seidel from zero)."""
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


def _cell_codes(g1: np.ndarray, rel1: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of the cohort x event-time cells of the treated rows (integer keys, no strings)."""
    if g1.size == 0:
        return np.zeros(0, dtype=np.int64), 0
    glo, rlo = g1.min(), rel1.min()
    gspan, rspan = g1.max() - glo + 1, rel1.max() - rlo + 1
    if gspan * rspan <= max(2 * g1.size, 1_000_000):
        gi, ri = g1 - glo, rel1 - rlo
        if np.array_equal(gi, np.floor(gi)) and np.array_equal(ri, np.floor(ri)):  # integer periods: counting pass
            key = gi.astype(np.int64) * int(rspan) + ri.astype(np.int64)
            present = np.bincount(key, minlength=int(gspan * rspan)) > 0
            lut = np.cumsum(present, dtype=np.int64) - 1
            return lut[key], int(present.sum())
    gv, gc = np.unique(g1, return_inverse=True)
    rv, rc = np.unique(rel1, return_inverse=True)
    key = gc.astype(np.int64).ravel() * rv.size + rc.astype(np.int64).ravel()
    _, codes = np.unique(key, return_inverse=True)
    codes = codes.astype(np.int64).ravel()
    return codes, int(codes.max()) + 1


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
    ucodes, uvals = fast_factorize(data[unit])
    tcodes, tvals = fast_factorize(data[time])
    # (unit, time) pairs are unique: checked on this frame by staggered_inputs
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
    prep: dict = {}  # both solves below are on the untreated rows: the design is analysed once
    a, b = _two_way_solve(np.bincount(u0, yv[unt], minlength=n_u)[:, None],
                          np.bincount(t0, yv[unt], minlength=n_t)[:, None], u0, t0, n_u, n_t, prep=prep)
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
    ga, gb = _two_way_solve(rhs_u, rhs_t, u0, t0, n_u, n_t, prep=prep)
    # centre tau within cohort x event-time cells with v^2 weights; cluster scores sum v * eps: untreated rows have
    # v = -(ga_i + gb_t) and eps = first-stage residual, treated rows v = w and eps = tau - cell mean
    cell_codes, n_cells = _cell_codes(g[treat], rel1)
    tau1 = resid[treat]
    r0 = resid[unt]
    ccodes = ucodes if cluster is None else fast_factorize(data[cluster])[0]
    n_cl = int(ccodes.max()) + 1
    if cluster is None and n_u * n_t <= max(4 * yv.size, 1_000_000):
        # clusters = units: sum_t (ga_i + gb_t) e_it over untreated rows = ga_i R_i + (E0 gb)_i
        e0 = np.zeros(n_u * n_t)
        e0[u0 * n_t + t0] = r0
        scores = -(ga * np.bincount(u0, r0, minlength=n_u)[:, None]) - e0.reshape(n_u, n_t) @ gb
        del e0
    else:
        c0 = ccodes[unt]
        scores = np.stack([np.bincount(c0, -(ga[u0, j] + gb[t0, j]) * r0, minlength=n_cl) for j in range(n_est)],
                          1)
    c1 = ccodes[treat]
    for j in range(n_est):
        v2 = wts[:, j] ** 2
        num = np.bincount(cell_codes, v2 * tau1, minlength=n_cells)
        den = np.bincount(cell_codes, v2, minlength=n_cells)
        tbar = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        scores[:, j] += np.bincount(c1, wts[:, j] * (tau1 - tbar[cell_codes]), minlength=n_cl)
    se = np.sqrt((scores**2).sum(axis=0))
    table = tidy_table(names, est, se, alpha=alpha)
    table["event_time"] = evs
    caveats = ["conservative SEs (BJS 2024, Theorem 3), clustered by " + (cluster or unit)]
    info = {"n_obs": int(yv.size), "n_units": int(n_u), "n_periods": int(n_t), "n_treated_obs": int(treat.sum()),
            "n_treated_units": int(np.count_nonzero(np.bincount(u1, minlength=n_u))), "vcov_type": "cluster", "alpha": alpha,
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
        uc, _ = fast_factorize(ucodes[sub])
        tc, _ = fast_factorize(tcodes[sub])
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
