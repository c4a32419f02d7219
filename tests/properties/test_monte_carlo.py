"""A small seeded Monte Carlo with no treatment effect: estimates centred on zero, 95% intervals cover about 95%.

R panels (24 units x 5 periods, cohorts 3 and 5 plus never-treated, effect 0, seeds 0..R-1; R = 60 in the ci
profile, 300 in the long one).  For each estimator: |mean estimate| < 4 standard errors of the Monte Carlo mean, and
the coverage of the nominal 95% interval within 4 binomial standard deviations of 0.95
(``4 * sqrt(0.95 * 0.05 / R)``, 0.11 at R = 60).  The full Monte Carlo lives in benchmarks/.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

from ._panels import BY_NAME, COLS, make_panel

R = 60 if settings().max_examples < 100 else 300




def _simple(df):
    from clusterecon.did.aggte import aggte
    from clusterecon.did.att_gt import att_gt

    return aggte(att_gt(df, "y", "time", "unit", "cohort"), type="simple").to_frame()


RUNNERS = {
    "twfe": lambda df: BY_NAME["twfe"].run(df, COLS),
    "did_imputation": lambda df: BY_NAME["did_imputation"].run(df, COLS),
    "aggte_simple": _simple,
}


@pytest.mark.parametrize("name", RUNNERS)
def test_no_effect_is_centred_and_covered(name):
    est, cover = [], []
    for seed in range(R):
        df = make_panel(24, [1, 2, 3, 4, 5], [3, 5], effect=0.0, seed=seed)
        row = RUNNERS[name](df).iloc[0]
        est.append(row["estimate"])
        cover.append(row["ci_low"] <= 0.0 <= row["ci_high"])
    est = np.asarray(est)
    mc_se = est.std(ddof=1) / np.sqrt(R)
    assert abs(est.mean()) < 4 * mc_se, f"{name}: mean {est.mean():.4f}, Monte Carlo s.e. {mc_se:.4f}"
    band = 4 * np.sqrt(0.95 * 0.05 / R)
    assert abs(np.mean(cover) - 0.95) <= band, f"{name}: coverage {np.mean(cover):.3f} over {R} draws"
