"""att_gt bad input (errors name the units / values / cells at fault) and checks that need no reference data.

Closed forms used here: with one treated cohort and never-treated controls, ATT(g,t) is the difference of mean
changes (1e-12); the sorted-input fast path and the general path give identical numbers (1e-12).
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from clusterecon.did.aggte import aggte
from clusterecon.did.att_gt import att_gt
from clusterecon.errors import DataError, EstimationError, SpecificationError
from tests.conftest import frame_digest


def panel(n=60, T=5, seed=0, cohorts=(0, 3, 4)):
    rng = np.random.default_rng(seed)
    g = rng.choice(cohorts, size=n)
    df = pd.DataFrame({"id": np.repeat(np.arange(100, 100 + n), T), "t": np.tile(np.arange(1, T + 1), n),
                       "g": np.repeat(g, T), "x": np.repeat(rng.normal(size=n), T)})
    df["y"] = rng.normal(size=len(df)) + df.x + 0.7 * ((df.g > 0) & (df.t >= df.g))
    return df


def fit(df, **kw):
    return att_gt(df, yname="y", tname="t", idname="id", gname="g", **kw)


def test_treatment_switching_off_names_units():
    df = panel()
    treated = df[df.g == 3].id.unique()[:2]
    df.loc[(df.id.isin(treated)) & (df.t == 5), "g"] = 0
    with pytest.raises(SpecificationError, match="varies over time") as e:
        fit(df)
    for u in treated:
        assert str(u) in str(e.value)


def test_gname_not_a_period_and_negative():
    df = panel()
    df.loc[df.id == 100, "g"] = 9
    with pytest.raises(SpecificationError, match="not periods of 't'.*9"):
        fit(df)
    df.loc[df.id == 100, "g"] = -1
    with pytest.raises(SpecificationError, match="negative"):
        fit(df)


def test_cells_without_controls_named():
    df = panel(cohorts=(3, 4, 5))
    with pytest.raises(EstimationError, match=r"no valid nevertreated control units: \(3, 2\)"):
        fit(df)
    with pytest.raises(EstimationError, match=r"notyettreated control units: .*\(4, 5\)"):
        fit(df, control_group="notyettreated")


def test_small_cohort_vs_covariates():
    df = panel()
    df = df[(df.g != 4) | (df.id == df[df.g == 4].id.iloc[0])]
    with pytest.raises(SpecificationError, match=r"smaller than the 2 covariate columns.*\(4, 1\)"):
        fit(df, xformla="~ x")


def test_non_integer_time_and_duplicates():
    df = panel()
    d2 = df.assign(t=df.t + 0.5)
    with pytest.raises(SpecificationError, match="integer periods; non-integer values: 1.5"):
        fit(d2)
    dup = pd.concat([df, df.iloc[[3]]])
    with pytest.raises(DataError, match=r"duplicated \(id, t\) rows, e.g. \[\(100, 4\)\]"):
        fit(dup)
    with pytest.raises(SpecificationError, match="control_group"):
        fit(df, control_group="everyone")
    with pytest.raises(SpecificationError, match="columns not in data"):
        fit(df.drop(columns="y"))


def test_first_period_cohort_dropped_with_warning():
    df = panel(cohorts=(0, 1, 3))
    with pytest.warns(Warning, match="already treated in the first period"):
        r = fit(df)
    assert set(r.group) == {3}
    assert r.n == df[df.g != 1].id.nunique()


def test_single_cohort_closed_form_and_paths_agree(monkeypatch):
    df = panel(cohorts=(0, 3))
    before = frame_digest(df)
    r = fit(df)
    assert frame_digest(df) == before
    wide = df.pivot(index="id", columns="t", values="y")
    g = df.groupby("id").g.first().to_numpy()
    for gv, t, b, a in zip(r.group, r.time, r.base, r.att):
        dy = (wide[t] - wide[b]).to_numpy()
        assert a == pytest.approx(dy[g == gv].mean() - dy[g == 0].mean(), abs=1e-12)
    # general path (rows shuffled: no reshape) and covariate path with an intercept-only formula agree
    r2 = fit(df.sample(frac=1, random_state=3))
    np.testing.assert_allclose(r2.att, r.att, atol=1e-12)
    np.testing.assert_allclose(r2.se, r.se, rtol=1e-12)
    # the dense (covariate) path with a constant covariate gives the same numbers as the closed form
    mod = importlib.import_module("clusterecon.did.att_gt")  # the module, not the function the package exports

    monkeypatch.setattr(mod, "_covariate_matrix", lambda frame, f: (np.ones((len(frame), 1)), ["Intercept"]))
    r3 = fit(df, xformla="~ intercept_only", est_method="reg")  # forces the per-cell (dense) path
    assert not r3.influence.lazy and r.influence.lazy
    np.testing.assert_allclose(r3.att, r.att, atol=1e-10)
    np.testing.assert_allclose(r3.se, r.se, rtol=1e-8)
    for ty in ("simple", "group", "dynamic", "calendar"):
        a1, a3 = aggte(r, type=ty), aggte(r3, type=ty)
        assert a1.overall_att == pytest.approx(a3.overall_att, abs=1e-10)
        assert a1.overall_se == pytest.approx(a3.overall_se, rel=1e-8)


def test_aggte_options():
    df = panel(T=6, cohorts=(0, 3, 4, 5))
    r = fit(df)
    es = aggte(r, type="dynamic", min_e=-1, max_e=1)
    assert es.egt.tolist() == [-1, 0, 1]
    bal = aggte(r, type="dynamic", balance_e=1)
    # balance_e=1 keeps cohorts observed at least one period after treatment: g <= 5
    assert bal.egt.max() == 1
    frame = es.to_frame()
    assert frame.term.iloc[0].startswith("overall") and frame.event_time.iloc[1] == -1
    with pytest.raises(SpecificationError, match="type must be"):
        aggte(r, type="weird")


def test_weighted_closed_form_equals_per_cell_estimator(monkeypatch):
    """With sampling weights the closed-form path and the per-cell Sant'Anna-Zhao path agree (ATT 1e-10, SE 1e-8),
    for every aggregation too; clustered analytic SEs are the cluster-sum formula in both."""
    mod = importlib.import_module("clusterecon.did.att_gt")  # the module, not the function the package exports

    df = panel(n=80, T=5, cohorts=(0, 3, 4))
    rng = np.random.default_rng(2)
    df["w"] = np.repeat(rng.uniform(0.5, 3.0, df.id.nunique()), 5)
    df["cl"] = df.id % 7
    kw = dict(weightsname="w", clustervars="cl", control_group="notyettreated")
    r1 = fit(df, **kw)
    monkeypatch.setattr(mod, "_covariate_matrix", lambda frame, f: (np.ones((len(frame), 1)), ["Intercept"]))
    r2 = fit(df, xformla="~ intercept_only", est_method="dr", **kw)
    assert r1.influence.lazy and not r2.influence.lazy
    np.testing.assert_allclose(r1.att, r2.att, atol=1e-10)
    np.testing.assert_allclose(r1.se, r2.se, rtol=1e-8)
    for ty in ("simple", "group", "dynamic", "calendar"):
        a1, a2 = aggte(r1, type=ty), aggte(r2, type=ty)
        assert a1.overall_att == pytest.approx(a2.overall_att, abs=1e-10)
        assert a1.overall_se == pytest.approx(a2.overall_se, rel=1e-8)
