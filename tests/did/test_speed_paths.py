"""Fast paths of the DiD estimators equal their general / reference paths to 1e-10 (issue 8 speed work).

Each fast path (panel-core demeaning in ``twfe.demean``, fixed-effect counting and nesting through the panel core,
the cell-based event study with covariates, the direct two-way solve and integer cell keys of the imputation
estimator, the shortcuts of ``att_gt``) is compared with the reference implementation kept next to it, on balanced,
unbalanced (rows dropped at random) and weighted panels.  Tolerance: 1e-10 relative to the scale of the numbers.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from clusterecon.did.att_gt import att_gt
from clusterecon.did.event_study import event_study
from clusterecon.did.imputation import did_imputation
from clusterecon.did.twfe import twfe
from clusterecon.simulate import staggered_panel

es_mod = importlib.import_module("clusterecon.did.event_study")  # the package re-exports functions of these names
imp_mod = importlib.import_module("clusterecon.did.imputation")
twfe_mod = importlib.import_module("clusterecon.did.twfe")

TOL = 1e-10


def _panel(kind: str, seed: int = 0) -> pd.DataFrame:
    d = staggered_panel(150, 7, n_covariates=2, seed=seed)
    rng = np.random.default_rng(seed + 100)
    d["w"] = rng.uniform(0.5, 2.0, d["unit"].nunique())[d["unit"].to_numpy() - d["unit"].min()]
    if kind == "unbalanced":
        d = d.loc[rng.random(len(d)) > 0.1].reset_index(drop=True)
    return d


def _close(a, b, tol=TOL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    scale = max(1.0, float(np.nanmax(np.abs(b))) if b.size else 1.0)
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)


def _codes(d):
    u = pd.factorize(d["unit"], sort=True)[0].astype(np.int64)
    t = pd.factorize(d["time"], sort=True)[0].astype(np.int64)
    return u, t


@pytest.mark.parametrize("kind", ["balanced", "unbalanced", "weighted"])
def test_demean_equals_projections_1e10(kind):
    d = _panel("unbalanced" if kind == "unbalanced" else "balanced")
    u, t = _codes(d)
    X = d[["y", "x1", "x2"]].to_numpy()
    w = d["w"].to_numpy() if kind == "weighted" else None
    fast = twfe_mod.demean(X, [u, t], w)
    ref = twfe_mod._demean_projections(X, [u, t], w, tol=1e-14)
    _close(fast, ref)
    _close(twfe_mod.demean(X[:, 0], [u, t], w), ref[:, 0])  # 1-d input stays 1-d


@pytest.mark.parametrize("kind", ["balanced", "unbalanced"])
def test_fe_count_and_nesting_equal_reference(kind):
    d = _panel(kind)
    u, t = _codes(d)
    assert twfe_mod.n_fe_params([u, t]) == twfe_mod._n_fe_params_reference([u, t])
    # a second, disconnected block of units and periods: two components
    u2, t2 = np.concatenate([u, u + u.max() + 1]), np.concatenate([t, t + t.max() + 1])
    assert twfe_mod.n_fe_params([u2, t2]) == twfe_mod._n_fe_params_reference([u2, t2])
    assert twfe_mod._is_nested(u, u // 3) is twfe_mod._is_nested_reference(u, u // 3) is True
    assert twfe_mod._is_nested(t, u) is twfe_mod._is_nested_reference(t, u) is False


@pytest.mark.parametrize("kind", ["balanced", "unbalanced", "weighted"])
@pytest.mark.parametrize("vcov", ["cluster", "hc1", "iid"])
def test_twfe_fast_demean_equals_reference(kind, vcov, monkeypatch):
    d = _panel("unbalanced" if kind == "unbalanced" else "balanced")
    w = "w" if kind == "weighted" else None
    kw = dict(unit="unit", time="time", treatment="treated", covariates=["x1", "x2"], vcov=vcov, weights=w)
    fast = twfe(d, "y", **kw).table
    monkeypatch.setattr(twfe_mod, "demean", twfe_mod._demean_projections)
    monkeypatch.setattr(twfe_mod, "n_fe_params", twfe_mod._n_fe_params_reference)
    monkeypatch.setattr(twfe_mod, "_is_nested", twfe_mod._is_nested_reference)
    ref = twfe(d, "y", **kw).table
    _close(fast["estimate"], ref["estimate"])
    _close(fast["std_error"], ref["std_error"])


@pytest.mark.parametrize("covariates", [[], ["x1", "x2"]])
@pytest.mark.parametrize("vcov", ["cluster", "hc1", "iid"])
def test_event_study_cell_path_equals_dummy_regression_1e10(covariates, vcov, monkeypatch):
    d = _panel("balanced", seed=3)
    kw = dict(unit="unit", time="time", cohort="cohort", covariates=covariates, vcov=vcov, uniform=False)
    fast = event_study(d, "y", **kw)
    monkeypatch.setattr(es_mod, "_is_balanced_2way", lambda *a, **k: False)  # the general n x k dummy regression
    monkeypatch.setattr(twfe_mod, "demean", twfe_mod._demean_projections)
    ref = event_study(d, "y", **kw)
    _close(fast.table["estimate"], ref.table["estimate"])
    _close(fast.table["std_error"], ref.table["std_error"])
    _close(fast.vcov, ref.vcov)
    assert fast.info["df"] == ref.info["df"] and fast.info["n_obs"] == ref.info["n_obs"]


@pytest.mark.parametrize("kind", ["unbalanced", "weighted"])
def test_event_study_general_path_fast_demean_equals_reference(kind, monkeypatch):
    d = _panel("unbalanced" if kind == "unbalanced" else "balanced", seed=4)
    kw = dict(unit="unit", time="time", cohort="cohort", covariates=["x1"], uniform=False,
              weights="w" if kind == "weighted" else None)
    fast = event_study(d, "y", **kw)
    monkeypatch.setattr(twfe_mod, "demean", twfe_mod._demean_projections)
    ref = event_study(d, "y", **kw)
    _close(fast.table["estimate"], ref.table["estimate"])
    _close(fast.table["std_error"], ref.table["std_error"])


@pytest.mark.parametrize("kind", ["balanced", "unbalanced"])
@pytest.mark.parametrize("horizon", [None, True])
def test_imputation_direct_solve_equals_gauss_seidel_1e10(kind, horizon, monkeypatch):
    d = _panel(kind, seed=5)
    kw = dict(unit="unit", time="time", cohort="cohort", horizon=horizon, pretrends=[-2, -1])
    fast = did_imputation(d, "y", **kw).table
    monkeypatch.setattr(imp_mod, "_two_way_direct", lambda *a, **k: None)
    monkeypatch.setattr(twfe_mod, "demean", twfe_mod._demean_projections)
    ref = did_imputation(d, "y", **kw).table
    _close(fast["estimate"], ref["estimate"])
    _close(fast["std_error"], ref["std_error"])


def test_imputation_integer_cell_codes_match_string_keys():
    rng = np.random.default_rng(7)
    g = rng.choice([3.0, 5.0, 8.0], 500)
    rel = rng.integers(-1, 6, 500).astype(float)
    codes, n_cells = imp_mod._cell_codes(g, rel)
    ref, _ = pd.factorize(pd.Series(g).astype(str) + "|" + pd.Series(rel).astype(str))
    assert n_cells == len(np.unique(ref))
    # the same partition of the rows: a one-to-one map between the two codings
    pairs = np.unique(np.stack([codes, ref], 1), axis=0)
    assert len(pairs) == n_cells == len(np.unique(pairs[:, 0])) == len(np.unique(pairs[:, 1]))


def test_two_way_solve_direct_equals_gauss_seidel_fitted_values():
    d = _panel("unbalanced", seed=8)
    u, t = _codes(d)
    n_u, n_t = int(u.max()) + 1, int(t.max()) + 1
    y = d["y"].to_numpy()
    rhs_u = np.stack([np.bincount(u, y, minlength=n_u), np.bincount(u, minlength=n_u) * 0.3], 1)
    rhs_t = np.stack([np.bincount(t, y, minlength=n_t), np.bincount(t, minlength=n_t) * 0.3], 1)
    a, b = imp_mod._two_way_direct(rhs_u, rhs_t, u, t, n_u, n_t)
    a0, b0 = imp_mod._two_way_gauss_seidel(rhs_u, rhs_t, u, t, n_u, n_t)
    _close(a[u] + b[t], a0[u] + b0[t])


@pytest.mark.parametrize("kind", ["balanced", "unbalanced", "weighted", "missing_y"])
def test_att_gt_fast_path_equals_shuffled_general_path_1e10(kind):
    d = staggered_panel(120, 6, seed=9)
    w = None
    if kind == "weighted":
        rng = np.random.default_rng(1)
        d["w"] = rng.uniform(0.5, 2.0, d["unit"].nunique())[d["unit"].to_numpy() - d["unit"].min()]
        w = "w"
    if kind == "missing_y":
        d.loc[d.index[d["unit"] == d["unit"].iloc[0]][2], "y"] = np.nan
    if kind == "unbalanced":
        d = d.drop(index=d.index[d["unit"].isin(d["unit"].unique()[:5]) & (d["time"] == 3)])
    kw = dict(weightsname=w)
    if kind in ("unbalanced", "missing_y"):
        with pytest.warns(Warning):
            fast = att_gt(d, "y", "time", "unit", "cohort", **kw)
        with pytest.warns(Warning):
            ref = att_gt(d.sample(frac=1.0, random_state=0), "y", "time", "unit", "cohort", **kw)
    else:
        fast = att_gt(d, "y", "time", "unit", "cohort", **kw)  # sorted rows: balanced fast path
        ref = att_gt(d.sample(frac=1.0, random_state=0), "y", "time", "unit", "cohort", **kw)  # general pivot
    _close(fast.att, ref.att)
    _close(fast.se, ref.se)


@pytest.mark.parametrize("kind", ["balanced", "unbalanced"])
def test_imputation_unit_cluster_scores_equal_general_cluster_path_1e10(kind):
    """cluster=None sums the untreated scores through the units x periods residual matrix; cluster='unit' takes the
    row-wise bincount path: same numbers."""
    d = _panel(kind, seed=5)
    kw = dict(unit="unit", time="time", cohort="cohort", horizon=True)
    a = did_imputation(d, "y", **kw).table
    b = did_imputation(d, "y", cluster="unit", **kw).table
    _close(a["estimate"], b["estimate"])
    _close(a["std_error"], b["std_error"])


def test_cell_codes_counting_pass_equals_unique_fallback():
    rng = np.random.default_rng(12)
    g = rng.choice([3.0, 5.0, 8.0], 400)
    rel = rng.integers(-2, 5, 400).astype(float)
    fast, n_fast = imp_mod._cell_codes(g, rel)
    slow, n_slow = imp_mod._cell_codes(g + 0.5, rel)  # non-integer cohorts: np.unique path
    assert n_fast == n_slow
    np.testing.assert_array_equal(fast, slow)  # both in sorted (cohort, event time) order


@pytest.mark.parametrize("values", [np.array([7, 3, 3, 9, 7, 12]), np.array([7.0, 3.0, 9.5]),
                                    np.array(["b", "a", "b"], dtype=object), np.array([2**40, 5, 5])])
def test_fast_factorize_equals_pandas_factorize(values):
    codes, levels = twfe_mod.fast_factorize(values)
    ref_codes, ref_levels = twfe_mod._factorize(values)
    np.testing.assert_array_equal(codes, ref_codes)
    np.testing.assert_array_equal(levels, ref_levels)


@pytest.mark.parametrize("covariates", [[], ["x1", "x2"]])
@pytest.mark.parametrize("vcov", ["cluster", "hc1"])
def test_event_study_sorted_grid_equals_shuffled_rows_1e10(covariates, vcov):
    """Sorted balanced panels take the (units x periods) view path of the cell fit, shuffled ones the bincount path."""
    d = _panel("balanced", seed=13)
    kw = dict(unit="unit", time="time", cohort="cohort", covariates=covariates, vcov=vcov, uniform=False)
    a = event_study(d, "y", **kw)
    b = event_study(d.sample(frac=1.0, random_state=1), "y", **kw)
    _close(a.table["estimate"], b.table["estimate"])
    _close(a.table["std_error"], b.table["std_error"])


def test_two_way_direct_equals_dummy_least_squares_1e11():
    """The direct first-stage solve against a brute-force OLS on explicit unit and period dummies (unbalanced rows).
    It is more exact than the Gauss-Seidel reference, whose stopping rule leaves errors of order 1e-10."""
    d = _panel("unbalanced", seed=14)
    u, t = _codes(d)
    n_u, n_t = int(u.max()) + 1, int(t.max()) + 1
    y = d["y"].to_numpy()
    a, b = imp_mod._two_way_direct(np.bincount(u, y, minlength=n_u)[:, None], np.bincount(t, y, minlength=n_t)[:, None],
                                   u, t, n_u, n_t)
    dummies = np.zeros((len(y), n_u + n_t))
    dummies[np.arange(len(y)), u] = 1.0
    dummies[np.arange(len(y)), n_u + t] = 1.0
    coef = np.linalg.lstsq(dummies, y, rcond=None)[0]
    _close(a[u, 0] + b[t, 0], dummies @ coef, tol=1e-11)


@pytest.mark.parametrize("est_method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
@pytest.mark.parametrize("time_varying", [False, True])
def test_att_gt_shared_nuisance_fits_equal_per_cell_fits(monkeypatch, est_method, control_group, time_varying):
    """Reusing the propensity score and the outcome-regression design across the cells of one cohort and control
    group gives the numbers of fitting every cell afresh (1e-10)."""
    import importlib

    from clusterecon.did import att_gt
    from clusterecon.simulate import staggered_panel

    df = staggered_panel(400, 6, n_covariates=1, seed=3)
    if not time_varying:  # make the covariate constant within units
        df["x1"] = df.groupby("unit")["x1"].transform("first")
    kw = dict(yname="y", tname="time", idname="unit", gname="cohort", xformla="~ x1", est_method=est_method,
              control_group=control_group)
    shared = att_gt(df, **kw)
    drdid = importlib.import_module("clusterecon.did._drdid")
    original = drdid.panel_did
    monkeypatch.setattr(drdid, "panel_did", lambda *a, nuisance=None, **k: original(*a, **k))
    fresh = att_gt(df, **kw)
    np.testing.assert_allclose(shared.att, fresh.att, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(shared.se, fresh.se, rtol=1e-10, atol=1e-12)
