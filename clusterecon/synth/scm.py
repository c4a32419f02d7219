"""Synthetic control (Abadie and Gardeazabal 2003; Abadie, Diamond and Hainmueller 2010).

The synthetic control of the treated unit is the convex combination ``W`` of donors whose predictors match the
treated unit's, in the metric ``V``:

    W(V) = argmin_{w >= 0, sum w = 1} (X1 - X0 w)' V (X1 - X0 w),

where the rows of ``X`` (predictors averaged over chosen windows) are divided by their standard deviation across
the units in the fit, and the diagonal, non-negative ``V`` (normalised to sum to one) minimises the outcome's
mean squared prediction error over the pre-treatment optimisation periods,

    loss(V) = mean_t (Z1_t - Z0_t W(V))^2.

The outer problem is non-convex: it is solved from several starts (equal weights, the regression-based start of
R's Synth, seeded random Dirichlet draws), each with Nelder-Mead, and the best is polished with Powell.  The loss
reached by every start is kept (``loss_by_start``) together with ``loss_lower_bound``, the smallest pre-period
MSPE of *any* simplex-weighted donor combination, which no V can beat.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from clusterecon.errors import DataError, DataWarning, EstimationError, SpecificationError
from clusterecon.synth._panel import _py, check_columns, outcome_matrix, resolve_time
from clusterecon.synth.results import SyntheticControlResults

__all__ = ["synthetic_control", "simplex_least_squares"]


# --------------------------------------------------------------------------------------------------------------
# inner problem: weighted least squares on the simplex
# --------------------------------------------------------------------------------------------------------------
def simplex_least_squares(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``argmin ||A w - b||^2`` over ``w >= 0, sum(w) = 1`` (non-negative least squares with a stiff sum row).

    The equality is appended as a row ``M * 1' w = M`` with ``M`` a thousand times the scale of ``A`` and ``b``;
    the result is renormalised to sum exactly to one.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.eye(3); b = np.array([0.2, 0.5, 0.3])
    >>> np.round(simplex_least_squares(A, b), 6).tolist()
    [0.2, 0.5, 0.3]
    """
    A = np.asarray(A, float)
    b = np.asarray(b, float)
    scale = max(np.abs(A).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-12)
    M = 1e3 * scale
    Aa = np.vstack([A, np.full((1, A.shape[1]), M)])
    ba = np.append(b, M)
    w, _ = optimize.nnls(Aa, ba, maxiter=50 * A.shape[1])
    s = w.sum()
    if s <= 0:
        return np.full(A.shape[1], 1.0 / A.shape[1])
    return w / s


def _w_given_v(X1s: np.ndarray, X0s: np.ndarray, v: np.ndarray) -> np.ndarray:
    r = np.sqrt(v)
    return simplex_least_squares(r[:, None] * X0s, r * X1s)


def _normalise(theta: np.ndarray) -> np.ndarray:
    a = np.abs(theta)
    s = a.sum()
    return a / s if s > 0 else np.full(a.size, 1.0 / a.size)


