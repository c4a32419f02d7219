"""Fixtures for the data-source tests (the isolated cache ``env`` and the loopback ``server`` are in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def real_trade(shared, tmp_path_factory):
    """The shared real FAOSTAT extract loaded once per session through load_trade (mirror directory, offline)."""
    from clusterecon.data.sources.faostat import load_trade

    return load_trade(mirror=str(shared / "data" / "faostat"), offline=True,
                      cache=tmp_path_factory.mktemp("real-cache"))
