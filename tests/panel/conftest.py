"""Fixtures of the panel tests: plm's Grunfeld data (10 firms) from ../shared, and a small synthetic panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def grunfeld(shared) -> pd.DataFrame:
    return pd.read_csv(shared / "reference" / "data" / "grunfeld_plm.csv")


@pytest.fixture(scope="session")
def grunfeld_ref(shared) -> pd.DataFrame:
    return pd.read_csv(shared / "reference" / "r" / "grunfeld_reference_values.csv")


@pytest.fixture(scope="session")
def rout(shared):
    """Text of an R output file of the reference folder."""

    def read(name: str) -> str:
        return (shared / "reference" / "r" / name).read_text()

    return read


@pytest.fixture
def unbalanced_panel() -> pd.DataFrame:
    """Synthetic unbalanced panel with a firm, a year and an industry factor (seeded)."""
    rng = np.random.default_rng(20240501)
    n, T = 40, 12
    df = pd.DataFrame({"firm": np.repeat(np.arange(n), T), "year": np.tile(np.arange(2000, 2000 + T), n)})
    df = df.loc[rng.random(len(df)) > 0.2].reset_index(drop=True)
    df["industry"] = (df["firm"] * 7 + df["year"]) % 5
    a = rng.normal(size=n)[df["firm"]]
    g = rng.normal(size=T)[df["year"] - 2000]
    df["x1"] = rng.normal(size=len(df)) + a
    df["x2"] = rng.normal(size=len(df)) + g
    df["w"] = rng.uniform(0.5, 2.0, size=len(df))
    df["y"] = 1.0 + 0.5 * df["x1"] - 0.3 * df["x2"] + a + g + 0.4 * df["industry"] + rng.normal(size=len(df))
    return df
