"""Inference with one or a few treated units: placebo-in-space permutation of the DiD estimate.

With a handful of treated units (one country adopting cooperative monitoring), cluster-robust standard errors are
not valid: their consistency needs many treated clusters (Conley and Taber 2011; MacKinnon and Webb 2017).  Here the
DiD estimate is compared with its distribution when the treatment (with its adoption dates) is reassigned to other
units: an exact randomisation p-value when the assignments can be enumerated, a seeded Monte Carlo one otherwise.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..errors import DataError, EstimationError, SpecificationError
from ._inputs import check_unique as _check_unique
from ._inputs import factorize as _factorize
from ._inputs import numeric as _numeric
from ._inputs import staggered_inputs
from .results import DiDResults

__all__ = ["placebo_permutation"]

CAVEAT = ("few treated units: analytic (cluster-robust) standard errors are not valid; inference is by placebo-in-"
          "space permutation (Conley and Taber 2011 spirit), assuming the untreated units are exchangeable with the "
          "treated ones under the null of no effect")


def _unit_contrasts(y, ucodes, tvals_row, dates, n_u):
    """d[i, j] = mean of y_i over t >= dates[j] minus mean over t < dates[j] (vectorised over units)."""
    out = np.empty((n_u, dates.size))
    for j, gd in enumerate(dates):  # loop over adoption dates (few)
        post = tvals_row >= gd
        n_post = np.bincount(ucodes, post.astype(float), minlength=n_u)
        n_pre = np.bincount(ucodes, (~post).astype(float), minlength=n_u)
        if (n_post == 0).any() or (n_pre == 0).any():
            return None, (n_post == 0) | (n_pre == 0), gd
        s_post = np.bincount(ucodes, np.where(post, y, 0.0), minlength=n_u)
        s_pre = np.bincount(ucodes, np.where(post, 0.0, y), minlength=n_u)
        out[:, j] = s_post / n_post - s_pre / n_pre
    return out, None, None


def _statistic(d, assign, slot_date):
    """DiD statistic for each assignment row: mean over treated slots of (own contrast - mean control contrast)."""
    n_u = d.shape[0]
    n_t = assign.shape[1]
    own = d[assign, slot_date[None, :]]  # P x n_t
    colsum = d.sum(axis=0)  # per date
    # sum over assigned units of their contrast at each slot's date
    assigned_at = d[assign][:, :, slot_date]  # P x n_t (units) x n_t (slots)
    ctrl = (colsum[slot_date][None, :] - assigned_at.sum(axis=1)) / (n_u - n_t)
    return (own - ctrl).mean(axis=1)


def placebo_permutation(
    data: pd.DataFrame,
    y: str,
    *,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    n_permutations: int = 9999,
    max_exact: int = 20_000,
    alternative: str = "two-sided",
    seed=0,
) -> DiDResults:
    """Placebo-in-space permutation test of the DiD effect of one or a few treated units.

    Estimand
        ``tau_hat = mean over treated units j of [(post - pre mean of unit j) - mean over controls of the same
        contrast]``, each treated unit compared at its own adoption date (with a balanced panel and one adoption
        date this equals the TWFE / 2x2 DiD).  Its null distribution is obtained by reassigning the treated units'
        adoption dates to other units: all assignments when there are at most ``max_exact`` (exact test), else
        ``n_permutations`` seeded random assignments (Monte Carlo p-value ``(1 + #{|T_b| >= |T|}) / (1 + B)``).
    Assumptions
        Sharp null of no effect for every unit and exchangeability of units' pre/post contrasts (no differential
        trends with respect to treatment status); in the spirit of Conley and Taber (2011), who use the controls'
        residual distribution for inference with few policy changes.  Analytic SEs are not valid with few treated
        units, and none are reported.

    Returns
    -------
    DiDResults: one row ``ATT`` with the estimate and the permutation p-value (``std_error`` missing); ``info``:
    ``placebo`` (statistics of the placebo assignments), ``exact``, ``n_assignments``, ``rank``.

    References
    ----------
    Conley, T. and Taber, C. (2011), "Inference with 'difference in differences' with a small number of policy
    changes", Review of Economics and Statistics 93(1); Abadie, Diamond and Hainmueller (2010) for placebos in space.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.did.permutation import placebo_permutation
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"i": np.repeat(np.arange(12), 6), "t": np.tile(np.arange(6), 12)})
    >>> df["g"] = np.where(df.i == 0, 3, 0)
    >>> df["y"] = rng.normal(0, 0.1, len(df)) + np.where((df.i == 0) & (df.t >= 3), 5.0, 0.0)
    >>> res = placebo_permutation(df, "y", unit="i", time="t", cohort="g")
    >>> round(float(res.table.p_value[0]), 4)  # the treated unit ranks first among 12: p = 1/12
    0.0833
    """
    for name, value in (("n_permutations", n_permutations), ("max_exact", max_exact)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise SpecificationError(f"{name} must be a positive integer, got {value!r}")
    if alternative not in ("two-sided", "greater", "less"):
        raise SpecificationError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    inp = staggered_inputs(data, y, unit=unit, time=time, cohort=cohort, treatment=treatment)
    g, t = inp.g, inp.t
    yv = _numeric(data, y)
    ucodes, uvals = _factorize(data[unit])
    tcodes, tvals = _factorize(data[time])
    _check_unique(ucodes, tcodes, tvals.size, data, unit, time)
    n_u = uvals.size
    g_unit = np.full(n_u, np.inf)
    g_unit[ucodes] = g
    treated_units = np.flatnonzero(np.isfinite(g_unit))
    n_t = treated_units.size
    if n_t == 0:
        raise EstimationError("no treated unit")
    if n_u - n_t < 1:
        raise EstimationError("no control unit: every unit is treated")
    dates, slot_date = np.unique(g_unit[treated_units], return_inverse=True)
    d, bad, gd = _unit_contrasts(yv, ucodes, t, dates, n_u)
    if d is None:
        raise DataError(f"unit(s) {uvals[bad][:10].tolist()} have no observation before or after period {gd:g}: every "
                        "unit needs both to serve as a placebo")
    observed = float(_statistic(d, treated_units[None, :], slot_date)[0])
    same_date = dates.size == 1
    n_assign = math.comb(n_u, n_t) if same_date else math.perm(n_u, n_t)
    exact = n_assign <= max_exact
    if exact:
        combos = itertools.combinations(range(n_u), n_t) if same_date else itertools.permutations(range(n_u), n_t)
        assign = np.fromiter(itertools.chain.from_iterable(combos), dtype=np.int64, count=n_assign * n_t)
        assign = assign.reshape(n_assign, n_t)
    else:
        rng = np.random.default_rng(seed)
        assign = np.argsort(rng.random((int(n_permutations), n_u)), axis=1)[:, :n_t]
    placebo = np.concatenate([_statistic(d, assign[i:i + 2000], slot_date) for i in range(0, len(assign), 2000)])
    tol = 1e-12 * max(1.0, abs(observed))
    if alternative == "two-sided":
        extreme = np.abs(placebo) >= abs(observed) - tol
    elif alternative == "greater":
        extreme = placebo >= observed - tol
    else:
        extreme = placebo <= observed + tol
    if exact:
        p = float(extreme.mean())  # the observed assignment is among the enumerated ones
    else:
        p = float((1 + extreme.sum()) / (1 + extreme.size))
    rank = int((np.abs(placebo) > abs(observed) + tol).sum() + 1) if alternative == "two-sided" else None
    table = pd.DataFrame({"term": ["ATT"], "estimate": [observed], "std_error": [np.nan], "statistic": [np.nan],
                          "p_value": [p], "ci_low": [np.nan], "ci_high": [np.nan],
                          "n_assignments": [int(extreme.size)], "exact": [exact]})
    info = {"n_obs": int(yv.size), "n_units": int(n_u), "n_treated_units": int(n_t), "placebo": placebo,
            "exact": exact, "n_assignments": int(extreme.size), "rank": rank, "alternative": alternative,
            "seed": None if exact else seed, "treated_units": uvals[treated_units].tolist()}
    caveats = [CAVEAT, ("exact randomisation p-value over all " if exact else "Monte Carlo p-value over ")
               + f"{extreme.size} assignments" + ("" if exact else f" (seed {seed})")]
    return DiDResults(table=table, method="Placebo-in-space permutation inference (few treated units)", info=info,
                      caveats=caveats)
