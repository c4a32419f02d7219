"""Unwritable output, read-only file system and disk full during ``clusterecon replicate``.

Tests run as root, so ``chmod`` cannot make a directory read-only: the faults are a path below a regular file and
``os`` functions monkeypatched to fail with ``EROFS`` or ``ENOSPC``.  Contract: a clear
:class:`clusterecon.errors.OutputError` naming the path, nothing half-written (no partial file, no ``*.tmp``), and
the previous outputs and manifest intact.  ``--step facts`` keeps these fast.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterecon import _io
from clusterecon.cli import app
from clusterecon.errors import OutputError
from clusterecon.workflow.replicate import run


def _snapshot(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def _tmp_files(out: Path) -> list[str]:
    return [p.name for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.endswith(".part")]


@pytest.fixture
def done(tmp_path) -> Path:
    """An output directory holding a complete ``--step facts`` run with its manifest."""
    out = tmp_path / "out"
    run(out, steps=["facts"], progress=False)
    return out


def _fail_with(code: int):
    def boom(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return boom


def test_output_below_a_regular_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create output directory") as ei:
        run(blocker / "out", steps=["facts"], progress=False)
    assert str(blocker / "out") in str(ei.value)
    assert blocker.read_text() == "x"


def test_output_is_a_regular_file(tmp_path):
    f = tmp_path / "out"
    f.write_text("keep me")
    with pytest.raises(OutputError):
        run(f, steps=["facts"], progress=False)
    assert f.read_text() == "keep me"


def test_cli_read_only_file_system_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(_io.tempfile, "mkstemp", _fail_with(errno.EROFS))
    res = CliRunner().invoke(app, ["replicate", "--out", str(tmp_path / "out"), "--step", "facts", "--quiet"])
    assert res.exit_code == 2, res.output
    assert "Read-only file system" in res.output and "Traceback" not in res.output
    assert _tmp_files(tmp_path) == []


@pytest.mark.parametrize("where, code", [("mkstemp", errno.EROFS), ("fsync", errno.ENOSPC),
                                         ("replace", errno.ENOSPC), ("replace", errno.EROFS)])
def test_fault_on_rerun_keeps_previous_outputs(done, monkeypatch, where, code):
    before = _snapshot(done)
    target = {"mkstemp": (_io.tempfile, "mkstemp"), "fsync": (_io.os, "fsync"), "replace": (_io.os, "replace")}[where]
    monkeypatch.setattr(*target, _fail_with(code))
    with pytest.raises(OutputError) as ei:
        run(done, steps=["facts"], progress=False)
    if code == errno.ENOSPC and where != "mkstemp":
        assert "disk full" in str(ei.value)
    assert str(done) in str(ei.value)
    monkeypatch.undo()
    assert _snapshot(done) == before  # nothing changed, nothing half-written
    assert _tmp_files(done) == []


def test_disk_full_mid_file_leaves_nothing_half_written(done, monkeypatch):
    """The disk fills after some bytes of a file were written: the write fails, the old file stays."""
    before = _snapshot(done)
    real_fdopen = _io.os.fdopen

    class Filling:
        def __init__(self, fh):
            self.fh, self.n = fh, 0

        def write(self, data):
            self.n += len(data)
            if self.n > 64:
                self.fh.write(data[:10])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

    monkeypatch.setattr(_io.os, "fdopen", lambda *a, **k: Filling(real_fdopen(*a, **k)))
    with pytest.raises(OutputError, match="disk full"):
        run(done, steps=["facts"], progress=False)
    monkeypatch.undo()
    assert _snapshot(done) == before and _tmp_files(done) == []


def test_disk_full_while_writing_the_manifest(done, monkeypatch):
    manifest = json.loads((done / "manifest.json").read_text())
    real_replace = _io.os.replace

    def replace(src, dst):
        if Path(dst).name == "manifest.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst)

    monkeypatch.setattr(_io.os, "replace", replace)
    with pytest.raises(OutputError, match="disk full"):
        run(done, steps=["facts"], progress=False)
    monkeypatch.undo()
    assert json.loads((done / "manifest.json").read_text()) == manifest
    for entry in manifest["outputs"]:
        assert hashlib.sha256((done / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    assert _tmp_files(done) == []


def test_subdirectory_cannot_be_created(tmp_path, monkeypatch):
    """The output directory exists but a sub-directory (tables/) cannot be created: OutputError, not OSError."""
    out = tmp_path / "out"
    out.mkdir()
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self != out and out in self.parents:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    with pytest.raises(OutputError):
        run(out, steps=["facts"], progress=False)
