"""synthetic_did against R synthdid's printed output and Arkhangelsky et al. (2021), Table 1 (California).

References (printed values):
* synthdid README / vignette (package version 0.0.9+ algorithm): ``synthdid: -15.604``, ``summary()$estimate
  -15.60383``; unit weights Nevada 0.124, New Hampshire 0.105, Connecticut 0.078, Delaware 0.070, Colorado 0.058,
  Illinois 0.053, Nebraska 0.048, Montana 0.045, Utah 0.042, New Mexico 0.041, Minnesota 0.039, Wisconsin 0.037,
  West Virginia 0.034, North Carolina 0.033, Idaho 0.031, Ohio 0.031, Maine 0.028, Iowa 0.026; time weights
  1988 0.427, 1986 0.366, 1987 0.206; N0.effective 16.388, T0.effective 2.783; placebo 95% CI (-32.01, 0.80).
* Arkhangelsky et al. (2021, AER), Table 1 (California): SDID -15.6 (8.4), SC -19.6 (9.9), DID -27.3 (17.7).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from clusterecon.errors import DataError, DataWarning, EstimationError, SpecificationError
from clusterecon.synth import synthetic_did
from clusterecon.synth.sdid import frank_wolfe_simplex
from tests.conftest import frame_digest

SYNTHDID_OMEGA = {
    "Nevada": 0.124,
    "New Hampshire": 0.105,
    "Connecticut": 0.078,
    "Delaware": 0.070,
    "Colorado": 0.058,
    "Illinois": 0.053,
    "Nebraska": 0.048,
    "Montana": 0.045,
    "Utah": 0.042,
    "New Mexico": 0.041,
    "Minnesota": 0.039,
    "Wisconsin": 0.037,
    "West Virginia": 0.034,
    "North Carolina": 0.033,
    "Idaho": 0.031,
    "Ohio": 0.031,
    "Maine": 0.028,
    "Iowa": 0.026,
}
SYNTHDID_LAMBDA = {1988: 0.427, 1986: 0.366, 1987: 0.206}


@pytest.fixture(scope="module")
def prop99(shared) -> pd.DataFrame:
    return pd.read_csv(shared / "datasets" / "california_prop99_synthdid.csv")


@pytest.fixture(scope="module")
def fits(prop99):
    return {
        m: synthetic_did(prop99, "PacksPerCapita", "State", "Year", "treated", method=m)
        for m in ("sdid", "sc", "did")
    }


def test_sdid_estimate_matches_synthdid_to_printed_5_decimals(fits):
    """synthdid prints -15.60383: tolerance 5e-6 (half a unit in the last printed place)."""
    assert fits["sdid"].estimate == pytest.approx(-15.60383, abs=5e-6)


def test_sdid_unit_and_time_weights_match_synthdid_to_3_decimals(fits):
    """Every printed weight within 5e-4 + 1e-9; every other control and pre-period weight zero after sparsify."""
    om = fits["sdid"].unit_weights
    for state, w in SYNTHDID_OMEGA.items():
        assert om[state] == pytest.approx(w, abs=5e-4 + 1e-9), state
    others = om.drop(list(SYNTHDID_OMEGA))
    assert (others < 0.026).all()  # synthdid lists the weights in decreasing order; the rest are smaller
    lam = fits["sdid"].time_weights
    for year, w in SYNTHDID_LAMBDA.items():
        assert lam[year] == pytest.approx(w, abs=5e-4 + 1e-9), year
    assert lam.drop(list(SYNTHDID_LAMBDA)).abs().max() == 0
    assert om.sum() == pytest.approx(1.0, abs=1e-12) and lam.sum() == pytest.approx(1.0, abs=1e-12)
    # synthdid's effective sizes 16.388 and 2.783 (1 / sum of squared weights), printed to 3 decimals
    assert 1 / np.sum(om.to_numpy() ** 2) == pytest.approx(16.388, abs=5e-3)
    assert 1 / np.sum(lam.to_numpy() ** 2) == pytest.approx(2.783, abs=5e-3)


def test_sc_and_did_match_paper_table1_to_1_decimal(fits):
    """Arkhangelsky et al. (2021) Table 1: SC -19.6, DID -27.3 (tolerance 0.05 = half the printed unit)."""
    assert fits["sc"].estimate == pytest.approx(-19.6, abs=0.05)
    assert fits["did"].estimate == pytest.approx(-27.3, abs=0.05)
    assert fits["sdid"].estimate == pytest.approx(-15.6, abs=0.05)


def test_did_equals_closed_form_two_by_two(prop99, fits):
    """DiD with uniform weights is the 2x2 difference of means (brute force, tolerance 1e-10)."""
    d = prop99
    ca = d.State == "California"
    post = d.Year >= 1989
    m = d.groupby([ca, post]).PacksPerCapita.mean()
    closed = (m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)])
    assert fits["did"].estimate == pytest.approx(closed, abs=1e-10)


def test_placebo_se_consistent_with_published_monte_carlo_values(fits):
    """Published placebo SEs (8.4 SDID, 9.9 SC, 17.7 DID; the README's CI gives (0.80 + 32.01) / 3.92 = 8.37) come
    from 200 random placebo draws.  Ours enumerates all 38 controls (the draws' population); the published value
    must fall inside the central 95% of 200-draw SEs resampled from our 38 placebo estimates (a Monte Carlo band,
    so the test fails if our placebo estimates are off)."""
    published = {"sdid": 8.4, "sc": 9.9, "did": 17.7}
    rng = np.random.default_rng(12345)
    for m, value in published.items():
        r = fits[m]
        assert len(r.replicates) == 38
        assert r.std_error == pytest.approx(np.std(r.replicates), rel=1e-12)
        sims = np.array([np.std(rng.choice(r.replicates, 200)) for _ in range(2000)])
        lo, hi = np.percentile(sims, [2.5, 97.5])
        assert lo <= value <= hi, (m, lo, value, hi)
    readme_se = (0.80 + 32.01) / (2 * 1.96)
    assert abs(fits["sdid"].std_error - readme_se) / readme_se < 0.15


def test_placebo_replications_are_seeded(prop99):
    a = synthetic_did(
        prop99, "PacksPerCapita", "State", "Year", "treated", method="did", replications=30, seed=7
    )
    b = synthetic_did(
        prop99, "PacksPerCapita", "State", "Year", "treated", method="did", replications=30, seed=7
    )
    c = synthetic_did(
        prop99, "PacksPerCapita", "State", "Year", "treated", method="did", replications=30, seed=8
    )
    assert a.std_error == b.std_error and a.std_error != c.std_error


def test_to_frame_summary_and_plot(fits):
    r = fits["sdid"]
    f = r.to_frame()
    assert list(f.columns[:7]) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
    ]
    assert f.loc[0, "ci_low"] == pytest.approx(r.estimate - 1.959964 * r.std_error, rel=1e-6)
    assert "Synthetic difference-in-differences" in r.summary()
    ax = r.plot()
    assert len(ax.lines) >= 2
    ax2 = r.plot(kind="weights")
    assert len(ax2.patches) == int((r.unit_weights > 0).sum())
    import matplotlib.pyplot as plt

    plt.close("all")


def test_frank_wolfe_reaches_the_constrained_optimum():
    """Against scipy SLSQP on the same ridge-penalised simplex problem: Frank-Wolfe converges sublinearly, so after
    5000 iterations its objective is within 5e-4 of SLSQP's (and the gap shrinks with more iterations), and never
    below it (beyond 1e-10)."""
    rng = np.random.default_rng(3)
    A, b = rng.normal(size=(15, 6)), rng.normal(size=15)
    zeta = 0.3
    x, val, _ = frank_wolfe_simplex(A, b, zeta, intercept=False, min_decrease=1e-9, max_iter=5000)

    def f(z):
        return zeta**2 * z @ z + np.sum((A @ z - b) ** 2) / 15

    ref = optimize.minimize(
        f,
        np.full(6, 1 / 6),
        method="SLSQP",
        bounds=[(0, 1)] * 6,
        constraints=[{"type": "eq", "fun": lambda z: z.sum() - 1}],
        options={"ftol": 1e-14},
    )
    assert ref.fun - 1e-10 <= f(x) <= ref.fun + 5e-4
    x_short, _, _ = frank_wolfe_simplex(A, b, zeta, intercept=False, min_decrease=1e-9, max_iter=500)
    assert f(x_short) >= f(x) - 1e-12
    assert val[0] == pytest.approx(f(x), rel=1e-12)


def _panel(n_units=10, n_treated=1, T=12, t0=8, effect=3.0, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_units):
        a = rng.normal()
        for t in range(T):
            y = a + 0.2 * t + rng.normal(0, 0.3)
            tr = int(i >= n_units - n_treated and t >= t0)
            rows.append((f"u{i}", 2000 + t, y + effect * tr, tr))
    return pd.DataFrame(rows, columns=["unit", "year", "y", "d"])


def test_jackknife_and_bootstrap_with_several_treated_units():
    df = _panel(n_units=14, n_treated=3, seed=1)
    # a short Frank-Wolfe budget keeps this test fast: it checks the resampling, not the solver
    jk = synthetic_did(df, "y", "unit", "year", "d", se_method="jackknife", max_iter=300)
    bs = synthetic_did(
        df, "y", "unit", "year", "d", se_method="bootstrap", replications=40, seed=2, max_iter=300
    )
    assert jk.estimate == pytest.approx(3.0, abs=0.6)
    assert 0 < jk.std_error < 2 and 0 < bs.std_error < 2
    assert len(jk.replicates) == 14 and len(bs.replicates) == 40
    bs2 = synthetic_did(
        df, "y", "unit", "year", "d", se_method="bootstrap", replications=40, seed=2, max_iter=300
    )
    assert bs2.std_error == bs.std_error
    one = _panel(seed=3)
    with pytest.raises(EstimationError, match="one treated unit"):
        synthetic_did(one, "y", "unit", "year", "d", se_method="jackknife")
    with pytest.raises(EstimationError, match="one treated unit"):
        synthetic_did(one, "y", "unit", "year", "d", se_method="bootstrap")


def test_treated_and_treatment_time_equivalent_to_indicator():
    df = _panel(seed=4)
    a = synthetic_did(df, "y", "unit", "year", "d", se_method=None)
    b = synthetic_did(df, "y", "unit", "year", treated="u9", treatment_time=2008, se_method=None)
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    assert np.isnan(a.std_error)


def test_bad_input_raises_clear_errors():
    df = _panel(seed=5)
    with pytest.raises(SpecificationError, match="treatment_time=1990"):
        synthetic_did(df, "y", "unit", "year", treated="u9", treatment_time=1990)
    with pytest.raises(SpecificationError, match="no pre-treatment period"):
        synthetic_did(df, "y", "unit", "year", treated="u9", treatment_time=2000)
    with pytest.raises(SpecificationError, match="not found"):
        synthetic_did(df, "y", "unit", "year", treated="nobody", treatment_time=2005)
    with pytest.raises(SpecificationError, match="method"):
        synthetic_did(df, "y", "unit", "year", "d", method="magic")
    stag = df.copy()
    stag.loc[(stag.unit == "u8") & (stag.year >= 2010), "d"] = 1
    with pytest.raises(SpecificationError, match="same period"):
        synthetic_did(stag, "y", "unit", "year", "d")
    miss = df.copy()
    miss.loc[(miss.unit == "u9") & (miss.year == 2003), "y"] = np.nan
    with pytest.raises(DataError, match="u9"):
        synthetic_did(miss, "y", "unit", "year", "d")
    few = df[df.unit.isin(["u0", "u9"])]
    with pytest.raises(EstimationError, match="at least two control"):
        synthetic_did(few, "y", "unit", "year", "d")
    dup = pd.concat([df, df.iloc[:1]])
    with pytest.raises(DataError, match="duplicate"):
        synthetic_did(dup, "y", "unit", "year", "d")


def test_unbalanced_control_dropped_with_warning_and_frame_not_mutated():
    df = _panel(seed=6)
    df = df.drop(index=df.index[(df.unit == "u3") & (df.year == 2004)])
    before = frame_digest(df)
    with pytest.warns(DataWarning, match="u3"):
        r = synthetic_did(df, "y", "unit", "year", "d")
    assert "u3" not in r.unit_weights.index
    assert frame_digest(df) == before
