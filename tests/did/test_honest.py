"""HonestDiD smoothness FLCI vs the HonestDiD README (Medicaid example: TWFE event study of dins on year x D,
ref 2013, clustered by state; createSensitivityResults, Mvec = 0, 0.01, ..., 0.05), printed to 3 significant digits;
tolerance 1e-4 absolute (HonestDiD searches the FLCI on a 100-point grid)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterecon.did.event_study import event_study
from clusterecon.did.honest import event_study_inputs, honest_did

README_SD = {0.0: (0.0259, 0.0607), 0.01: (0.0132, 0.0787), 0.02: (0.00286, 0.0907), 0.03: (-0.00714, 0.101),
             0.04: (-0.0171, 0.111), 0.05: (-0.0271, 0.121)}


def _medicaid(shared):
    d = pd.read_csv(shared / "datasets" / "ehec_medicaid.csv")
    d = d[(d.year < 2016) & ~(d.yexp2 == 2015)].copy()
    d["g"] = np.where(d.yexp2 == 2014, 2014, 0)
    es = event_study(d, "dins", unit="stfips", time="year", cohort="g", uniform=False)
    b, v, n_pre, n_post = event_study_inputs(es)
    assert (n_pre, n_post) == (5, 2) and v.shape == (7, 7)
    return b, v


def test_readme_smoothness_flci(shared):
    b, v = _medicaid(shared)
    res = honest_did(b, v, num_pre=5, num_post=2, M=list(README_SD), breakdown=False)
    for (_, row), (lo, hi) in zip(res.table.iterrows(), README_SD.values()):
        assert abs(row.ci_low - lo) < 1e-4 and abs(row.ci_high - hi) < 1e-3 * max(1, abs(hi) * 10)


def test_m0_flci_brute_force_and_breakdown():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    sig = a @ a.T / 100 + np.eye(4) * 0.01
    beta = np.array([0.01, -0.02, 0.5, 0.6])
    res = honest_did(beta, sig, num_pre=2, num_post=2, M=[0.0], breakdown=True)
    # M = 0: linear extrapolation; FLCI = min-variance linear-trend-invariant estimator +- 1.96 sd (closed form)
    periods = np.array([-2, -1, 1, 2])
    best = None
    for w in np.linspace(-5, 5, 20001):  # brute force over v_pre on the constraint line
        vp = np.array([w, 0.0])
        vp[1] = (-(1 * 1) - (-2) * w) / (-1)  # sum_t v_t t = 0 with l = (1, 0)
        v = np.r_[vp, 1.0, 0.0]
        assert abs(v @ periods) < 1e-9
        half = 1.959963984540054 * np.sqrt(v @ sig @ v)
        if best is None or half < best[0]:
            best = (half, v @ beta)
    assert abs((res.table.ci_high[0] - res.table.ci_low[0]) / 2 - best[0]) < 1e-6
    assert res.info["breakdown"] > 0


README_RM = {0.5: (0.0240, 0.0672), 1.0: (0.0170, 0.0720), 1.5: (0.00824, 0.0797), 2.0: (-0.000916, 0.0881)}


def test_readme_relative_magnitudes_clf(shared):
    """HonestDiD's C-LF sets are the extreme accepted points of a 1000-point grid on +-20 sd (step 40 sd / 999 =
    3.7e-4 here), so R's lower bound lies in [ours, ours + step] and its upper bound in [ours - step, ours], up to
    the printed rounding (5e-5 / 5e-4); our endpoints are refined by bisection.  One Mbar keeps the test fast."""
    b, v = _medicaid(shared)
    step = 40 * np.sqrt(v[5, 5]) / 999
    res = honest_did(b, v, num_pre=5, num_post=2, M=[1.0], restriction="relative_magnitudes")
    lo, hi = res.table.ci_low[0], res.table.ci_high[0]
    r_lo, r_hi = README_RM[1.0]
    assert lo - 5e-5 <= r_lo <= lo + step + 5e-5
    assert hi - step - 5e-4 <= r_hi <= hi + 5e-4


def test_bad_input():
    import pytest

    from clusterecon.errors import SpecificationError

    with pytest.raises(SpecificationError, match="num_pre"):
        honest_did([0.0, 1.0], np.eye(3), num_pre=2, num_post=1, breakdown=False)
    with pytest.raises(SpecificationError, match="restriction"):
        honest_did([0.0, 1.0], np.eye(2), num_pre=1, num_post=1, restriction="bogus")
