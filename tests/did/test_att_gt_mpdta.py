"""att_gt / aggte on R did's mpdta against (a) the numbers printed in R did's README and (b) brute force.

(a) R did README (bcallaway11/did, "A short example"): ``att_gt(yname="lemp", tname="year", idname="countyreal",
gname="first.treat", xformla=~1, est_method="reg")`` (without covariates "reg" = "dr" = "ipw"); ATT(g,t) printed
to 4 decimals, the Wald pre-test p-value to 5; ``aggte(type="dynamic")`` and ``aggte(type="group")`` estimates to 4.
The printed standard errors there are bootstrap ones (1000 Rademacher draws), so they are only compared loosely.

(c) With ~lpop ("dr"): the analytic output printed to 7 digits by Stata's csdid, which replicates R did with
bstrap=FALSE: every ATT(g,t), SE, the Wald pre-test and all four aggregations with their SEs.

(b) Brute force, written independently here: every ATT(g,t) as a statsmodels OLS of the long difference on the
treatment dummy within the cell (tolerance 1e-10), its influence function from the textbook formula, analytic SEs
(rel. 1e-8); the aggregations from R's ``compute.aggte`` formulas written out literally with dense matrices
(rel. 1e-8); with covariates (~lpop, "dr") each cell from statsmodels GLM-logit and WLS fits (1e-8) and the SEs
from numerical Gateaux derivatives of the whole att_gt -> aggte pipeline (rel. 1e-5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from clusterecon.did.aggte import aggte
from clusterecon.did.att_gt import att_gt
from tests.conftest import frame_digest

pytestmark = pytest.mark.shared

README_ATT = {  # (g, t): ATT(g,t) printed in R did's README
    (2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373, (2004, 2007): -0.1008,
    (2006, 2004): 0.0065, (2006, 2005): -0.0028, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
    (2007, 2004): 0.0305, (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261,
}
README_BOOT_SE = [0.0241, 0.0313, 0.0380, 0.0337, 0.0223, 0.0196, 0.0188, 0.0202, 0.0154, 0.0168, 0.0190, 0.0182]
README_DYNAMIC = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}
README_DYNAMIC_OVERALL = -0.0772
README_GROUP = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}
README_GROUP_OVERALL = -0.031
README_PRETEST_P = 0.16812


@pytest.fixture(scope="module")
def mpdta(shared):
    return pd.read_csv(shared / "reference" / "data" / "mpdta.csv")


@pytest.fixture(scope="module")
def res(mpdta):
    return att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat")


# ----------------------------------------------------------------------------- brute force helpers
def brute_cells(df):
    """Every ATT(g,t) (never-treated, varying base) and its n-vector influence function, by brute force."""
    wide = df.pivot(index="countyreal", columns="year", values="lemp")
    g = df.groupby("countyreal")["first.treat"].first().reindex(wide.index).to_numpy()
    years = list(wide.columns)
    n = len(wide)
    out = []
    for gv in sorted(set(g) - {0}):
        for j, t in enumerate(years[1:], start=1):
            b = years[j - 1] if gv > t else max(y for y in years if y < gv)
            dy = (wide[t] - wide[b]).to_numpy()
            sel = (g == gv) | (g == 0)
            d = (g[sel] == gv).astype(float)
            ols = sm.OLS(dy[sel], sm.add_constant(d)).fit()
            att = ols.params[1]
            mu1, mu0 = dy[g == gv].mean(), dy[g == 0].mean()
            p1, p0 = np.mean(g == gv), np.mean(g == 0)
            inf = np.where(g == gv, (dy - mu1) / p1, 0.0) - np.where(g == 0, (dy - mu0) / p0, 0.0)
            out.append((gv, t, att, inf))
    return out, g, n


def r_wif(keepers, pg, G, group):
    """R did's wif(), literally (weights all one)."""
    S = pg[keepers].sum()
    if1 = np.column_stack([((G == group[k]).astype(float) - pg[k]) / S for k in keepers])
    tot = np.column_stack([(G == group[k]).astype(float) - pg[k] for k in keepers]).sum(axis=1)
    if2 = np.outer(tot, pg[keepers] / S**2)
    return if1 - if2


