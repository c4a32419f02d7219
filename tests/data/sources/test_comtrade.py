"""Comtrade Plus CSV/JSON parsing and API fetching through a loopback server (key never leaked)."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from clusterecon.data.sources.comtrade import fetch_comtrade, read_comtrade
from clusterecon.errors import DownloadError, ParseError

from .helpers import COMTRADE

CSV = COMTRADE / "plus_200290_0406.csv"
JSON = COMTRADE / "plus_200290_0406.json"


def test_csv_and_json_give_the_same_frame():
    a, b = read_comtrade(CSV), read_comtrade(JSON)
    assert len(a) == 5
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert set(a["cmd_code"]) == {"200290", "0406"}
    nic = a[(a.reporter_iso == "NIC") & (a.partner_code == 222)].iloc[0]
    assert nic["value_usd"] == 3_000_000.0 and nic["net_weight_kg"] == 2_000_000.0
    assert bool(nic["is_net_weight_estimated"]) and bool(nic["is_qty_estimated"])
    assert nic["legacy_estimation_flag"] == "4" and nic["classification"] == "H0"
    assert bool(a.loc[a.partner_code == 0, "is_aggregate"].all())


def test_commodity_filter_and_lost_leading_zero(tmp_path):
    text = CSV.read_text().replace(",0406,", ",406,")
    p = tmp_path / "c.csv"
    p.write_text(text)
    df = read_comtrade(p, commodities=["0406"])
    assert set(df["cmd_code"]) == {"0406"} and len(df) == 2


@pytest.mark.parametrize(
    "old, new, col, line",
    [(",900000.0,900000.0,", ",900000.0,abc,", "primaryValue", 2),
     ("1995,52,1995,152,CHL", "1995,52,1995,15x,CHL", "reporterCode", 2),
     (",True,False\r\n", ",maybe,False\r\n", "isReported", 2)],
)
def test_bad_csv_names_line_and_column(tmp_path, old, new, col, line):
    text = CSV.read_bytes().decode()
    assert old in text
    p = tmp_path / "bad.csv"
    p.write_bytes(text.replace(old, new, 1).encode())
    with pytest.raises(ParseError) as ei:
        read_comtrade(p)
    assert (ei.value.path, ei.value.line, ei.value.column) == (str(p), line, col)


def test_missing_column_duplicate_and_api_error(tmp_path):
    obj = json.loads(JSON.read_text())
    for r in obj["data"]:
        del r["primaryValue"]
    p = tmp_path / "m.json"
    p.write_text(json.dumps(obj))
    with pytest.raises(ParseError, match="primaryValue"):
        read_comtrade(p)
    obj = json.loads(JSON.read_text())
    obj["data"].append(obj["data"][0])
    p.write_text(json.dumps(obj))
    with pytest.raises(ParseError, match=r"duplicated record .*record 6"):
        read_comtrade(p)
    p.write_text(json.dumps({"data": [], "error": "Invalid subscription key"}))
    with pytest.raises(ParseError, match="reports an error"):
        read_comtrade(p)


def test_fetch_sends_key_in_header_only_and_never_leaks_it(env, server, monkeypatch, caplog):
    secret = "ct-key-0123456789abcdef"
    monkeypatch.setenv("MY_CT_KEY", secret)
    server.serve("C/A/HS", {"status": 200, "body": JSON.read_bytes()})
    with caplog.at_level(logging.DEBUG):
        df, prov = fetch_comtrade(["200290", "0406"], reporters=[152, 558], years=[1995, 1999],
                                  key_env="MY_CT_KEY", base_url=server.base, progressbar=False)
    assert len(df) == 5 and prov["origin"] == "download" and prov["query"]["cmdCode"] == "200290,0406"
    path, headers = server.requests[-1]
    assert headers["Ocp-Apim-Subscription-Key"] == secret
    assert secret not in caplog.text and secret not in json.dumps(prov)
    for f in env.rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes()
    # cached: works offline and without the key
    monkeypatch.delenv("MY_CT_KEY")
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    df2, prov2 = fetch_comtrade(["200290", "0406"], reporters=[152, 558], years=[1995, 1999], key_env="MY_CT_KEY",
                                base_url=server.base)
    assert prov2["origin"] == "cache" and len(server.requests) == 1


def test_fetch_without_key_or_with_api_error(env, server, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    with pytest.raises(DownloadError, match="COMTRADE_API_KEY"):
        fetch_comtrade(["0406"], reporters=558, years=1999, base_url=server.base)
    secret = "another-secret-key"
    monkeypatch.setenv("COMTRADE_API_KEY", secret)
    server.serve("C/A/HS", {"status": 401, "body": b'{"statusCode": 401}'})
    with pytest.raises(DownloadError, match="HTTP 401") as ei:
        fetch_comtrade(["0406"], reporters=558, years=1999, base_url=server.base, progressbar=False)
    assert secret not in str(ei.value)
    server.serve("C/A/HS", {"status": 200, "body": b'{"data": [], "error": "quota exceeded"}'})
    with pytest.raises(DownloadError, match="quota exceeded"):
        fetch_comtrade(["0406"], reporters=558, years=1999, base_url=server.base, progressbar=False)
    assert not list((env / "comtrade").glob("*.json"))
