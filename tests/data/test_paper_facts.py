"""The paper's facts table: schema on load, bad input named by row and column, provenance against the paper.

Reference: the seed paper (../shared/seed, Perez-Aleman 2002).  Tests that read it use the ``shared`` fixture and
skip with a stated reason when it is absent; the schema tests run everywhere on temporary copies of the table.
"""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterecon.data.paper import (
    CLAIMS,
    COLUMNS,
    ENTITIES,
    QUALIFIERS,
    SOURCES,
    UNITS,
    VARIABLES,
    default_path,
    facts,
    validate_facts,
)
from clusterecon.errors import DataError, SchemaError
from tests.conftest import frame_digest

from ._paper_text import norm, read_sections, text_at, whole_text

# ----------------------------------------------------------------------------------------------------- loading


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return facts()


def test_default_path_is_repo_table(repo_root):
    # in a checkout, clusterecon/_data is a link to the repository's data/ (a wheel ships real files there)
    assert default_path().resolve() == (repo_root / "data" / "paper" / "facts.csv").resolve()


def test_loads_with_exact_columns_and_types(table):
    assert tuple(table.columns) == COLUMNS
    assert table["value"].dtype == np.float64
    assert table["corrected_value"].dtype == np.float64
    assert table["misprint"].dtype == bool
    assert str(table["year_start"].dtype) == "Int64" and str(table["year_end"].dtype) == "Int64"
    assert table["id"].is_unique
    assert len(table) >= 60


def test_misprints_flagged_not_corrected(table):
    t = table.set_index("id")
    # the printed 65% is kept; the reconstruction sits beside it
    assert t.loc["jpn_import_share_chl_1980", "value"] == 65.0
    assert t.loc["jpn_import_share_chl_1980", "misprint"]
    assert t.loc["jpn_import_share_chl_1980", "corrected_value"] == 0.65
    assert "4.46" in t.loc["jpn_import_share_chl_1980", "correction_reason"]
    assert set(table.loc[table["misprint"], "id"]) == {
        "jpn_import_share_chl_1980",
        "jpn_import_share_chn_1990",
    }
    assert table.loc[~table["misprint"], "corrected_value"].isna().all()


def test_key_facts_spot_checks(table):
    """Printed numbers typed from the paper (the independent reference) against the table."""
    t = table.set_index("id")
    expected = {
        "chl_tomato_export_value_1981": (2, "USD million", "FEPACH 1996"),
        "chl_tomato_export_value_1995": (100, "USD million", "FEPACH 1996"),
        "chl_tomato_volume_1981": (14420, "tonnes", "author"),
        "chl_tomato_volume_1995": (113650, "tonnes", "author"),
        "jpn_import_share_chl_1985": (4.46, "percent", "CORFO 1995"),
        "jpn_import_share_chl_1990": (12.52, "percent", "CORFO 1995"),
        "jpn_import_share_chl_1992": (16.86, "percent", "CORFO 1995"),
        "jpn_import_share_chn_1980": (6.63, "percent", "CORFO 1995"),
        "jpn_import_share_chn_1992": (8.07, "percent", "CORFO 1995"),
        "chl_processing_firms_1995": (9, "count", "author"),
        "chl_suppliers_1995": (5000, "count", "author"),
        "chl_processing_firms_1985": (2, "count", "author"),
        "chl_suppliers_1985": (210, "count", "author"),
        "prochile_committees_1988": (65, "count", "Pietrobelli 1993"),
        "prochile_member_firms_1988": (700, "count", "Pietrobelli 1993"),
        "nic_cheese_exports_slv_1999": (25, "USD million", "author"),
        "nic_coffee_exports": (135, "USD million", "author"),
        "nic_agricultural_exports_1999": (332, "USD million", "author"),
        "parmalat_sales_share_south_america_1998": (38, "percent", "author"),
        "ngu_category_a_milk_share": (95, "percent", "interview with Agriconsulting manager, July 2001"),
    }
    for fid, (value, unit, source) in expected.items():
        assert t.loc[fid, "value"] == value, fid
        assert t.loc[fid, "unit"] == unit, fid
        assert t.loc[fid, "source"] == source, fid
    assert t.loc["chl_suppliers_1995", "qualifier"] == "nearly"
    assert t.loc["prochile_member_firms_1988", "qualifier"] == "over"
    assert t.loc["chl_tomato_export_value_1995", "qualifier"] == "more than"


