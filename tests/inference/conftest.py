"""Fixtures of the inference tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def grunfeld_small() -> pd.DataFrame:
    """A seeded synthetic firm x year panel shaped like Grunfeld (12 firms x 8 years); no external data."""
    rng = np.random.default_rng(1935)
    n, T = 12, 8
    df = pd.DataFrame({"firm": np.repeat(np.arange(1, n + 1), T), "year": np.tile(np.arange(1935, 1935 + T), n)})
    a = rng.normal(scale=30, size=n)[df.firm - 1]
    df["value"] = rng.gamma(2.0, 500, size=len(df)) + 10 * a
    df["capital"] = rng.gamma(2.0, 150, size=len(df))
    df["inv"] = 0.1 * df.value + 0.3 * df.capital + a + rng.normal(scale=40, size=len(df))
    return df
