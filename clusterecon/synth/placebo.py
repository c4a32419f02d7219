"""Inference for a synthetic control: placebos in space and in time, and leave-one-out over donors.

* :func:`placebo_in_space` (Abadie, Diamond and Hainmueller 2010, Section 4): every donor in turn is treated as if
  it had been treated at the same time, with the other donors (never the treated unit) as its pool and the same
  specification.  The treated unit's post/pre RMSPE ratio is ranked among all units; the permutation p-value is
  ``rank / number of units``.  ``max_pre_mspe_ratio=k`` drops placebos whose pre-treatment MSPE exceeds ``k``
  times the treated unit's (ADH use 20, 5 and 2).
* :func:`placebo_in_time` (Abadie, Diamond and Hainmueller 2015): the treatment is moved to an earlier, fake date and
  the model refit on pre-treatment data only; a large "effect" signals a poor design.
* :func:`leave_one_out` (ADH 2015): the fit is repeated without each donor of positive weight in turn.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from clusterecon.errors import DataWarning, EstimationError, SpecificationError
from clusterecon.synth.results import (
    LeaveOneOutResults,
    PlaceboInSpaceResults,
    PlaceboInTimeResults,
    SyntheticControlResults,
)
from clusterecon.synth.scm import _fit_prepared, _label, _prepare, synthetic_control

__all__ = ["placebo_in_space", "placebo_in_time", "leave_one_out"]


def _call_args(res: SyntheticControlResults) -> dict[str, Any]:
    if not isinstance(res, SyntheticControlResults):
        raise SpecificationError(f"expected the result of synthetic_control, got {type(res).__name__}")
    spec = {k: v for k, v in res.spec.items() if k not in ("data", "dropped")}
    return spec


def placebo_in_space(
    res: SyntheticControlResults,
    *,
    max_pre_mspe_ratio: float | None = None,
    n_starts: int = 2,
    seed: int | np.random.Generator | None = 0,
) -> PlaceboInSpaceResults:
    """Placebo-in-space permutation inference for a fitted synthetic control (Abadie, Diamond and Hainmueller 2010).

    Estimand: none new; the test of the sharp null "no effect in any unit".  Each donor in turn is treated as if
    it had been treated at ``treatment_time`` (the actual treated unit joins the donor pool of the others), and the
    treated unit's ratio of post- to pre-treatment RMSPE is ranked among all ratios; the p-value is that rank over
    the number of units kept (Fisher's exact test).  Assumptions: treatment assigned as if at random across units
    (the p-value is exact under that design, and only then); no spill-over to the donors.  With ``J`` units the
    smallest attainable p-value is ``1/J``.

    Parameters
    ----------
    res : the result of :func:`clusterecon.synth.synthetic_control` (its data and specification are reused).
    max_pre_mspe_ratio : drop placebos with a pre-treatment MSPE above this multiple of the treated unit's.
    n_starts, seed : starts of each placebo's outer optimisation (fewer than the main fit, for speed) and seed.

    Returns
    -------
    PlaceboInSpaceResults: ``table`` (per unit: pre/post MSPE and RMSPE, ratio, rank, kept), ``gaps`` (periods x
    units), ``p_value`` and ``rank``.  The result is also attached to ``res.placebo`` so that
    ``res.plot(kind="gaps")`` draws the placebo gaps and ``res.to_frame()`` reports the p-value.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.synth import synthetic_control
    >>> rng = np.random.default_rng(0)
    >>> years = list(range(2000, 2012))
    >>> df = pd.DataFrame([(u, t, u + 0.3 * t + rng.normal(0, 0.2)) for u in range(6) for t in years],
    ...                   columns=["unit", "year", "y"])
    >>> df.loc[(df.unit == 2) & (df.year >= 2009), "y"] += 5
    >>> fit = synthetic_control(df, "y", "unit", "year", treated=2, treatment_time=2009, n_starts=1)
    >>> pl = placebo_in_space(fit, n_starts=1)
    >>> pl.rank, round(pl.p_value, 3)
    (1, 0.167)
    """
    if max_pre_mspe_ratio is not None and not max_pre_mspe_ratio > 0:
        raise SpecificationError(f"max_pre_mspe_ratio={max_pre_mspe_ratio!r} must be positive")
    spec = _call_args(res)
    data = res.spec["data"]
    pool = list(res.weights.index)
    treated = res.treated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # donors dropped were reported by the main fit
        prep = _prepare(
            data,
            spec["outcome"],
            spec["unit"],
            spec["time"],
            treated,
            spec["treatment_time"],
            spec["predictors"],
            spec["predictor_window"],
            spec["special_predictors"],
            pool,
            spec["optimization_window"],
            warn=False,
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    wide = prep["wide"]
    t0 = prep["t0"]
    gaps = {treated: res.gaps.to_numpy()}
    for j in pool:
        others = [u for u in pool if u != j]
        fit = _fit_prepared(prep, j, others, n_starts, rng, spec["custom_v"], spec["standardize"])
        gaps[j] = wide.loc[j].to_numpy() - fit["w"] @ wide.loc[others].to_numpy()
    G = pd.DataFrame(gaps, index=wide.columns)
    g = G.to_numpy()
    pre_mspe = np.mean(g[:t0] ** 2, axis=0)
    post_mspe = np.mean(g[t0:] ** 2, axis=0)
    table = pd.DataFrame(
        {
            "unit": list(G.columns),
            "is_treated": [u == treated for u in G.columns],
            "pre_mspe": pre_mspe,
            "post_mspe": post_mspe,
            "pre_rmspe": np.sqrt(pre_mspe),
            "post_rmspe": np.sqrt(post_mspe),
        }
    )
    table["ratio"] = table["post_rmspe"] / table["pre_rmspe"]
    table["mspe_ratio"] = table["post_mspe"] / table["pre_mspe"]
    table = rank_placebos(table, max_pre_mspe_ratio)
    table = table.sort_values("ratio", ascending=False, ignore_index=True)
    out = PlaceboInSpaceResults(
        table=table,
        gaps=G,
        treated=treated,
        treatment_time=res.treatment_time,
        max_pre_mspe_ratio=max_pre_mspe_ratio,
    )
    res.placebo = out
    return out


def rank_placebos(table: pd.DataFrame, max_pre_mspe_ratio: float | None) -> pd.DataFrame:
    """Mark the placebos kept under the pre-fit cut-off and rank the kept units by their ratio (1 = largest)."""
    table = table.copy()
    treated_pre = float(table.loc[table["is_treated"], "pre_mspe"].iloc[0])
    kept = np.ones(len(table), bool)
    if max_pre_mspe_ratio is not None:
        kept = (table["pre_mspe"] <= max_pre_mspe_ratio * treated_pre).to_numpy() | table[
            "is_treated"
        ].to_numpy()
    table["kept"] = kept
    table["rank"] = np.nan
    table.loc[kept, "rank"] = table.loc[kept, "ratio"].rank(ascending=False, method="max")
    return table


def _clip(periods, cutoff):
    return [t for t in periods if t < cutoff]


def placebo_in_time(
    res: SyntheticControlResults,
    placebo_time: Any,
    *,
    n_starts: int | None = None,
    seed: int | np.random.Generator | None = 0,
) -> PlaceboInTimeResults:
    """Refit with the treatment moved back to ``placebo_time``, using only periods before the actual treatment.

    Estimand: the "effect" of a treatment that did not happen, ``Y_1t - sum_j w_j Y_jt`` for ``placebo_time <= t <
    treatment_time``; a credible synthetic control shows no gap there (Abadie, Diamond and Hainmueller 2015,
    "Comparative politics and the synthetic control method", AJPS, Section 4).  Assumes no anticipation of the
    actual treatment before ``treatment_time``.

    Predictor and optimisation windows are cut at ``placebo_time``; a predictor whose window becomes empty is
    left out, with a :class:`~clusterecon.errors.DataWarning` naming it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.synth import synthetic_control
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([(u, t, u + 0.3 * t + rng.normal(0, 0.2)) for u in range(6) for t in range(2000, 2012)],
    ...                   columns=["unit", "year", "y"])
    >>> df.loc[(df.unit == 2) & (df.year >= 2009), "y"] += 5
    >>> fit = synthetic_control(df, "y", "unit", "year", treated=2, treatment_time=2009, n_starts=1)
    >>> pit = placebo_in_time(fit, 2005, n_starts=1)
    >>> bool(abs(pit.to_frame()["estimate"].iloc[0]) < 1.0)   # no placebo effect before the real one
    True
    """
    spec = _call_args(res)
    data = res.spec["data"]
    actual = res.treatment_time
    pre = res.pre_periods
    if placebo_time not in pre:
        raise SpecificationError(
            f"placebo_time={placebo_time!r} must be a pre-treatment period ({pre[0]!r} to {pre[-1]!r})"
        )
    if placebo_time == pre[0]:
        raise SpecificationError(
            f"placebo_time={placebo_time!r} leaves no period before the placebo treatment"
        )
    sub = data.loc[data[spec["time"]] < actual]
    dropped = []
    if spec["predictors"] is not None and spec["predictor_window"] is not None:
        pw = _clip(spec["predictor_window"], placebo_time)
        if not pw:
            dropped += list(spec["predictors"])
            spec["predictors"] = None
        spec["predictor_window"] = pw or None
    if spec["special_predictors"] is not None:
        items = spec["special_predictors"]
        new = {} if isinstance(items, dict) else []
        seq = items.items() if isinstance(items, dict) else [(None, s) for s in items]
        for name, s in seq:
            periods = [s[1]] if np.isscalar(s[1]) else list(s[1])
            keep = _clip(periods, placebo_time)
            if not keep:
                dropped.append(name or _label(s[0], periods))
                continue
            ns = (s[0], keep) + tuple(s[2:])
            if isinstance(new, dict):
                new[name] = ns
            else:
                new.append(ns)
        spec["special_predictors"] = new or None
    if spec["optimization_window"] is not None:
        spec["optimization_window"] = _clip(spec["optimization_window"], placebo_time) or None
    if dropped:
        warnings.warn(
            f"placebo in time: predictor(s) {dropped} have no period before {placebo_time!r}; left out",
            DataWarning,
            stacklevel=2,
        )
    spec["treatment_time"] = placebo_time
    spec["donors"] = list(res.weights.index)
    if n_starts is not None:
        spec["n_starts"] = n_starts
    spec["seed"] = seed
    fit = synthetic_control(sub, **spec)
    return PlaceboInTimeResults(fit=fit, placebo_time=placebo_time, actual_time=actual)


def leave_one_out(
    res: SyntheticControlResults,
    *,
    min_weight: float = 1e-3,
    n_starts: int | None = None,
    seed: int | np.random.Generator | None = 0,
) -> LeaveOneOutResults:
    """Refit without each donor whose weight exceeds ``min_weight``, one at a time (ADH 2015 robustness check).

    Estimand: the synthetic-control effect with donor ``j`` removed from the pool, for each donor with positive
    weight; an effect that survives every omission does not hinge on one comparison unit (Abadie, Diamond and
    Hainmueller 2015, AJPS, Section 4).  Same assumptions as :func:`~clusterecon.synth.synthetic_control`.

    Parameters
    ----------
    res : the result of :func:`~clusterecon.synth.synthetic_control`.
    min_weight : donors with weight at or below this are not refitted without (dropping them changes nothing).
    n_starts, seed : outer-optimisation starts for each refit (default: those of ``res``) and their seed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.synth import synthetic_control
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([(u, t, u + 0.3 * t + rng.normal(0, 0.2)) for u in range(6) for t in range(2000, 2012)],
    ...                   columns=["unit", "year", "y"])
    >>> df.loc[(df.unit == 2) & (df.year >= 2009), "y"] += 5
    >>> fit = synthetic_control(df, "y", "unit", "year", treated=2, treatment_time=2009, n_starts=1)
    >>> loo = leave_one_out(fit, n_starts=1)
    >>> bool((loo.to_frame()["estimate"] > 3).all())   # the effect of 5 survives dropping any donor
    True
    """
    spec = _call_args(res)
    data = res.spec["data"]
    pool = list(res.weights.index)
    if not 0 <= min_weight < 1:
        raise SpecificationError(f"min_weight must be in [0, 1), got {min_weight!r}")
    drop = [u for u in pool if res.weights[u] > min_weight]
    if len(pool) - 1 < 2:
        raise EstimationError("leave-one-out needs at least three donors")
    if n_starts is not None:
        spec["n_starts"] = n_starts
    spec["seed"] = seed
    paths, rows = {}, []
    for j in drop:
        s = dict(spec)
        s["donors"] = [u for u in pool if u != j]
        fit = synthetic_control(data, **s)
        paths[j] = fit.synthetic_path
        rows.append(
            {
                "dropped": j,
                "average_effect": fit.average_effect,
                "pre_rmspe": fit.pre_rmspe,
                "post_rmspe": fit.post_rmspe,
                "loss": fit.loss,
            }
        )
    return LeaveOneOutResults(base=res, synthetic_paths=pd.DataFrame(paths), table=pd.DataFrame(rows))