def test_no_derived_number_typed_into_the_table(table):
    """No fact is a ratio, product, sum or difference of two other facts quoted in the same sentence, and none of
    the audit's stated derived numbers (50-fold, eight times, 20%, 7.5%) is a fact of its sentence."""
    for quote, grp in table.groupby("quote"):
        vals = [v for v in grp["value"] if v > 1]
        for i, j in itertools.permutations(range(len(vals)), 2):
            a, b = vals[i], vals[j]
            derived = [d for d in (a / b, a * b, a - b, a + b, 100 * a / b) if d > 1]
            for k, v in enumerate(vals):
                if k not in (i, j):
                    assert not any(np.isclose(v, d, rtol=1e-9) for d in derived), (quote, a, b, v)
    by_quote = table.groupby("quote")["value"].apply(set).to_dict()
    for c in CLAIMS:
        if c.kind == "value":
            assert float(c.stated) not in by_quote.get(c.quote, set()), c.claim_id


def test_readme_lists_the_vocabularies(repo_root):
    text = (repo_root / "data" / "paper" / "README.md").read_text(encoding="utf-8")

    def listed(heading: str) -> list[str]:
        block = text.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
        return re.findall(r"^- `([^`]*)`", block, flags=re.M)

    assert listed("entity") == list(ENTITIES)
    assert listed("variable") == list(VARIABLES)
    assert listed("unit") == list(UNITS)
    assert listed("qualifier") == [q for q in QUALIFIERS if q]
    assert listed("source") == list(SOURCES)
    for col in COLUMNS:
        assert f"`{col}`" in text


# ------------------------------------------------------------------------------------------------ bad input


@pytest.fixture()
def csv_lines() -> list[str]:
    return default_path().read_text(encoding="utf-8").splitlines()


def _line_of(lines: list[str], fid: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(fid + ","))


def _write(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "facts.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _edit(tmp_path, lines, fid, old, new) -> tuple[Path, int]:
    k = _line_of(lines, fid)
    assert old in lines[k]
    lines = list(lines)
    lines[k] = lines[k].replace(old, new, 1)
    return _write(tmp_path, lines), k + 1  # 1-based CSV line


def test_missing_unit_names_line_id_and_column(tmp_path, csv_lines):
    path, line = _edit(tmp_path, csv_lines, "chl_suppliers_1985", ",210,count,", ",210,,")
    with pytest.raises(SchemaError) as err:
        facts(path)
    msg = str(err.value)
    assert f"line {line}" in msg and "'chl_suppliers_1985'" in msg and "column 'unit'" in msg


def test_duplicate_id_names_both_lines(tmp_path, csv_lines):
    path, line = _edit(tmp_path, csv_lines, "esp_tomato_paste_producer_rank_1994", "esp_tomato", "chl_tomato")
    first = _line_of(csv_lines, "chl_tomato_paste_producer_rank_1994") + 1
    with pytest.raises(SchemaError) as err:
        facts(path)
    msg = str(err.value)
    assert f"line {first}" in msg and f"line {line}" in msg
    assert "column 'id'" in msg and "'chl_tomato_paste_producer_rank_1994'" in msg


def test_non_numeric_value_names_line_id_and_column(tmp_path, csv_lines):
    path, line = _edit(tmp_path, csv_lines, "chl_tomato_volume_1981", ",14420,tonnes,", ',"14,420",tonnes,')
    with pytest.raises(SchemaError) as err:
        facts(path)
    msg = str(err.value)
    assert f"line {line}" in msg and "'chl_tomato_volume_1981'" in msg and "column 'value'" in msg
    assert "14,420" in msg


def test_unknown_entity_names_line_id_and_column(tmp_path, csv_lines):
    path, line = _edit(tmp_path, csv_lines, "nic_coffee_exports", ",Nicaragua,", ",Nicaragua (coffee),")
    with pytest.raises(SchemaError) as err:
        facts(path)
    msg = str(err.value)
    assert f"line {line}" in msg and "'nic_coffee_exports'" in msg and "column 'entity'" in msg
    assert "Nicaragua (coffee)" in msg


@pytest.mark.parametrize(
    "header_edit, expect",
    [
        (lambda h: h + ",notes", "unknown column(s) ['notes']"),
        (lambda h: h.replace(",unit,", ","), "missing column(s) ['unit']"),
    ],
)
def test_extra_or_missing_column_is_an_error(tmp_path, csv_lines, header_edit, expect):
    lines = [header_edit(csv_lines[0])] + [
        (line + "," if "notes" in header_edit(csv_lines[0]) else line) for line in csv_lines[1:]
    ]
    with pytest.raises(SchemaError, match=re.escape(expect)):
        facts(_write(tmp_path, lines))


def test_misprint_without_correction_and_backward_years(tmp_path, csv_lines):
    path, line = _edit(tmp_path, csv_lines, "chl_suppliers_1985", ",false,,", ",true,,")
    with pytest.raises(
        SchemaError, match=rf"line {line} \(id 'chl_suppliers_1985'\), column\(s\) 'corrected_value'"
    ):
        facts(path)
    path, line = _edit(tmp_path, csv_lines, "chl_economic_collapse", ",1981,1982,", ",1982,1981,")
    with pytest.raises(SchemaError, match=rf"line {line} .*'year_start', 'year_end'"):
        facts(path)


def test_wrong_field_count_names_the_line(tmp_path, csv_lines):
    k = _line_of(csv_lines, "paper_cases")
    lines = list(csv_lines)
    lines[k] = lines[k] + ",oops"
    with pytest.raises(SchemaError, match=rf"line {k + 1} \(id 'paper_cases'\): 16 fields, expected 15"):
        facts(_write(tmp_path, lines))


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        facts(tmp_path / "nope.csv")


def test_dataframe_input_validated_and_not_mutated(table):
    bad = table.copy()
    bad.loc[3, "unit"] = ""
    before = frame_digest(bad)
    with pytest.raises(SchemaError, match=rf"row 3 \(id '{bad.loc[3, 'id']}'\), column 'unit'"):
        validate_facts(bad)
    assert frame_digest(bad) == before
    good = table.copy()
    before = frame_digest(good)
    out = validate_facts(good)
    assert out is not good and frame_digest(good) == before
    pd.testing.assert_frame_equal(out, table)


def test_user_file_is_not_modified(tmp_path):
    p = tmp_path / "facts.csv"
    shutil.copy(default_path(), p)
    before = p.read_bytes()
    facts(p)
    assert p.read_bytes() == before


# ----------------------------------------------------------------------------------------- against the paper
_WORDS = {
    0: ["zero"],
    1: ["one", "once", "decade", "major"],
    2: ["two"],
    3: ["three"],
    4: ["four"],
    5: ["fifth"],
    6: ["six"],
    8: ["eight"],
    9: ["nine"],
    10: ["ten"],
    12: ["twelve"],
    14: ["fourteen"],
}


def _printed_forms(value: float) -> list[str]:
    forms = [f"{value:g}"]
    if float(value).is_integer():
        forms += [f"{int(value):,}", str(int(value))]
        forms += _WORDS.get(int(value), [])
    return forms


def _appears(form: str, text: str) -> bool:
    if form[0].isdigit():
        return re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)", text) is not None
    return re.search(rf"\b{re.escape(form)}\b", text, flags=re.I) is not None


