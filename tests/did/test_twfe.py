"""TWFE DiD: closed form (one cohort, balanced: TWFE = 2x2 = CS ATT) to 1e-10, fixest base_did, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterecon.did.twfe import twfe
from clusterecon.errors import DataError, SpecificationError
from clusterecon.simulate import staggered_panel
from tests.conftest import frame_digest


def test_one_cohort_balanced_twfe_equals_2x2_closed_form_1e10():
    df = staggered_panel(60, 7, cohorts=[4], never_treated=0.4, effect=1.0, dynamic=0.3, seed=5)
    before = frame_digest(df)
    res = twfe(df, "y", unit="unit", time="time", treatment="treated")
    assert frame_digest(df) == before
    treated = df.cohort > 0
    post = df.time >= 4
    m = df.groupby([treated, post]).y.mean()
    closed = (m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)])
    # with one cohort this 2x2 on group-period means is also Callaway-Sant'Anna's simple ATT with universal base
    assert abs(res.estimate["treated"] - closed) < 1e-10


def test_twfe_base_did_matches_event_study_pooled(shared):
    d = pd.read_csv(shared / "datasets" / "fixest_base_did.csv")
    d["D"] = d.post * d.treat
    res = twfe(d, "y", unit="id", time="period", treatment="D", covariates=["x1"])
    frame = res.to_frame()
    assert list(frame.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]
    assert res.info["n_clusters"] == 108 and res.info["df"] == 107


def test_vcov_options_and_errors():
    df = staggered_panel(30, 5, cohorts=[3], seed=1)
    for v in ("cluster", "hc1", "iid"):
        assert np.isfinite(twfe(df, "y", unit="unit", time="time", treatment="treated", vcov=v).std_error.iloc[0])
    with pytest.raises(SpecificationError, match="vcov"):
        twfe(df, "y", unit="unit", time="time", treatment="treated", vcov="bogus")
    with pytest.raises(SpecificationError, match="nope"):
        twfe(df, "nope", unit="unit", time="time", treatment="treated")
    dup = pd.concat([df, df.iloc[[0]]])
    with pytest.raises(DataError, match="duplicated"):
        twfe(dup, "y", unit="unit", time="time", treatment="treated")
    frac = df.assign(time=df.time + 0.5 * (df.unit == 1))
    with pytest.raises(DataError, match="integer"):
        twfe(frac, "y", unit="unit", time="time", treatment="treated")


def test_agrees_with_panel_core_and_delegates_other_vcov(shared):
    """Our within-transform TWFE = clusterecon.panel.fit (two-way within, CR1 by unit): estimates 1e-10, SEs 1e-8."""
    from clusterecon.panel import fit

    d = pd.read_csv(shared / "datasets" / "fixest_base_did.csv")
    d["D"] = d.post * d.treat
    ours = twfe(d, "y", unit="id", time="period", treatment="D", covariates=["x1"]).table.set_index("term")
    core = fit("y ~ D + x1", d, entity="id", time="period", model="within", effects="twoways",
               vcov={"CR1": "id"}).to_frame().set_index("term")
    np.testing.assert_allclose(ours.estimate, core.loc[ours.index, "estimate"], atol=1e-10)
    np.testing.assert_allclose(ours.std_error, core.loc[ours.index, "std_error"], rtol=1e-8)
    cr2 = twfe(d, "y", unit="id", time="period", treatment="D", covariates=["x1"], vcov="CR2")
    assert cr2.info["panel_core"] and abs(cr2.estimate["D"] - ours.estimate["D"]) < 1e-8
