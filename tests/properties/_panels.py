"""Small panel generators and estimator adapters for the metamorphic tests."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import settings
from hypothesis import strategies as st

from clusterecon.errors import FewClustersWarning

#: examples per estimator property: a fraction of the profile's max_examples (ci: 3, long: 50)
N_EST = max(2, settings().max_examples // 8)

COLS = {"y": "y", "unit": "unit", "time": "time", "cohort": "cohort", "treated": "treated"}


def make_panel(n_units: int, periods: list[int], cohorts: list[int], *, effect: float = 1.0, seed: int = 0,
               n_never: int | None = None) -> pd.DataFrame:
    """Balanced panel: units cycle through ``[0] + cohorts`` (0 = never treated) so every group has units;
    ``y = a_i + l_t + effect * D_it + e_it`` with parallel trends and no anticipation."""
    rng = np.random.default_rng(seed)
    groups = np.array([0] + list(cohorts))
    g = groups[np.arange(n_units) % len(groups)]
    if n_never is not None:
        g = np.where(np.arange(n_units) < n_never, 0, np.where(g == 0, groups[-1], g))
    T = len(periods)
    unit = np.repeat(np.arange(1, n_units + 1), T)
    time = np.tile(np.asarray(periods), n_units)
    coh = np.repeat(g, T)
    d = ((coh > 0) & (time >= coh)).astype(int)
    a = np.repeat(rng.normal(0, 1, n_units) + 0.3 * (g > 0), T)
    lam = np.tile(np.cumsum(rng.normal(0, 1, T)), n_units)
    y = a + lam + effect * d + rng.normal(0, 1, n_units * T)
    return pd.DataFrame({"unit": unit, "time": time, "cohort": coh, "treated": d, "y": y})


@st.composite
def panels(draw, *, min_units: int = 12, max_units: int = 24) -> pd.DataFrame:
    """A staggered panel with 4-6 periods, one or two cohorts and never-treated units."""
    T = draw(st.integers(4, 6))
    periods = list(range(1, T + 1))
    cohorts = draw(st.sampled_from([[3], [3, T], [T - 1], [2, T - 1]] if T > 4 else [[3], [3, 4]]))
    n = draw(st.integers(min_units, max_units))
    return make_panel(n, periods, sorted(set(cohorts)), effect=draw(st.sampled_from([0.0, 1.0, -2.5])),
                      seed=draw(st.integers(0, 2**31 - 1)))


@dataclass(frozen=True)
class Est:
    name: str
    run: Callable[[pd.DataFrame, dict], pd.DataFrame]  # (data, column names) -> tidy frame
    weights: str | None = None  # keyword taking a weights column, if any


def _frame(res) -> pd.DataFrame:
    return res.to_frame().reset_index(drop=True)


def _quiet(fn):
    def wrapped(df, c, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(df, c, **kw)
    return wrapped


def _estimators() -> list[Est]:
    from clusterecon.did.aggte import aggte
    from clusterecon.did.att_gt import att_gt
    from clusterecon.did.bacon import bacon_decomposition
    from clusterecon.did.event_study import event_study
    from clusterecon.did.imputation import did_imputation
    from clusterecon.did.sun_abraham import sun_abraham
    from clusterecon.did.twfe import twfe
    from clusterecon.panel import fit

    def w(c, key="weights"):
        return {key: c["w"]} if c.get("w") else {}

    return [
        Est("twfe", _quiet(lambda d, c: _frame(twfe(d, c["y"], unit=c["unit"], time=c["time"], treatment=c["treated"],
                                                    **w(c)))), weights="weights"),
        Est("fit_within_twoways", _quiet(lambda d, c: _frame(fit(f"{c['y']} ~ {c['treated']}", d, entity=c["unit"],
                                                                 time=c["time"], model="within", effects="twoways",
                                                                 vcov="cluster", **w(c))).iloc[:, :3]),
            weights="weights"),
        Est("event_study", _quiet(lambda d, c: _frame(event_study(d, c["y"], unit=c["unit"], time=c["time"],
                                                                  cohort=c["cohort"], uniform=False, **w(c)))),
            weights="weights"),
        Est("att_gt", _quiet(lambda d, c: _frame(att_gt(d, c["y"], c["time"], c["unit"], c["cohort"],
                                                        **w(c, "weightsname"))).iloc[:, :3]),
            weights="weightsname"),
        Est("aggte_dynamic", _quiet(lambda d, c: _frame(aggte(att_gt(d, c["y"], c["time"], c["unit"], c["cohort"],
                                                                     **w(c, "weightsname")), type="dynamic"))
                                    .iloc[:, :3]), weights="weightsname"),
        Est("sun_abraham", _quiet(lambda d, c: _frame(sun_abraham(d, c["y"], unit=c["unit"], time=c["time"],
                                                                  cohort=c["cohort"], uniform=False, **w(c)))),
            weights="weights"),
        Est("did_imputation", _quiet(lambda d, c: _frame(did_imputation(d, c["y"], unit=c["unit"], time=c["time"],
                                                                        cohort=c["cohort"])))),
        Est("bacon", _quiet(lambda d, c: _frame(bacon_decomposition(d, c["y"], unit=c["unit"], time=c["time"],
                                                                    treatment=c["treated"]))[["estimate", "weight"]])),
    ]


ESTIMATORS = _estimators()
BY_NAME = {e.name: e for e in ESTIMATORS}


def numbers(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Point estimates and standard errors (NaN where an estimator reports none)."""
    est = frame["estimate"].to_numpy(float)
    se = frame["std_error"].to_numpy(float) if "std_error" in frame else np.full(len(est), np.nan)
    return est, se
