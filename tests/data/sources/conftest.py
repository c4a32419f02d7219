"""Fixtures for the data-source tests: an isolated cache/environment and a loopback HTTP server."""

from __future__ import annotations

import pytest

from .helpers import Loopback


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private cache directory and no offline/mirror settings inherited from the caller's environment."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("CLUSTERECON_CACHE", str(cache))
    monkeypatch.delenv("CLUSTERECON_OFFLINE", raising=False)
    monkeypatch.delenv("CLUSTERECON_DATA_MIRROR", raising=False)
    return cache


@pytest.fixture
def server():
    srv = Loopback().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def real_trade(shared, tmp_path_factory):
    """The shared real FAOSTAT extract loaded once per session through load_trade (mirror directory, offline)."""
    from clusterecon.data.sources.faostat import load_trade

    return load_trade(mirror=str(shared / "data" / "faostat"), offline=True,
                      cache=tmp_path_factory.mktemp("real-cache"))
