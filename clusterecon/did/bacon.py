"""Goodman-Bacon (2021) decomposition of the TWFE DiD coefficient into 2x2 comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, EstimationError
from ._inputs import check_unique as _check_unique
from ._inputs import factorize as _factorize
from ._inputs import numeric as _numeric
from ._inputs import staggered_inputs
from .results import DiDResults
from .twfe import (
    demean,
)

__all__ = ["bacon_decomposition"]

TYPES = {
    "tu": "Treated vs Untreated",
    "el": "Earlier vs Later Treated",
    "le": "Later vs Earlier Treated",
    "la": "Later vs Always Treated",
}


def bacon_decomposition(data: pd.DataFrame, y: str, *, unit: str, time: str, treatment: str) -> DiDResults:
    """Decompose the TWFE coefficient on a binary staggered treatment into all 2x2 DiD comparisons.

    Estimand
        The TWFE coefficient ``beta = sum_k s_k beta_k``: every 2x2 DiD between two timing groups (treated vs
        never treated, earlier vs later treated using the later group's pre-period, later vs earlier treated using
        the earlier group's post-period as control, later vs always treated) with weights ``s_k`` that are
        non-negative and sum to one and depend on group sizes and the variance of treatment in each subsample.
        "Later vs Earlier" comparisons use already-treated units as controls: with effects that change over time they
        bias TWFE (they are the "forbidden comparisons").
    Assumptions
        Balanced panel, binary absorbing treatment, no covariates (Goodman-Bacon 2021, Theorem 1).

    Returns
    -------
    DiDResults whose table has one row per 2x2 comparison (``term`` = "treated_group vs control_group",
    ``type``, ``treated``, ``control``, ``estimate``, ``weight``); ``info`` holds ``twfe`` (the coefficient
    recomputed by regression), ``weighted_sum`` and ``by_type`` (total weight and weighted-average estimate per
    type).  No standard errors (the decomposition is descriptive).

    References
    ----------
    Goodman-Bacon, A. (2021), "Difference-in-differences with variation in treatment timing", J. Econometrics.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.did.bacon import bacon_decomposition
    >>> df = pd.DataFrame({"i": np.repeat([1, 2, 3], 4), "t": np.tile([1, 2, 3, 4], 3)})
    >>> df["d"] = ((df.i == 1) & (df.t >= 2) | (df.i == 2) & (df.t >= 4)).astype(int)
    >>> df["y"] = df.d * (1.0 + df.i) + 0.1 * df.t
    >>> res = bacon_decomposition(df, "y", unit="i", time="t", treatment="d")
    >>> abs(res.info["weighted_sum"] - res.info["twfe"]) < 1e-12
    True
    """
    g = staggered_inputs(data, y, unit=unit, time=time, treatment=treatment).g
    ucodes, uvals = _factorize(data[unit])
    tcodes, tvals = _factorize(data[time])
    _check_unique(ucodes, tcodes, tvals.size, data, unit, time)
    n_u, n_t = uvals.size, tvals.size
    if ucodes.size != n_u * n_t:
        counts = np.bincount(ucodes, minlength=n_u)
        short = uvals[counts < n_t][:10].tolist()
        raise DataError(f"the Bacon decomposition needs a balanced panel; unit(s) {short} miss periods")
    yv = _numeric(data, y)
    d = _numeric(data, treatment)
    # unit-level first treatment as an index into the sorted periods; never -> n_t, always -> 0
    g_unit = np.full(n_u, np.inf)
    g_unit[ucodes] = g
    start = np.searchsorted(tvals.astype(float), g_unit)  # index of the first treated period (n_t when never)
    ymat = np.zeros((n_u, n_t))
    ymat[ucodes, tcodes] = yv
    groups, ginv = np.unique(start, return_inverse=True)
    n_grp = np.bincount(ginv).astype(float)
    share = n_grp / n_u
    dbar = (n_t - groups) / n_t  # share of periods treated
    cum = np.zeros((groups.size, n_t + 1))  # prefix sums of the group-mean outcome over periods
    gmean = np.stack([ymat[ginv == j].mean(axis=0) for j in range(groups.size)])  # loop over timing groups
    cum[:, 1:] = np.cumsum(gmean, axis=1)

    def seg(j, a, b):  # mean of group j's mean outcome over period indices [a, b)
        return (cum[j, b] - cum[j, a]) / (b - a)

    dd = demean(d, [ucodes, tcodes])
    v_d = float(dd @ dd) / d.size
    if v_d <= 0:
        raise EstimationError(f"treatment {treatment!r} has no variation beyond the unit and period effects")
    rows = []
    label = {j: ("Never" if s == n_t else ("Always" if s == 0 else str(tvals[s]))) for j, s in enumerate(groups)}
    for a in range(groups.size):  # loops over pairs of timing groups (few), not units
        for b in range(a + 1, groups.size):
            k, m = groups[a], groups[b]  # k earlier than m
            nk, nl = share[a], share[b]
            nkl = nk / (nk + nl)
            dk, dl = dbar[a], dbar[b]
            if m == n_t:  # m never treated -> k treated vs untreated (k always-treated has no variation)
                if k == 0:
                    continue
                w = (nk + nl) ** 2 * nkl * (1 - nkl) * dk * (1 - dk) / v_d
                est = (seg(a, k, n_t) - seg(a, 0, k)) - (seg(b, k, n_t) - seg(b, 0, k))
                rows.append(("tu", label[a], label[b], est, w))
                continue
            if k == 0:  # k always treated: m treated vs always-treated controls
                w = (nk + nl) ** 2 * nkl * (1 - nkl) * dl * (1 - dl) / v_d
                est = (seg(b, m, n_t) - seg(b, 0, m)) - (seg(a, m, n_t) - seg(a, 0, m))
                rows.append(("la", label[b], label[a], est, w))
                continue
            # earlier k vs later m (window before m), later m vs earlier k (window after k)
            w_kl = ((nk + nl) * (1 - dl)) ** 2 * nkl * (1 - nkl) * ((dk - dl) / (1 - dl)) * ((1 - dk) / (1 - dl)) / v_d
            est_kl = (seg(a, k, m) - seg(a, 0, k)) - (seg(b, k, m) - seg(b, 0, k))
            rows.append(("el", label[a], label[b], est_kl, w_kl))
            w_lk = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * ((dk - dl) / dk) / v_d
            est_lk = (seg(b, m, n_t) - seg(b, k, m)) - (seg(a, m, n_t) - seg(a, k, m))
            rows.append(("le", label[b], label[a], est_lk, w_lk))
    table = pd.DataFrame(rows, columns=["code", "treated", "control", "estimate", "weight"])
    table["type"] = table["code"].map(TYPES)
    table["term"] = table["treated"] + " vs " + table["control"]
    table["std_error"] = np.nan
    for col in ("statistic", "p_value", "ci_low", "ci_high"):  # no sampling inference for a decomposition
        table[col] = np.nan
    table = table.drop(columns="code")[["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high",
                                        "weight", "type", "treated", "control"]]
    yd = demean(yv, [ucodes, tcodes])
    beta = float(dd @ yd / (dd @ dd))
    wsum = float((table["estimate"] * table["weight"]).sum())
    by_type = table.groupby("type").apply(
        lambda f: pd.Series({"weight": f["weight"].sum(),
                             "avg_estimate": np.average(f["estimate"], weights=f["weight"])
                             if f["weight"].sum() > 0 else np.nan}), include_groups=False)
    info = {"twfe": beta, "weighted_sum": wsum, "total_weight": float(table["weight"].sum()), "by_type": by_type,
            "n_obs": int(yv.size), "n_units": int(n_u), "n_periods": int(n_t)}
    caveats = [f"TWFE coefficient {beta:.6g} = weighted sum of the 2x2 estimates {wsum:.6g}",
               "descriptive decomposition: no standard errors"]
    return DiDResults(table=table, method="Goodman-Bacon decomposition", info=info, caveats=caveats)
