"""Metamorphic properties of the DiD estimators and the within estimator (hypothesis-generated panels).

Each property transforms a generated staggered panel in a way whose effect on the estimates the mathematics fixes,
and compares (tolerance: relative 1e-7, absolute 1e-8 on estimates and standard errors):

* shuffling rows, relabelling unit ids, renaming columns, shifting the time index: nothing changes;
* adding a constant, or a unit-specific constant, to the outcome: nothing changes (two-way FE / DiD differencing);
* multiplying the outcome by c: estimates times c, standard errors times |c|;
* every unit duplicated (new ids), or a constant weight of 2: point estimates unchanged;
* the caller's DataFrame is byte-identical after every call (``frame_digest``).
Estimators: twfe, panel ``fit`` (within, two-way), event_study, att_gt, aggte (dynamic), sun_abraham,
did_imputation, bacon_decomposition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import frame_digest

from ._panels import COLS, ESTIMATORS, N_EST, numbers, panels

RTOL, ATOL = 1e-7, 1e-8
IDS = [e.name for e in ESTIMATORS]


def _close(a, b, what):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=what)


def _run(est, df, cols=COLS):
    before = frame_digest(df)
    out = est.run(df, dict(cols))
    assert frame_digest(df) == before, f"{est.name} mutated the caller's DataFrame"
    return out


def _same(est, base, other):
    assert len(base) == len(other), f"{est.name}: {len(base)} vs {len(other)} rows"
    (e0, s0), (e1, s1) = numbers(base), numbers(other)
    _close(e1, e0, f"{est.name}: estimates")
    _close(s1, s0, f"{est.name}: standard errors")


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@settings(max_examples=N_EST)
@given(df=panels(), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(est, df, seed):
    shuffled = df.sample(frac=1.0, random_state=np.random.RandomState(seed % 2**32)).reset_index(drop=True)
    _same(est, _run(est, df), _run(est, shuffled))


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@settings(max_examples=N_EST)
@given(df=panels(), seed=st.integers(0, 2**32 - 1))
def test_unit_labels_do_not_matter(est, df, seed):
    """Unit ids replaced by a random injective relabelling (large, unsorted integers)."""
    units = df["unit"].unique()
    new = np.random.default_rng(seed).permutation(len(units)) * 97 + 10_001
    relabelled = df.assign(unit=df["unit"].map(dict(zip(units, new))))
    _same(est, _run(est, df), _run(est, relabelled))  # no term names a unit: rows correspond one to one


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@settings(max_examples=N_EST)
@given(df=panels())
def test_column_names_do_not_matter(est, df):
    names = {"y": "log output (t)", "unit": "firm id", "time": "year", "cohort": "first_year", "treated": "D"}
    renamed = df.rename(columns={COLS[k]: v for k, v in names.items()})
    _same(est, _run(est, df), _run(est, renamed, names))


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@settings(max_examples=N_EST)
@given(df=panels(), shift=st.sampled_from([1, 7, 1985, -1]))
def test_shifting_time_does_not_matter(est, df, shift):
    """Periods t -> t + k (cohorts too; never-treated stay coded 0, so no cohort may land on 0)."""
    moved = df.assign(time=df["time"] + shift, cohort=np.where(df["cohort"] > 0, df["cohort"] + shift, 0))
    _same(est, _run(est, df), _run(est, moved))


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@settings(max_examples=N_EST)
@given(df=panels(), c=st.sampled_from([-1e3, 3.5, 1e6]))
def test_adding_a_constant_to_the_outcome(est, df, c):
    _same(est, _run(est, df), _run(est, df.assign(y=df["y"] + c)))


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@settings(max_examples=N_EST)
@given(df=panels(), seed=st.integers(0, 2**32 - 1))
def test_unit_specific_constants(est, df, seed):
    units = df["unit"].unique()
    alpha = dict(zip(units, np.random.default_rng(seed).normal(0, 50, len(units))))
    _same(est, _run(est, df), _run(est, df.assign(y=df["y"] + df["unit"].map(alpha))))


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@settings(max_examples=N_EST)
@given(df=panels(), c=st.sampled_from([-2.0, 0.001, 1e4, -1.0]))
def test_scaling_the_outcome(est, df, c):
    base, scaled = _run(est, df), _run(est, df.assign(y=df["y"] * c))
    (e0, s0), (e1, s1) = numbers(base), numbers(scaled)
    _close(e1, c * e0, f"{est.name}: estimates scale by c")
    _close(s1, abs(c) * s0, f"{est.name}: standard errors scale by |c|")


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@settings(max_examples=N_EST)
@given(df=panels())
def test_duplicating_every_unit_keeps_point_estimates(est, df):
    copy = df.assign(unit=df["unit"] + df["unit"].max())
    doubled = pd.concat([df, copy], ignore_index=True)
    e0, _ = numbers(_run(est, df))
    e1, _ = numbers(_run(est, doubled))
    _close(e1, e0, f"{est.name}: estimates with every unit twice")


@pytest.mark.parametrize("est", [e for e in ESTIMATORS if e.weights], ids=[e.name for e in ESTIMATORS if e.weights])
@settings(max_examples=N_EST)
@given(df=panels())
def test_constant_weight_of_two_keeps_point_estimates(est, df):
    e0, _ = numbers(_run(est, df))
    e1, _ = numbers(_run(est, df.assign(w=2.0), {**COLS, "w": "w"}))
    _close(e1, e0, f"{est.name}: estimates with weights 2")


@pytest.mark.parametrize("model, effects", [("pooling", "individual"), ("within", "individual"),
                                            ("within", "time"), ("random", "individual"), ("fd", "individual"),
                                            ("between", "individual")])
@settings(max_examples=N_EST)
@given(df=panels(), seed=st.integers(0, 2**32 - 1), c=st.sampled_from([-3.0, 250.0]))
def test_panel_models_row_order_labels_and_scale(model, effects, df, seed, c):
    """plm-style models: row order and unit labels change nothing; y*c scales the slope by c and its SE by |c|."""
    import warnings

    from clusterecon.panel import fit

    def run(d):
        before = frame_digest(d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fr = fit("y ~ treated", d, entity="unit", time="time", model=model, effects=effects).to_frame()
        assert frame_digest(d) == before
        fr = fr[fr["term"] == "treated"]
        return fr["estimate"].to_numpy(float), fr["std_error"].to_numpy(float)

    e0, s0 = run(df)
    e1, s1 = run(df.sample(frac=1.0, random_state=seed % 2**32))
    _close(e1, e0, f"{model}: shuffled")
    _close(s1, s0, f"{model}: shuffled SE")
    units = df["unit"].unique()
    new = dict(zip(units, np.random.default_rng(seed).permutation(len(units)) * 13 + 500))
    e2, s2 = run(df.assign(unit=df["unit"].map(new)))
    _close(e2, e0, f"{model}: relabelled")
    _close(s2, s0, f"{model}: relabelled SE")
    e3, s3 = run(df.assign(y=df["y"] * c))
    _close(e3, c * e0, f"{model}: scaled")
    _close(s3, abs(c) * s0, f"{model}: scaled SE")
