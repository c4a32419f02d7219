"""Exact parsing of FAOSTAT normalized CSVs: layouts, encodings, codes, units, flags, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterecon.data.sources.faostat import read_normalized
from clusterecon.errors import ParseError, SpecificationError

from .helpers import FAO, make_deflate64_zip, make_zip

OLD = FAO / "trade_old_latin1.csv"
NEW = FAO / "trade_new_utf8bom.csv"
MNEW = FAO / "matrix_new_utf8.csv"
MOLD = FAO / "matrix_old_latin1.csv"


def _val(df, **key):
    sel = np.ones(len(df), bool)
    for k, v in key.items():
        sel &= (df[k] == v).to_numpy()
    assert sel.sum() == 1, key
    return df.loc[sel, "value"].item()


def test_fixtures_keep_their_exact_bytes():
    """Guard against a checkout that rewrites line ends or encodings (the fixtures must stay byte-exact)."""
    old, new = OLD.read_bytes(), NEW.read_bytes()
    assert old.count(b"\r\n") == old.count(b"\n") == 16 and b"C\xf4te" in old  # CRLF, latin-1
    assert new.startswith(b"\xef\xbb\xbf") and b"\r" not in new and "Côte".encode() in new  # BOM, LF, UTF-8


def test_old_layout_latin1_crlf():
    df = read_normalized(OLD)
    assert len(df) == 15
    assert _val(df, area_code=40, item_code=391, element_code=5910, year=1987) == 8982
    assert _val(df, area_code=40, item_code=391, element_code=5910, year=1988) == 12163
    # 1000 US$ -> US$
    assert _val(df, area_code=40, item_code=391, element_code=5922, year=1987) == 5_655_000
    assert set(df["unit"]) == {"t", "USD"}
    assert df.loc[df.area_code == 107, "area"].iloc[0] == "Côte d'Ivoire"
    assert df["area_m49"].isna().all() and df["item_cpc"].isna().all()
    # a recorded zero stays zero
    assert _val(df, area_code=40, item_code=391, element_code=5922, year=1981) == 0.0
    assert df["area"].str.endswith("\r").sum() == 0 and df["flag"].isna().all()


def test_new_layout_utf8_bom_apostrophes_flags_notes():
    df = read_normalized(NEW)
    assert list(df["area_m49"].unique()) == ["384", "558"]
    assert set(df["item_cpc"]) == {"22251.01"}
    assert df.loc[df.area_code == 107, "area"].iloc[0] == "Côte d'Ivoire"
    assert _val(df, area_code=157, element_code=5922, year=1999) == 10_729_000
    row = df[(df.area_code == 157) & (df.year == 2000)].iloc[0]
    assert np.isnan(row["value"]) and row["flag"] == "M" and row["note"] == "synthetic missing value"
    assert set(df["flag"]) == {"A", "E", "M"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_same_rows_in_every_encoding(tmp_path, encoding):
    text = OLD.read_bytes().decode("latin-1")
    p = tmp_path / "t.csv"
    p.write_bytes(text.encode(encoding))
    a = read_normalized(OLD)
    b = read_normalized(p)
    pd.testing.assert_frame_equal(a, b)


def test_latin1_detected_after_a_long_ascii_prefix(tmp_path):
    """The first MiB is pure ASCII; the first latin-1 byte comes later, so UTF-8 is tried first and abandoned."""
    lines = OLD.read_text(encoding="latin-1").splitlines()
    header, body = lines[0], lines[1:]
    rows = [f'{i},"Area{i}",391,"Tomatoes, paste",5910,"Export Quantity",1990,1990,"tonnes",{i},""'
            for i in range(1000, 1000 + 12_000)]
    text = "\r\n".join([header, *rows, *body]) + "\r\n"
    p = tmp_path / "long.csv"
    p.write_bytes(text.encode("latin-1"))
    assert text.encode("latin-1").index("ô".encode("latin-1")) > 1 << 20
    df = read_normalized(p, areas=[107], block_size=1 << 16)
    assert df["area"].tolist() == ["Côte d'Ivoire"] * 2


def test_codes_not_names_join_old_and_new_releases():
    old = read_normalized(OLD, items=901, elements=5910)
    new = read_normalized(NEW, items=901, elements=5910)
    assert set(old["item"]) == {"Cheese, whole cow milk"} and set(new["item"]) == {"Cheese from whole cow milk"}
    m = old.merge(new, on=["area_code", "item_code", "element_code", "year"], suffixes=("_old", "_new"))
    assert len(m) == 2 and (m["value_old"] == m["value_new"]).all()


def test_filters_and_streaming_blocks_give_the_same_rows():
    full = read_normalized(OLD)
    small = read_normalized(OLD, block_size=256)  # many blocks
    pd.testing.assert_frame_equal(full, small)
    sub = read_normalized(OLD, items=[391], elements=[5910], areas=[40], years=[1988])
    assert sub[["area_code", "year", "value"]].to_dict("records") == [{"area_code": 40, "year": 1988, "value": 12163.0}]


def test_aggregates_are_flagged():
    df = read_normalized(OLD)
    kinds = df.groupby("area_code")["area_kind"].first()
    assert kinds[351] == "aggregate" and kinds[5000] == "aggregate"
    assert kinds[40] == "country" and kinds[41] == "country"


def test_matrix_layouts():
    new = read_normalized(MNEW)
    assert {"reporter_code", "reporter_m49", "partner_code", "partner_m49", "partner_kind"} <= set(new.columns)
    assert set(new["reporter_m49"]) == {"392"} and "152" in set(new["partner_m49"])
    assert _val(new, partner_code=40, element_code=5622, year=1990) == 7000
    old = read_normalized(MOLD, partners=[107])
    assert old["partner"].tolist() == ["Côte d'Ivoire"] and old["partner_m49"].isna().all()
    with pytest.raises(SpecificationError, match="trade matrix only"):
        read_normalized(OLD, partners=[1])


def test_zip_members_and_deflate64(tmp_path):
    data = OLD.read_bytes()
    z = make_zip(tmp_path / "a.zip", {"Trade_E_All_Data_(Normalized).csv": data, "Trade_E_Flags.csv": b"x\n"})
    pd.testing.assert_frame_equal(read_normalized(z), read_normalized(OLD))
    d64 = make_deflate64_zip(tmp_path / "d.zip", "Trade_E_All_Data_(Normalized).csv", data)
    pd.testing.assert_frame_equal(read_normalized(d64), read_normalized(OLD))


# ---------------------------------------------------------------------------------------------------- bad input


def _edit(tmp_path, src, old, new, count=1, encoding="latin-1"):
    text = src.read_bytes().decode(encoding)
    assert old in text
    p = tmp_path / "bad.csv"
    p.write_bytes(text.replace(old, new, count).encode(encoding))
    return p


def _lines(src, encoding="latin-1"):
    return src.read_bytes().decode(encoding).splitlines()


def test_wrong_header(tmp_path):
    p = _edit(tmp_path, OLD, '"Item Code"', '"ItemCode"')
    with pytest.raises(ParseError) as ei:
        read_normalized(p)
    e = ei.value
    assert (e.path, e.line, e.column) == (str(p), 1, "ItemCode")


def test_unknown_element_code_names_the_line(tmp_path):
    p = tmp_path / "elem.csv"
    lines = _lines(OLD)
    k = next(i for i, ln in enumerate(lines) if ",5000," in ln or ln.startswith("5000,"))
    lines[k] = lines[k].replace(",5910,", ",5999,")
    p.write_bytes("\r\n".join(lines).encode("latin-1"))
    with pytest.raises(ParseError, match="unknown element code '5999'") as ei:
        read_normalized(p, items=[901])  # checked on every row, not only the rows kept
    assert (ei.value.line, ei.value.column) == (k + 1, "Element Code")
    assert len(read_normalized(p, unknown_elements="skip")) == 14


def test_non_numeric_value(tmp_path):
    p = _edit(tmp_path, OLD, ",12163,", ",12 163x,")
    with pytest.raises(ParseError, match="not numeric") as ei:
        read_normalized(p)
    assert (ei.value.line, ei.value.column) == (3, "Value")


def test_duplicated_rows(tmp_path):
    lines = _lines(OLD)
    p = tmp_path / "dup.csv"
    p.write_bytes("\r\n".join([*lines, lines[2].replace("12163", "1")]).encode("latin-1"))
    with pytest.raises(ParseError, match="duplicated row .*first seen on line 3") as ei:
        read_normalized(p)
    assert ei.value.line == len(lines) + 1
    assert "Area Code" in ei.value.column


def test_unknown_unit_and_unit_element_mismatch(tmp_path):
    p = _edit(tmp_path, OLD, '1988,1988,"1000 US$",8388', '1988,1988,"US$",8388')
    with pytest.raises(ParseError, match="unknown unit 'US\\$'") as ei:
        read_normalized(p)
    assert (ei.value.line, ei.value.column) == (6, "Unit")
    p2 = _edit(tmp_path, OLD, '1988,1988,"tonnes",12163', '1988,1988,"1000 US$",12163')
    with pytest.raises(ParseError, match="does not fit element 5910") as ei:
        read_normalized(p2)
    assert ei.value.line == 3


def test_tonnes_and_t_are_one_unit(tmp_path):
    p = _edit(tmp_path, OLD, '1988,1988,"tonnes",12163', '1988,1988,"t",12163')
    assert _val(read_normalized(p), area_code=40, element_code=5910, year=1988) == 12163


def test_mixed_units_error(tmp_path, monkeypatch):
    from clusterecon.data.sources import faostat

    monkeypatch.setitem(faostat.UNITS, "US$", ("USD", "USD", 1.0))
    p = _edit(tmp_path, OLD, '1988,1988,"1000 US$",8388', '1988,1988,"US$",8388')
    with pytest.raises(ParseError, match="mixed units within item 391 element 5922") as ei:
        read_normalized(p)
    assert (ei.value.line, ei.value.column, ei.value.path) == (6, "Unit", str(p))


def test_non_integer_code(tmp_path):
    p = _edit(tmp_path, OLD, '40,"Chile",391', '4O,"Chile",391')
    with pytest.raises(ParseError, match="integer code") as ei:
        read_normalized(p)
    assert (ei.value.line, ei.value.column) == (2, "Area Code")


def test_error_in_zip_names_the_member(tmp_path):
    bad = _edit(tmp_path, OLD, ",12163,", ",abc,")
    z = make_zip(tmp_path / "z.zip", {"X_All_Data.csv": bad.read_bytes()})
    with pytest.raises(ParseError) as ei:
        read_normalized(z)
    assert ei.value.path == f"{z}::X_All_Data.csv" and ei.value.line == 3


def test_streamed_read_uses_bounded_memory(tmp_path):
    """A filtered read of a zipped latin-1 CSV (transcoded while streaming) with 128 KiB blocks: the peak in Arrow's
    memory pool does not grow with the file (three times the rows, about the same peak) and stays far below the
    file size."""
    import pyarrow as pa

    header = OLD.read_text(encoding="latin-1").splitlines()[0]

    def peak(n_rows: int) -> tuple[int, int]:
        rows = [f'{1000 + i % 500},"Somewhere {i % 500}",{100 + i // 500},"Item name, long enough to add bytes",'
                f'5910,"Export Quantity",{1961 + i % 60},{1961 + i % 60},"tonnes",{i},""' for i in range(n_rows)]
        rows[12_345] = '40,"Chile",391,"Tomatoes, paste",5910,"Export Quantity",1987,1987,"tonnes",8982,""'
        rows[5] = '107,"Côte d\'Ivoire",901,"Cheese, whole cow milk",5610,"Import Quantity",1990,1990,"tonnes",451,""'
        data = ("\r\n".join([header, *rows]) + "\r\n").encode("latin-1")
        z = make_zip(tmp_path / f"big{n_rows}.zip", {"Big_All_Data.csv": data})
        pool = pa.proxy_memory_pool(pa.default_memory_pool())
        df = read_normalized(z, items=[391], areas=[40], block_size=128 << 10, memory_pool=pool)
        assert df["value"].tolist() == [8982.0]
        return pool.max_memory(), len(data)

    small, small_size = peak(30_000)
    big, big_size = peak(90_000)
    assert big_size > 10_000_000
    assert big < 2 * small + (1 << 20), (small, big)  # does not scale with the file (3x the rows)
    assert big < big_size / 4, (big, big_size)


def test_corrupted_member_while_streaming(tmp_path):
    """Corruption past the first MiB surfaces while streaming, as a ParseError naming the archive."""
    from .helpers import corrupt_copy

    header = OLD.read_text(encoding="latin-1").splitlines()[0]
    rows = [f'{i % 900},"A{i}",{i // 900},"I",5910,"Export Quantity",1990,1990,"tonnes",{(i * 7919) % 100003},""'
            for i in range(60_000)]
    data = ("\r\n".join([header, *rows]) + "\r\n").encode()
    good = make_zip(tmp_path / "g.zip", {"X_All_Data.csv": data})
    bad = corrupt_copy(good, tmp_path / "bad.zip")
    assert len(data) > 3 << 20
    with pytest.raises(ParseError, match="corrupt|CRC|malformed") as ei:
        read_normalized(bad, items=[1])
    assert str(bad) in str(ei.value)


def test_no_matching_rows_gives_an_empty_typed_frame():
    df = read_normalized(OLD, items=[9999])
    assert df.empty and "value" in df.columns and df["value"].dtype == "float64"


def test_row_with_a_missing_field(tmp_path):
    p = _edit(tmp_path, OLD, ',8388,""', ',8388')
    with pytest.raises(ParseError, match="malformed CSV .*Expected 11 columns") as ei:
        read_normalized(p)
    assert ei.value.path == str(p)
