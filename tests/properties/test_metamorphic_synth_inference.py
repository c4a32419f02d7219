"""Metamorphic properties of synthetic control / synthetic DiD, and no-mutation checks of the resampling procedures.

* synthetic DiD (``se_method=None``): row order, unit labels and a common constant added to the outcome leave the
  ATT unchanged; a unit-specific constant too (its unit weights carry an intercept); scaling the outcome by c scales
  it by c.  Tolerance: relative 1e-6 (the Frank-Wolfe solver stops on a tolerance that is scale-free).
* synthetic control: row order and unit labels leave the gaps unchanged; a common constant added to the outcome
  leaves the gaps unchanged (weights sum to one); tolerance absolute 1e-6 x outcome scale (optimiser).
* wild cluster bootstrap, randomization inference, placebo permutation, did2x2: the caller's frame is unchanged and
  the same seed gives the same numbers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import frame_digest

from ._panels import N_EST, make_panel


def _sdid(df, y="y", unit="unit", time="time", treated="treated"):
    from clusterecon.synth import synthetic_did

    before = frame_digest(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = float(synthetic_did(df, y, unit, time, treated, se_method=None).to_frame()["estimate"].iloc[0])
    assert frame_digest(df) == before
    return out


def _scm(df, treated_unit, unit="unit"):
    from clusterecon.synth import synthetic_control

    before = frame_digest(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fr = synthetic_control(df, "y", unit, "time", treated=treated_unit, treatment_time=4).to_frame()
    assert frame_digest(df) == before
    return fr["estimate"].to_numpy(float)


@st.composite
def block_panels(draw):
    n = draw(st.integers(8, 14))
    return make_panel(n, [1, 2, 3, 4, 5, 6], [4], seed=draw(st.integers(0, 2**31 - 1)), n_never=n - 2,
                      effect=draw(st.sampled_from([0.0, 2.0])))


def _one_treated(df):
    first = df.loc[df["cohort"] > 0, "unit"].min()
    return df[(df["cohort"] == 0) | (df["unit"] == first)].reset_index(drop=True), first


@settings(max_examples=N_EST)
@given(df=block_panels(), seed=st.integers(0, 2**31 - 1), c=st.sampled_from([-50.0, 3.0, 1e4]))
def test_sdid_invariances(df, seed, c):
    base = _sdid(df)
    rng = np.random.default_rng(seed)
    assert np.isclose(_sdid(df.sample(frac=1.0, random_state=seed % 2**32)), base, rtol=1e-6, atol=1e-9)
    units = df["unit"].unique()
    labels = dict(zip(units, [f"u{v}" for v in rng.permutation(len(units))]))
    assert np.isclose(_sdid(df.assign(unit=df["unit"].map(labels))), base, rtol=1e-6, atol=1e-9)
    assert np.isclose(_sdid(df.assign(y=df["y"] + c)), base, rtol=1e-6, atol=1e-9)
    alpha = dict(zip(units, rng.normal(0, 20, len(units))))
    assert np.isclose(_sdid(df.assign(y=df["y"] + df["unit"].map(alpha))), base, rtol=1e-6, atol=1e-7)
    assert np.isclose(_sdid(df.assign(y=df["y"] * c)), c * base, rtol=1e-6, atol=1e-9 * abs(c))
    renamed = df.rename(columns={"y": "out come", "unit": "firm", "time": "yr", "treated": "D"})
    assert np.isclose(_sdid(renamed, "out come", "firm", "yr", "D"), base, rtol=1e-6, atol=1e-9)


@settings(max_examples=N_EST)
@given(df=block_panels(), seed=st.integers(0, 2**31 - 1))
def test_scm_invariances(df, seed):
    one, tu = _one_treated(df)
    base = _scm(one, tu)
    scale = float(one["y"].abs().max())
    tol = 1e-6 * scale
    np.testing.assert_allclose(_scm(one.sample(frac=1.0, random_state=seed % 2**32), tu), base, atol=tol)
    np.testing.assert_allclose(_scm(one.assign(y=one["y"] + 100.0), tu), base, atol=1e-6 * (scale + 100))
    units = one["unit"].unique()
    labels = dict(zip(units, [f"c{v:03d}" for v in np.random.default_rng(seed).permutation(len(units))]))
    np.testing.assert_allclose(_scm(one.assign(unit=one["unit"].map(labels)), labels[tu]), base, atol=tol)


# ------------------------------------------------------------------------------------ resampling procedures
@pytest.fixture(scope="module")
def panel():
    return make_panel(16, [1, 2, 3, 4, 5], [3], seed=11)


def test_wild_cluster_bootstrap_no_mutation_and_seeded(panel):
    from clusterecon.inference import wild_cluster_bootstrap
    from clusterecon.panel import fit

    before = frame_digest(panel)
    res = fit("y ~ treated", panel, entity="unit", time="time", model="within", effects="twoways", vcov="cluster")
    a = wild_cluster_bootstrap(res, "treated", B=199, seed=5, conf_int=False, full_enumeration=False)
    b = wild_cluster_bootstrap(res, "treated", B=199, seed=5, conf_int=False, full_enumeration=False)
    assert frame_digest(panel) == before
    assert a.to_frame().equals(b.to_frame())


def test_randomization_inference_no_mutation_and_seeded(panel):
    from clusterecon.inference import randomization_inference

    before = frame_digest(panel)
    kw = dict(treatment="treated", entity="unit", time="time", B=99, seed=3)
    a = randomization_inference("y ~ treated", panel, **kw)
    b = randomization_inference("y ~ treated", panel, **kw)
    assert frame_digest(panel) == before
    assert a.to_frame().equals(b.to_frame())


def test_placebo_permutation_no_mutation_and_seeded(panel):
    from clusterecon.did.permutation import placebo_permutation

    before = frame_digest(panel)
    kw = dict(unit="unit", time="time", cohort="cohort", n_permutations=99, max_exact=10, seed=4)
    a = placebo_permutation(panel, "y", **kw)
    b = placebo_permutation(panel, "y", **kw)
    assert frame_digest(panel) == before
    assert a.to_frame().equals(b.to_frame())


def test_did2x2_no_mutation(panel):
    from clusterecon.did.did2x2 import did2x2

    d = panel[panel["time"].isin([2, 3])].assign(g=lambda x: (x["cohort"] > 0).astype(int))
    before = frame_digest(d)
    for m in ("reg", "ipw", "dr"):
        did2x2(d, "y", "time", "unit", "g", est_method=m)
    assert frame_digest(d) == before
