"""Series and descriptives built from the paper's facts: gaps explicit, interpolation labelled, numbers computed.

References: closed forms on the paper's printed numbers (typed below from the paper), e.g. CAGR
(100/2)**(1/14) - 1; tolerance 1e-12 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterecon.data.paper import (
    DESCRIPTIVE_COLUMNS,
    NO_INFERENCE,
    SERIES,
    SERIES_COLUMNS,
    descriptives,
    facts,
    series,
)
from clusterecon.errors import SpecificationError
from tests.conftest import frame_digest


@pytest.fixture(scope="module")
def all_series() -> pd.DataFrame:
    return series()


def _one(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df[df["series"] == name].set_index("year")


def test_columns_groups_and_full_year_ranges(all_series):
    assert tuple(all_series.columns) == SERIES_COLUMNS
    assert set(all_series["group"]) == set(SERIES)
    for (_, _), g in all_series.groupby(["group", "series"]):
        years = g["year"].to_numpy()
        assert (np.diff(years) == 1).all(), "every series covers a full, gap-free range of years"
    assert not all_series["interpolated"].any()


def test_gaps_are_explicit_nan(all_series):
    v = _one(all_series, "chile_processed_tomato_export_value")
    assert list(v.index) == list(range(1981, 1996))
    assert v.loc[1981, "value"] == 2 and v.loc[1995, "value"] == 100
    assert v["value"].isna().sum() == 13
    assert (v.loc[v["value"].isna(), "note"] == "not printed in the paper").all()
    assert (v.loc[v["value"].isna(), "fact_id"] == "").all()
    s = _one(all_series, "japan_import_share_chile")
    assert list(s.index) == list(range(1980, 1993))
    assert s["value"].notna().sum() == 4
    assert s.loc[1980, "value"] == 65 and s.loc[1980, "corrected_value"] == 0.65 and s.loc[1980, "misprint"]


def test_taiwan_rank_and_committees(all_series):
    t = _one(all_series, "japan_import_rank_taiwan")
    assert t["value"].notna().sum() == 1 and t.loc[1990, "value"] == 1
    assert "start year not stated" in t.loc[1990, "note"]
    c = _one(all_series, "export_committees")
    assert list(c.index) == list(range(1982, 1989)) and c.loc[1988, "value"] == 65
    assert c["value"].isna().sum() == 6


def test_suppliers_per_firm_is_computed(all_series):
    spf = _one(all_series, "suppliers_per_firm")
    assert spf["computed"].all()
    assert spf.loc[1985, "value"] == pytest.approx(210 / 2, rel=1e-12)
    assert spf.loc[1995, "value"] == pytest.approx(5000 / 9, rel=1e-12)
    assert spf.loc[1995, "fact_id"] == "chl_suppliers_1995 / chl_processing_firms_1995"
    assert spf["value"].isna().sum() == 9


def test_nicaragua_shares_computed(all_series):
    n = all_series[all_series["group"] == "nicaragua_exports"].set_index("series")
    assert n.loc["cheese_share_of_coffee", "value"] == pytest.approx(100 * 25 / 135, rel=1e-12)
    assert n.loc["cheese_share_of_agricultural_exports", "value"] == pytest.approx(100 * 25 / 332, rel=1e-12)
    assert (n["year"] == 1999).all()


def test_interpolation_is_labelled_inside_only_and_never_for_ranks():
    s = series("japan_import_shares", interpolate=True)
    chl = _one(s, "japan_import_share_chile")
    assert chl.loc[1991, "interpolated"] and chl.loc[1991, "value"] == pytest.approx((12.52 + 16.86) / 2)
    assert chl.loc[1987, "corrected_value"] == pytest.approx(4.46 + (12.52 - 4.46) * 2 / 5)
    assert not chl.loc[[1980, 1985, 1990, 1992], "interpolated"].any()
    assert chl.loc[chl["interpolated"], "fact_id"].eq("").all()
    assert "misprint" in chl.loc[1982, "note"]  # printed-value interpolation runs from the misprinted 65
    twn = _one(s, "japan_import_rank_taiwan")
    assert twn["value"].notna().sum() == 1 and not twn["interpolated"].any()
    single = series("nicaragua_exports", interpolate=True)
    assert not single["interpolated"].any()


def test_unknown_series_name():
    with pytest.raises(SpecificationError, match="unknown series 'chile'"):
        series("chile")


def test_descriptives_closed_forms():
    d = descriptives()
    assert tuple(d.columns) == DESCRIPTIVE_COLUMNS

    def pick(measure, ser, entity, y0, y1, basis="printed"):
        r = d[
            (d.measure == measure)
            & (d.series == ser)
            & (d.entity == entity)
            & (d.start_year == y0)
            & (d.end_year == y1)
            & (d.basis == basis)
        ]
        assert len(r) == 1, (measure, ser, entity, y0, y1, basis)
        return r.iloc[0]

    ev = "processed_tomato_export_value"
    assert pick("growth_multiple", ev, "Chile", 1981, 1995).value == pytest.approx(50, rel=1e-12)
    assert pick("cagr", ev, "Chile", 1981, 1995).value == pytest.approx(100 * (50 ** (1 / 14) - 1), rel=1e-12)
    assert "lower bound" in pick("cagr", ev, "Chile", 1981, 1995).note
    vol = pick("cagr", "processed_tomato_production_volume", "Chile", 1981, 1995)
    assert vol.value == pytest.approx(100 * ((113650 / 14420) ** (1 / 14) - 1), rel=1e-12)
    spf = pick("growth_multiple", "suppliers_per_firm", "Chilean processors", 1985, 1995)
    assert spf.value == pytest.approx((5000 / 9) / (210 / 2), rel=1e-12)
    share = "japan_tomato_paste_import_share"
    did = pick("difference_2x2", share, "Chile - China", 1980, 1992, "corrected")
    assert did.value == pytest.approx((16.86 - 0.65) - (8.07 - 6.63), rel=1e-12)
    printed = pick("difference_2x2", share, "Chile - China", 1980, 1992, "printed")
    assert printed.value == pytest.approx((16.86 - 65) - (8.07 - 6.63), rel=1e-12)
    assert did.inference == NO_INFERENCE and "no sampling" in NO_INFERENCE
    # China has no misprint that changes a value, so it appears on the printed basis only
    assert not ((d.entity == "China") & (d.basis == "corrected")).any()


def test_inputs_not_mutated():
    f = facts()
    before = frame_digest(f)
    series(facts=f)
    series("supplier_network", interpolate=True, facts=f)
    descriptives(f)
    assert frame_digest(f) == before