def fit_weights(
    X1: np.ndarray,
    X0: np.ndarray,
    Z1: np.ndarray,
    Z0: np.ndarray,
    *,
    n_starts: int = 5,
    rng: np.random.Generator | None = None,
    custom_v: np.ndarray | None = None,
    standardize: bool = True,
) -> dict[str, Any]:
    """Nested optimisation for one treated unit: returns ``w``, ``v``, ``loss`` and the loss of every start.

    ``X1`` (K,), ``X0`` (K, J) predictors; ``Z1`` (T,), ``Z0`` (T, J) outcomes over the optimisation periods.
    """
    K, J = X0.shape
    if standardize:
        allx = np.column_stack([X1, X0])
        sd = allx.std(axis=1, ddof=1)
        sd[~(sd > 0)] = 1.0
    else:
        sd = np.ones(K)
    X1s, X0s = X1 / sd, X0 / sd[:, None]

    def loss_of(v):
        w = _w_given_v(X1s, X0s, v)
        e = Z1 - Z0 @ w
        return float(e @ e) / Z1.size, w

    if custom_v is not None:
        v = _normalise(np.asarray(custom_v, float))
        loss, w = loss_of(v)
        starts = pd.DataFrame({"start": ["custom"], "loss": [loss]})
        return {"w": w, "v": v, "loss": loss, "loss_by_start": starts, "sd": sd}
    if K == 1:
        loss, w = loss_of(np.ones(1))
        return {
            "w": w,
            "v": np.ones(1),
            "loss": loss,
            "loss_by_start": pd.DataFrame({"start": ["single predictor"], "loss": [loss]}),
            "sd": sd,
        }
    rng = rng if rng is not None else np.random.default_rng(0)
    starts: list[tuple[str, np.ndarray]] = [("equal", np.full(K, 1.0 / K))]
    # regression-based start (as in R Synth): squared coefficients of the outcomes on the scaled predictors
    Xall = np.column_stack([np.ones(J + 1), np.column_stack([X1s, X0s]).T])
    Zall = np.column_stack([Z1, Z0]).T
    try:
        beta = np.linalg.lstsq(Xall, Zall, rcond=None)[0][1:]
        sv = np.sum(beta**2, axis=1)
        if np.all(np.isfinite(sv)) and sv.sum() > 0:
            starts.append(("regression", sv / sv.sum()))
    except np.linalg.LinAlgError:  # pragma: no cover - lstsq rarely fails
        pass
    while len(starts) < n_starts:
        starts.append((f"random {len(starts) - 1}", rng.dirichlet(np.ones(K))))
    starts = starts[: max(n_starts, 1)]

    def obj(theta):
        return loss_of(_normalise(theta))[0]

    rows, best = [], None
    for name, v0 in starts:
        r = optimize.minimize(
            obj,
            v0,
            method="Nelder-Mead",
            options={"maxiter": 300 * K, "xatol": 1e-7, "fatol": 1e-10, "adaptive": True},
        )
        rows.append({"start": name, "loss": float(r.fun)})
        if best is None or r.fun < best.fun:
            best = r
    r2 = optimize.minimize(
        obj, best.x, method="Powell", options={"xtol": 1e-8, "ftol": 1e-12, "maxiter": 20000}
    )
    theta = r2.x if r2.fun <= best.fun else best.x
    v = _normalise(theta)
    loss, w = loss_of(v)
    rows.append({"start": "polish (Powell from best)", "loss": loss})
    return {"w": w, "v": v, "loss": loss, "loss_by_start": pd.DataFrame(rows), "sd": sd}


def loss_lower_bound(Z1: np.ndarray, Z0: np.ndarray) -> float:
    """The smallest MSPE over the optimisation periods reachable by any donor weights on the simplex."""
    w = simplex_least_squares(Z0, Z1)
    e = Z1 - Z0 @ w
    return float(e @ e) / Z1.size


# --------------------------------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------------------------------
def _label(col: str, periods: Sequence) -> str:
    p = list(periods)
    if len(p) == 1:
        return f"{col}({p[0]})"
    if all(isinstance(x, (int, np.integer)) for x in p) and p == list(range(p[0], p[-1] + 1)):
        return f"{col}({p[0]}-{p[-1]})"
    return f"{col}({','.join(map(str, p))})"


def _special_specs(special_predictors) -> list[tuple[str, str, list]]:
    out = []
    if special_predictors is None:
        return out
    items = (
        special_predictors.items()
        if isinstance(special_predictors, Mapping)
        else [(None, s) for s in special_predictors]
    )
    for name, spec in items:
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise SpecificationError(
                f"special predictor {spec!r}: give (column, periods) or (column, periods, 'mean')"
            )
        col, periods = spec[0], spec[1]
        if len(spec) == 3 and spec[2] != "mean":
            raise SpecificationError(f"special predictor {spec!r}: only the 'mean' operation is supported")
        periods = [periods] if np.isscalar(periods) else list(periods)
        if not periods:
            raise SpecificationError(f"special predictor {spec!r} has an empty window")
        out.append((name or _label(col, periods), col, periods))
    return out


