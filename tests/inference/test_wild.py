"""Wild cluster bootstrap: equal to a brute-force loop over the same draws (rel 1e-9), the published
fwildclusterboot README example (voters data), seeding, full enumeration, fixed effects and bad input."""

from __future__ import annotations

import formulaic
import numpy as np
import pandas as pd
import pytest

from clusterecon.errors import SpecificationError
from clusterecon.inference import wild_bootstrap_arrays, wild_cluster_bootstrap
from clusterecon.panel import fit

pytestmark = pytest.mark.filterwarnings("ignore::clusterecon.errors.FewClustersWarning")


def _cr1_t(X, y, codes, j, r, factor):
    M = np.linalg.inv(X.T @ X)
    b = M @ X.T @ y
    e = y - X @ b
    G = codes.max() + 1
    S = np.stack([np.bincount(codes, weights=X[:, c] * e, minlength=G) for c in range(X.shape[1])], axis=1)
    V = M @ S.T @ S @ M * factor
    return (b[j] - r) / np.sqrt(V[j, j]), b


def _brute(X, y, codes, j, r, V, impose_null, factor):
    """Refit the regression for every bootstrap sample (the slow, obvious way)."""
    if impose_null:
        others = [c for c in range(X.shape[1]) if c != j]
        Xo = X[:, others]
        g = np.linalg.lstsq(Xo, y - r * X[:, j], rcond=None)[0]
        fitted = Xo @ g + r * X[:, j]
        null = r
    else:
        _, b = _cr1_t(X, y, codes, j, r, factor)
        fitted = X @ b
        null = b[j]
    e = y - fitted
    return np.array([_cr1_t(X, fitted + e * V[codes, i], codes, j, null, factor)[0] for i in range(V.shape[1])])


