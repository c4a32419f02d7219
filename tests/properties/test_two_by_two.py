"""Two periods and one treated cohort: every DiD estimator equals the closed-form 2x2 difference in mean changes.

With periods {t0, t1}, treatment starting at t1 for one group and never for the other, ``ATT = (mean dy | treated)
- (mean dy | control)`` where ``dy = y_t1 - y_t0``.  twfe, the within estimator, event_study (event time 0),
att_gt/aggte, sun_abraham, did_imputation, bacon (its one 2x2), did2x2 (reg, ipw, dr: no covariates) and
must all give it (tolerance: absolute 1e-8).  Synthetic DiD needs two pre-periods, so its ``method="did"`` is
compared with TWFE on block adoption with three periods instead.  Panels drawn by hypothesis.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import frame_digest

from ._panels import BY_NAME, COLS, N_EST, make_panel

TOL = 1e-8


def _closed_form(df: pd.DataFrame) -> float:
    wide = df.pivot(index="unit", columns="time", values="y")
    dy = wide.iloc[:, 1] - wide.iloc[:, 0]
    g = df.groupby("unit")["cohort"].first()
    return float(dy[g > 0].mean() - dy[g == 0].mean())


def _estimates(df: pd.DataFrame) -> dict[str, float]:
    from clusterecon.did.aggte import aggte
    from clusterecon.did.att_gt import att_gt
    from clusterecon.did.did2x2 import did2x2

    t1 = df["time"].max()
    out = {}
    for name in ("twfe", "fit_within_twoways", "did_imputation", "bacon"):
        fr = BY_NAME[name].run(df, COLS)
        out[name] = float(fr["estimate"].iloc[0]) if name != "bacon" else float((fr["estimate"] * fr["weight"]).sum())
    es = BY_NAME["event_study"].run(df, COLS)
    out["event_study"] = float(es.loc[es["term"] == "event_time::0", "estimate"].iloc[0])
    sa = BY_NAME["sun_abraham"].run(df, COLS)
    out["sun_abraham"] = float(sa.loc[sa["term"] == "event_time::0", "estimate"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = att_gt(df, "y", "time", "unit", "cohort")
        out["att_gt"] = float(r.to_frame()["estimate"].iloc[-1])
        out["aggte_simple"] = float(aggte(r, type="simple").to_frame()["estimate"].iloc[0])
        d = df.assign(g=(df["cohort"] > 0).astype(int), post=(df["time"] == t1).astype(int))
        for m in ("reg", "ipw", "dr"):
            out[f"did2x2_{m}"] = float(did2x2(d, "y", "time", "unit", "g", est_method=m).to_frame()["estimate"].iloc[0])
    return out


@settings(max_examples=max(3, N_EST))
@given(n=st.integers(6, 30), n_never=st.integers(2, 5), t0=st.sampled_from([1, 2000]), seed=st.integers(0, 2**31 - 1),
       effect=st.sampled_from([0.0, 1.0, -3.0]))
def test_all_did_estimators_agree_on_a_2x2(n, n_never, t0, seed, effect):
    df = make_panel(n, [t0, t0 + 1], [t0 + 1], effect=effect, seed=seed, n_never=min(n_never, n - 2))
    digest = frame_digest(df)
    truth = _closed_form(df)
    got = _estimates(df)
    assert frame_digest(df) == digest
    bad = {k: v for k, v in got.items() if not np.isclose(v, truth, rtol=0, atol=TOL)}
    assert not bad, f"closed form {truth}; disagreeing: {bad}"


@settings(max_examples=max(3, N_EST))
@given(n=st.integers(6, 20), n_never=st.integers(2, 5), seed=st.integers(0, 2**31 - 1))
def test_sdid_with_did_weights_is_twfe_under_block_adoption(n, n_never, seed):
    from clusterecon.synth import synthetic_did

    df = make_panel(n, [1, 2, 3, 4], [3], seed=seed, n_never=min(n_never, n - 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sd = synthetic_did(df, "y", "unit", "time", "treated", method="did", se_method=None)
    tw = BY_NAME["twfe"].run(df, COLS)
    assert np.isclose(float(sd.to_frame()["estimate"].iloc[0]), float(tw["estimate"].iloc[0]), rtol=0, atol=TOL)