# ----------------------------------------------------------------------------- (a) printed R output
def test_att_gt_matches_r_readme_printed_to_4_decimals(mpdta):
    for method in ("reg", "dr", "ipw"):
        r = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat", est_method=method)
        got = {(int(g), int(t)): a for g, t, a in zip(r.group, r.time, r.att)}
        assert set(got) == set(README_ATT)
        for k, v in README_ATT.items():
            assert round(got[k], 4) == pytest.approx(v, abs=1e-12), (method, k)
        assert round(r.wald_pvalue, 5) == pytest.approx(README_PRETEST_P, abs=1e-12)
        assert r.wald_df == 5


def test_analytic_se_close_to_readme_bootstrap_se(res):
    """The README's SEs are bootstrap draws: agreement to ~10% is all that can be asked."""
    np.testing.assert_allclose(res.se, README_BOOT_SE, rtol=0.1)


def test_aggte_matches_r_readme_printed(res):
    dyn = aggte(res, type="dynamic")
    assert round(dyn.overall_att, 4) == pytest.approx(README_DYNAMIC_OVERALL, abs=1e-12)
    assert dict(zip(dyn.egt.tolist(), np.round(dyn.att_egt, 4).tolist())) == README_DYNAMIC
    grp = aggte(res, type="group")
    assert round(grp.overall_att, 3) == pytest.approx(README_GROUP_OVERALL, abs=1e-12)
    assert dict(zip(grp.egt.tolist(), np.round(grp.att_egt, 4).tolist())) == README_GROUP
    # the README's overall SEs (bootstrap) 0.0196 and 0.0123
    assert dyn.overall_se == pytest.approx(0.0196, rel=0.1)
    assert grp.overall_se == pytest.approx(0.0123, rel=0.1)


# ----------------------------------------------------------------------------- (b) brute force, no covariates
def test_att_gt_equals_bruteforce_1e10_and_se_1e8(mpdta, res):
    cells, g, n = brute_cells(mpdta)
    assert [(c[0], c[1]) for c in cells] == list(zip(res.group, res.time))
    np.testing.assert_allclose(res.att, [c[2] for c in cells], rtol=0, atol=1e-10)
    IF = np.column_stack([c[3] for c in cells])
    se = np.sqrt((IF**2).sum(axis=0)) / n
    np.testing.assert_allclose(res.se, se, rtol=1e-8)
    # the stored (closed-form) influence functions equal the brute-force ones, unit by unit
    pos = {u: k for k, u in enumerate(res.unit_ids)}
    rows = [pos[u] for u in np.sort(mpdta.countyreal.unique())]
    np.testing.assert_allclose(res.influence_matrix()[rows], IF, rtol=0, atol=1e-9)
    # Wald pre-test from the brute-force covariance
    pre = res.group > res.time
    V = IF.T @ IF / n
    W = n * res.att[pre] @ np.linalg.solve(V[np.ix_(pre, pre)], res.att[pre])
    assert res.wald_stat == pytest.approx(W, rel=1e-8)


