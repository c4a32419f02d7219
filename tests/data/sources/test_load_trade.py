"""load_trade: origins (cache, mirror, download, file), Parquet cache, provenance; and the real extract (shared)."""

from __future__ import annotations

import pandas as pd
import pytest

from clusterecon.data.sources.faostat import TRADE, load_trade
from clusterecon.errors import DownloadError

from .helpers import FAO, OLD_TRADE_NAME, TRADE_NAME, make_deflate64_zip, make_zip


@pytest.fixture
def fixture_zip(tmp_path):
    (tmp_path / "mirror").mkdir()
    member = "Trade_CropsLivestock_E_All_Data_(Normalized).csv"
    return make_zip(tmp_path / "mirror" / TRADE_NAME, {member: (FAO / "trade_old_latin1.csv").read_bytes()})


def test_offline_without_data_raises_download_error(env, monkeypatch):
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    with pytest.raises(DownloadError, match="offline"):
        load_trade(items=[391])


def test_url_mirror_then_cache_then_parquet(env, server, fixture_zip, monkeypatch):
    server.directory = fixture_zip.parent
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", server.base)
    df, prov = load_trade(items=[391], elements=[5910], progressbar=False)
    assert prov.origin == "mirror" and prov.file == TRADE.name and not prov.parquet_hit and not prov.pinned
    assert prov.unpinned_reason and prov.rows == len(df) == 3  # Chile 1987, 1988 and World 1987
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    df2, prov2 = load_trade(items=[391], elements=[5910])
    assert prov2.origin == "cache" and prov2.parquet_hit and prov2.sha256 == prov.sha256
    pd.testing.assert_frame_equal(df, df2)
    df3, prov3 = load_trade(items=[901], elements=[5610])  # other filters: parsed from the cached zip
    assert prov3.origin == "cache" and not prov3.parquet_hit and set(df3["area_code"]) == {107}
    assert server.hits(TRADE_NAME) == 1
    d = prov.to_dict()
    assert d["filters"]["items"] == [391] and d["sha256"] == prov.sha256


def test_damaged_parquet_cache_is_rebuilt(env, fixture_zip):
    df, prov = load_trade(items=[391], source=fixture_zip)
    assert prov.origin == "file"
    with open(prov.parquet, "wb") as fh:
        fh.write(b"garbage")
    df2, prov2 = load_trade(items=[391], source=fixture_zip)
    assert not prov2.parquet_hit
    pd.testing.assert_frame_equal(df, df2)


def test_old_file_name_and_deflate64_through_a_mirror_directory(env, tmp_path, monkeypatch):
    d = tmp_path / "m64"
    d.mkdir()
    make_deflate64_zip(d / OLD_TRADE_NAME, "Trade_Crops_Livestock_E_All_Data_(Normalized).csv",
                       (FAO / "trade_old_latin1.csv").read_bytes())
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", str(d))
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    df, prov = load_trade(items=[391], elements=[5910], areas=[40])
    assert prov.origin == "mirror" and prov.extra["mirror_name"] == OLD_TRADE_NAME
    assert dict(zip(df["year"], df["value"])) == {1987: 8982.0, 1988: 12163.0}


def test_source_download_ignores_the_mirror_and_needs_network(env, tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", str(tmp_path))
    with pytest.raises(DownloadError, match="offline"):
        load_trade(items=[391], source="download")
    with pytest.raises(DownloadError, match="not in the cache"):
        load_trade(items=[391], source="cache")


# ------------------------------------------------------------------------------------------- the real extract


CHILE, PASTE, EXPORT_QTY = 40, 391, 5910


def _check_chile(df):
    got = df[(df.area_code == CHILE) & (df.item_code == PASTE) & (df.element_code == EXPORT_QTY)]
    assert dict(zip(got["year"], got["value"])) == {1987: 8982.0, 1988: 12163.0}
    assert set(got["unit"]) == {"t"}


@pytest.mark.shared
def test_real_extract_served_over_http_like_a_download(env, server, shared, monkeypatch):
    """Chile's tomato-paste export quantities 1987/1988 = 8,982 t and 12,163 t (exact), via the download path."""
    server.directory = shared / "data" / "faostat"
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", server.base)
    df, prov = load_trade(items=[PASTE], elements=[EXPORT_QTY], areas=[CHILE], years=[1987, 1988],
                          progressbar=False)
    _check_chile(df)
    # the extract carries the pre-2021 file name: found under the alias after a 404 on the current name
    assert prov.origin == "mirror" and server.hits(OLD_TRADE_NAME) == 1 and server.hits(TRADE_NAME) == 1
    assert prov.sha256 == prov.sha256.lower() and len(prov.sha256) == 64


@pytest.mark.shared
def test_real_extract_as_mirror_directory_and_china_aggregate(real_trade):
    df, prov = real_trade
    assert prov.origin == "mirror" and prov.rows == 105_070  # the extract's README: 105,070 rows
    _check_chile(df[df.year.isin([1987, 1988])])
    # 351 "China" is an aggregate equal to mainland + Hong Kong + Macao + Taiwan (item 1882 exports, 2000)
    s = df[(df.item_code == 1882) & (df.element_code == 5922) & (df.year == 2000)].set_index("area_code")["value"]
    assert s[351] == s[41] + s[96] + s[128] + s[214]
    assert (df.loc[df.area_code == 351, "area_kind"] == "aggregate").all()
    assert set(df.loc[df.area_code >= 5000, "area_kind"]) == {"aggregate"}


def test_matrix_through_a_mirror_then_import_shares(env, tmp_path, monkeypatch):
    import json

    from clusterecon.data.panels import import_shares

    from .helpers import MATRIX_NAME

    d = tmp_path / "mm"
    d.mkdir()
    make_zip(d / MATRIX_NAME, {"Trade_DetailedTradeMatrix_E_All_Data_(Normalized).csv":
                               (FAO / "matrix_new_utf8.csv").read_bytes()})
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", str(d))
    m, prov = load_trade(items=[901], elements=[5610], areas=[110], dataset="matrix")
    assert prov.dataset == "matrix" and prov.origin == "mirror" and len(m) == 6
    json.dumps(prov.to_dict())  # manifest-ready
    s = import_shares(m, "Japan", 901, years=[1992]).set_index("partner_code")["share"]
    assert s.to_dict() == {41: 0.75, 40: 0.25}


def test_catalogue_through_a_url_mirror(env, server, monkeypatch):
    """The catalogue's layout (Datasets.Dataset records); the entries here are synthetic."""
    import json

    from clusterecon.data.sources.faostat import catalogue

    cat = {"Datasets": {"Dataset": [
        {"DatasetCode": "TCL", "DatasetName": "Trade: Crops and livestock products", "Topic": "x",
         "FileLocation": "https://example.invalid/Trade_CropsLivestock_E_All_Data_(Normalized).zip",
         "FileSize": "1KB", "FileRows": 10, "DateUpdate": "2020-01-01"},
        {"DatasetCode": "TM", "DatasetName": "Detailed trade matrix", "FileLocation": "https://example.invalid/m.zip"},
    ]}}
    server.serve("datasets_E.json", {"status": 200, "body": json.dumps(cat).encode()})
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", server.base)
    df = catalogue(progressbar=False)
    assert df.set_index("dataset_code").loc["TCL", "date_update"] == "2020-01-01"
    server.serve("datasets_E.json", {"status": 200, "body": b"<html>error page</html>"})
    with pytest.raises(DownloadError, match="not a FAOSTAT bulk catalogue"):
        catalogue(progressbar=False, refresh=True)
    assert len(catalogue(progressbar=False)) == 2  # the good cached copy survived
