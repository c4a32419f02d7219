"""Safe zip handling: zip slip, zip bombs, Deflate64, corruption."""

from __future__ import annotations

import zipfile

import pytest

from clusterecon.data.sources import archives
from clusterecon.data.sources.archives import is_safe_member_name, open_zip, safe_extract, verify_zip
from clusterecon.errors import ParseError

from .helpers import FAO, corrupt_copy, make_deflate64_zip, make_zip


@pytest.mark.parametrize(
    "name, ok",
    [("a.csv", True), ("dir/a.csv", True), ("../a.csv", False), ("dir/../../a.csv", False), ("/etc/passwd", False),
     ("C:/x.csv", False), ("dir\\..\\x", False), ("", False)],
)
def test_member_names(name, ok):
    assert is_safe_member_name(name) is ok


@pytest.mark.parametrize("evil", ["../evil.txt", "/tmp/evil-abs.txt", "sub/../../evil.txt"])
def test_zip_slip_refused_and_nothing_written(tmp_path, evil):
    z = make_zip(tmp_path / "slip.zip", {"good.txt": b"ok", evil: b"pwned"})
    dest = tmp_path / "out" / "inner"
    with pytest.raises(ParseError, match="absolute or '..' path") as ei:
        safe_extract(z, dest)
    assert str(z) in str(ei.value)
    assert not (tmp_path / "out" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert not dest.exists() or not any(dest.iterdir())  # refused before writing even the good member


def test_safe_extract_writes_members(tmp_path):
    z = make_zip(tmp_path / "ok.zip", {"a/b.csv": b"x,y\n1,2\n"})
    out = safe_extract(z, tmp_path / "out")
    assert [p.read_bytes() for p in out] == [b"x,y\n1,2\n"]


def test_zip_bomb_total_declared_size(tmp_path):
    z = make_zip(tmp_path / "big.zip", {"a.csv": b"0" * 5000})
    with pytest.raises(ParseError, match="zip bomb"):
        open_zip(z, max_total_bytes=1000)


def test_zip_bomb_ratio(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "_RATIO_FLOOR", 1000)
    z = make_zip(tmp_path / "bomb.zip", {"a.csv": b"\0" * 200_000})  # deflate reaches ~1000:1 on zeros
    with pytest.raises(ParseError, match="ratio above 50"):
        open_zip(z, max_ratio=50)
    open_zip(z).close()  # within the default limit


def test_deflate64_archive_is_read(tmp_path):
    data = (FAO / "trade_old_latin1.csv").read_bytes()
    z = make_deflate64_zip(tmp_path / "d64.zip", "t.csv", data)
    # prove the archive really is method 9
    with zipfile.ZipFile(z) as zf:
        assert zf.infolist()[0].compress_type == 9
    with open_zip(z) as zf:
        assert zf.read("t.csv") == data
    assert verify_zip(z) == ["t.csv"]


def test_deflate64_without_support_is_a_clear_error(tmp_path, monkeypatch):
    z = make_deflate64_zip(tmp_path / "d64.zip", "t.csv", b"a,b\n")
    monkeypatch.setattr(archives, "_deflate64_support", lambda: False)
    with pytest.raises(ParseError, match="zipfile-deflate64"):
        open_zip(z)


def test_corrupted_and_truncated_archives(tmp_path):
    good = make_zip(tmp_path / "g.zip", {"t.csv": (FAO / "trade_old_latin1.csv").read_bytes() * 20})
    bad = corrupt_copy(good, tmp_path / "bad.zip")
    with pytest.raises(ParseError, match="corrupted"):
        verify_zip(bad)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(ParseError, match="not a readable zip"):
        open_zip(cut)
