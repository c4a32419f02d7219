"""`clusterecon fetch faostat|comtrade` (the typer sub-app), run in-process."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from clusterecon.data.sources.cli import fetch_app

from .helpers import COMTRADE, FAO, TRADE_NAME, make_zip

runner = CliRunner()


def test_fetch_faostat_from_mirror_offline_writes_extract(env, tmp_path):
    d = tmp_path / "mirror"
    d.mkdir()
    make_zip(d / TRADE_NAME, {"Trade_CropsLivestock_E_All_Data_(Normalized).csv":
                              (FAO / "trade_old_latin1.csv").read_bytes()})
    out = tmp_path / "chile.csv"
    res = runner.invoke(fetch_app, ["faostat", "--item", "391", "--element", "5910", "--area", "40", "--offline",
                                    "--mirror", str(d), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    assert rec["origin"] == "mirror" and rec["rows"] == 2 and rec["written"] == str(out)
    df = pd.read_csv(out)
    assert df.set_index("year")["value"].to_dict() == {1987: 8982.0, 1988: 12163.0}


def test_fetch_faostat_offline_without_data_fails_cleanly(env):
    res = runner.invoke(fetch_app, ["faostat", "--offline"])
    assert res.exit_code == 2 and "offline" in res.stderr and "Traceback" not in res.output


def test_fetch_comtrade_key_from_env_never_printed(env, server, monkeypatch, tmp_path):
    secret = "cli-secret-key-42"
    monkeypatch.setenv("COMTRADE_API_KEY", secret)
    server.serve("C/A/HS", {"status": 200, "body": (COMTRADE / "plus_200290_0406.json").read_bytes()})
    out = tmp_path / "c.parquet"
    res = runner.invoke(fetch_app, ["comtrade", "--cmd", "0406", "--reporter", "558", "--year", "1999",
                                    "--base-url", server.base, "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert secret not in res.output and json.loads(res.stdout)["rows"] == 5
    assert len(pd.read_parquet(out)) == 5
    monkeypatch.delenv("COMTRADE_API_KEY")
    res = runner.invoke(fetch_app, ["comtrade", "--cmd", "200290", "--base-url", server.base])
    assert res.exit_code == 2 and "COMTRADE_API_KEY" in res.stderr
