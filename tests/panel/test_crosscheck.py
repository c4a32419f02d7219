"""Cross-checks against independent implementations: linearmodels (PanelOLS, AbsorbingLS, RandomEffects,
PooledOLS, BetweenOLS, FirstDifferenceOLS) and statsmodels' dummy-variable OLS; relative tolerance 1e-8."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from linearmodels.iv import AbsorbingLS
from linearmodels.panel import BetweenOLS, FirstDifferenceOLS, PanelOLS, PooledOLS, RandomEffects

from clusterecon.panel import fit
from clusterecon.panel.absorb import demean, fe_dof

pytestmark = pytest.mark.filterwarnings("ignore::clusterecon.errors.FewClustersWarning")
RTOL = 1e-8


@pytest.mark.parametrize("weights", [None, "w"])
def test_twoways_unbalanced_matches_panelols(unbalanced_panel, weights):
    """Unbalanced two-way within (weighted and not): coefficients and classical SEs vs PanelOLS, rel 1e-8."""
    df = unbalanced_panel
    p = df.set_index(["firm", "year"])
    r = fit("y ~ x1 + x2", df, entity="firm", time="year", effects="twoways", weights=weights)
    lm = PanelOLS(p.y, p[["x1", "x2"]], entity_effects=True, time_effects=True,
                  weights=None if weights is None else p.w).fit()
    np.testing.assert_allclose(r.params, lm.params, rtol=RTOL)
    np.testing.assert_allclose(r.std_errors, lm.std_errors, rtol=RTOL)
    assert r.df_resid == lm.df_resid


def test_time_effects_matches_panelols(unbalanced_panel):
    """effects='time' (unbalanced): coefficients and classical SEs vs PanelOLS(time_effects=True), rel 1e-8."""
    df = unbalanced_panel
    p = df.set_index(["firm", "year"])
    r = fit("y ~ x1 + x2", df, entity="firm", time="year", effects="time")
    lm = PanelOLS(p.y, p[["x1", "x2"]], time_effects=True).fit()
    np.testing.assert_allclose(r.params, lm.params, rtol=RTOL)
    np.testing.assert_allclose(r.std_errors, lm.std_errors, rtol=RTOL)


@pytest.mark.parametrize("weights", [None, "w"])
def test_three_way_fe_matches_absorbingls(unbalanced_panel, weights):
    """firm + year + industry absorbed by alternating projections vs AbsorbingLS (debiased), rel 1e-8."""
    df = unbalanced_panel
    r = fit("y ~ x1 + x2 | industry", df, entity="firm", time="year", effects="twoways", weights=weights)
    ab = AbsorbingLS(df.y, df[["x1", "x2"]], absorb=df[["firm", "year", "industry"]].astype("category"),
                     weights=None if weights is None else df.w).fit(cov_type="unadjusted", debiased=True)
    np.testing.assert_allclose(r.params, ab.params, rtol=RTOL)
    np.testing.assert_allclose(r.std_errors, ab.std_errors, rtol=1e-7)


def test_cluster_vs_statsmodels_lsdv(unbalanced_panel):
    """CR0 and the LSDV convention (CR1 counting every dummy) vs statsmodels OLS with dummies, rel 1e-8."""
    df = unbalanced_panel
    for ssc, corr in (("none", False), ("lsdv", True)):
        ols = smf.ols("y ~ x1 + x2 + C(firm) + C(year)", df).fit(
            cov_type="cluster", cov_kwds={"groups": df.firm, "use_correction": corr})
        r = fit("y ~ x1 + x2", df, entity="firm", time="year", effects="twoways", vcov={"CR1": "firm", "ssc": ssc})
        np.testing.assert_allclose(r.std_errors, ols.bse[["x1", "x2"]], rtol=RTOL)


def test_two_way_clustering_vs_brute_force(unbalanced_panel):
    """CGM two-way clustering = V_firm + V_year - V_firm*year, each CR0 (ssc='none'), vs statsmodels, rel 1e-8."""
    df = unbalanced_panel
    ols = smf.ols("y ~ x1 + x2", df).fit()
    groups = np.column_stack([df.firm, df.year])
    sm2 = ols.get_robustcov_results(cov_type="cluster", groups=groups, use_correction=False)
    r = fit("y ~ x1 + x2", df, entity="firm", time="year", model="pooling",
            vcov={"CR1": ["firm", "year"], "ssc": "none"})
    np.testing.assert_allclose(r.std_errors, sm2.bse, rtol=RTOL)


def test_other_models_match_linearmodels(grunfeld):
    """pooling, between and fd (no intercept) vs linearmodels on Grunfeld, coefficients and SEs rel 1e-8."""
    p = grunfeld.set_index(["firm", "year"])
    X = sm.add_constant(p[["value", "capital"]])
    pairs = [
        ("pooling", "inv ~ value + capital", PooledOLS(p.inv, X).fit()),
        ("between", "inv ~ value + capital", BetweenOLS(p.inv, X).fit()),
        ("fd", "inv ~ value + capital - 1", FirstDifferenceOLS(p.inv, p[["value", "capital"]]).fit()),
        ("random", "inv ~ value + capital", RandomEffects(p.inv, X).fit()),
    ]
    for model, formula, lm in pairs:
        r = fit(formula, grunfeld, entity="firm", time="year", model=model)
        np.testing.assert_allclose(r.params.to_numpy(), lm.params.to_numpy(), rtol=RTOL, err_msg=model)
        if model != "random":  # linearmodels' RE scales its default covariance differently
            np.testing.assert_allclose(r.std_errors.to_numpy(), lm.std_errors.to_numpy(), rtol=RTOL, err_msg=model)
        if model in ("pooling", "between", "random"):
            for attr in ("rsquared_within", "rsquared_between", "rsquared_overall"):
                assert getattr(r, attr) == pytest.approx(getattr(lm, attr), rel=RTOL), (model, attr)


def test_alternating_projections_equal_dummy_regression(unbalanced_panel):
    """demean() by three factors equals the residual of an OLS on all their dummies (to 1e-9 absolute)."""
    df = unbalanced_panel
    codes = [pd.factorize(df[c])[0] for c in ("firm", "year", "industry")]
    D = pd.get_dummies(df[["firm", "year", "industry"]].astype(str), drop_first=False).to_numpy(float)
    x = df["x1"].to_numpy()
    resid = x - D @ np.linalg.lstsq(D, x, rcond=None)[0]
    np.testing.assert_allclose(demean(x, codes, tol=1e-14), resid, atol=1e-9)
    assert fe_dof(codes[:2]) == np.linalg.matrix_rank(D[:, : df.firm.nunique() + df.year.nunique()])
