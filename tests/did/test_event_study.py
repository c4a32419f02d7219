"""Event study vs fixest's published base_did output (feols(y ~ x1 + i(period, treat, 5) | id + period), clustered
by id; ggfixest's stored iplot_data to 15 digits): estimates and 95% CIs to 1e-6; fast cell path = general path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterecon.did.event_study import event_study
from clusterecon.errors import DataError, EstimationError
from clusterecon.simulate import staggered_panel
from tests.conftest import frame_digest

FIXEST_EST = [-1.40304548628387, -1.24751078444385, -0.273205962244887, -1.79572056399201, 0, 0.784452028314083,
              3.59889733159794, 3.81176621201594, 4.73142620090947, 6.60622884191604]
FIXEST_LO = [-3.60401957599237, -3.41454238816103, -2.46757561261468, -3.95250166364274, 0, -1.25420738946099,
             1.41517633761945, 1.33873906080257, 2.55652832963455, 4.38497957631853]
FIXEST_HI = [0.79792860342463, 0.919520819273338, 1.92116368812491, 0.361060535658718, 0, 2.82311144608915,
             5.78261832557643, 6.28479336322932, 6.9063240721844, 8.82747810751355]


def test_fixest_base_did_event_study_1e6(shared):
    d = pd.read_csv(shared / "datasets" / "fixest_base_did.csv")
    d["g"] = np.where(d.treat == 1, 6, 0)  # period 5 = event time -1 is fixest's reference
    before = frame_digest(d)
    res = event_study(d, "y", unit="id", time="period", cohort="g", covariates=["x1"], n_draws=20_000)
    assert frame_digest(d) == before
    es = res.table[res.table.event_time.notna()].sort_values("event_time")
    np.testing.assert_allclose(es.estimate, FIXEST_EST, rtol=1e-6, atol=1e-9)
    ref = es.reference.to_numpy()
    np.testing.assert_allclose(es.ci_low[~ref], np.array(FIXEST_LO)[~ref], rtol=1e-6)
    np.testing.assert_allclose(es.ci_high[~ref], np.array(FIXEST_HI)[~ref], rtol=1e-6)
    # uniform band is wider than the pointwise one
    assert (es.ci_high_uniform[~ref] > es.ci_high[~ref]).all()
    assert res.info["sup_t_crit"] > 1.98


def test_fast_cell_path_equals_general_path_1e10():
    df = staggered_panel(80, 8, cohorts=[3, 5, 6], seed=3, dynamic=0.2)
    df["w"] = 1.0
    fast = event_study(df, "y", unit="unit", time="time", cohort="cohort", uniform=False)
    slow = event_study(df, "y", unit="unit", time="time", cohort="cohort", weights="w", uniform=False)
    np.testing.assert_allclose(fast.table.estimate, slow.table.estimate, atol=1e-10)
    np.testing.assert_allclose(fast.table.std_error, slow.table.std_error, rtol=1e-8)
    for v in ("hc1", "iid"):
        f = event_study(df, "y", unit="unit", time="time", cohort="cohort", vcov=v, uniform=False)
        s = event_study(df, "y", unit="unit", time="time", cohort="cohort", vcov=v, weights="w", uniform=False)
        np.testing.assert_allclose(f.table.std_error, s.table.std_error, rtol=1e-8)


def test_window_binning_trimming_and_refs():
    df = staggered_panel(80, 10, cohorts=[4, 7], seed=4)
    binned = event_study(df, "y", unit="unit", time="time", cohort="cohort", leads=2, lags=2, bin_endpoints=True,
                         uniform=False)
    assert binned.table.event_time.min() == -2 and binned.table.event_time.max() == 2
    assert binned.info["n_obs"] == len(df)
    trimmed = event_study(df, "y", unit="unit", time="time", cohort="cohort", leads=2, lags=2, uniform=False)
    assert trimmed.info["n_obs"] < len(df)
    two = event_study(df, "y", unit="unit", time="time", cohort="cohort", ref=(-1, -2), uniform=False)
    assert two.table.loc[two.table.reference, "event_time"].tolist() == [-2.0, -1.0]


def test_no_never_treated_needs_second_reference():
    df = staggered_panel(80, 8, cohorts=[3, 4, 5, 6], never_treated=0.0, seed=2)
    with pytest.raises(EstimationError, match="never-treated"):
        event_study(df, "y", unit="unit", time="time", cohort="cohort", uniform=False)
    lo = int((df.time - df.cohort).min())
    res = event_study(df, "y", unit="unit", time="time", cohort="cohort", ref=(-1, lo), uniform=False)
    assert np.isfinite(res.table.std_error[~res.table.reference]).all()


def test_switching_treatment_names_units():
    df = staggered_panel(10, 5, cohorts=[3], never_treated=0.0, seed=1)
    df.loc[(df.unit == 2) & (df.time == 5), "treated"] = 0
    with pytest.raises(DataError, match=r"\[2\]"):
        event_study(df, "y", unit="unit", time="time", treatment="treated")


def test_plot_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    df = staggered_panel(50, 6, cohorts=[3], seed=0)
    res = event_study(df, "y", unit="unit", time="time", cohort="cohort", n_draws=2000)
    ax = res.plot()
    assert ax.get_xlabel().startswith("periods")


def test_drop_never_treated_equals_running_on_the_treated_subsample():
    df = staggered_panel(90, 8, cohorts=[3, 4, 5, 6], never_treated=0.3, seed=6)
    a = event_study(df, "y", unit="unit", time="time", cohort="cohort", ref=(-1, -5), drop_never_treated=True,
                    uniform=False)
    b = event_study(df[df.cohort > 0], "y", unit="unit", time="time", cohort="cohort", ref=(-1, -5), uniform=False)
    np.testing.assert_allclose(a.table.estimate, b.table.estimate, atol=1e-10)
    np.testing.assert_allclose(a.table.std_error, b.table.std_error, rtol=1e-10)
