"""Every row of ../shared/reference/r/grunfeld_reference_values.csv (R 4.2.2, plm 2.6.2, clubSandwich 0.5.8) and the
convention checks of grunfeld_reference_part2/3 and grunfeld_fd_nointercept, matched to relative 1e-6."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from clusterecon.panel import fit

RTOL = 1e-6
pytestmark = pytest.mark.filterwarnings("ignore::clusterecon.errors.FewClustersWarning")
MODELS = {
    "pooling": ("pooling", "individual"),
    "within_i": ("within", "individual"),
    "within_tw": ("within", "twoways"),
    "re_swar": ("random", "individual"),
    "fd": ("fd", "individual"),
    "between": ("between", "individual"),
}
VCOV = {
    "default": "classical",
    "HC0_cluster_group_arellano": {"CR1": "firm", "ssc": "none"},
    "HC1_cluster_group_arellano": {"CR1": "firm", "ssc": "HC1"},
    "sss_cluster_group_arellano": {"CR1": "firm", "ssc": "sss"},
    "CR2_clubSandwich": {"CR2": "firm"},
}


def _fit(df, formula="inv ~ value + capital", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(formula, df, entity="firm", time="year", **kw)


def test_every_reference_row_within_1e6(grunfeld, grunfeld_ref):
    """Estimates, SEs and Satterthwaite df of all rows, relative error <= 1e-6 (plm's fd HC1 quirk excepted)."""
    checked = 0
    worst = 0.0
    for (model, vc), rows in grunfeld_ref.groupby(["model", "vcov"], sort=False):
        if model == "fd" and vc == "HC1_cluster_group_arellano":
            continue  # plm scales by the pre-differencing N; see test_fd_hc1_is_n_over_n_minus_k
        m, eff = MODELS[model]
        r = _fit(grunfeld, model=m, effects=eff, vcov=VCOV[vc])
        terms = rows["term"].to_list()
        est = r.params[terms].to_numpy()
        se = r.std_errors[terms].to_numpy()
        np.testing.assert_allclose(est, rows["estimate"].to_numpy(), rtol=RTOL, err_msg=f"{model} {vc}")
        np.testing.assert_allclose(se, rows["std_error"].to_numpy(), rtol=RTOL, err_msg=f"{model} {vc}")
        worst = max(worst, np.max(np.abs(se / rows["std_error"].to_numpy() - 1)))
        if vc == "CR2_clubSandwich":
            np.testing.assert_allclose(np.asarray(r.df), rows["df"].to_numpy(), rtol=RTOL, err_msg=f"{model} df")
            p_ref = rows["note"].str.extract(r"p=([0-9.eE+-]+)")[0].astype(float).to_numpy()
            np.testing.assert_allclose(r.pvalues[terms].to_numpy(), p_ref, rtol=1e-6)
        checked += len(rows)
    assert checked == len(grunfeld_ref) - 3
    assert worst < RTOL


def test_fd_hc1_is_n_over_n_minus_k(grunfeld, grunfeld_ref):
    """Ours is CR0 * 190/187 (190 differences); plm's fd HC1 is CR0 * 190/197 (N - K with the 200 rows before
    differencing in the denominator), the quirk the reference README names."""
    cr0 = _fit(grunfeld, model="fd", vcov={"CR0": "firm"}).std_errors
    hc1 = _fit(grunfeld, model="fd", vcov={"CR1": "firm", "ssc": "HC1"}).std_errors
    np.testing.assert_allclose(hc1, cr0 * np.sqrt(190 / 187), rtol=1e-12)
    plm = grunfeld_ref.query("model == 'fd' and vcov == 'HC1_cluster_group_arellano'")["std_error"].to_numpy()
    np.testing.assert_allclose(plm, cr0.to_numpy() * np.sqrt(190 / 197), rtol=1e-6)  # documents the quirk


def _num(text: str, label: str, n: int = 2) -> list[float]:
    line = next(ln for ln in text.splitlines() if ln.startswith(label))
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line[len(label):])][-n:]