def _predictor_matrix(
    df: pd.DataFrame, unit: str, time: str, specs: list[tuple[str, str, list]], units: pd.Index
) -> pd.DataFrame:
    """K x units: each predictor averaged over its window, missing values skipped."""
    rows = {}
    for name, col, periods in specs:
        sub = df.loc[df[time].isin(periods), [unit, col]]
        rows[name] = sub.groupby(unit, sort=False)[col].mean().reindex(units)
    return pd.DataFrame(rows).T.astype(float)


def _prepare(
    data,
    outcome,
    unit,
    time,
    treated,
    treatment_time,
    predictors,
    predictor_window,
    special_predictors,
    donors,
    optimization_window,
    warn=True,
):
    treated = _py(treated)  # plain Python scalar: messages read "3", not "np.int64(3)"
    specials = _special_specs(special_predictors)
    pred_cols = list(predictors) if predictors is not None else []
    check_columns(data, [outcome, unit, time] + pred_cols + [c for _, c, _ in specials])
    wide = outcome_matrix(data, outcome, unit, time)
    times = wide.columns.to_numpy()
    if treated not in wide.index:
        raise SpecificationError(f"treated unit {treated!r} not found in column {unit!r}")
    t0 = resolve_time(times, treatment_time, name="treatment_time")
    if t0 == 0:
        raise SpecificationError(
            f"treatment_time={treatment_time!r} is the first period: no pre-treatment period"
        )
    pre = list(times[:t0])
    tr_pre = wide.loc[treated, pre]
    if tr_pre.isna().any():
        raise DataError(
            f"treated unit {treated!r} has missing {outcome!r} in pre-treatment period(s) "
            f"{tr_pre.index[tr_pre.isna()].tolist()}"
        )
    tr_post = wide.loc[treated, list(times[t0:])]
    if tr_post.isna().any():
        raise DataError(
            f"treated unit {treated!r} has missing {outcome!r} in post-treatment period(s) "
            f"{tr_post.index[tr_post.isna()].tolist()}"
        )
    if donors is None:
        pool = [u for u in wide.index if u != treated]
    else:
        pool = list(donors)
        missing = [u for u in pool if u not in wide.index]
        if missing:
            raise SpecificationError(f"donor(s) {missing} not found in column {unit!r}")
        if treated in pool:
            raise SpecificationError(f"the treated unit {treated!r} cannot be a donor")
    opt = pre if optimization_window is None else list(optimization_window)
    bad_opt = [t for t in opt if t not in pre]
    if bad_opt:
        raise SpecificationError(f"optimization_window periods {bad_opt} are not pre-treatment periods")
    specs = []
    if pred_cols:
        window = pre if predictor_window is None else list(predictor_window)
        bad_w = [t for t in window if t not in times]
        if bad_w:
            raise SpecificationError(f"predictor_window periods {bad_w} are not periods of the panel")
        specs += [(c, c, window) for c in pred_cols]
    specs += specials
    if not specs:  # default: the outcome in every optimisation period
        specs = [(_label(outcome, [t]), outcome, [t]) for t in opt]
    names = [s[0] for s in specs]
    if len(set(names)) != len(names):
        raise SpecificationError(f"duplicate predictor names: {names}")
    for name, col, _ in specs:
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise DataError(f"predictor column {col!r} ({name}) is not numeric")
        inf = np.isinf(data[col].to_numpy(dtype=float, na_value=np.nan))
        if inf.any():
            raise DataError(f"predictor column {col!r} ({name}) has infinite values at rows "
                            f"{data.index[inf][:5].tolist()}")
    X = _predictor_matrix(data, unit, time, specs, pd.Index([treated] + pool))
    # the treated unit must have every predictor
    miss_tr = X.index[X[treated].isna()].tolist()
    if miss_tr:
        raise DataError(f"treated unit {treated!r} has no value of predictor(s) {miss_tr} in their windows")
    Xd = X[pool]
    all_missing = Xd.index[Xd.isna().all(axis=1)].tolist()
    if all_missing:
        raise DataError(f"predictor(s) {all_missing} missing for every donor in their windows")
    dropped: dict[Any, str] = {}
    some = Xd.columns[Xd.isna().any(axis=0)]
    for u in some:
        dropped[u] = f"no value of predictor(s) {Xd.index[Xd[u].isna()].tolist()}"
    ymiss = wide.loc[pool].isna().any(axis=1)
    for u in wide.loc[pool].index[ymiss]:
        if u not in dropped:
            n = int(wide.loc[u].isna().sum())
            dropped[u] = f"{n} missing value(s) of {outcome!r}"
    if dropped and warn:
        detail = "; ".join(f"{u!r}: {why}" for u, why in dropped.items())
        warnings.warn(f"dropped {len(dropped)} donor(s): {detail}", DataWarning, stacklevel=3)
    pool = [u for u in pool if u not in dropped]
    if len(pool) < 2:
        raise EstimationError(f"need at least two donors with complete data, found {len(pool)}: {pool}")
    return {
        "wide": wide.loc[[treated] + pool],
        "X": X[[treated] + pool],
        "times": times,
        "t0": t0,
        "opt": opt,
        "specs": specs,
        "dropped": dropped,
    }