def test_aggte_equals_r_formulas_written_out(mpdta, res):
    cells, G, n = brute_cells(mpdta)
    IF = np.column_stack([c[3] for c in cells])
    att = res.att
    group, time = res.group, res.time
    glist = np.array([2004, 2006, 2007])
    pgg = np.array([np.mean(G == g) for g in glist])
    pg = pgg[np.searchsorted(glist, group)]
    se = lambda f: np.sqrt(np.mean(f**2) / n)  # noqa: E731
    # simple
    keep = np.nonzero(group <= time)[0]
    f = IF[:, keep] @ (pg[keep] / pg[keep].sum()) + r_wif(keep, pg, G, group) @ att[keep]
    simple = aggte(res, type="simple")
    assert simple.overall_att == pytest.approx((att[keep] * pg[keep]).sum() / pg[keep].sum(), abs=1e-12)
    assert simple.overall_se == pytest.approx(se(f), rel=1e-8)
    # dynamic
    dyn = aggte(res, type="dynamic")
    fe = []
    for e, a_e, s_e in zip(dyn.egt, dyn.att_egt, dyn.se_egt):
        w_ = np.nonzero(time - group == e)[0]
        pge = pg[w_] / pg[w_].sum()
        assert a_e == pytest.approx((att[w_] * pge).sum(), abs=1e-12)
        f = IF[:, w_] @ pge + r_wif(w_, pg, G, group) @ att[w_]
        assert s_e == pytest.approx(se(f), rel=1e-8)
        fe.append(f)
    fe = np.column_stack(fe)
    epos = dyn.egt >= 0
    assert dyn.overall_se == pytest.approx(se(fe[:, epos].mean(axis=1)), rel=1e-8)
    # calendar
    cal = aggte(res, type="calendar")
    fc = []
    for t1, a_t, s_t in zip(cal.egt, cal.att_egt, cal.se_egt):
        w_ = np.nonzero((time == t1) & (group <= time))[0]
        pgt = pg[w_] / pg[w_].sum()
        assert a_t == pytest.approx((att[w_] * pgt).sum(), abs=1e-12)
        f = IF[:, w_] @ pgt + r_wif(w_, pg, G, group) @ att[w_]
        assert s_t == pytest.approx(se(f), rel=1e-8)
        fc.append(f)
    assert cal.overall_se == pytest.approx(se(np.column_stack(fc).mean(axis=1)), rel=1e-8)
    # group: per-group SEs have no weight term; the overall uses R's wif(keepers=1:length(glist), group=group)
    grp = aggte(res, type="group")
    fg = []
    for gv, s_g in zip(grp.egt, grp.se_egt):
        w_ = np.nonzero((group == gv) & (group <= time))[0]
        f = IF[:, w_] @ (pg[w_] / pg[w_].sum())
        assert s_g == pytest.approx(se(f), rel=1e-8)
        fg.append(f)
    fg = np.column_stack(fg)
    k = np.arange(len(glist))
    f_r = fg @ (pgg / pgg.sum()) + r_wif(k, pgg, G, group) @ grp.att_egt
    assert grp.overall_se == pytest.approx(se(f_r), rel=1e-8)
    f_fixed = fg @ (pgg / pgg.sum()) + r_wif(k, pgg, G, glist) @ grp.att_egt
    fixed = aggte(res, type="group", r_compat=False)
    assert fixed.overall_se == pytest.approx(se(f_fixed), rel=1e-8)
    assert fixed.overall_att == grp.overall_att


# ----------------------------------------------------------------------------- (b) with covariates
def _dr_cell_statsmodels(dy, d, x):
    X = sm.add_constant(x)
    ps = sm.GLM(d, X, family=sm.families.Binomial()).fit(tol=1e-13).fittedvalues
    beta = sm.WLS(dy[d == 0], X[d == 0]).fit().params
    r = dy - X @ beta
    wt, wc = d, ps * (1 - d) / (1 - ps)
    return (wt * r).sum() / wt.sum() - (wc * r).sum() / wc.sum()


def test_att_gt_lpop_dr_equals_statsmodels_1e8(mpdta):
    r = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat", xformla="~ lpop")
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    first = mpdta.groupby("countyreal")[["first.treat", "lpop"]].first().reindex(wide.index)
    g, x = first["first.treat"].to_numpy(), first["lpop"].to_numpy()
    years = list(wide.columns)
    for gv, t, a in zip(r.group, r.time, r.att):
        j = years.index(t)
        b = years[j - 1] if gv > t else max(y for y in years if y < gv)
        sel = (g == gv) | (g == 0)
        dy = (wide[t] - wide[b]).to_numpy()[sel]
        assert a == pytest.approx(_dr_cell_statsmodels(dy, (g[sel] == gv).astype(float), x[sel]), abs=1e-8)


def _pipeline(df, w):
    d = df.assign(_w=np.repeat(w, 5))
    r = att_gt(d, yname="lemp", tname="year", idname="countyreal", gname="first.treat", xformla="~ lpop",
               weightsname="_w")
    a = [aggte(r, type=t, r_compat=False).overall_att for t in ("simple", "group", "dynamic", "calendar")]
    return np.concatenate([r.att, a])