def test_stata_fixest_and_lsdv_conventions(grunfeld, rout):
    """part2: K=3 (fixest / xtreg vce(cluster)), K=12 (LSDV vcovCL HC1), iid within SE; rel 1e-6."""
    txt = rout("grunfeld_reference_part2.Rout")
    r = _fit(grunfeld, vcov={"CR1": "firm"})
    np.testing.assert_allclose(r.std_errors, _num(txt, "x G/(G-1)*(N-1)/(N-K), K=3"), rtol=RTOL)
    np.testing.assert_allclose(r.with_vcov({"CR1": "firm", "ssc": "lsdv"}).std_errors, _num(txt, "LSDV vcovCL HC1:"), rtol=RTOL)
    np.testing.assert_allclose(r.with_vcov("classical").std_errors, _num(txt, "iid: sigma2"), rtol=RTOL)
    # CR2 on the LSDV fit equals CR2 on the within fit (firm FE nested in firm clusters)
    lsdv = [float(v) for v in re.findall(r"^\s+(?:value|capital)\s+\S+\s+(\S+)", txt, flags=re.M)][:2]
    np.testing.assert_allclose(r.with_vcov({"CR2": "firm"}).std_errors, lsdv, rtol=5e-3)  # printed to 3 digits


def test_fixest_vignette_twoway_capital(grunfeld, rout):
    """part3: inv ~ capital | firm + year: iid, fixest cluster (K=21), LSDV cluster (K=30), DK and NW; rel 1e-6."""
    txt = rout("grunfeld_reference_part3.Rout")
    r = _fit(grunfeld, "inv ~ capital", effects="twoways")
    se = lambda v: float(r.with_vcov(v).std_errors["capital"])  # noqa: E731
    assert se("classical") == pytest.approx(_num(txt, "iid SE (plm twoways)", 1)[0], rel=RTOL)
    assert se({"CR1": "firm"}) == pytest.approx(_num(txt, "CR0 * G/(G-1)*(N-1)/(N-K), K=21", 1)[0], rel=RTOL)
    assert se({"CR1": "firm", "ssc": "lsdv"}) == pytest.approx(_num(txt, "lm vcovCL(~firm, HC1)", 1)[0], rel=RTOL)
    assert se({"CR0": "firm"}) == pytest.approx(_num(txt, "CR0 (plm twoways HC0)", 1)[0], rel=RTOL)
    dummies = _fit(grunfeld, "inv ~ capital + C(year)")
    dk = float(dummies.with_vcov("driscoll-kraay").std_errors["capital"])
    nw = float(dummies.with_vcov("newey-west").std_errors["capital"])
    assert dk == pytest.approx(_num(txt, "plm vcovSCC (est_plm)", 1)[0], rel=RTOL)
    assert nw == pytest.approx(_num(txt, "plm vcovNW (est_plm)", 1)[0], rel=RTOL)


def test_fd_without_intercept(grunfeld, rout):
    """grunfeld_fd_nointercept.Rout: coefficients, iid SEs and vcovCL HC1 (= our 'sss') of fd with '- 1'; rel 1e-6."""
    txt = rout("grunfeld_fd_nointercept.Rout")
    rows = re.findall(r"^(dvalue|dcapital)\s+(\S+)\s+(\S+)", txt, flags=re.M)
    r = _fit(grunfeld, "inv ~ value + capital - 1", model="fd")
    np.testing.assert_allclose(r.params, [float(b) for _, b, _ in rows], rtol=RTOL)
    np.testing.assert_allclose(r.std_errors, [float(s) for _, _, s in rows], rtol=RTOL)
    hc1 = [float(v) for v in txt.split("dvalue        dcapital")[-1].split()[:2]]
    np.testing.assert_allclose(r.with_vcov({"CR1": "firm", "ssc": "sss"}).std_errors, hc1, rtol=RTOL)


def test_rsquared_matches_plm(grunfeld, rout):
    """plm's printed R-squared of each model (15 digits), rel 1e-9."""
    txt = rout("grunfeld_reference.Rout")
    r2 = [float(v) for v in re.findall(r"^R-Squared:\s+(\S+)", txt, flags=re.M)]
    fits = [_fit(grunfeld, model=m, effects=e) for m, e in MODELS.values()]
    np.testing.assert_allclose([f.rsquared for f in fits], r2, rtol=1e-9)


def test_swamy_arora_components(grunfeld, rout):
    """Variance components and theta printed by plm's ercomp; rel 1e-9."""
    txt = rout("grunfeld_reference.Rout")
    r = _fit(grunfeld, model="random")
    idio = float(re.search(r"^idiosyncratic\s+(\S+)", txt, flags=re.M).group(1))
    indiv = float(re.search(r"^individual\s+(\S+)", txt, flags=re.M).group(1))
    theta = float(re.search(r"^theta: (\S+)", txt, flags=re.M).group(1))
    assert r.extra["sigma2_idios"] == pytest.approx(idio, rel=1e-9)
    assert r.extra["sigma2_indiv"] == pytest.approx(indiv, rel=1e-9)
    assert r.extra["theta"] == pytest.approx(theta, rel=1e-9)
