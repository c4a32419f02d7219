"""The fast path of the panel core (issue 8) gives the numbers of the reference path and of independent packages.

Fast path: plain ``y ~ x1 + x2`` formulas read straight from the columns, closed-form / direct two-way demeaning
(no alternating projections), normal equations with refinement on large samples, bincount cluster meat.  References:
the package's own reference path (``fit(..., _fast=False)``: formulaic design matrix, alternating projections, QR),
linearmodels ``PanelOLS`` (coefficients) and statsmodels OLS/WLS on explicit dummies with cluster-robust covariance
(Stata/areg small-sample factor = our ``ssc="lsdv"``).  Tolerance 1e-8 (relative) throughout unless stated.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clusterecon.errors import DataWarning
from clusterecon.panel import absorb, fit
from clusterecon.panel import models as panel_models
from tests.conftest import frame_digest

TOL = 1e-8


def _panel(n_units=60, T=8, seed=3, drop=0.25, singletons=0, weights=False):
    """Seeded synthetic panel: unbalanced by random dropping, optional singleton units and weights."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"firm": np.repeat(np.arange(n_units), T), "year": np.tile(np.arange(2001, 2001 + T), n_units)})
    if drop:
        df = df.loc[rng.random(len(df)) > drop].reset_index(drop=True)
    if singletons:  # extra units observed in one period only
        extra = pd.DataFrame({"firm": np.arange(n_units, n_units + singletons),
                              "year": rng.integers(2001, 2001 + T, size=singletons)})
        df = pd.concat([df, extra], ignore_index=True)
    a = rng.normal(size=df["firm"].max() + 1)[df["firm"]]
    g = rng.normal(size=T)[df["year"] - 2001]
    df["x1"] = rng.normal(size=len(df)) + a
    df["x2"] = rng.normal(size=len(df)) * 3 + g + 10.0
    df["x3"] = rng.normal(size=len(df))
    df["y"] = 0.5 * df["x1"] - 0.3 * df["x2"] + 0.2 * df["x3"] + a + g + rng.normal(size=len(df))
    if weights:
        df["w"] = rng.uniform(0.5, 2.0, size=len(df))
    return df


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def _fit(df, formula="y ~ x1 + x2 + x3", **kw):
    kw.setdefault("entity", "firm")
    kw.setdefault("time", "year")
    kw.setdefault("model", "within")
    kw.setdefault("effects", "twoways")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return fit(formula, df, **kw)


