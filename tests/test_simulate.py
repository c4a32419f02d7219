"""simulate.staggered_panel: seeded, true effects as specified, parallel trends by construction."""

from __future__ import annotations

import numpy as np
import pytest

from clusterecon.errors import SpecificationError
from clusterecon.simulate import staggered_panel


def test_seeded_and_shaped():
    a = staggered_panel(50, 6, cohorts={3: 0.5, 5: 0.5}, never_treated=0.2, n_covariates=2, seed=9)
    b = staggered_panel(50, 6, cohorts={3: 0.5, 5: 0.5}, never_treated=0.2, n_covariates=2, seed=9)
    assert a.equals(b) and a.shape == (300, 10)
    assert set(a.cohort.unique()) <= {0, 3, 5}
    assert (a.groupby("unit").cohort.nunique() == 1).all()
    assert ((a.treated == 1) == ((a.cohort > 0) & (a.time >= a.cohort))).all()
    assert not staggered_panel(50, 6, seed=10).equals(a)


def test_effects_and_parallel_trends():
    df = staggered_panel(4000, 6, cohorts=[3, 5], effect=lambda e, g: 1.0 + 0 * e, dynamic=0.5, noise_sd=0.5,
                         cohort_heterogeneity=0.0, seed=1)
    tr = df[df.treated == 1]
    np.testing.assert_allclose(tr.te, 1.0 + 0.5 * tr.event_time)
    assert (df.loc[df.treated == 0, "te"] == 0).all()
    assert np.allclose(df.y - df.y0, df.te)
    # untreated potential outcomes: cohort means differ by a constant over time (parallel trends)
    m = df.groupby(["cohort", "time"]).y0.mean().unstack()
    gaps = (m.loc[3] - m.loc[0]).to_numpy()
    assert np.ptp(gaps) < 0.2


def test_bad_arguments():
    with pytest.raises(SpecificationError, match="outside"):
        staggered_panel(10, 5, cohorts=[9])
    with pytest.raises(SpecificationError):
        staggered_panel(0, 5)


@pytest.mark.parametrize(
    "kw, pattern",
    [
        ({"n_units": 0}, "n_units"),
        ({"n_periods": 1}, "n_periods"),
        ({"never_treated": 1.5}, "never_treated"),
        ({"cohorts": [99]}, "99"),
        ({"noise_sd": -1.0}, "noise_sd"),
        ({"unit_sd": float("nan")}, "unit_sd"),
        ({"effect": float("inf")}, "effect"),
        ({"n_covariates": -1}, "n_covariates"),
    ],
)
def test_bad_arguments_are_named(kw, pattern):
    args = {"n_units": 10, "n_periods": 5, **kw}
    with pytest.raises(SpecificationError, match=pattern):
        staggered_panel(args.pop("n_units"), args.pop("n_periods"), **args)


def test_large_draw_is_fast():
    import time

    t0 = time.perf_counter()
    df = staggered_panel(200_000, 10, seed=0)
    assert len(df) == 2_000_000 and time.perf_counter() - t0 < 10
