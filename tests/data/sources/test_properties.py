"""Property tests: any valid table written in any supported layout/encoding parses back to the same numbers."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterecon.data.panels import import_shares
from clusterecon.data.sources.faostat import LAYOUTS, read_normalized

NAMES = st.sampled_from(["Chile", "Côte d'Ivoire", "Nicaragua", "Türkiye", "Réunion", "China, mainland"])
ELEMENT_UNIT = {5610: ["tonnes", "t"], 5622: ["1000 US$", "1000 USD"], 5910: ["tonnes", "t"],
                5922: ["1000 US$", "1000 USD"]}


@st.composite
def tables(draw):
    keys = draw(st.lists(st.tuples(st.integers(1, 300), st.sampled_from([391, 901, 656]),
                                   st.sampled_from(sorted(ELEMENT_UNIT)), st.integers(1961, 2022)),
                         min_size=1, max_size=25, unique=True))
    spelling = {(i, e): draw(st.sampled_from(ELEMENT_UNIT[e])) for _, i, e, _ in keys}
    values = draw(st.lists(st.one_of(st.just(""), st.just("0"), st.integers(0, 10**9).map(str),
                                     st.decimals(0, 10**6, places=3).map(str)),
                           min_size=len(keys), max_size=len(keys)))
    names = draw(st.lists(NAMES, min_size=len(keys), max_size=len(keys)))
    return keys, spelling, values, names


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=tables(), new=st.booleans(), enc=st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]),
       crlf=st.booleans())
def test_round_trip(tmp_path, t, new, enc, crlf):
    keys, spelling, values, names = t
    cols = list(LAYOUTS[("area", new)])
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n" if crlf else "\n")
    w.writerow(cols)
    for (a, i, e, y), v, n in zip(keys, values, names):
        row = {"Area Code": a, "Area Code (M49)": f"'{a:03d}", "Area": n, "Item Code": i,
               "Item Code (CPC)": f"'0{i}", "Item": "x", "Element Code": e, "Element": "y", "Year Code": y,
               "Year": y, "Unit": spelling[(i, e)], "Value": v, "Flag": ""}
        w.writerow([row[c] for c in cols])
    p = tmp_path / "t.csv"
    p.write_bytes(buf.getvalue().encode(enc))
    df = read_normalized(p, block_size=1 << 10)
    assert len(df) == len(keys)
    got = df.set_index(["area_code", "item_code", "element_code", "year"])
    for (a, i, e, y), v, n in zip(keys, values, names):
        r = got.loc[(a, i, e, y)]
        scale = 1000.0 if e in (5622, 5922) else 1.0
        if v == "":
            assert np.isnan(r["value"])
        else:
            assert r["value"] == float(v) * scale
        assert r["area"] == n
        if new:
            assert r["area_m49"] == f"{a:03d}" and r["item_cpc"] == f"0{i}"


@settings(max_examples=25, deadline=None)
@given(vals=st.lists(st.one_of(st.none(), st.floats(0, 1e6)), min_size=1, max_size=12))
def test_import_shares_sum_to_one(vals):
    m = pd.DataFrame({"reporter_code": 110, "partner_code": range(1, len(vals) + 1), "item_code": 391,
                      "element_code": 5610, "year": 1990, "value": [np.nan if v is None else v for v in vals]})
    s = import_shares(m, 110, 391)
    total = np.nansum([v for v in vals if v is not None])
    if total > 0:
        assert abs(s["share"].sum() - 1.0) < 1e-12
        assert (s["share"].dropna() >= 0).all()
    else:
        assert s["share"].isna().all()