def _fit_prepared(prep, treated, pool, n_starts, rng, custom_v, standardize):
    X, wide = prep["X"], prep["wide"]
    X1, X0 = X[treated].to_numpy(), X[pool].to_numpy()
    Z1 = wide.loc[treated, prep["opt"]].to_numpy()
    Z0 = wide.loc[pool, prep["opt"]].to_numpy().T
    return fit_weights(X1, X0, Z1, Z0, n_starts=n_starts, rng=rng, custom_v=custom_v, standardize=standardize)


def synthetic_control(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated: Any,
    treatment_time: Any,
    *,
    predictors: Sequence[str] | None = None,
    predictor_window: Sequence | None = None,
    special_predictors: Sequence | Mapping | None = None,
    donors: Sequence | None = None,
    optimization_window: Sequence | None = None,
    standardize: bool = True,
    custom_v: Sequence[float] | None = None,
    n_starts: int = 5,
    seed: int | np.random.Generator | None = 0,
) -> SyntheticControlResults:
    """Synthetic control for one treated unit, after Abadie, Diamond and Hainmueller (2010).

    Estimand: the treated unit's effect path ``Y_1t(1) - Y_1t(0)`` for ``t >= treatment_time`` and its mean over
    the post-treatment periods, with ``Y_1t(0)`` imputed by the synthetic control ``sum_j w_j Y_jt``.  Assumptions:
    the donors are unaffected by the treatment (no spill-overs), and a convex combination of donors that matches
    the treated unit's predictors and pre-treatment outcomes reproduces its untreated path (e.g. a linear factor
    model with a good pre-treatment fit over a long pre-period).

    Parameters
    ----------
    data : long DataFrame, one row per unit and period (never modified).
    outcome, unit, time : column names.
    treated : label of the treated unit in ``unit``.
    treatment_time : the first period under treatment (ADH's California: 1989).
    predictors : columns averaged over ``predictor_window`` (default: all pre-treatment periods), missing values
        skipped.
    special_predictors : ``[(column, periods), ...]`` (or ``{name: (column, periods)}``): a column averaged over
        its own window, e.g. ``("cigsale", [1975])`` or ``("beer", range(1984, 1989))``.  Without any predictor, the
        outcome in every optimisation period is used.
    donors : the donor pool (default: every other unit).  Donors missing an outcome in any period or a predictor are
        dropped with a :class:`~clusterecon.errors.DataWarning` that names them and says why.
    optimization_window : pre-treatment periods whose MSPE V minimises (default: all pre-treatment periods).
    standardize : divide each predictor by its standard deviation across the units in the fit (as R Synth).
    custom_v : skip the outer optimisation and use these predictor weights.
    n_starts, seed : number of starts of the outer optimisation, and the seed of the random ones.

    Returns
    -------
    SyntheticControlResults: ``weights`` (W), ``v_weights`` (V), ``balance`` (treated, synthetic, donor mean, V per
    predictor), ``gaps``, ``pre_rmspe``, ``post_rmspe``, ``average_effect``, ``loss`` and ``loss_by_start``.  Run
    :func:`clusterecon.synth.placebo_in_space` for inference.

    References
    ----------
    Abadie, A., Diamond, A. and Hainmueller, J. (2010). Synthetic control methods for comparative case studies.
    JASA 105(490), 493-505.  Abadie, A. and Gardeazabal, J. (2003). The economic costs of conflict. AER 93(1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> years = list(range(1990, 2000))
    >>> f = {"a": 1.0, "b": 3.0, "c": 2.0, "d": 5.0}
    >>> df = pd.DataFrame([(u, t, f[u] * (t - 1989)) for u in f for t in years], columns=["unit", "year", "y"])
    >>> df.loc[(df.unit == "c") & (df.year >= 1997), "y"] -= 1.0
    >>> res = synthetic_control(df, "y", "unit", "year", treated="c", treatment_time=1997)
    >>> round(res.average_effect, 3), bool(res.pre_rmspe < 1e-3)
    (-1.0, True)
    """
    call = dict(
        outcome=outcome,
        unit=unit,
        time=time,
        treated=treated,
        treatment_time=treatment_time,
        predictors=predictors,
        predictor_window=predictor_window,
        special_predictors=special_predictors,
        donors=donors,
        optimization_window=optimization_window,
        standardize=standardize,
        custom_v=custom_v,
        n_starts=n_starts,
        seed=seed,
    )
    if int(n_starts) != n_starts or n_starts < 1:
        raise SpecificationError(f"n_starts must be a positive integer, got {n_starts!r}")
    prep = _prepare(
        data,
        outcome,
        unit,
        time,
        treated,
        treatment_time,
        predictors,
        predictor_window,
        special_predictors,
        donors,
        optimization_window,
    )
    if custom_v is not None:
        cv = np.asarray(custom_v, dtype=float).ravel()
        if cv.size != len(prep["specs"]) or not np.isfinite(cv).all() or (cv < 0).any() or cv.sum() <= 0:
            raise SpecificationError(f"custom_v must hold {len(prep['specs'])} non-negative finite weights (one per "
                                     f"predictor {[s[0] for s in prep['specs']]}), got {list(custom_v)!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    pool = list(prep["wide"].index[1:])
    fit = _fit_prepared(prep, treated, pool, n_starts, rng, custom_v, standardize)
    res = _assemble(prep, treated, pool, fit, outcome, call)
    res.spec["data"] = data
    return res


def _scalar(x):
    return x.item() if isinstance(x, np.generic) else x


def _assemble(prep, treated, pool, fit, outcome, call) -> SyntheticControlResults:
    wide, X, times, t0 = prep["wide"], prep["X"], prep["times"], prep["t0"]
    w = pd.Series(fit["w"], index=pd.Index(pool, name=call["unit"]), name="weight")
    v = pd.Series(fit["v"], index=X.index, name="v")
    synth_path = pd.Series(fit["w"] @ wide.loc[pool].to_numpy(), index=wide.columns, name="synthetic")
    tr_path = wide.loc[treated].rename("treated")
    gaps = (tr_path - synth_path).to_numpy()
    pre_rmspe = float(np.sqrt(np.mean(gaps[:t0] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gaps[t0:] ** 2)))
    balance = pd.DataFrame(
        {
            "treated": X[treated],
            "synthetic": X[pool].to_numpy() @ fit["w"],
            "donor_mean": X[pool].mean(axis=1),
            "v": fit["v"],
        }
    )
    balance.index.name = "predictor"
    Z1 = wide.loc[treated, prep["opt"]].to_numpy()
    Z0 = wide.loc[pool, prep["opt"]].to_numpy().T
    lb = fit["loss_by_start"]
    bound = loss_lower_bound(Z1, Z0)
    lb.attrs["loss_lower_bound"] = bound
    spec = dict(call)
    spec["dropped"] = prep["dropped"]
    return SyntheticControlResults(
        outcome=outcome,
        treated=treated,
        treatment_time=_scalar(times[t0]),
        weights=w,
        v_weights=v,
        balance=balance,
        treated_path=tr_path,
        synthetic_path=synth_path,
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        loss=float(fit["loss"]),
        loss_by_start=lb,
        optimization_periods=list(prep["opt"]),
        donor_outcomes=wide.loc[pool],
        spec=spec,
        loss_lower_bound=bound,
    )
