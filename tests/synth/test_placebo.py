"""Placebo in space / in time and leave-one-out.

References: a brute-force loop of synthetic_control fits (one per donor) for the RMSPE ratios; tidysynth's README
``grab_significance()`` for California (slow test): California ranks 1st of 39 on the post/pre ratio, Fisher exact
p = 1/39 = 0.0256, followed by Georgia (2nd) and Virginia (3rd).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from clusterecon.errors import DataWarning, SpecificationError
from clusterecon.synth import leave_one_out, placebo_in_space, placebo_in_time, synthetic_control
from tests.conftest import frame_digest


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(5)
    years = list(range(2000, 2014))
    rows = []
    for u in range(7):
        load = rng.uniform(0.5, 1.5)
        for t in years:
            rows.append(
                (f"r{u}", t, 10 + u + load * 0.5 * (t - 2000) + rng.normal(0, 0.3), rng.normal(u, 0.5))
            )
    df = pd.DataFrame(rows, columns=["region", "year", "y", "x"])
    df.loc[(df.region == "r3") & (df.year >= 2010), "y"] -= 6.0
    return df


@pytest.fixture(scope="module")
def fit(toy):
    return synthetic_control(
        toy,
        "y",
        "region",
        "year",
        "r3",
        2010,
        predictors=["x"],
        special_predictors=[("y", [2003]), ("y", [2009])],
        n_starts=1,
    )


def test_placebo_in_space_matches_brute_force_loop(toy, fit):
    """Each placebo's RMSPE ratio equals that of a separate synthetic_control fit with the donor as treated and the
    other donors as pool (same specification, deterministic single start): tolerance 1e-8."""
    before = frame_digest(toy)
    pl = placebo_in_space(fit, n_starts=1)
    assert frame_digest(toy) == before
    donors = list(fit.weights.index)
    for j in donors:
        ref = synthetic_control(
            toy,
            "y",
            "region",
            "year",
            j,
            2010,
            predictors=["x"],
            special_predictors=[("y", [2003]), ("y", [2009])],
            donors=[u for u in donors if u != j],
            n_starts=1,
        )
        row = pl.table.set_index("unit").loc[j]
        assert row["ratio"] == pytest.approx(ref.rmspe_ratio, rel=1e-8), j
        assert row["pre_rmspe"] == pytest.approx(ref.pre_rmspe, rel=1e-8), j
    tr = pl.table.set_index("unit").loc["r3"]
    assert tr["ratio"] == pytest.approx(fit.rmspe_ratio, rel=1e-12)
    ratios = pl.table["ratio"].to_numpy()
    expected_rank = int((ratios >= tr["ratio"]).sum())
    assert pl.rank == expected_rank == 1
    assert pl.p_value == pytest.approx(expected_rank / 7)
    assert fit.to_frame().loc[0, "p_value"] == pytest.approx(pl.p_value)


def test_dropping_poorly_fitted_placebos(fit):
    pl = placebo_in_space(fit, n_starts=1, max_pre_mspe_ratio=2.0)
    t = pl.table
    tr_pre = t.loc[t.is_treated, "pre_mspe"].iloc[0]
    assert (t["kept"] == ((t["pre_mspe"] <= 2.0 * tr_pre) | t["is_treated"])).all()
    assert pl.p_value == pytest.approx(pl.rank / int(t["kept"].sum()))
    assert t.loc[~t["kept"], "rank"].isna().all()
    full = placebo_in_space(fit, n_starts=1)
    again = full.prune(2.0)  # same cut-off without refitting
    pd.testing.assert_frame_equal(
        again.table.sort_values("unit").reset_index(drop=True), t.sort_values("unit").reset_index(drop=True)
    )
    assert full.prune(None).p_value == full.p_value
    with pytest.raises(SpecificationError):
        placebo_in_space(fit, max_pre_mspe_ratio=0)
    placebo_in_space(fit, n_starts=1)  # restore the unpruned placebo on the shared fit
    with pytest.raises(SpecificationError):
        full.prune(-1)


def test_placebo_in_time_finds_no_effect_before_treatment(fit):
    with pytest.warns(DataWarning, match="y\\(2009\\)"):
        pt = placebo_in_time(fit, 2006, n_starts=1)
    assert pt.fit.treatment_time == 2006
    assert max(pt.fit.treated_path.index) == 2009
    assert abs(pt.fit.average_effect) < 1.0 < abs(fit.average_effect)
    assert "placebo effect (2006 to 2010)" in pt.to_frame().loc[0, "term"]
    with pytest.raises(SpecificationError):
        placebo_in_time(fit, 2011)


def test_leave_one_out(fit):
    loo = leave_one_out(fit, n_starts=1)
    positive = fit.weights[fit.weights > 1e-3].index.tolist()
    assert loo.table["dropped"].tolist() == positive
    assert loo.synthetic_paths.shape == (14, len(positive))
    assert (loo.table["average_effect"] < -3).all()


def test_inference_plots_render(fit):
    import matplotlib.pyplot as plt

    pl = placebo_in_space(fit, n_starts=1)
    assert len(pl.plot().lines) >= 7
    assert len(pl.plot(kind="ratios").patches) == 7
    assert len(fit.plot(kind="gaps").lines) >= 7
    assert len(leave_one_out(fit, n_starts=1).plot().lines) >= 2
    assert "Placebo" in pl.summary()
    plt.close("all")


@pytest.mark.slow
def test_california_placebo_rank_matches_tidysynth(shared):
    """tidysynth: California 1st of 39, p = 1/39 = 0.0256; Georgia 2nd, Virginia 3rd.  One optimiser start per
    placebo, as tidysynth (about 40 s of CPU)."""
    from tests.synth.test_scm import california

    smoking = pd.read_csv(shared / "datasets" / "smoking_adh2010.csv")
    res = california(smoking)
    pl = placebo_in_space(res, n_starts=1)
    assert pl.rank == 1
    assert pl.p_value == pytest.approx(1 / 39, abs=5e-5)
    top = pl.table.sort_values("ratio", ascending=False)["unit"].tolist()[:3]
    assert top == ["California", "Georgia", "Virginia"]
    pruned = pl.prune(5)  # ADH (2010) Figure 6: placebos with pre-MSPE above 5x California's dropped
    assert pruned.rank == 1 and pruned.p_value == pytest.approx(1 / int(pruned.table["kept"].sum()))
