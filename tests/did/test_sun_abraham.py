"""Sun-Abraham vs fixest's published sunab output on base_stagg (feols(y ~ x1 + sunab(year_treated, year) | id + year),
clustered by id; summary(agg = "att") printed to 6 decimals): ATT -1.133749 (0.205070), x1 0.994678 (0.018378)
and the cohort x period coefficients, to 1e-6 absolute (half a unit of the last printed digit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterecon.did.sun_abraham import sun_abraham
from clusterecon.errors import EstimationError
from clusterecon.simulate import staggered_panel
from tests.conftest import frame_digest

# (cohort, event time): (estimate, std error) as printed by fixest
CATT = {(10, -9): (0.351766, 0.359073), (9, -8): (0.033914, 0.471437), (8, -7): (-0.589387, 0.736910),
        (5, -4): (-0.983453, 0.634492), (5, -2): (-1.574086, 0.525563), (10, -2): (-0.002429, 0.682087),
        (3, -2): (0.036941, 0.673771), (8, -4): (-0.895195, 0.374901)}


def test_fixest_sunab_base_stagg_1e6(shared):
    d = pd.read_csv(shared / "datasets" / "fixest_base_stagg.csv")
    before = frame_digest(d)
    res = sun_abraham(d, "y", unit="id", time="year", cohort="year_treated", covariates=["x1"], n_draws=5000)
    assert frame_digest(d) == before
    att = res.table.set_index("term").loc["ATT"]
    assert abs(att.estimate - (-1.133749)) < 1e-6 and abs(att.std_error - 0.205070) < 1e-6
    x1 = res.info["covariates"].set_index("term").loc["x1"]
    assert abs(x1.estimate - 0.994678) < 1e-6 and abs(x1.std_error - 0.018378) < 1e-6
    cells = res.info["cohort_event"].set_index(["cohort", "event_time"])
    for (g, e), (b, s) in CATT.items():
        assert abs(cells.loc[(g, e), "estimate"] - b) < 1e-6
        assert abs(cells.loc[(g, e), "std_error"] - s) < 1e-6
    # fixest's first event-time aggregate = the single cohort observed at -9
    assert abs(res.estimate["event_time::-9"] - 0.351766) < 1e-6


def test_recovers_heterogeneous_dynamic_effects_and_last_cohort_control():
    df = staggered_panel(400, 8, cohorts=[3, 5, 7], effect=lambda e, g: 1.0 + 0.5 * e + 0.2 * (g - 3),
                         noise_sd=0.05, seed=7)
    res = sun_abraham(df, "y", unit="unit", time="time", cohort="cohort", uniform=False)
    truth = df[df.treated == 1].groupby("event_time").te.mean()
    for e in (0, 1, 2):
        assert abs(res.estimate[f"event_time::{e}"] - truth[e]) < 0.05
    no_never = staggered_panel(200, 8, cohorts=[3, 5, 7], never_treated=0.0, seed=8)
    res2 = sun_abraham(no_never, "y", unit="unit", time="time", cohort="cohort", uniform=False)
    assert "last-treated" in res2.info["control"]
    one = staggered_panel(50, 6, cohorts=[3], never_treated=0.0, seed=1)
    with pytest.raises(EstimationError, match="no control"):
        sun_abraham(one, "y", unit="unit", time="time", cohort="cohort")
    assert np.isfinite(res.table.std_error).all()