def test_lpop_influence_functions_equal_gateaux_derivatives(mpdta):
    """IF_i = d/d eps of the estimate at the empirical distribution tilted towards unit i (central differences):
    checks the cell IFs (propensity-score and regression terms included) and the aggregated IFs with their
    weight-estimation terms, without using any formula from the implementation.  Rel. 1e-5 (finite differences)."""
    df = mpdta.sort_values(["countyreal", "year"]).reset_index(drop=True)
    n = df.countyreal.nunique()
    r = att_gt(df, yname="lemp", tname="year", idname="countyreal", gname="first.treat", xformla="~ lpop")
    M = r.influence_matrix()
    aggs = [aggte(r, type=t, r_compat=False) for t in ("simple", "group", "dynamic", "calendar")]
    Magg = np.column_stack([a.influence_overall.materialize()[:, 0] for a in aggs])
    M = np.column_stack([M, Magg])
    ids = np.sort(df.countyreal.unique())
    rows = {u: k for k, u in enumerate(r.unit_ids)}
    eps = 1e-5
    for i in (0, 7, 123, 250, 311, 499):
        wp = np.full(n, 1 - eps)
        wp[i] += n * eps
        wm = np.full(n, 1 + eps)
        wm[i] -= n * eps
        g = (_pipeline(df, wp) - _pipeline(df, wm)) / (2 * eps)
        np.testing.assert_allclose(g, M[rows[ids[i]]], rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- bootstrap, options, results
def test_bootstrap_equals_bruteforce_loop(res):
    from clusterecon.did.bootstrap import multiplier_bootstrap, rademacher_matrix

    inf = res.influence
    bo = multiplier_bootstrap(inf, biters=199, seed=11)
    V = rademacher_matrix(11, 199, inf.n, inf.store.starts)
    M = inf.materialize()
    bres = np.array([V[b] @ M / np.sqrt(inf.n) for b in range(199)])  # the loop over draws
    np.testing.assert_allclose(bo.bres, bres, rtol=0, atol=1e-5 * np.abs(bres).max())
    q = lambda a, p: np.quantile(a, p, axis=0, method="inverted_cdf")  # noqa: E731
    bsig = (q(bres, 0.75) - q(bres, 0.25)) / 1.3489795003921634
    np.testing.assert_allclose(bo.se, bsig / np.sqrt(inf.n), rtol=1e-4)
    crit = np.quantile(np.abs(bres / bsig).max(axis=1), 0.95, method="inverted_cdf")
    assert bo.crit_val == pytest.approx(crit, rel=1e-4)
    again = multiplier_bootstrap(inf, biters=199, seed=11)
    np.testing.assert_array_equal(again.bres, bo.bres)


def test_gaussian_multipliers_sample_the_analytic_covariance(res, mpdta):
    """With N(0,1) multipliers each draw is exactly N(0, IF'IF/n): sampled from a root of the brute-force Gram."""
    from clusterecon.did.bootstrap import multiplier_bootstrap

    inf = res.influence
    bo = multiplier_bootstrap(inf, biters=4000, seed=9, weights="gaussian")
    M = inf.materialize()
    cov = M.T @ M / inf.n
    vals, vecs = np.linalg.eigh(cov)
    ref = np.random.default_rng(9).standard_normal((4000, inf.m)) @ (vecs * np.sqrt(np.clip(vals, 0, None))).T
    np.testing.assert_allclose(bo.bres, ref, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(bo.se, res.se_analytic, rtol=0.06)
    r2 = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                bstrap=True, bweights="gaussian", biters=300, seed=1)
    assert np.isfinite(r2.se).all()


def test_cluster_bootstrap_uses_cluster_sums(mpdta):
    from clusterecon.did.bootstrap import multiplier_bootstrap, rademacher_matrix

    df = mpdta.assign(state=mpdta.countyreal // 1000)
    r = att_gt(df, yname="lemp", tname="year", idname="countyreal", gname="first.treat", clustervars="state")
    inf = r.influence
    codes = inf.store.cluster
    G = codes.max() + 1
    S = np.zeros((G, inf.m))
    np.add.at(S, codes, inf.materialize())
    np.testing.assert_allclose(r.se_analytic, np.sqrt((S**2).sum(axis=0)) / r.n, rtol=1e-10)
    bo = multiplier_bootstrap(inf, biters=99, seed=5)
    bres = rademacher_matrix(5, 99, G) @ S / np.sqrt(G)
    np.testing.assert_allclose(bo.bres, bres, atol=1e-5 * np.abs(bres).max())


def test_uniform_band_and_plot(res, mpdta):
    import matplotlib

    matplotlib.use("Agg")
    r = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat", bstrap=True,
               cband=True, biters=500, seed=2)
    assert r.crit_val > 1.96 and r.cband
    tab = r.to_frame()
    assert (tab.ci_kind == "uniform").all()
    np.testing.assert_allclose(tab.ci_high - tab.estimate, r.crit_val * r.se)
    r2 = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat", bstrap=True,
                cband=True, biters=500, seed=2)
    np.testing.assert_array_equal(r.se, r2.se)
    es = aggte(res, type="dynamic", cband=True, bstrap=True, biters=500, seed=3)
    assert es.cband and es.crit_val_egt > 1.96
    ax = es.plot()
    # thin uniform band drawn beyond the thick pointwise interval
    assert len(ax.collections) >= 4
    assert "uniform" in ax.get_title()
    assert "Wald pre-test" in res.summary()
    res.plot()


