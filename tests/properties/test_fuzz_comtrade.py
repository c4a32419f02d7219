"""Fuzzing the UN Comtrade Plus parser (``read_comtrade``) on CSV and JSON inputs.

Contract (issue 10): a frame or a ``ClusterEconError`` naming the file (and the line or record where a row is at
fault).  Seeds: the Comtrade Plus CSV and JSON fixtures.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterecon.data.sources.comtrade import read_comtrade
from clusterecon.errors import ParseError

from ._fuzz import COMTRADE_CSV, COMTRADE_JSON, assert_contract, classic_mutations, mutated

SEEDS = {"csv": (COMTRADE_CSV, ".csv"), "json": (COMTRADE_JSON, ".json")}
#: (seed, mutation) -> known open bug (xfail strict until fixed).  Fixed and now regression tests: F2 (pandas'
#: EmptyDataError/ParserError escaped on empty or malformed CSV), F3 (integers outside int64: raw TypeError or a
#: silently wrapped value).
KNOWN: dict[tuple[str, str], str] = {}
CASES = [pytest.param(s, m, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[s, m])] if (s, m) in KNOWN else [])
         for s in SEEDS for m in classic_mutations(b"x")]
HEADER = b"refYear,reporterCode,flowCode,partnerCode,cmdCode,primaryValue\n"


@pytest.mark.parametrize("seed, mutation", CASES)
def test_classic_mutations(tmp_path, seed, mutation):
    raw, suffix = SEEDS[seed]
    p = tmp_path / f"ct{suffix}"
    p.write_bytes(classic_mutations(raw)[mutation])
    assert_contract(lambda q: read_comtrade(q, commodities=None), p)


@given(data=mutated([COMTRADE_CSV, COMTRADE_JSON]))
def test_random_mutations(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("ct") / "ct.csv"
    p.write_bytes(data)
    assert_contract(lambda q: read_comtrade(q, commodities=None), p)


def test_valid_seeds_parse(tmp_path):
    for name, (raw, suffix) in SEEDS.items():
        p = tmp_path / f"{name}{suffix}"
        p.write_bytes(raw)
        assert len(read_comtrade(p, commodities=None)) > 0


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                     st.text(max_size=8), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                               st.integers(), max_size=2))


@given(records=st.lists(st.fixed_dictionaries(
    {k: _SCALARS for k in ("refYear", "reporterCode", "flowCode", "partnerCode", "cmdCode", "primaryValue")},
    optional={"netWgt": _SCALARS, "isReported": _SCALARS, "qtyUnitAbbr": _SCALARS}), max_size=4),
    envelope=st.booleans())
def test_json_records_of_any_type(tmp_path_factory, records, envelope):
    """Well-formed JSON whose fields hold values of any JSON type: a frame or a ParseError naming the record."""
    p = tmp_path_factory.mktemp("ctj") / "ct.json"
    p.write_text(json.dumps({"data": records, "error": ""} if envelope else records, allow_nan=True))
    assert_contract(lambda q: read_comtrade(q, commodities=None), p)


@pytest.mark.parametrize("year", [b"1e19", b"99999999999999999999", b"-9223372036854775809"])
def test_integer_out_of_range(tmp_path, year):
    p = tmp_path / "ct.csv"
    p.write_bytes(HEADER + year + b",152,X,0,0406,1\n")
    with pytest.raises(ParseError) as ei:
        read_comtrade(p)
    assert ei.value.line == 2 and ei.value.column == "refYear"


@pytest.mark.parametrize("body", ['{"data": 3}', '{"error": "quota exceeded"}', '{"x": 1}', "[1, 2]", "[]",
                                  '{"data": []}', '{"data": [{}]}', "[[]]", '{"data": [null]}'])
def test_json_shapes(tmp_path, body):
    p = tmp_path / "ct.json"
    p.write_text(body)
    assert_contract(lambda q: read_comtrade(q, commodities=None), p)


def test_non_numeric_value_names_line_and_column(tmp_path):
    p = tmp_path / "ct.csv"
    p.write_bytes(HEADER + b"1995,152,X,392,200290,1\n1995,152,X,392,200290,12abc\n")
    with pytest.raises(ParseError) as ei:
        read_comtrade(p)
    assert ei.value.line == 3 and ei.value.column == "primaryValue" and str(p) in str(ei.value)


@pytest.mark.parametrize("data", [b"", b"\n", b"\xef\xbb\xbf"], ids=["empty", "newline", "bom"])
def test_empty_files(tmp_path, data):
    p = tmp_path / "ct.csv"
    p.write_bytes(data)
    assert_contract(read_comtrade, p)


def test_ragged_row(tmp_path):
    p = tmp_path / "ct.csv"
    p.write_bytes(HEADER + b"1995,152,X,392,200290,1\n1995,152,X,392,200290,1,9,9\n")
    assert_contract(read_comtrade, p, need_line=True)


def test_unclosed_quote(tmp_path):
    p = tmp_path / "ct.csv"
    p.write_bytes(HEADER + b'1995,152,X,392,"200290,1\n')
    assert_contract(read_comtrade, p)
