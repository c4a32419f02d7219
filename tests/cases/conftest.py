"""Fixtures of the case tests: the FAOSTAT extract of ../shared (skip when absent) and an environment without it."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def faostat(shared):
    """FAOSTAT country totals for items 391 and 901, read from ../shared/data/faostat (skips when absent)."""
    from clusterecon.data.sources.faostat import load_trade

    path = shared / "data" / "faostat" / "Trade_Crops_Livestock_E_All_Data_(Normalized).zip"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    frame, _ = load_trade(items=(391, 901), source=path, parquet_cache=False)
    return frame


@pytest.fixture
def no_data(monkeypatch, tmp_path):
    """No mirror, an empty cache, offline: the real data cannot be had."""
    monkeypatch.delenv("CLUSTERECON_DATA_MIRROR", raising=False)
    monkeypatch.setenv("CLUSTERECON_CACHE", str(tmp_path))
    monkeypatch.setenv("CLUSTERECON_OFFLINE", "1")
