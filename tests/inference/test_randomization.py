"""Randomization inference: vectorised permutations equal a brute-force refit loop over the same permutations
(rel 1e-9), seeding, the exact p-value formula, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clusterecon.errors import SpecificationError
from clusterecon.inference import randomization_inference
from clusterecon.inference.randomization import permuted_treatments
from clusterecon.panel import fit


@pytest.fixture
def did_panel() -> pd.DataFrame:
    """Seeded staggered-adoption panel: 16 states x 8 years, treatment switches on at a state-specific year."""
    rng = np.random.default_rng(7)
    n, T = 16, 8
    df = pd.DataFrame({"state": np.repeat(np.arange(n), T), "year": np.tile(np.arange(2000, 2000 + T), n)})
    start = np.where(np.arange(n) < 8, rng.integers(2003, 2007, size=n), 9999)
    df["d"] = (df.year >= start[df.state]).astype(float)
    df["x"] = rng.normal(size=len(df))
    df["w"] = rng.uniform(0.5, 2, size=len(df))
    df["y"] = 0.5 * df.d + 0.3 * df.x + rng.normal(size=n)[df.state] + rng.normal(size=len(df))
    return df


def _brute(df, perms, statistic, **kw):
    out = []
    for p in perms:
        D = permuted_treatments(df, "d", "state", "year", p[None, :])[:, 0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fit("y ~ d + x", df.assign(d=D), entity="state", time="year", vcov={"CR1": "state"}, **kw)
        out.append(r.params["d"] if statistic == "coef" else r.tstats["d"])
    return np.array(out)


@pytest.mark.parametrize("statistic", ["coef", "t"])
@pytest.mark.parametrize("weights", [None, "w"])
def test_vectorised_equals_refit_loop(did_panel, statistic, weights):
    kw = dict(model="within", effects="twoways", weights=weights)
    ri = randomization_inference("y ~ d + x", did_panel, treatment="d", entity="state", time="year", B=25, seed=3,
                                 statistic=statistic, keep_permutations=True, **kw)
    brute = _brute(did_panel, ri.permutations, statistic, **kw)
    np.testing.assert_allclose(ri.distribution, brute, rtol=1e-9, atol=1e-12)
    expected_p = (1 + np.sum(np.abs(brute) >= abs(ri.observed) * (1 - 1e-12))) / 26
    assert ri.p_value == pytest.approx(expected_p)


def test_refit_path_for_other_models_and_seed(did_panel):
    a = randomization_inference("y ~ d + x", did_panel, treatment="d", entity="state", time="year", model="fd",
                                B=15, seed=11, keep_permutations=True)
    b = randomization_inference("y ~ d + x", did_panel, treatment="d", entity="state", time="year", model="fd",
                                B=15, seed=11)
    np.testing.assert_array_equal(a.distribution, b.distribution)
    brute = _brute(did_panel, a.permutations, "coef", model="fd")
    np.testing.assert_allclose(a.distribution, brute, rtol=1e-9)
    assert 1 / 16 <= a.p_value <= 1


def test_identity_permutation_reproduces_estimate(did_panel):
    """Sanity: giving every unit its own path returns the observed coefficient."""
    D = permuted_treatments(did_panel, "d", "state", "year", np.arange(16)[None, :])
    np.testing.assert_array_equal(D[:, 0], did_panel.d.to_numpy())


def test_bad_input(did_panel):
    with pytest.raises(SpecificationError, match="treatment 'z' is not a coefficient"):
        randomization_inference("y ~ d + x", did_panel.assign(z=1.0), treatment="z", entity="state", time="year", B=5)
    region = did_panel.assign(region=did_panel.state // 4,
                              d2=((did_panel.state % 2 == 0) & (did_panel.year >= 2004)).astype(float))
    with pytest.raises(SpecificationError, match=r"treatment 'd2' varies within unit 0 of 'region'"):
        randomization_inference("y ~ d2 + x", region, treatment="d2", entity="state", time="year", cluster="region",
                                B=5)
