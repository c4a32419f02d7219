"""Imputation estimator vs R didimputation's published README output on df_het (3 significant digits):
static ATT 2.26 (SE 0.0314); pre-trend coefficients -5..-1; horizon 0 estimate 1.51 (SE 0.0755) and horizons 1-4
estimates.  The README SEs for horizons >= 1 are not used: that version of didimputation re-sorted its data inside the
loop over horizons and paired the v* weights of later horizons with the wrong rows (only the first horizon is right).
Brute force: point estimates equal an explicit OLS with unit and period dummies on untreated rows (1e-8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterecon.did.imputation import did_imputation
from clusterecon.errors import EstimationError
from clusterecon.simulate import staggered_panel
from tests.conftest import frame_digest


def sig3(x):
    return float(f"{x:.3g}")


def test_didimputation_readme_df_het(shared):
    d = pd.read_csv(shared / "datasets" / "didimputation_df_het.csv")
    before = frame_digest(d)
    static = did_imputation(d, "dep_var", unit="unit", time="year", cohort="g")
    assert frame_digest(d) == before
    assert sig3(static.estimate["ATT"]) == 2.26 and sig3(static.std_error["ATT"]) == 0.0314
    es = did_imputation(d, "dep_var", unit="unit", time="year", cohort="g", horizon=True, pretrends=[-5, -4, -3, -2, -1])
    t = es.table.set_index("term")
    pre = {-5: (-0.0641, 0.0767), -4: (-0.0120, 0.0753), -3: (-0.0139, 0.0765), -2: (0.0510, 0.0770),
           -1: (0.0202, 0.0758)}
    for k, (b, s) in pre.items():
        assert sig3(t.loc[f"event_time::{k}", "estimate"]) == b and sig3(t.loc[f"event_time::{k}", "std_error"]) == s
    assert sig3(t.loc["event_time::0", "estimate"]) == 1.51 and sig3(t.loc["event_time::0", "std_error"]) == 0.0755
    for k, b in {1: 1.66, 2: 1.86, 3: 1.92, 4: 1.87}.items():
        assert sig3(t.loc[f"event_time::{k}", "estimate"]) == b


def test_point_estimates_equal_brute_force_dummy_ols_1e8():
    df = staggered_panel(30, 6, cohorts=[3, 5], seed=11, dynamic=0.4)
    res = did_imputation(df, "y", unit="unit", time="time", cohort="cohort", horizon=True)
    unt = df[df.treated == 0]
    z = pd.get_dummies(unt[["unit", "time"]].astype(str), drop_first=False).to_numpy(float)
    coef = np.linalg.lstsq(z, unt.y.to_numpy(), rcond=None)[0]
    zall = pd.get_dummies(df[["unit", "time"]].astype(str), drop_first=False).to_numpy(float)
    tau = df.y.to_numpy() - zall @ coef
    tr = df.treated.to_numpy() == 1
    for e in sorted(df.loc[tr, "event_time"].unique()):
        m = tr & (df.event_time.to_numpy() == e)
        assert abs(res.estimate[f"event_time::{e:g}"] - tau[m].mean()) < 1e-8


def test_always_treated_unit_is_named():
    df = staggered_panel(20, 5, cohorts=[3], seed=1)
    df.loc[df.unit == 4, "cohort"] = 1  # treated from the first period on
    with pytest.raises(EstimationError, match=r"\[4\]"):
        did_imputation(df, "y", unit="unit", time="time", cohort="cohort")


def test_standard_errors_equal_dense_matrix_formula_1e8():
    """BJS Theorem 3 written with dense dummy matrices: v_untreated = -Z0 (Z0'Z0)^+ Z1' w1, tau centred within
    cohort x event-time cells with v^2 weights, variance = sum over units of (sum_t v_it eps_it)^2."""
    df = staggered_panel(25, 6, cohorts=[3, 4, 5], seed=12, dynamic=0.3, noise_sd=0.5)
    res = did_imputation(df, "y", unit="unit", time="time", cohort="cohort", horizon=True)
    z = pd.get_dummies(df[["unit", "time"]].astype(str)).to_numpy(float)
    tr = df.treated.to_numpy() == 1
    z0, z1 = z[~tr], z[tr]
    beta0 = np.linalg.pinv(z0) @ df.y.to_numpy()[~tr]
    resid = df.y.to_numpy() - z @ beta0
    for e in sorted(df.loc[tr, "event_time"].unique()):
        w1 = (df.event_time.to_numpy()[tr] == e).astype(float)
        w1 /= w1.sum()
        v = np.zeros(len(df))
        v[tr] = w1
        v[~tr] = -z0 @ np.linalg.pinv(z0.T @ z0) @ z1.T @ w1
        eps = resid.copy()
        cells = df.loc[tr, ["cohort", "event_time"]].astype(str).agg("|".join, axis=1).to_numpy()
        for c in np.unique(cells):
            m = cells == c
            if (w1[m] ** 2).sum() > 0:
                tbar = (w1[m] ** 2 * resid[tr][m]).sum() / (w1[m] ** 2).sum()
                idx = np.flatnonzero(tr)[m]
                eps[idx] = resid[idx] - tbar
        var = (pd.Series(v * eps).groupby(df.unit.to_numpy()).sum() ** 2).sum()
        assert abs(res.std_error[f"event_time::{e:g}"] - np.sqrt(var)) < 1e-8
