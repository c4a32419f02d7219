"""``clusterecon replicate`` killed mid-run (SIGINT, SIGKILL): outputs and manifest stay consistent, reruns recover.

The job runs as a subprocess (``.venv/bin/clusterecon replicate --out DIR --quiet --step facts --step audit --step
series``, i.e. every step but the FAOSTAT one) offline, with a private cache, and is interrupted as soon as its first
output file appears.  Checked:

* the manifest, when present, is complete and true: every file it lists exists with that SHA-256 -- after an
  interrupted *re*-run it is still the previous complete one;
* an interrupted run leaves no visible partial file: every non-hidden file is byte-identical to the same file of an
  uninterrupted run (atomic writes), and SIGINT (a Python exception) also removes its temporary files;
* the next run completes and gives the same manifest as an uninterrupted run (leftover hidden temporary files of a
  SIGKILL confuse nothing).

Runtime: one full reference run, one full rerun and three partial runs (about 1-2 minutes ; marked ``slow``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).with_name("clusterecon")
FIRST_OUTPUT = Path("tables") / "paper_facts.csv"


def _env(cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERECON_")}
    env.update(CLUSTERECON_OFFLINE="1", CLUSTERECON_CACHE=str(cache), MPLBACKEND="Agg")
    return env


#: the steps run: the paper's three (the FAOSTAT step, offline here, adds nothing to what is tested and a full run
#: costs several times more); the kill comes after the first step's output, so "audit"/"series" are mid-run
STEPS = ("facts", "audit", "series")


def _cmd(out: Path) -> list[str]:
    return [str(EXE), "replicate", "--out", str(out), "--quiet", *(a for s in STEPS for a in ("--step", s))]


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _visible_files(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): _sha(p) for p in sorted(out.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)}


def _manifest(out: Path) -> dict | None:
    m = out / "manifest.json"
    return json.loads(m.read_text(encoding="utf-8")) if m.exists() else None


def _assert_manifest_true(out: Path) -> None:
    m = _manifest(out)
    if m is None:
        return
    for entry in m["outputs"]:
        p = out / entry["path"]
        assert p.is_file(), f"manifest lists {entry['path']} but it is missing"
        assert _sha(p) == entry["sha256"], f"manifest hash of {entry['path']} is stale"


def _run_and_interrupt(out: Path, cache: Path, sig: int, *, trigger: Path | None = None) -> int:
    """Start replicate, wait (bounded) until ``trigger`` (default the first output) changes, send ``sig``."""
    trigger = out / (trigger or FIRST_OUTPUT)
    before = trigger.stat().st_mtime_ns if trigger.exists() else None
    proc = subprocess.Popen(_cmd(out), env=_env(cache), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if trigger.exists() and trigger.stat().st_mtime_ns != before:
                break
            time.sleep(0.02)
        if proc.poll() is not None:
            pytest.skip("replicate finished before it could be interrupted")
        proc.send_signal(sig)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def reference(tmp_path_factory, cache) -> Path:
    """An uninterrupted run."""
    out = tmp_path_factory.mktemp("reference")
    res = subprocess.run(_cmd(out), env=_env(cache), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return out


def _same_outputs(a: Path, b: Path) -> None:
    ma, mb = _manifest(a), _manifest(b)
    assert ma is not None and mb is not None
    assert ma == mb


def test_reference_manifest_is_true(reference):
    _assert_manifest_true(reference)
    assert _visible_files(reference).keys() - {"manifest.json"} == {e["path"] for e in _manifest(reference)["outputs"]}


def test_sigkill_mid_run_then_rerun_gives_the_same_manifest(tmp_path, cache, reference):
    out = tmp_path / "out"
    rc = _run_and_interrupt(out, cache, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert _manifest(out) is None  # the manifest is written last
    ref = _visible_files(reference)
    for rel, digest in _visible_files(out).items():  # whatever exists is complete (atomic writes)
        assert ref.get(rel) == digest, f"{rel} is partial or differs from an uninterrupted run"
    res = subprocess.run(_cmd(out), env=_env(cache), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    _same_outputs(out, reference)
    _assert_manifest_true(out)
    assert _visible_files(out) == ref


def test_sigint_mid_rerun_is_clean_and_keeps_the_previous_manifest(tmp_path, cache, reference):
    """SIGINT during a rerun: exit code 130, no temporary file left, the previous complete manifest still true."""
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    rc = _run_and_interrupt(out, cache, signal.SIGINT)
    assert rc == 130  # the CLI's exit code for an interrupt (no traceback)
    assert _manifest(out) == _manifest(reference)
    _assert_manifest_true(out)
    assert _visible_files(out) == _visible_files(reference)
    leftovers = [p.name for p in out.rglob("*.tmp")]
    assert leftovers == [], f"temporary files left by an interrupted run: {leftovers}"


def test_sigkill_mid_rerun_keeps_the_previous_manifest(tmp_path, cache, reference):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    assert _run_and_interrupt(out, cache, signal.SIGKILL) == -signal.SIGKILL
    assert _manifest(out) == _manifest(reference)
    _assert_manifest_true(out)
    assert _visible_files(out) == _visible_files(reference)
