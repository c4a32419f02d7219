"""Case (a), Chile's tomato-paste exports: design text, donor rule, estimates recomputed by hand, no-data path."""

from __future__ import annotations

import numpy as np
import pytest

from clusterecon.cases import chile_tomato
from clusterecon.data.sources.areas import is_aggregate
from tests.conftest import frame_digest


def test_design_states_design_assumption_and_threats():
    for part in ("**Design.**", "**Donor pool rule.**", "**Identifying assumption.**", "**Threats.**"):
        assert part in chile_tomato.DESIGN


def test_treatment_years_come_from_facts_and_timeline():
    years = chile_tomato.treatment_years()
    assert years["year"].tolist() == [1982, 1983, 1985, 1986]
    assert years.loc[years["main"], "year"].tolist() == [1985]
    assert years["source"].str.match(r"^(fact|timeline event) ").all()


def test_donor_rule(faostat):
    panel, record = chile_tomato.data(frame=faostat)
    wide = panel.pivot(index="area", columns="year", values="exports_t")
    donors = wide.drop(index="Chile")
    assert (donors.loc[:, 1961:1981] > 0).any(axis=1).all()  # exported before the earliest treatment year
    assert wide.notna().all().all()  # complete over the window
    assert not is_aggregate(panel["area_code"]).any()
    assert record["n_donors"] == len(donors) == 49


def test_run_recomputes_by_hand_and_leaves_input_alone(faostat):
    """SC gaps = Chile - W'donors and the permutation DiD = closed-form DiD of means (tolerance 1e-9)."""
    before = frame_digest(faostat)
    res = chile_tomato.run(seed=0, frame=faostat, placebo=False, sdid=False)
    assert frame_digest(faostat) == before
    sc = res.results["synthetic_control"]
    wide = res.panel.pivot(index="area", columns="year", values="exports_kt")
    w = sc.weights
    assert w.min() >= -1e-12 and abs(w.sum() - 1) < 1e-9
    synth = w.to_numpy() @ wide.loc[w.index].to_numpy()
    np.testing.assert_allclose(sc.gaps.to_numpy(), wide.loc["Chile"].to_numpy() - synth, atol=1e-9)
    t0 = sc.treatment_time
    post, pre = wide.columns >= t0, wide.columns < t0
    contrast = wide.loc[:, post].mean(axis=1) - wide.loc[:, pre].mean(axis=1)
    did = contrast["Chile"] - contrast.drop("Chile").mean()
    perm = res.tables["permutation"]
    assert perm["estimate"].iloc[0] == pytest.approx(did, abs=1e-9)
    assert perm["p_value"].iloc[0] >= 1 / wide.shape[0]
    sens = res.tables["sensitivity"]
    assert sens["treatment_year"].tolist() == [1982, 1983, 1985, 1986, 1985]
    assert sens["outcome"].tolist() == ["export quantity"] * 4 + ["export value"]
    checks = res.tables["data_checks"]
    assert checks["faostat"].iloc[0] == 21  # FAOSTAT's zero years 1961-1981


def test_without_data_reports_unavailable(no_data):
    res = chile_tomato.run(seed=0)
    assert not res.available
    assert res.tables["status"]["status"].iloc[0] == "real data unavailable"
    assert "REAL DATA UNAVAILABLE" in res.summary()
    assert chile_tomato.figures(res) == {}
