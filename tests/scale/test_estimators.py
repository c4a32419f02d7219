"""clusterecon.scale estimators from in-memory moments against the in-memory estimators of clusterecon.did.

References: (a) clusterecon.did.att_gt / aggte / did2x2 / twfe / event_study on the same data (relative 1e-10 on
estimates and standard errors; those are themselves checked against R did, fixest and brute force in tests/did);
(b) R did's README numbers on mpdta (ATT(g,t) and aggregations printed to 4 decimals: absolute 5e-5);
(c) brute force: the group-linear influence functions evaluated unit by unit and their Gram matrix (rel 1e-10).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clusterecon.did.aggte import aggte
from clusterecon.did.att_gt import att_gt
from clusterecon.did.did2x2 import did2x2
from clusterecon.did.event_study import event_study
from clusterecon.did.twfe import twfe
from clusterecon.errors import DataError, EstimationError, SpecificationError
from clusterecon.scale import (
    aggte_moments,
    att_gt_moments,
    did2x2_moments,
    event_time_cells,
    moments_from_frame,
    moments_from_matrix,
    twfe_moments,
)
from clusterecon.simulate import staggered_panel
from tests.conftest import frame_digest

REL = 1e-10


def close(a, b, rel=REL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=rel, atol=1e-13)


@pytest.fixture(scope="module")
def panel():
    return staggered_panel(1500, 7, seed=11, dynamic=0.3, cohort_heterogeneity=0.5)


@pytest.fixture(scope="module")
def mom(panel):
    return moments_from_frame(panel, "y", "time", "unit", "cohort", regressors=["treated"])


@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_att_gt_matches_in_memory_rel_1e10(panel, mom, control_group, base_period):
    before = frame_digest(panel)
    a = att_gt_moments(mom, control_group=control_group, base_period=base_period)
    b = att_gt(panel, "y", "time", "unit", "cohort", control_group=control_group, base_period=base_period)
    fb = b.to_frame()
    close(a.table["estimate"], fb["estimate"])
    close(a.table["std_error"], fb["std_error"])
    np.testing.assert_array_equal(a.table["group"], b.group)
    np.testing.assert_array_equal(a.table["time"], b.time)
    for typ in ("simple", "group", "dynamic"):
        x, y = aggte_moments(a, typ), aggte(b, typ).to_frame()
        # clusterecon's aggte puts the overall row first, the scale version last
        close(np.roll(x.table["estimate"].to_numpy(), 1), y["estimate"])
        close(np.roll(x.table["std_error"].to_numpy(), 1), y["std_error"])
    xg, yg = aggte_moments(a, "group", r_compat=False), aggte(b, "group", r_compat=False).to_frame()
    close(xg.table["std_error"].iloc[-1], yg["std_error"].iloc[0])
    assert frame_digest(panel) == before


def test_influence_gram_equals_brute_force_rel_1e10(panel, mom):
    """The Gram matrix from the moments equals sum_i IF_i IF_i' over units evaluated one by one."""
    res = att_gt_moments(mom)
    inf = res.influence
    wide = panel.pivot(index="unit", columns="time", values="y")
    g = panel.groupby("unit")["cohort"].first().reindex(wide.index).to_numpy()
    k = np.searchsorted(mom.groups, g)
    vals = inf.values(wide.to_numpy() - mom.shift, k)
    close(inf.gram(), vals.T @ vals)
    # and the IF of each cell is the textbook one: (dy - mu1)/p1 on the cohort, -(dy - mu0)/p0 on never-treated
    j = 0
    gv, t, bse = res.table[["group", "time", "base"]].iloc[j]
    dy = (wide[t] - wide[bse]).to_numpy()
    mu1, mu0 = dy[g == gv].mean(), dy[g == 0].mean()
    p1, p0 = np.mean(g == gv), np.mean(g == 0)
    textbook = np.where(g == gv, (dy - mu1) / p1, 0.0) - np.where(g == 0, (dy - mu0) / p0, 0.0)
    close(vals[:, j], textbook)


