"""Download faults through a loopback HTTP server (127.0.0.1 only): cut-off transfers, HTTP 500, wrong checksums.

``tests/data/sources/test_download.py`` already checks that each fault raises DownloadError within one call and
that an empty cache stays empty.  Here: a *retry* (a later call) succeeds once the fault goes away; a cached good
copy is left byte-for-byte untouched by a failed refresh; retries are bounded; the Comtrade API path (JSON) behaves
the same.  All loops are bounded (``retries`` attempts, one request per attempt).
"""

from __future__ import annotations

import hashlib
import json

import pytest

from clusterecon.data.sources.comtrade import fetch_comtrade
from clusterecon.data.sources.download import RemoteFile, fetch
from clusterecon.errors import DownloadError

from ..data.sources.helpers import COMTRADE, FAO, make_zip


@pytest.fixture
def cache(env):
    """The isolated cache of the data-source tests (``env`` fixture)."""
    return env


@pytest.fixture
def payload(tmp_path):
    return make_zip(tmp_path / "p.zip", {"X_All_Data_(Normalized).csv": (FAO / "trade_old_latin1.csv").read_bytes()}
                    ).read_bytes()


@pytest.fixture
def payload2(tmp_path):
    return make_zip(tmp_path / "q.zip", {"X_All_Data_(Normalized).csv": (FAO / "matrix_old_latin1.csv").read_bytes()}
                    ).read_bytes()


def _remote(server, sha=None):
    return RemoteFile("data.zip", server.url("data.zip"), sha256=sha, unpinned_reason=None if sha else "test",
                      subdir="t")


def _state(cache):
    """Every file of the cache (but the staging area) with its bytes."""
    return {p.relative_to(cache).as_posix(): p.read_bytes() for p in sorted(cache.rglob("*"))
            if p.is_file() and ".staging" not in p.parts}


def _staging_empty(cache):
    st = cache / ".staging"
    return not st.exists() or not any(st.iterdir())


FAULTS = {
    "cut_off": lambda body: {"status": 200, "body": body, "truncate": len(body) // 2},
    "http_500": lambda body: {"status": 500, "body": b"internal error"},
    "http_503": lambda body: {"status": 503, "body": b"busy"},
    "garbage": lambda body: {"status": 200, "body": b"<html>maintenance</html>"},
}


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_then_retry_succeeds(cache, server, payload, fault):
    server.serve("data.zip", FAULTS[fault](payload))
    with pytest.raises(DownloadError) as ei:
        fetch(_remote(server), retries=0, progressbar=False)
    assert "data.zip" in str(ei.value)
    assert _state(cache) == {} and _staging_empty(cache)
    server.serve("data.zip", {"status": 200, "body": payload})  # the fault goes away
    r = fetch(_remote(server), retries=0, progressbar=False)
    assert r.origin == "download" and r.path.read_bytes() == payload


def test_wrong_checksum_then_right_file(cache, server, payload, payload2):
    pin = hashlib.sha256(payload).hexdigest()
    server.serve("data.zip", {"status": 200, "body": payload2})  # the server has the wrong file
    with pytest.raises(DownloadError, match="does not match the pinned SHA-256"):
        fetch(_remote(server, sha=pin), retries=1, progressbar=False)
    assert server.hits("data.zip") == 2  # one attempt plus one retry, no more
    assert _state(cache) == {} and _staging_empty(cache)
    server.serve("data.zip", {"status": 200, "body": payload})
    r = fetch(_remote(server, sha=pin), retries=0, progressbar=False)
    assert r.pinned and r.sha256 == pin


@pytest.mark.parametrize("fault", FAULTS)
def test_failed_refresh_leaves_the_cached_copy_untouched(cache, server, payload, fault):
    server.serve("data.zip", {"status": 200, "body": payload})
    fetch(_remote(server), retries=0, progressbar=False)
    before = _state(cache)
    assert "t/data.zip" in before
    server.serve("data.zip", FAULTS[fault](payload))
    with pytest.raises(DownloadError):
        fetch(_remote(server), refresh=True, retries=0, progressbar=False)
    assert _state(cache) == before and _staging_empty(cache)
    assert fetch(_remote(server), retries=0, progressbar=False).origin == "cache"


def test_failed_refresh_with_wrong_checksum_keeps_the_cache(cache, server, payload, payload2):
    pin = hashlib.sha256(payload).hexdigest()
    server.serve("data.zip", {"status": 200, "body": payload})
    fetch(_remote(server, sha=pin), retries=0, progressbar=False)
    before = _state(cache)
    server.serve("data.zip", {"status": 200, "body": payload2})
    with pytest.raises(DownloadError, match="pinned"):
        fetch(_remote(server, sha=pin), refresh=True, retries=0, progressbar=False)
    assert _state(cache) == before


@pytest.mark.parametrize("retries", [0, 2])
def test_retries_are_bounded(cache, server, retries):
    server.serve("data.zip", {"status": 500, "body": b"x"})
    with pytest.raises(DownloadError, match="HTTP 500"):
        fetch(_remote(server), retries=retries, progressbar=False)
    assert server.hits("data.zip") == retries + 1


# ---------------------------------------------------------------------------------------------- Comtrade API
@pytest.fixture
def api_key(monkeypatch):
    monkeypatch.setenv("COMTRADE_API_KEY", "k-test")


def _comtrade(server, **kw):
    return fetch_comtrade("0406", reporters=558, years=1999, base_url=server.base + "api", retries=0,
                          progressbar=False, **kw)


def _route(server):
    """Serve every path under /api (the query string is part of the URL, not of the routed path)."""
    return "api/C/A/HS"


@pytest.mark.parametrize("fault", ["cut_off", "http_500", "garbage", "api_error"])
def test_comtrade_fault_then_retry(cache, server, api_key, fault):
    body = (COMTRADE / "plus_200290_0406.json").read_bytes()
    resp = ({"status": 200, "body": json.dumps({"data": [], "error": "quota exceeded"}).encode()}
            if fault == "api_error" else FAULTS[fault](body))
    server.serve(_route(server), resp)
    with pytest.raises(DownloadError):
        _comtrade(server)
    assert _state(cache) == {} and _staging_empty(cache)
    server.serve(_route(server), {"status": 200, "body": body})
    frame, prov = _comtrade(server)
    assert len(frame) > 0 and prov["origin"] == "download"
    assert "k-test" not in json.dumps(prov)
