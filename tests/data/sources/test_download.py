"""Downloads through a loopback HTTP server: cache, offline, mirrors, corruption, checksums, retries, zip slip."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest

from clusterecon.data.sources.download import RemoteFile, cached, fetch
from clusterecon.errors import DownloadError, SpecificationError

from .helpers import FAO, corrupt_copy, make_zip


@pytest.fixture
def payload(tmp_path):
    z = make_zip(tmp_path / "src.zip", {"X_All_Data_(Normalized).csv": (FAO / "trade_old_latin1.csv").read_bytes() * 30})
    return z.read_bytes()


def _remote(server, name="data.zip", sha=None, aliases=()):
    return RemoteFile(name=name, url=server.url(name), sha256=sha, unpinned_reason=None if sha else "test",
                      aliases=aliases, subdir="t")


def _cache_files(cache):
    return sorted(p.name for p in (cache / "t").glob("*")) if (cache / "t").exists() else []


def test_download_then_cache_hit(env, server, payload):
    server.serve("data.zip", {"status": 200, "body": payload})
    rf = _remote(server)
    a = fetch(rf, progressbar=False)
    assert a.origin == "download" and a.sha256 == hashlib.sha256(payload).hexdigest() and not a.pinned
    assert a.path.read_bytes() == payload and a.unpinned_reason == "test"
    meta = json.loads(a.path.with_name("data.zip.provenance.json").read_text())
    assert meta["sha256"] == a.sha256 and meta["origin"] == "download"
    b = fetch(rf, progressbar=False)
    assert b.origin == "cache" and b.sha256 == a.sha256
    assert server.hits("data.zip") == 1
    assert not any((env / ".staging").iterdir())


def test_pinned_checksum_accepts_and_rejects(env, server, payload):
    server.serve("data.zip", {"status": 200, "body": payload})
    good = hashlib.sha256(payload).hexdigest()
    assert fetch(_remote(server, sha=good), progressbar=False).pinned
    env2 = env.parent / "cache2"
    with pytest.raises(DownloadError, match="does not match the pinned SHA-256"):
        fetch(_remote(server, sha="0" * 64), cache=env2, retries=0, progressbar=False)
    assert _cache_files(env2) == []
    # a cached file that no longer matches the pin is not served
    assert cached(_remote(server, sha="1" * 64)) is None


def test_unpinned_requires_explicit_reason():
    with pytest.raises(SpecificationError, match="unpinned_reason"):
        RemoteFile("x.zip", "http://127.0.0.1/x.zip")
    with pytest.raises(SpecificationError, match="64 lower-case hex"):
        RemoteFile("x.zip", "http://127.0.0.1/x.zip", sha256="abc")


def test_offline_forbids_network(env, server, payload, monkeypatch):
    server.serve("data.zip", {"status": 200, "body": payload})
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    with pytest.raises(DownloadError, match="offline"):
        fetch(_remote(server), progressbar=False)
    assert server.requests == []
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", server.base)  # a URL mirror is network too
    with pytest.raises(DownloadError, match="offline"):
        fetch(_remote(server), progressbar=False)
    assert server.requests == []
    monkeypatch.delenv("CLUSTERECON_OFFLINE")
    monkeypatch.delenv("CLUSTERECON_DATA_MIRROR")
    fetch(_remote(server), progressbar=False)
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    assert fetch(_remote(server), progressbar=False).origin == "cache"  # the cache still works offline


def test_mirror_directory_offline(env, tmp_path, payload, monkeypatch):
    d = tmp_path / "mirror"
    d.mkdir()
    (d / "old-name.zip").write_bytes(payload)
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", str(d))
    rf = RemoteFile("data.zip", "http://127.0.0.1:9/never", unpinned_reason="t", aliases=("old-name.zip",), subdir="t")
    r = fetch(rf)
    assert r.origin == "mirror" and r.path == d / "old-name.zip" and r.source == str(d)
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", str(tmp_path / "nowhere"))
    with pytest.raises(DownloadError, match="does not exist"):
        fetch(rf)


def test_mirror_url_replaces_official_host_and_tries_aliases(env, server, payload, monkeypatch):
    server.serve("mirror/old-name.zip", {"status": 200, "body": payload})
    monkeypatch.setenv("CLUSTERECON_DATA_MIRROR", server.base + "mirror")
    rf = RemoteFile("data.zip", server.url("official/data.zip"), unpinned_reason="t", aliases=("old-name.zip",),
                    subdir="t")
    r = fetch(rf, progressbar=False)
    assert r.origin == "mirror" and r.path.read_bytes() == payload
    assert server.hits("official/data.zip") == 0 and server.hits("mirror/data.zip") == 1


def test_http_500_then_retry_succeeds(env, server, payload):
    server.serve("data.zip", {"status": 500, "body": b"oops"}, {"status": 200, "body": payload})
    r = fetch(_remote(server), retries=1, progressbar=False)
    assert r.path.read_bytes() == payload and server.hits("data.zip") == 2


def test_http_errors_without_retries_left(env, server):
    server.serve("data.zip", {"status": 500, "body": b"oops"})
    with pytest.raises(DownloadError, match="HTTP 500"):
        fetch(_remote(server), retries=0, progressbar=False)
    assert _cache_files(env) == []


def test_truncated_download_never_poisons_the_cache(env, server, payload):
    server.serve("data.zip", {"status": 200, "body": payload, "truncate": len(payload) // 2})
    with pytest.raises(DownloadError, match="cut off"):
        fetch(_remote(server), retries=0, progressbar=False)
    assert _cache_files(env) == [] and not any((env / ".staging").iterdir())


def test_corrupted_zip_download_never_poisons_the_cache(env, server, tmp_path, payload):
    src = tmp_path / "good.zip"
    src.write_bytes(payload)
    bad = corrupt_copy(src, tmp_path / "bad.zip").read_bytes()
    server.serve("data.zip", {"status": 200, "body": bad})
    with pytest.raises(DownloadError, match="corrupted"):
        fetch(_remote(server), retries=0, progressbar=False)
    assert _cache_files(env) == []
    server.serve("data.zip", {"status": 200, "body": b"<html>maintenance</html>"})
    with pytest.raises(DownloadError, match="not a readable zip"):
        fetch(_remote(server), retries=0, progressbar=False)
    assert _cache_files(env) == []


def test_zip_slip_download_refused(env, server, tmp_path):
    evil = make_zip(tmp_path / "evil.zip", {"../../evil.csv": b"a\n"}).read_bytes()
    server.serve("data.zip", {"status": 200, "body": evil})
    with pytest.raises(DownloadError, match=r"absolute or '\.\.' path"):
        fetch(_remote(server), retries=0, progressbar=False)
    assert _cache_files(env) == []


def test_headers_are_sent_but_never_logged_or_stored(env, server, payload, caplog):
    secret = "s3cr3t-key-value"
    server.serve("data.zip", {"status": 200, "body": payload})
    with caplog.at_level(logging.DEBUG):
        r = fetch(_remote(server), headers={"Ocp-Apim-Subscription-Key": secret}, progressbar=False)
    assert server.requests[-1][1].get("Ocp-Apim-Subscription-Key") == secret
    assert secret not in caplog.text
    assert all(secret.encode() not in p.read_bytes() for p in (env / "t").iterdir() if p.suffix == ".json")
    assert secret not in json.dumps(r.to_dict())


def test_progress_bar_runs(env, server, payload, capsys):
    server.serve("data.zip", {"status": 200, "body": payload})
    fetch(_remote(server), progressbar=True)
    assert "%" in capsys.readouterr().err


def test_mirror_directory_checks_are_remembered_until_the_file_changes(env, tmp_path, payload, monkeypatch):
    from clusterecon.data.sources import download

    d = tmp_path / "mirror"
    d.mkdir()
    (d / "data.zip").write_bytes(payload)
    rf = RemoteFile("data.zip", "http://127.0.0.1:9/never", unpinned_reason="t", subdir="t")
    calls = []
    real = download._validate_file
    monkeypatch.setattr(download, "_validate_file", lambda *a, **k: calls.append(1) or real(*a, **k))
    a = fetch(rf, mirror=str(d), offline=True)
    b = fetch(rf, mirror=str(d), offline=True)
    assert a.sha256 == b.sha256 and len(calls) == 1
    with pytest.raises(DownloadError, match="does not match the pinned"):
        fetch(rf, mirror=str(d), offline=True, sha256="2" * 64)
    bad = corrupt_copy(d / "data.zip", tmp_path / "bad.zip").read_bytes()
    (d / "data.zip").write_bytes(bad)  # size equal, content and mtime changed
    import os

    os.utime(d / "data.zip", ns=(1, 1))
    with pytest.raises(DownloadError, match="corrupted"):
        fetch(rf, mirror=str(d), offline=True)


def test_failed_refresh_keeps_the_previous_good_copy(env, server, tmp_path, payload):
    server.serve("data.zip", {"status": 200, "body": payload})
    good = fetch(_remote(server), progressbar=False)
    src = tmp_path / "g.zip"
    src.write_bytes(payload)
    server.serve("data.zip", {"status": 200, "body": corrupt_copy(src, tmp_path / "b.zip").read_bytes()})
    with pytest.raises(DownloadError, match="corrupted"):
        fetch(_remote(server), refresh=True, retries=0, progressbar=False)
    again = fetch(_remote(server), progressbar=False)
    assert again.origin == "cache" and again.sha256 == good.sha256 and again.path.read_bytes() == payload