def test_mpdta_readme_numbers_abs_5e5(shared):
    df = pd.read_csv(shared / "reference" / "data" / "mpdta.csv")
    m = moments_from_frame(df, "lemp", "year", "countyreal", "first.treat")
    res = att_gt_moments(m)
    readme = {  # R did README (bcallaway11/did), ATT(g,t) printed to 4 decimals
        (2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373, (2004, 2007): -0.1008,
        (2006, 2004): 0.0065, (2006, 2005): -0.0028, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
        (2007, 2004): 0.0305, (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261}
    got = {(int(g), int(t)): v for g, t, v in res.table[["group", "time", "estimate"]].itertuples(index=False)}
    for key, v in readme.items():
        assert abs(got[key] - v) <= 5.01e-5, key
    dyn = aggte_moments(res, "dynamic").table
    assert abs(dyn["estimate"].iloc[-1] - (-0.0772)) <= 5.01e-5
    grp = aggte_moments(res, "group").table
    assert abs(grp["estimate"].iloc[-1] - (-0.031)) <= 5.01e-4
    # analytic SEs equal the in-memory ones
    b = att_gt(df, "lemp", "year", "countyreal", "first.treat")
    close(res.table["std_error"], b.to_frame()["std_error"])


def test_did2x2_matches_in_memory_rel_1e10(panel):
    d2 = panel[panel.time.isin([3, 4]) & panel.cohort.isin([0, 4])].copy()
    d2["d"] = (d2.cohort == 4).astype(int)
    a = did2x2_moments(moments_from_frame(d2, "y", "time", "unit", "d"))
    b = did2x2(d2, "y", "time", "unit", "d")
    close(a.estimate["ATT"], b.att)
    close(a.std_error["ATT"], b.se)


@pytest.mark.parametrize("vcov", ["cluster", "hc1", "iid"])
def test_twfe_compressed_matches_twfe_rel_1e10(panel, mom, vcov):
    a = twfe_moments(mom, vcov=vcov)
    b = twfe(panel, "y", unit="unit", time="time", treatment="treated", vcov=vcov)
    close(a.estimate["treated"], b.table["estimate"].iloc[0])
    close(a.std_error["treated"], b.table["std_error"].iloc[0])


def test_event_study_compressed_matches_event_study_rel_1e10(panel, mom):
    m = moments_from_frame(panel, "y", "time", "unit", "cohort")
    m.cells.update(event_time_cells(m, ref=-1))
    a = twfe_moments(m)
    b = event_study(panel, "y", unit="unit", time="time", cohort="cohort", uniform=False).table
    b = b[b["term"] != "event_time::-1"]
    assert a.table["term"].tolist() == b["term"].tolist()
    close(a.table["estimate"], b["estimate"])
    close(a.table["std_error"], b["std_error"])


def test_combine_of_disjoint_units_equals_whole(panel, mom):
    wide = panel.pivot(index="unit", columns="time", values="y")
    g = panel.groupby("unit")["cohort"].first().reindex(wide.index).to_numpy()
    Y = wide.to_numpy()
    half = len(Y) // 3
    a = moments_from_matrix(Y[:half], g[:half], wide.columns.to_numpy(), shift=mom.shift)
    b = moments_from_matrix(Y[half:], g[half:], wide.columns.to_numpy(), shift=mom.shift)
    c = a.combine(b)
    np.testing.assert_array_equal(c.n, mom.n)
    close(c.S, mom.S)
    close(att_gt_moments(c).table["estimate"], att_gt_moments(mom).table["estimate"])


def test_bad_inputs_raise_named_errors(panel):
    with pytest.raises(DataError, match="unbalanced"):
        moments_from_frame(panel.iloc[1:], "y", "time", "unit", "cohort")
    bad = panel.copy()
    bad.loc[bad.index[0], "cohort"] = 99
    with pytest.raises(DataError, match="varies within units"):
        moments_from_frame(bad, "y", "time", "unit", "cohort")
    with pytest.raises(DataError, match="not constant within"):
        moments_from_frame(panel, "y", "time", "unit", "cohort", regressors=["y0"])
    with pytest.raises(SpecificationError, match="columns not in data"):
        moments_from_frame(panel, "nope", "time", "unit", "cohort")
    m = moments_from_frame(panel, "y", "time", "unit", "cohort", regressors=["treated"])
    m.cells["const_in_group"] = np.repeat(m.groups[:, None] * 1.0, len(m.periods), axis=1)
    with pytest.raises(EstimationError, match="absorbed"):
        twfe_moments(m, regressors=["const_in_group"])
    with pytest.raises(SpecificationError, match="control_group"):
        att_gt_moments(m, control_group="bogus")


def test_first_period_cohort_dropped_with_warning():
    df = staggered_panel(300, 5, cohorts=[1, 3], seed=4)
    m = moments_from_frame(df, "y", "time", "unit", "cohort")
    with pytest.warns(Warning, match="first period"):
        a = att_gt_moments(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = att_gt(df, "y", "time", "unit", "cohort")
    close(a.table["estimate"], b.to_frame()["estimate"])
    close(a.table["std_error"], b.to_frame()["std_error"])


def test_shuffled_rows_give_the_same_moments_rel_1e12(panel, mom):
    """The general path (factorize + scatter) and the sorted fast path agree."""
    shuffled = panel.sample(frac=1.0, random_state=3)
    m = moments_from_frame(shuffled, "y", "time", "unit", "cohort", regressors=["treated"])
    np.testing.assert_array_equal(m.n, mom.n)
    np.testing.assert_allclose(m.S, mom.S, rtol=1e-12)
    np.testing.assert_allclose(m.cells["treated"], mom.cells["treated"])
    bad = panel.copy()
    bad.loc[bad.index[3], "cohort"] = 99  # fast path must still catch a group that varies within a unit
    with pytest.raises(DataError, match="varies within units \\[1\\]"):
        moments_from_frame(bad, "y", "time", "unit", "cohort")
