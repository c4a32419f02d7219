"""Case (c), Nicaragua's cheese exports: design, donor rule, estimates recomputed by hand, no-data path."""

from __future__ import annotations

import numpy as np
import pytest

from clusterecon.cases import nicaragua_dairy


def test_design_present():
    for part in ("**Design.**", "**Donor rule.**", "**Identifying assumption.**", "**Threats.**"):
        assert part in nicaragua_dairy.DESIGN


def test_treatment_year_from_timeline():
    assert nicaragua_dairy.treatment_year() == 1998


def test_run_on_real_extract(faostat):
    """Donors and their reasons; SC gap = Nicaragua - W'donors (1e-9); p-values bounded below by 1/5."""
    res = nicaragua_dairy.run(seed=0, frame=faostat)
    donors = set(res.panel.loc[res.panel["donor"], "area"])
    assert donors == {"Guatemala", "Honduras", "Panama", "Belize"}
    status = res.tables["donors"].set_index("country")["status"]
    assert status["El Salvador"].startswith("excluded") and status["Costa Rica"].startswith("dropped")
    sc = res.results["synthetic_control"]
    wide = res.panel.pivot(index="area", columns="year", values="exports_musd")
    synth = sc.weights.to_numpy() @ wide.loc[sc.weights.index].to_numpy()
    np.testing.assert_allclose(sc.gaps.to_numpy(), wide.loc["Nicaragua"].to_numpy() - synth, atol=1e-9)
    assert res.tables["synthetic_control"]["p_value"].iloc[0] >= 0.2
    assert res.tables["permutation"]["p_value"].iloc[0] >= 0.2
    paper_1999 = res.tables["data_checks"]["paper"].iloc[0]
    assert paper_1999 == pytest.approx(25.0)


def test_without_data_reports_unavailable(no_data):
    res = nicaragua_dairy.run(seed=0)
    assert not res.available and "status" in res.tables
    assert nicaragua_dairy.figures(res) == {}
