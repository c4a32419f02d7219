"""clusterecon.data.panels: panels (zero vs missing), import shares, reconciliation with the paper's facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterecon.data.panels import (
    FACT_MAP,
    RECONCILIATION_COLUMNS,
    country_panel,
    import_shares,
    reconciliation,
)
from clusterecon.data.sources.faostat import read_normalized
from clusterecon.errors import DataError, SpecificationError
from tests.conftest import frame_digest

from .helpers import FAO

TRADE = read_normalized(FAO / "trade_old_latin1.csv")
MATRIX = read_normalized(FAO / "matrix_new_utf8.csv")


def test_panel_zero_and_missing_distinct_and_aggregates_excluded():
    before = frame_digest(TRADE)
    p = country_panel(TRADE, 391, 5922)
    assert frame_digest(TRADE) == before
    assert set(p["area_code"]) == {40, 41, 107, 157}  # every country in the frame; 351 and 5000 excluded
    assert list(range(1981, 1989)) == sorted(p["year"].unique())
    chl = p[p.area_code == 40].set_index("year")
    assert chl.loc[1981, "value"] == 0.0 and chl.loc[1981, "observed"]
    assert np.isnan(chl.loc[1982, "value"]) and not chl.loc[1982, "observed"]
    assert chl.loc[1987, "value"] == 5_655_000.0
    assert p[p.area_code == 157]["value"].isna().all()
    agg = country_panel(TRADE, 391, 5910, include_aggregates=True)
    assert {351, 5000} <= set(agg["area_code"])


def test_panel_wide_and_explicit_grid():
    w = country_panel(TRADE, 391, 5910, areas=[40, 157], years=[1986, 1987, 1988], wide=True)
    assert w.shape == (2, 3)
    assert w.loc[40, 1987] == 8982 and w.loc[40, 1988] == 12163 and np.isnan(w.loc[40, 1986])


def test_panel_rejects_duplicates_and_missing_columns():
    dup = pd.concat([TRADE, TRADE.iloc[[0]]])
    with pytest.raises(DataError, match="two rows for area 40 year 1987"):
        country_panel(dup, 391, 5910)
    with pytest.raises(SpecificationError, match="lacks columns"):
        country_panel(TRADE.drop(columns="value"), 391, 5910)


def test_import_shares_by_hand():
    """Shares = partner value / sum over partners, by hand from the (synthetic) fixture rows."""
    before = frame_digest(MATRIX)
    s = import_shares(MATRIX, "japan", 901)
    assert frame_digest(MATRIX) == before
    y90 = s[s.year == 1990].set_index("partner_code")
    assert y90["total"].iloc[0] == 100.0
    assert y90["share"].to_dict() == {41: 0.5, 40: 0.3, 214: 0.2, 231: 0.0}
    y92 = s[s.year == 1992].set_index("partner_code")["share"].to_dict()
    assert y92 == {41: 0.75, 40: 0.25}
    v = import_shares(MATRIX, 110, 901, element=5622)
    assert v["share"].tolist() == [1.0]
    with pytest.raises(SpecificationError, match="not found"):
        import_shares(MATRIX, "Atlantis", 901)
    with pytest.raises(SpecificationError, match="5610 or 5622"):
        import_shares(MATRIX, 110, 901, element=5910)


FACT_COLS = ["id", "entity", "variable", "period", "year_start", "year_end", "value", "unit", "source", "location",
             "quote", "qualifier", "misprint", "corrected_value", "correction_reason"]


def _facts():
    rows = [
        ["chl_tomato_export_value_1995", "Chile", "processed_tomato_export_value", "1995", 1995, 1995, 100.0,
         "USD million", "FEPACH 1996", "", "", "more than", False, None, ""],
        ["nic_coffee_exports", "Nicaragua", "coffee_export_value", "1999", 1999, 1999, 135.0, "USD million",
         "author", "", "", "", False, None, ""],
        ["nic_agricultural_exports_1999", "Nicaragua", "agricultural_export_value", "1999", 1999, 1999, 332.0,
         "USD million", "author", "", "", "", False, None, ""],
        ["nic_cheese_exports_slv_1999", "Nicaragua", "artisan_cheese_exports_el_salvador", "1999", 1999, 1999,
         25.0, "USD million", "author", "", "", "", False, None, ""],
        ["jpn_import_share_chl_1990", "Chile", "japan_tomato_paste_import_share", "1990", 1990, 1990, 12.52,
         "percent", "CORFO 1995", "", "", "", False, None, ""],
        ["jpn_import_share_chl_1980", "Chile", "japan_tomato_paste_import_share", "1980", 1980, 1980, 65.0,
         "percent", "CORFO 1995", "", "", "", True, 0.65, "inline test"],
        ["chl_suppliers_1985", "Chilean processors", "suppliers", "1985", 1985, 1985, 210.0, "count", "author", "",
         "", "", False, None, ""],
    ]
    return pd.DataFrame(rows, columns=FACT_COLS)


def test_reconciliation_against_fixture_rows():
    facts = _facts()
    before = (frame_digest(facts), frame_digest(TRADE))
    t = reconciliation(facts, TRADE)
    assert (frame_digest(facts), frame_digest(TRADE)) == before
    assert list(t.columns[: len(RECONCILIATION_COLUMNS)]) == RECONCILIATION_COLUMNS
    assert "chl_suppliers_1985" not in set(t["fact_id"])  # not a trade fact
    r = t.set_index("fact_id")
    # fixture rows are the real extract's: 134,825 and 311,603 thousand US$ in 1999
    assert r.loc["nic_coffee_exports", "source_value"] == pytest.approx(134.825, abs=1e-9)
    assert r.loc["nic_coffee_exports", "ratio"] == pytest.approx(134.825 / 135, abs=1e-12)
    assert r.loc["nic_agricultural_exports_1999", "source_value"] == pytest.approx(311.603, abs=1e-9)
    assert r.loc["nic_cheese_exports_slv_1999", "source_value"] == pytest.approx(10.729, abs=1e-9)
    assert "El Salvador only" in r.loc["nic_cheese_exports_slv_1999", "note"]
    assert np.isnan(r.loc["chl_tomato_export_value_1995", "source_value"])  # 1995 not in the fixture
    assert "more than" in r.loc["chl_tomato_export_value_1995", "note"]
    assert "Detailed Trade Matrix (not loaded)" in r.loc["jpn_import_share_chl_1990", "note"]
    assert r.loc["jpn_import_share_chl_1980", "paper_value"] == 0.65
    assert "misprint" in r.loc["jpn_import_share_chl_1980", "note"]


def test_reconciliation_with_a_matrix_and_without_any_source():
    m = MATRIX.assign(item_code=391, item="Paste of tomatoes")
    t = reconciliation(_facts(), TRADE, m).set_index("fact_id")
    assert t.loc["jpn_import_share_chl_1990", "source_value"] == pytest.approx(30.0)  # 30 of 100 t (synthetic)
    none = reconciliation(_facts(), None)
    assert none["source_value"].isna().all() and (none["note"].str.contains("no FAOSTAT data loaded")
                                                   | none["note"].str.contains("Matrix")).all()


def test_mapping_keys_are_in_the_facts_vocabulary():
    """A renamed entity or variable in the facts table would silently drop a row from the reconciliation."""
    from clusterecon.data.paper import ENTITIES, UNITS, VARIABLES

    for (entity, variable), spec in FACT_MAP.items():
        assert entity in ENTITIES and variable in VARIABLES and spec.paper_unit in UNITS
        assert spec.dataset in {"trade", "matrix"} and spec.note
        assert (spec.partner is None) == (spec.dataset == "trade")


@pytest.mark.shared
def test_reconciliation_on_the_real_extract_and_the_paper_facts(real_trade):
    from clusterecon.data.paper import facts

    fao, _ = real_trade
    t = reconciliation(facts(), fao).set_index("fact_id")
    # FAOSTAT (vintage ~2022, the shared extract) vs the paper, in USD million; exact to float rounding
    assert t.loc["nic_coffee_exports", "source_value"] == pytest.approx(134.825, abs=1e-9)
    assert t.loc["nic_agricultural_exports_1999", "source_value"] == pytest.approx(311.603, abs=1e-9)
    assert t.loc["chl_tomato_export_value_1995", "source_value"] == pytest.approx(92.46, abs=1e-9)
    assert t.loc["chl_tomato_export_value_1981", "source_value"] == 0.0


def test_reconcile_with_source_falls_back_offline_and_uses_a_mirror(env, tmp_path, monkeypatch):
    from clusterecon.data.panels import reconcile_with_source

    from .helpers import TRADE_NAME, make_zip

    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    t, rec = reconcile_with_source(_facts())
    assert rec["status"] == "unavailable" and rec["error"] == "DownloadError" and "offline" in rec["reason"]
    assert t["source_value"].isna().all() and len(t) == 6
    d = tmp_path / "m"
    d.mkdir()
    make_zip(d / TRADE_NAME, {"T_All_Data.csv": (FAO / "trade_old_latin1.csv").read_bytes()})
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", str(d))
    t, rec = reconcile_with_source(_facts())
    assert rec["status"] == "faostat" and rec["origin"] == "mirror" and len(rec["sha256"]) == 64
    assert t.set_index("fact_id").loc["nic_coffee_exports", "source_value"] == pytest.approx(134.825)
