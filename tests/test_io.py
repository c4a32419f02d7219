"""Atomic writes: a failure half-way leaves the previous file intact and no temporary file behind."""

from __future__ import annotations

import os

import pytest

from clusterecon._io import atomic_write, ensure_writable_dir, sha256_file, write_text_atomic
from clusterecon.errors import OutputError


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "t.txt"
    write_text_atomic(target, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write("new, half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_is_a_clear_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            write_text_atomic(ro / "x.txt", "x")
    finally:
        ro.chmod(0o700)


def test_output_path_that_is_a_file_is_a_clear_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputError, match="not a directory|cannot create"):
        ensure_writable_dir(f)
    with pytest.raises(OutputError):
        ensure_writable_dir(f / "sub")


def test_disk_full_leaves_previous_version(tmp_path, monkeypatch):
    import errno

    target = tmp_path / "t.bin"
    write_text_atomic(target, "previous")
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="disk full"):
        write_text_atomic(target, "next")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["t.bin"]


def test_sha256_file(tmp_path):
    p = tmp_path / "a"
    p.write_bytes(b"abc")
    assert sha256_file(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
