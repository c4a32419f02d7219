"""Placebo-in-space permutation: exact p-value = rank / N for one treated unit (closed form), agreement with a
brute-force loop over assignments (1e-12), seeded Monte Carlo reproducibility, and the few-treated caveat."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from clusterecon.did.permutation import placebo_permutation
from clusterecon.errors import EstimationError
from tests.conftest import frame_digest


def _panel(n_units=8, n_periods=6, treated=(0,), dates=(3,), effect=1.0, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"i": np.repeat(np.arange(n_units), n_periods), "t": np.tile(np.arange(n_periods), n_units)})
    df["g"] = 0
    for u, g in zip(treated, dates):
        df.loc[df.i == u, "g"] = g
    df["y"] = rng.normal(size=len(df)) + effect * ((df.g > 0) & (df.t >= df.g))
    return df


def test_exact_p_value_is_rank_over_n_units():
    df = _panel(effect=0.0, seed=3)
    before = frame_digest(df)
    res = placebo_permutation(df, "y", unit="i", time="t", cohort="g")
    assert frame_digest(df) == before
    d = df.assign(post=df.t >= 3).groupby(["i", "post"]).y.mean().unstack()
    contrast = (d[True] - d[False]).to_numpy()
    stats = np.array([contrast[j] - np.delete(contrast, j).mean() for j in range(8)])
    rank = (np.abs(stats) >= abs(stats[0]) - 1e-12).sum()
    assert res.info["exact"] and res.info["n_assignments"] == 8
    assert abs(res.table.p_value[0] - rank / 8) < 1e-12
    assert abs(res.table.estimate[0] - stats[0]) < 1e-12
    assert np.isnan(res.table.std_error[0])
    assert any("not valid" in c for c in res.caveats)


def test_two_treated_staggered_matches_brute_force_loop():
    df = _panel(n_units=7, treated=(0, 1), dates=(2, 4), effect=2.0, seed=5)
    res = placebo_permutation(df, "y", unit="i", time="t", cohort="g")
    y = df.pivot(index="i", columns="t", values="y").to_numpy()

    def stat(assign):
        vals = []
        for u, g in zip(assign, (2, 4)):
            c = y[:, g:].mean(1) - y[:, :g].mean(1)
            ctrl = [k for k in range(7) if k not in assign]
            vals.append(c[u] - c[ctrl].mean())
        return np.mean(vals)

    brute = np.array([stat(a) for a in itertools.permutations(range(7), 2)])
    np.testing.assert_allclose(np.sort(res.info["placebo"]), np.sort(brute), atol=1e-12)
    obs = stat((0, 1))
    assert abs(res.table.p_value[0] - np.mean(np.abs(brute) >= abs(obs) - 1e-12)) < 1e-12


def test_monte_carlo_is_seeded():
    df = _panel(n_units=30, treated=(0, 1, 2), dates=(3, 3, 3), seed=1)
    a = placebo_permutation(df, "y", unit="i", time="t", cohort="g", max_exact=100, n_permutations=999, seed=4)
    b = placebo_permutation(df, "y", unit="i", time="t", cohort="g", max_exact=100, n_permutations=999, seed=4)
    assert not a.info["exact"] and a.table.p_value[0] == b.table.p_value[0]
    assert a.info["n_assignments"] == 999


def test_bad_input():
    df = _panel()
    with pytest.raises(EstimationError, match="no treated"):
        placebo_permutation(df.assign(g=0), "y", unit="i", time="t", cohort="g")
