"""Fuzzing the FAOSTAT normalized-CSV parser (``read_normalized``), plain and zipped.

Contract (issue 10): every input ends in a frame or in a ``ClusterEconError`` whose message names the file; errors
about a row name the line (and column).  Seeds are the four FAOSTAT fixtures (old/new layout, trade/matrix, latin-1
and UTF-8 with BOM).
"""

from __future__ import annotations

import struct
import zipfile

import pytest
from hypothesis import given, settings

from clusterecon.data.sources.faostat import read_normalized
from clusterecon.errors import ParseError

from ._fuzz import FAO_SEEDS, assert_contract, classic_mutations, mutated

#: (seed, mutation) -> known open bug; the case is xfail(strict) until the bug is fixed.  Fixed and now regression
#: tests: F1 (raw csv.Error on a CR in the header line: CR-only line ends, UTF-16 sniffed as latin-1).
KNOWN: dict[tuple[str, str], str] = {}
CASES = [pytest.param(seed, name, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[seed, name])]
                      if (seed, name) in KNOWN else [])
         for seed in FAO_SEEDS for name in classic_mutations(b"x")]


@pytest.mark.parametrize("seed, mutation", CASES)
def test_classic_mutations(tmp_path, seed, mutation):
    data = classic_mutations(FAO_SEEDS[seed])[mutation]
    p = tmp_path / "fao.csv"
    p.write_bytes(data)
    assert_contract(read_normalized, p)


@given(data=mutated(list(FAO_SEEDS.values())))
def test_random_mutations(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("fao") / "fao.csv"
    p.write_bytes(data)
    assert_contract(read_normalized, p)


@given(data=mutated(list(FAO_SEEDS.values())))
@settings(max_examples=10)
def test_random_mutations_zipped(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("faoz") / "Trade_E_All_Data_(Normalized).zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Trade_E_All_Data_(Normalized).csv", data)
    assert_contract(read_normalized, p)


def test_valid_seeds_parse(tmp_path):
    """The seeds themselves parse (otherwise the mutations above test nothing)."""
    for name, data in FAO_SEEDS.items():
        p = tmp_path / name
        p.write_bytes(data)
        assert len(read_normalized(p)) > 0


def test_non_numeric_value_names_line_and_column(tmp_path):
    lines = FAO_SEEDS["trade_new_utf8bom.csv"].decode("utf-8-sig").splitlines()
    cells = lines[2].split(",")
    cells[-3] = "12x"  # Value (the layout ends Value, Flag, Note)
    lines[2] = ",".join(cells)
    p = tmp_path / "v.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ParseError) as ei:
        read_normalized(p)
    assert ei.value.line == 3 and ei.value.column == "Value" and str(p) in str(ei.value)


@pytest.mark.parametrize("data", [b'"Area Code"\r1\r', FAO_SEEDS["trade_old_latin1.csv"].replace(b"\r\n", b"\r")],
                         ids=["minimal", "old_mac_line_ends"])
def test_cr_only_line_ends(tmp_path, data):
    """Regression test for finding F1 (was a raw _csv.Error)."""
    p = tmp_path / "cr.csv"
    p.write_bytes(data)
    assert_contract(read_normalized, p)


# ------------------------------------------------------------------------------------------------- archives
def _zip(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    return path


def _declare_size(raw: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size a zip declares (local header and central directory) to ``size``."""
    b = bytearray(raw)
    struct.pack_into("<I", b, b.find(b"PK\x03\x04") + 22, size)
    struct.pack_into("<I", b, b.rfind(b"PK\x01\x02") + 24, size)
    return bytes(b)


def test_zip_bomb_declared_size_refused_before_reading(tmp_path):
    good = _zip(tmp_path / "g.zip", {"X_All_Data_(Normalized).csv": FAO_SEEDS["trade_old_latin1.csv"]})
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(_declare_size(good.read_bytes(), 0xFFFF_FFFF))  # 4 GiB from < 1 KiB
    with pytest.raises(ParseError, match="zip bomb") as ei:
        read_normalized(bomb)
    assert str(bomb) in str(ei.value)


def test_zip_declaring_too_few_bytes_is_a_parse_error(tmp_path):
    good = _zip(tmp_path / "g.zip", {"X_All_Data_(Normalized).csv": FAO_SEEDS["trade_old_latin1.csv"]})
    liar = tmp_path / "liar.zip"
    liar.write_bytes(_declare_size(good.read_bytes(), 100))
    assert isinstance(assert_contract(read_normalized, liar), ParseError)


@pytest.mark.parametrize("cut", [0, 10, 0.5, -30, -1])
def test_truncated_zip(tmp_path, cut):
    raw = _zip(tmp_path / "g.zip", {"X_All_Data_(Normalized).csv": FAO_SEEDS["trade_old_latin1.csv"] * 20}).read_bytes()
    k = int(len(raw) * cut) if isinstance(cut, float) else cut
    p = tmp_path / "cut.zip"
    p.write_bytes(raw[:k])
    assert isinstance(assert_contract(read_normalized, p), ParseError)


@pytest.mark.parametrize("members", [{}, {"a.csv": b"x", "b.csv": b"y"}, {"readme.txt": b"hi"},
                                     {"../X_All_Data.csv": b"x"}, {"X_All_Data.csv": b""}],
                         ids=["no_members", "two_csvs", "no_csv", "zip_slip", "empty_member"])
def test_odd_archives(tmp_path, members):
    p = _zip(tmp_path / "odd.zip", members)
    assert isinstance(assert_contract(read_normalized, p), ParseError)
