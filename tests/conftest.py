"""Shared fixtures: the location of ../shared (tests that need it skip with a stated reason when it is absent)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path | None:
    env = os.environ.get("CLUSTERECON_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared")
    for c in candidates:
        if (c / "README.md").is_file():
            return c
    return None


SHARED = _shared_dir()
SKIP_NO_SHARED = "../shared is absent (reference data are given to developers and CI, not to users)"


@pytest.fixture(scope="session")
def shared() -> Path:
    """Path of ../shared; skips the test when it is not there."""
    if SHARED is None:
        pytest.skip(SKIP_NO_SHARED)
    return SHARED


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


def frame_digest(df: pd.DataFrame) -> str:
    """A digest of a DataFrame's values, index, columns and dtypes: equal before and after means not mutated."""
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(df, index=True).values.tobytes())
    h.update(repr(list(df.columns)).encode())
    h.update(repr([str(t) for t in df.dtypes]).encode())
    return h.hexdigest()


# -- shared by the data-source tests and the fault-injection tests ------------------------------------------------
@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private download cache and no offline/mirror settings inherited from the caller's environment."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("CLUSTERECON_CACHE", str(cache))
    monkeypatch.delenv("CLUSTERECON_OFFLINE", raising=False)
    monkeypatch.delenv("CLUSTERECON_DATA_MIRROR", raising=False)
    return cache


@pytest.fixture
def server():
    """A loopback HTTP server (127.0.0.1, a free port) for the duration of one test."""
    from tests.data.sources.helpers import Loopback

    srv = Loopback().start()
    try:
        yield srv
    finally:
        srv.stop()
