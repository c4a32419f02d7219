"""Goodman-Bacon decomposition: R bacondecomp on castle (TWFE 0.0818116169306475; by type weights 0.05976, 0.03190,
0.90834 and average estimates -0.00554, 0.07032, 0.08796 as printed, 5 decimals), Stata bacondecomp's three-unit
example (weights .1818181841, .1363636317, .6818181841; estimates 2, 4, 2.933333323; Stata floats, 1e-7), and the
weighted sum of 2x2s = TWFE coefficient to 1e-10 (castle, math_reform)."""

from __future__ import annotations

import pandas as pd

from clusterecon.did.bacon import bacon_decomposition
from tests.conftest import frame_digest


def test_castle_r_bacondecomp(shared):
    c = pd.read_csv(shared / "datasets" / "bacondecomp_castle.csv")
    before = frame_digest(c)
    res = bacon_decomposition(c, "l_homicide", unit="state", time="year", treatment="post")
    assert frame_digest(c) == before
    assert abs(res.info["twfe"] - 0.0818116169306475) < 1e-12
    assert abs(res.info["weighted_sum"] - res.info["twfe"]) < 1e-10
    bt = res.info["by_type"]
    expected = {"Earlier vs Later Treated": (0.05976, -0.00554), "Later vs Earlier Treated": (0.03190, 0.07032),
                "Treated vs Untreated": (0.90834, 0.08796)}
    for k, (w, b) in expected.items():
        assert abs(bt.loc[k, "weight"] - w) < 5e-6 and abs(bt.loc[k, "avg_estimate"] - b) < 5e-6


def test_math_reform_weighted_sum_equals_twfe_1e10(shared):
    m = pd.read_csv(shared / "datasets" / "bacondecomp_math_reform.csv")
    res = bacon_decomposition(m, "incearn_ln", unit="state", time="class", treatment="reform_math")
    assert abs(res.info["weighted_sum"] - res.info["twfe"]) < 1e-10
    assert abs(res.info["total_weight"] - 1) < 1e-12


def test_stata_three_unit_example(shared):
    t = pd.read_csv(shared / "datasets" / "bacon_toy_3units.csv")
    bt = bacon_decomposition(t, "Y", unit="id", time="t", treatment="D").info["by_type"]
    assert abs(bt.loc["Earlier vs Later Treated", "weight"] - 0.1818181841) < 1e-7
    assert abs(bt.loc["Later vs Earlier Treated", "weight"] - 0.1363636317) < 1e-7
    assert abs(bt.loc["Treated vs Untreated", "weight"] - 0.6818181841) < 1e-7
    assert abs(bt.loc["Earlier vs Later Treated", "avg_estimate"] - 2) < 1e-9
    assert abs(bt.loc["Later vs Earlier Treated", "avg_estimate"] - 4) < 1e-9
    assert abs(bt.loc["Treated vs Untreated", "avg_estimate"] - 2.933333323) < 1e-7


def test_unbalanced_panel_names_units():
    import numpy as np
    import pytest

    from clusterecon.errors import DataError

    df = pd.DataFrame({"i": np.repeat([1, 2, 3], 4), "t": np.tile([1, 2, 3, 4], 3)})
    df["d"] = ((df.i == 1) & (df.t >= 2)).astype(int)
    df["y"] = df.d + 0.1 * df.t
    with pytest.raises(DataError, match=r"\[3\]"):
        bacon_decomposition(df.iloc[:-1], "y", unit="i", time="t", treatment="d")
