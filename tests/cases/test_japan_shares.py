"""Case (b), Japan's import shares: the DiD in shares against the paper module's independent 2x2 descriptives."""

from __future__ import annotations

import pytest

from clusterecon.cases import japan_shares
from clusterecon.data import paper


def test_design_present():
    for part in ("**Design.**", "**Identifying assumption.**", "**Inference.**", "**Threats.**"):
        assert part in japan_shares.DESIGN


def test_did_matches_paper_descriptives():
    """Same numbers as clusterecon.data.paper.descriptives() (computed there independently), to 1e-9."""
    res = japan_shares.run(use_faostat=False)
    did = res.tables["did"]
    desc = paper.descriptives()
    desc = desc.loc[desc["measure"] == "difference_2x2"]
    assert len(desc) == 4
    for _, d in desc.iterrows():
        label = "corrected" if d["basis"] == "corrected" else "as printed"
        mine = did.loc[(did["end_year"] == d["end_year"]) & (did["values"] == label), "did_pp"]
        assert float(mine.iloc[0]) == pytest.approx(float(d["value"]), abs=1e-9)
    assert (did["inference"] == japan_shares.NO_INFERENCE).all()


def test_origins_without_figures_are_listed_not_invented():
    shares = japan_shares.run(use_faostat=False).tables["shares"]
    for origin in ("Taiwan", "United States"):
        rows = shares.loc[shares["origin"] == origin]
        assert len(rows) == 1 and rows["share_corrected"].isna().all()


def test_bilateral_data_absent_is_said(no_data):
    res = japan_shares.run()
    assert res.provenance["bilateral"]["status"] == "unavailable"
    assert any("unavailable" in n for n in res.notes)
    assert res.tables["context"]["status"].iloc[0] == "real data unavailable"