@pytest.fixture
def small():
    rng = np.random.default_rng(11)
    G, n = 14, 140
    codes = np.repeat(np.arange(G), n // G)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = X @ [1.0, 0.2, -0.4] + rng.normal(size=G)[codes] + rng.normal(size=n)
    return X, y, codes


@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("weights", ["rademacher", "webb"])
def test_fast_equals_brute_force_loop(small, impose_null, weights):
    """Same seed, same draws: every bootstrap t statistic equals the refit loop's to rel 1e-9."""
    X, y, codes = small
    n, k = X.shape
    G = codes.max() + 1
    res = wild_bootstrap_arrays(X, y, codes, 1, r=0.1, B=199, weights=weights, impose_null=impose_null, seed=5,
                                conf_int=False, keep_draws=True)
    factor = G / (G - 1) * (n - 1) / (n - k)
    brute = _brute(X, y, codes, 1, 0.1, res.draws, impose_null, factor)
    np.testing.assert_allclose(res.t_boot, brute, rtol=1e-9, atol=1e-9)  # t* = 0 when all v_g are equal (WCU)
    assert res.p_value == np.mean(np.abs(brute) >= abs(res.statistic) * (1 - 1e-10))
    if weights == "webb":
        assert set(np.round(np.abs(np.unique(res.draws)), 6)) == {round(np.sqrt(0.5), 6), 1.0, round(np.sqrt(1.5), 6)}


def test_seed_reproducible_and_full_enumeration(small):
    X, y, codes = small
    a = wild_bootstrap_arrays(X, y, codes, 1, B=99, seed=3, conf_int=False)
    b = wild_bootstrap_arrays(X, y, codes, 1, B=99, seed=3, conf_int=False)
    c = wild_bootstrap_arrays(X, y, codes, 1, B=99, seed=4, conf_int=False)
    np.testing.assert_array_equal(a.t_boot, b.t_boot)
    assert not np.array_equal(a.t_boot, c.t_boot)
    few = codes % 7  # 7 clusters: 2^7 = 128 <= 999 -> every sign vector once
    e = wild_bootstrap_arrays(X, y, few, 1, B=999, seed=1, conf_int=False, keep_draws=True)
    assert e.full_enumeration and e.B == 128
    assert len({tuple(col) for col in e.draws.T}) == 128


def test_confidence_set_inverts_the_test(small):
    """At the bounds of the 90% set the p-value crosses 0.10 (checked just inside and just outside)."""
    X, y, codes = small
    res = wild_bootstrap_arrays(X, y, codes, 1, B=399, seed=9, level=0.90)
    assert res.ci_low < res.estimate < res.ci_high
    width = res.ci_high - res.ci_low
    for bound, inside in ((res.ci_low, res.ci_low + 1e-6 * width), (res.ci_high, res.ci_high - 1e-6 * width)):
        outside = bound + (bound - inside)
        assert wild_bootstrap_arrays(X, y, codes, 1, r=inside, B=399, seed=9, conf_int=False).p_value > 0.10
        assert wild_bootstrap_arrays(X, y, codes, 1, r=outside, B=399, seed=9, conf_int=False).p_value <= 0.10


def test_fwildclusterboot_readme_voters(shared):
    """fwildclusterboot 0.14.3 README: lm(proposition_vote ~ treatment + log_income + factor(Q1) + factor(Q2)),
    clustid group_id1, B = 9999, Rademacher, WCR: estimate 0.079, t = 3.983, p = 0.001, CI [0.039, 0.119]
    (printed to 3 decimals; p and CI carry simulation noise, so they are compared to +-0.002)."""
    v = pd.read_csv(shared / "datasets" / "fwildclusterboot_voters.csv")
    mm = formulaic.model_matrix("treatment + log_income + C(Q1_immigration) + C(Q2_defense)", v)
    j = list(mm.columns).index("treatment")
    res = wild_bootstrap_arrays(np.asarray(mm, float), v.proposition_vote.to_numpy(float), v.group_id1.to_numpy(),
                                j, B=9999, seed=2352342, name="treatment")
    assert round(res.estimate, 3) == 0.079
    assert round(res.statistic, 3) == 3.983
    assert res.p_value == pytest.approx(0.001, abs=0.002)
    assert res.ci_low == pytest.approx(0.039, abs=0.002) and res.ci_high == pytest.approx(0.119, abs=0.002)


def test_boottest_collapsed_full_enumeration(shared):
    """boottest's 8-cluster example (Roodman et al. 2019 data): with Rademacher weights all 2^8 = 256 sign vectors
    are used, the result is deterministic and equals the brute-force refit over every sign vector; v = +-1 reproduce
    |t|, so p >= 2/256."""
    c = pd.read_csv(shared / "datasets" / "boottest_collapsed.csv")
    mm = formulaic.model_matrix("selfemployed + post + post_self", c)
    X, y, g = np.asarray(mm, float), c.hasinsurance.to_numpy(float), pd.factorize(c.year)[0]
    res = wild_bootstrap_arrays(X, y, g, 3, B=999, seed=None, keep_draws=True, conf_int=False)
    assert res.full_enumeration and res.B == 256
    n, k, G = 16, 4, 8
    brute = _brute(X, y, g, 3, 0.0, res.draws, True, G / (G - 1) * (n - 1) / (n - k))
    np.testing.assert_allclose(res.t_boot, brute, rtol=1e-9)
    assert res.p_value == pytest.approx(np.mean(np.abs(brute) >= abs(res.statistic) * (1 - 1e-10)))
    assert res.p_value >= 2 / 256
    again = wild_bootstrap_arrays(X, y, g, 3, B=999, seed=12345, conf_int=False)
    assert again.p_value == res.p_value  # no simulation noise under full enumeration


def test_panel_result_with_fixed_effects_equals_dummy_brute_force(grunfeld_small):
    """Two-way FE model, clusters = firms: firm FE are projected out, year FE enter as dummies; the bootstrap t's
    equal a brute-force loop on the full dummy-variable regression (rel 1e-8)."""
    df = grunfeld_small
    res = fit("inv ~ value + capital", df, entity="firm", time="year", effects="twoways")
    wb = wild_cluster_bootstrap(res, "capital", cluster="firm", B=99, seed=2, conf_int=False, keep_draws=True,
                                full_enumeration=False)
    D = pd.get_dummies(df[["firm", "year"]].astype(str), drop_first=True).to_numpy(float)
    X = np.column_stack([df[["value", "capital"]].to_numpy(float), np.ones(len(df)), D])
    codes = pd.factorize(df.firm)[0]
    n = len(df)
    K_ours = 2 + df.year.nunique() - 1  # regressors + non-nested year dummies
    G = codes.max() + 1
    brute = _brute(X, df.inv.to_numpy(float), codes, 1, 0.0, wb.draws, True, G / (G - 1) * (n - 1) / (n - K_ours))
    np.testing.assert_allclose(wb.t_boot, brute, rtol=1e-8)
    assert wb.estimate == pytest.approx(float(res.params["capital"]), rel=1e-10)


def test_dict_spec_equals_result(grunfeld_small):
    """wild_cluster_bootstrap accepts fit() arguments as a dict; same seed gives the same answer."""
    spec = dict(formula="inv ~ value + capital", data=grunfeld_small, entity="firm", time="year")
    a = wild_cluster_bootstrap(spec, "value", B=199, seed=8, weights="webb", conf_int=False)
    b = wild_cluster_bootstrap(fit(**{"formula": spec["formula"], "data": grunfeld_small, "entity": "firm",
                                      "time": "year"}), "value", B=199, seed=8, weights="webb", conf_int=False)
    np.testing.assert_array_equal(a.t_boot, b.t_boot)
    assert a.p_value == b.p_value and "WCR" in a.to_frame()["bootstrap"].iloc[0]


def test_bad_input(grunfeld_small):
    res = fit("inv ~ value + capital", grunfeld_small, entity="firm", time="year")
    with pytest.raises(SpecificationError, match="parameter 'beta' is not in the model"):
        wild_cluster_bootstrap(res, "beta")
    with pytest.raises(SpecificationError, match="unknown bootstrap weights 'gauss'"):
        wild_cluster_bootstrap(res, "value", weights="gauss", B=9)
    with pytest.raises(SpecificationError, match="cluster column 'region' is not in the data"):
        wild_cluster_bootstrap(res, "value", cluster="region")