def test_options_against_bruteforce_means(mpdta):
    """not-yet-treated controls, universal base period and anticipation against cell means computed here."""
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.groupby("countyreal")["first.treat"].first().reindex(wide.index).to_numpy()

    def did(gv, t, b, ctrl):
        dy = (wide[t] - wide[b]).to_numpy()
        return dy[g == gv].mean() - dy[ctrl].mean()

    r = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
               control_group="notyettreated")
    for gv, t, b, a in zip(r.group, r.time, r.base, r.att):
        ctrl = (g == 0) | ((g > max(t, b)) & (g != gv))
        assert a == pytest.approx(did(gv, t, b, ctrl), abs=1e-12)
    r = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
               base_period="universal")
    assert len(r.att) == 15
    for gv, t, b, a in zip(r.group, r.time, r.base, r.att):
        assert b == gv - 1
        assert a == pytest.approx(0.0 if t == b else did(gv, t, b, g == 0), abs=1e-12)
    with pytest.warns(Warning, match="no pre-treatment period"):
        r = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat", anticipation=1)
    assert 2004 not in set(r.group)
    for gv, t, b, a in zip(r.group, r.time, r.base, r.att):
        if t >= gv - 1:
            assert b == gv - 2
        assert a == pytest.approx(did(gv, t, b, g == 0), abs=1e-12)


def test_repeated_cross_sections_closed_form(mpdta):
    r = att_gt(mpdta, yname="lemp", tname="year", idname=None, gname="first.treat", panel=False)
    y, t, g = mpdta.lemp.to_numpy(), mpdta.year.to_numpy(), mpdta["first.treat"].to_numpy()
    N = len(y)
    for j, (gv, tt, b, a) in enumerate(zip(r.group, r.time, r.base, r.att)):
        m = lambda gg, per: y[(g == gg) & (t == per)].mean()  # noqa: E731
        assert a == pytest.approx((m(gv, tt) - m(gv, b)) - (m(0, tt) - m(0, b)), abs=1e-12)
        # influence function of a difference of four means, scaled to the N observations
        inf = np.zeros(N)
        for gg, per, sgn in ((gv, tt, 1), (gv, b, -1), (0, tt, -1), (0, b, 1)):
            s = (g == gg) & (t == per)
            inf[s] += sgn * (y[s] - y[s].mean()) * N / s.sum()
        assert r.se_analytic[j] == pytest.approx(np.sqrt((inf**2).sum()) / N, rel=1e-8)


def test_unbalanced_panel_paths(mpdta):
    d = mpdta.drop(index=mpdta.index[::37])
    with pytest.warns(Warning, match="unbalanced panel"):
        r = att_gt(d, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    assert r.n == 500 - len(mpdta.index[::37])
    r2 = att_gt(d, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                allow_unbalanced_panel=True)
    assert r2.n == 500 and np.isfinite(r2.se).all()
    # on a balanced panel allow_unbalanced_panel changes nothing
    r3 = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                allow_unbalanced_panel=True)
    r4 = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    np.testing.assert_array_equal(r3.att, r4.att)


