"""Sun and Abraham (2021) interaction-weighted event-study estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EstimationError
from ._inputs import check_unique as _check_unique
from ._inputs import factorize as _factorize
from ._inputs import numeric as _numeric
from ._inputs import staggered_inputs
from .results import DiDResults, sup_t_critical_value, tidy_table
from .twfe import (
    fe_ols,
    resolve_vcov,
)

__all__ = ["sun_abraham"]


def sun_abraham(
    data: pd.DataFrame,
    y: str,
    *,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    ref: int = -1,
    covariates=(),
    vcov: str = "cluster",
    cluster: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    uniform: bool = True,
    n_draws: int = 100_000,
    seed=0,
) -> DiDResults:
    """Interaction-weighted (IW) event study of Sun and Abraham (2021).

    Estimand
        ``CATT(g, e)``, the average effect ``e`` periods after adoption for adoption cohort ``g``, from a saturated
        TWFE regression with cohort x event-time dummies (never-treated units as controls, or, without them, the
        last-treated cohort, whose periods from its adoption on are then dropped), and its averages: the IW
        event-time effect ``sum_g Pr(G = g | e) CATT(g, e)`` and an overall ATT averaging every post-adoption cell
        by its number of observations (fixest's ``agg = "att"``).
    Assumptions
        Parallel trends for all cohorts and the control cohort, no anticipation before ``ref + 1``, absorbing
        treatment.  The cohort shares are treated as known (as fixest does); SEs are cluster-robust by unit by
        default (CR1 with fixest's small-sample factor, t with G-1 df) and use the delta method on the CATTs.

    Returns
    -------
    DiDResults: rows ``event_time::e`` (IW estimates, with uniform bands) and ``ATT``; ``info["cohort_event"]``
    holds the CATT(g, e) table with cell sizes; ``info["covariates"]`` the covariate coefficients.

    References
    ----------
    Sun, L. and Abraham, S. (2021), "Estimating dynamic treatment effects in event studies with heterogeneous
    treatment effects", J. Econometrics 225(2).

    Examples
    --------
    >>> from clusterecon.simulate import staggered_panel
    >>> from clusterecon.did.sun_abraham import sun_abraham
    >>> df = staggered_panel(300, 8, cohorts=[4, 6], effect=1.0, dynamic=0.5, noise_sd=0.1, seed=3)
    >>> res = sun_abraham(df, "y", unit="unit", time="time", cohort="cohort")
    >>> round(float(res.estimate["event_time::2"]), 1)
    2.0
    """
    covariates = list(covariates)
    inp = staggered_inputs(data, y, unit=unit, time=time, cohort=cohort, treatment=treatment,
                           numeric_columns=[*covariates, weights], other_columns=[cluster])
    g, t = inp.g, inp.t
    keep = np.ones(g.size, dtype=bool)
    caveats = []
    control = "never treated"
    if np.isfinite(g).all():
        last = g.max()
        if np.unique(g).size < 2:
            raise EstimationError("a single adoption cohort and no never-treated units: no control group")
        keep = t < last
        g = np.where(g == last, np.inf, g)
        control = f"last-treated cohort ({last:g}); its periods from {last:g} on are dropped"
        caveats.append(f"no never-treated units: control group is the {control}")
    frame = data.loc[keep] if not keep.all() else data
    g, t = g[keep], t[keep]
    rel = np.where(np.isfinite(g), t - g, np.nan)
    treated = np.isfinite(rel)
    if not treated.any():
        raise EstimationError("no treated observations")
    ucodes, uvals = _factorize(frame[unit])
    tcodes, tvals = _factorize(frame[time])
    _check_unique(ucodes, tcodes, tvals.size, frame, unit, time)
    vtype, cl = resolve_vcov(frame, vcov, cluster, unit)
    # cohort x event-time cells, excluding the reference event time
    cell_rows = treated & (rel != ref)
    cells = pd.DataFrame({"g": g[cell_rows], "e": rel[cell_rows]})
    cell_id, cell_keys = pd.MultiIndex.from_frame(cells).factorize(sort=True)
    n_cells = len(cell_keys)
    x = np.zeros((g.size, n_cells + len(covariates)), order="F")
    rows = np.flatnonzero(cell_rows)
    x[rows, cell_id] = 1.0
    for j, c in enumerate(covariates):
        x[:, n_cells + j] = _numeric(frame, c)
    w = _numeric(frame, weights) if weights else None
    fit = fe_ols(_numeric(frame, y), x, [ucodes, tcodes], vcov=vtype, cluster=cl, weights=w)
    counts = np.bincount(cell_id, weights=None if w is None else w[rows], minlength=n_cells)
    key_g = np.array([k[0] for k in cell_keys])
    key_e = np.array([k[1] for k in cell_keys])
    df = fit.df_resid if vtype == "cluster" else None
    catt_se = np.sqrt(np.diag(fit.vcov)[:n_cells])
    catt = tidy_table([f"cohort::{gg:g}:event_time::{ee:g}" for gg, ee in zip(key_g, key_e)], fit.coef[:n_cells],
                      catt_se, alpha=alpha, df=df, extra={"cohort": key_g, "event_time": key_e, "n_obs": counts})
    es = np.unique(key_e)
    wmat = np.zeros((es.size + 1, fit.coef.size))
    for i, ee in enumerate(es):  # loop over event times (few)
        m = key_e == ee
        wmat[i, np.flatnonzero(m)] = counts[m] / counts[m].sum()
    post = key_e >= 0
    wmat[-1, np.flatnonzero(post)] = counts[post] / counts[post].sum()
    est = wmat @ fit.coef
    v = wmat @ fit.vcov @ wmat.T
    se = np.sqrt(np.diag(v))
    terms = [f"event_time::{ee:g}" for ee in es] + ["ATT"]
    table = tidy_table(terms, est, se, alpha=alpha, df=df)
    table["event_time"] = list(es.astype(float)) + [np.nan]
    crit = np.nan
    if uniform and es.size > 1:
        crit = sup_t_critical_value(v[: es.size, : es.size], alpha, n_draws=n_draws, seed=seed)
        table["ci_low_uniform"] = np.r_[est[: es.size] - crit * se[: es.size], np.nan]
        table["ci_high_uniform"] = np.r_[est[: es.size] + crit * se[: es.size], np.nan]
        caveats.append(f"uniform band: sup-t critical value {crit:.4f} ({n_draws} draws, seed {seed})")
    caveats.append("SEs treat the cohort shares as fixed (as fixest's sunab)")
    cov_table = tidy_table(covariates, fit.coef[n_cells:], np.sqrt(np.diag(fit.vcov)[n_cells:]), alpha=alpha, df=df)
    info = {"n_obs": fit.n, "n_units": int(uvals.size), "n_periods": int(tvals.size), "vcov_type": vtype,
            "n_clusters": fit.n_clusters, "df": fit.df_resid, "alpha": alpha, "ref": ref, "control": control,
            "cohort_event": catt, "covariates": cov_table, "aggregation_weights": wmat, "sup_t_crit": crit,
            "n_treated_units": int(np.unique(ucodes[treated]).size)}
    return DiDResults(table=table, method="Sun-Abraham interaction-weighted event study", vcov=v, info=info,
                      caveats=caveats)