CASES = {
    "balanced": dict(drop=0.0),
    "unbalanced": dict(drop=0.25),
    "weighted": dict(drop=0.25, weights=True),
    "singletons": dict(drop=0.25, singletons=7),
    "balanced_weighted": dict(drop=0.0, weights=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("vcov", ["classical", {"CR1": "firm"}, "HC1", {"CR1": ["firm", "year"], "warn": False}])
def test_fast_equals_reference_path_1e8(case, vcov, monkeypatch):
    """Fast vs reference path (formulaic + projections + QR), normal equations forced on: params and cov to 1e-8."""
    df = _panel(**CASES[case])
    w = "w" if "w" in df else None
    ref = _fit(df, vcov=vcov, weights=w, _fast=False)
    monkeypatch.setattr(panel_models, "_QR_MAX_ROWS", 0)
    new = _fit(df, vcov=vcov, weights=w)
    assert _rel(new.params, ref.params) < TOL
    assert _rel(new.cov.to_numpy(), ref.cov.to_numpy()) < TOL
    assert new.df_resid == ref.df_resid
    assert abs(new.rsquared - ref.rsquared) < TOL
    assert abs(new.rsquared_within - ref.rsquared_within) < TOL
    assert abs(new.rsquared_overall - ref.rsquared_overall) < TOL
    assert abs(new.rsquared_between - ref.rsquared_between) < TOL


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_matches_linearmodels_coefficients_1e8(case):
    """Two-way within coefficients equal linearmodels PanelOLS(entity_effects, time_effects) to 1e-8."""
    from linearmodels import PanelOLS

    df = _panel(**CASES[case])
    w = "w" if "w" in df else None
    ours = _fit(df, vcov={"CR1": "firm"}, weights=w)
    d = df.set_index(["firm", "year"])
    lm = PanelOLS(d["y"], d[["x1", "x2", "x3"]], entity_effects=True, time_effects=True,
                  weights=d["w"] if w else None, singletons=True).fit()
    assert _rel(ours.params.to_numpy(), lm.params.to_numpy()) < TOL


@pytest.mark.parametrize("case", ["unbalanced", "weighted", "singletons", "balanced"])
def test_fast_path_cluster_se_matches_statsmodels_lsdv_1e8(case, monkeypatch):
    """Coefficients and CR1 covariance (areg/LSDV small-sample factor) equal statsmodels OLS/WLS on the firm and year
    dummies with cov_type='cluster' to 1e-8; normal equations forced on."""
    import statsmodels.api as sm

    df = _panel(**CASES[case])
    w = "w" if "w" in df else None
    monkeypatch.setattr(panel_models, "_QR_MAX_ROWS", 0)
    ours = _fit(df, vcov={"CR1": "firm", "ssc": "lsdv"}, weights=w)
    D = pd.get_dummies(df[["firm", "year"]].astype(str), drop_first=True, dtype=float)
    X = pd.concat([df[["x1", "x2", "x3"]], D], axis=1)
    X.insert(0, "const", 1.0)
    mod = sm.WLS(df["y"], X, weights=df["w"]) if w else sm.OLS(df["y"], X)
    res = mod.fit(cov_type="cluster", cov_kwds={"groups": df["firm"].to_numpy()})
    names = ["x1", "x2", "x3"]
    assert _rel(ours.params.to_numpy(), res.params[names].to_numpy()) < TOL
    assert _rel(ours.cov.to_numpy(), res.cov_params().loc[names, names].to_numpy()) < TOL


@pytest.mark.parametrize("dense", [True, False])
def test_direct_two_way_demeaning_equals_projections_1e10(dense, monkeypatch):
    """Closed form (balanced) and direct solve (unbalanced, weighted, two connected components) equal alternating
    projections to 1e-10 of the column scale; the degrees-of-freedom shortcut equals the full bipartite-graph count.
    Both ways of building the incidence table (dense counts, sparse matrix) are exercised."""
    if not dense:
        monkeypatch.setattr(absorb, "_DENSE_INCIDENCE_MAX", 0)
    rng = np.random.default_rng(11)
    nu, T = 200, 6
    a0, b0 = np.repeat(np.arange(nu), T), np.tile(np.arange(T), nu)
    masks = {
        "balanced": np.ones(nu * T, bool),
        "unbalanced": rng.random(nu * T) > 0.3,
        "two_components": ~(((a0 < 80) & (b0 >= 3)) | ((a0 >= 80) & (b0 < 3))),
    }
    for name, keep in masks.items():
        a, b = np.unique(a0[keep], return_inverse=True)[1], np.unique(b0[keep], return_inverse=True)[1]
        X = rng.normal(size=(len(a), 3)) * [1.0, 50.0, 1e-3] + [0.0, 1e3, 0.0]
        for w in (None, rng.uniform(0.5, 2.0, len(a))):
            fast = absorb.demean(X, [a, b], w)
            slow = absorb.demean(X, [a, b], w, method="projections")
            assert np.max(np.abs(fast - slow) / np.abs(X).max(axis=0)) < 1e-10, name
            # the direct solve is exact: group means by both factors vanish
            for c in (a, b):
                sums = np.stack([np.bincount(c, (fast[:, j] * (1 if w is None else w)), minlength=c.max() + 1)
                                 for j in range(3)], axis=1)
                assert np.max(np.abs(sums)) < 1e-9 * np.abs(X).max()
        full = absorb.coo_matrix((np.ones(len(a)), (a, b + a.max() + 1)), shape=(a.max() + b.max() + 2,) * 2)
        ncomp = absorb.connected_components(full, directed=False)[0]
        assert absorb.fe_dof([a, b]) == a.max() + 1 + b.max() + 1 - ncomp
    assert absorb.fe_dof([a, b]) == nu + T - 2  # two components in the last case


def test_integer_factorize_matches_pandas():
    """Hash-free integer factorisation equals pd.factorize(sort=True) (negative values, gaps, wide range)."""
    rng = np.random.default_rng(5)
    for arr in (rng.integers(-50, 50, 1000), np.array([7, 3, 3, 1000, 7]), rng.integers(0, 10**12, 100)):
        codes, g = absorb.factorize(arr)
        ref, levels = pd.factorize(arr, sort=True)
        assert g == len(levels) and np.array_equal(codes, ref)


@pytest.mark.parametrize("rhs,model", [("x2 + x1", "within"), ("x1 + x1 + x3", "within"), ("x1 + x2 - 1", "pooling"),
                                       ("0 + x1 + x2", "pooling"), ("1 + x1", "pooling"), ("x1 + x2", "random"),
                                       ("x1 + x2", "fd"), ("x1 + x2", "between"), ("np.log(x2) + x1", "within")])
def test_simple_formula_parser_matches_formulaic(rhs, model):
    """Plain formulas (read without formulaic) give the same terms, order and estimates as the formulaic path."""
    df = _panel(drop=0.2)
    kw = dict(model=model, effects="twoways" if model == "within" else "individual", vcov="classical")
    new, ref = _fit(df, f"y ~ {rhs}", **kw), _fit(df, f"y ~ {rhs}", _fast=False, **kw)
    assert list(new.params.index) == list(ref.params.index)
    assert _rel(new.params, ref.params) < TOL
    assert _rel(new.cov.to_numpy(), ref.cov.to_numpy()) < TOL


def test_fast_path_missing_values_and_no_mutation():
    """Rows with missing values are dropped exactly as on the reference path; the caller's frame is unchanged."""
    df = _panel(drop=0.1, weights=True)
    df.loc[[3, 50, 77], "x2"] = np.nan
    df.loc[[10], "y"] = np.nan
    before = frame_digest(df)
    with pytest.warns(DataWarning, match="dropped 4"):
        new = fit("y ~ x1 + x2 + x3", df, entity="firm", time="year", effects="twoways", weights="w",
                  vcov={"CR1": "firm"})
    assert frame_digest(df) == before
    ref = _fit(df, weights="w", vcov={"CR1": "firm"}, _fast=False)
    assert new.nobs == ref.nobs == len(df) - 4
    assert _rel(new.params, ref.params) < TOL and _rel(new.cov.to_numpy(), ref.cov.to_numpy()) < TOL


def test_fast_path_collinear_regressor_still_named(monkeypatch):
    """Near-singular X'X falls back to QR, so collinearity errors still name the regressor."""
    from clusterecon.errors import EstimationError

    df = _panel(drop=0.1)
    df["x4"] = df["x1"] - 2 * df["x3"]
    monkeypatch.setattr(panel_models, "_QR_MAX_ROWS", 0)
    with pytest.raises(EstimationError, match="collinear"):
        _fit(df, "y ~ x1 + x3 + x4")