def test_every_quote_is_verbatim_in_the_paper(table, shared):
    text = whole_text(shared)
    missing = [r.id for r in table.itertuples() if norm(r.quote) not in text]
    assert not missing, f"quotes not found verbatim in the paper: {missing}"


def test_printed_value_appears_in_its_quote(table):
    bad = [
        (r.id, r.value)
        for r in table.itertuples()
        if not any(_appears(f, r.quote) for f in _printed_forms(r.value))
    ]
    assert not bad, f"printed value not in its quote: {bad}"


def test_locations_point_at_the_quote(table, shared):
    sections = read_sections(shared)
    wrong = [
        (r.id, r.location) for r in table.itertuples() if norm(r.quote) not in text_at(sections, r.location)
    ]
    assert not wrong, f"quote not at its location: {wrong}"


def test_sections_4_and_5_numerals_all_covered(table, shared):
    """Every numeral printed in sections 4 and 5 (body and footnotes) is a fact, a stated claim value, or an
    excluded kind (citation year, page range, the interview dates cited in `source`, list markers)."""
    from clusterecon.data.paper import CLAIMS

    sections = read_sections(shared)
    texts = []
    for s in (4, 5):
        texts += sections[s].paragraphs + [t for _, t in sections[s].footnotes]
    body = norm(" ".join(texts))
    body = re.sub(r"\((?:[A-Z][^()]*?,? )?\d{4}(?:, \d{4})*(?:, pp\. [\d–]+)?\)", " ", body)  # citations
    body = re.sub(
        r"(?:Perez-Aleman|Velasco|Marcel|Meller|Silva|Solvell and Zander) \(\d{4}[^)]*\)", " ", body
    )
    body = re.sub(r"\((\d)\)", " ", body)  # list markers (1), (2)
    body = re.sub(r"\b\d{4}s\b", " ", body)  # decade labels ("the 1970s"), not numbers
    numerals = {float(x.replace(",", "")) for x in re.findall(r"(?<![\w.])\d[\d,]*(?:\.\d+)?", body)}
    known = set(table["value"]) | {float(c.stated) for c in CLAIMS if c.kind == "value"}
    known |= {float(y) for y in table["year_start"].dropna()} | {float(y) for y in table["year_end"].dropna()}
    excluded = {2000.0, 2001.0, 82.0}  # fieldwork/interview dates (in `source`); the "82" of "1981–82"
    assert numerals - known - excluded == set()