def test_caller_frame_not_mutated_and_row_order_irrelevant(mpdta, res):
    shuffled = mpdta.sample(frac=1.0, random_state=0)
    before = frame_digest(shuffled)
    r = att_gt(shuffled, yname="lemp", tname="year", idname="countyreal", gname="first.treat", xformla="~lpop",
               bstrap=True, biters=50, seed=1)
    aggte(r, type="dynamic")
    assert frame_digest(shuffled) == before
    r2 = att_gt(shuffled, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    np.testing.assert_allclose(r2.att, res.att, atol=1e-13)
    np.testing.assert_allclose(r2.se, res.se, rtol=1e-10)
    tab = res.to_frame()
    assert list(tab.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


# ----------------------------------------------------------------------------- (c) printed analytic output, ~lpop
# Stata csdid's replication of R did on mpdta with lpop, "dripw" (= R did est_method="dr"), analytic SEs
# ("You can replicate this in R using the bstrap = F option"), printed to 7 digits in F. Rios-Avila, "CSDID Version
# 1.0" (friosavila.github.io/playingwithstata, the csdid/drdid pages): ATT(g,t), SEs, the pre-trend Wald test and the
# simple, calendar, group and event aggregations.  Matched to every printed digit (abs. 5e-8).
CSDID_LPOP = [  # (g, t, att, se)
    (2004, 2004, -.0145297, .0221292), (2004, 2005, -.0764219, .0286713), (2004, 2006, -.1404483, .0353782),
    (2004, 2007, -.1069039, .0328865), (2006, 2004, -.0004721, .0222234), (2006, 2005, -.0062025, .0184957),
    (2006, 2006, .0009606, .0194002), (2006, 2007, -.0412939, .0197211), (2007, 2004, .0267278, .0140657),
    (2007, 2005, -.0045766, .0157178), (2007, 2006, -.0284475, .0181809), (2007, 2007, -.0287814, .016239),
]
CSDID_SIMPLE = (-.0417518, .0115028)
CSDID_CALENDAR = {2004: (-.0145297, .0221292), 2005: (-.0764219, .0286713), 2006: (-.0461757, .0212107),
                  2007: (-.0395822, .0129299)}
CSDID_GROUP = {2004: (-.0845759, .0245649), 2006: (-.0201666, .0174696), 2007: (-.0287814, .016239)}
CSDID_EVENT = {-3: (.0267278, .0140657), -2: (-.0036165, .0129283), -1: (-.023244, .0144851),
               0: (-.0210604, .0114942), 1: (-.0530032, .0163465), 2: (-.1404483, .0353782),
               3: (-.1069039, .0328865)}


def test_lpop_dr_matches_printed_analytic_output_to_7_digits(mpdta):
    r = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat", xformla="~ lpop",
               est_method="dr")
    assert [(int(g), int(t)) for g, t in zip(r.group, r.time)] == [c[:2] for c in CSDID_LPOP]
    np.testing.assert_allclose(r.att, [c[2] for c in CSDID_LPOP], atol=5.1e-8)
    np.testing.assert_allclose(r.se, [c[3] for c in CSDID_LPOP], atol=5.1e-8)
    assert round(r.wald_stat, 2) == 6.84 and round(r.wald_pvalue, 4) == 0.2327
    s = aggte(r, type="simple")
    assert (s.overall_att, s.overall_se) == pytest.approx(CSDID_SIMPLE, abs=5.1e-8)
    for ty, ref in (("calendar", CSDID_CALENDAR), ("group", CSDID_GROUP), ("dynamic", CSDID_EVENT)):
        a = aggte(r, type=ty)
        got = {int(e): (x, se) for e, x, se in zip(a.egt, a.att_egt, a.se_egt)}
        assert set(got) == set(ref)
        for k, v in ref.items():
            assert got[k] == pytest.approx(v, abs=5.1e-8), (ty, k)
