"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens and Wager 2021), with SC and DiD.

The three estimators are one weighted two-way comparison,

    tau = (Ybar_tr,post - sum_t lambda_t Ybar_tr,t) - (sum_i omega_i Ybar_i,post - sum_i sum_t omega_i lambda_t Y_it),

and differ only in the weights:

* ``"sdid"`` -- unit weights ``omega`` (simplex, intercept, ridge penalty ``zeta_omega``) matching the treated
  units' pre-period path up to a constant, and time weights ``lambda`` (simplex, intercept, tiny ridge) matching
  the controls' post-period mean with their pre-period values;
* ``"sc"`` -- synthetic-control unit weights (no intercept, ridge ``1e-6 * sigma``) and no time weights (the
  estimate is the post-period gap);
* ``"did"`` -- uniform unit and time weights.

The weights are computed with the Frank-Wolfe algorithm of the paper's appendix (exact line search, a first
pass of 100 iterations, sparsification ``v <= max(v) / 4 -> 0``, then up to ``max_iter`` iterations, stopping
when the objective decreases by less than ``(1e-5 sigma)^2``), where ``sigma`` is the standard deviation of the
first differences of the control units' pre-period outcomes and ``zeta_omega = (N_tr T_post)^(1/4) sigma``.
The placebo replications are solved together, vectorised across replications.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clusterecon.errors import DataError, DataWarning, EstimationError, SpecificationError
from clusterecon.synth._panel import check_columns, outcome_matrix, resolve_time
from clusterecon.synth.results import SyntheticDiDResults

__all__ = ["synthetic_did", "sdid_weights", "frank_wolfe_simplex"]

_METHODS = ("sdid", "sc", "did")


# --------------------------------------------------------------------------------------------------------------
# Frank-Wolfe on the simplex, batched over independent problems
# --------------------------------------------------------------------------------------------------------------
def frank_wolfe_simplex(
    A: np.ndarray,
    b: np.ndarray,
    zeta: float | np.ndarray,
    x0: np.ndarray | None = None,
    *,
    intercept: bool = True,
    min_decrease: float = 1e-3,
    max_iter: int = 1000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimise ``zeta^2 ||x||^2 + ||A x - b||^2 / n`` over the unit simplex by Frank-Wolfe with exact line search.

    ``A`` is ``(B, n, k)`` (or ``(n, k)``), ``b`` is ``(B, n)`` (or ``(n,)``): ``B`` independent problems solved
    in lock-step, each stopping on its own when its objective falls by less than ``min_decrease**2`` between two
    iterations (at least two iterations, at most ``max_iter``).  With ``intercept=True`` the columns of
    ``[A, b]`` are centred over the ``n`` rows first (a free intercept).  Returns ``(x, objective, iterations)``.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); b = A @ np.array([0.3, 0.7])
    >>> x, val, it = frank_wolfe_simplex(A, b, 0.0, intercept=False, min_decrease=1e-10, max_iter=5000)
    >>> np.round(x, 3).tolist()
    [0.3, 0.7]
    """
    single = np.ndim(A) == 2
    A = np.asarray(A, float)
    b = np.asarray(b, float)
    if single:
        A, b = A[None], b[None]
    B, n, k = A.shape
    if intercept:
        A = A - A.mean(axis=1, keepdims=True)
        b = b - b.mean(axis=1, keepdims=True)
    zeta2 = np.broadcast_to(np.asarray(zeta, float) ** 2, (B,)).copy()
    eta = n * zeta2
    x = np.full((B, k), 1.0 / k) if x0 is None else np.array(x0, float).reshape(B, k).copy()
    # incremental state: Ax = A x and u = A'A x are updated in O(n + k) per iteration instead of recomputed
    G = np.einsum("bnk,bnl->bkl", A, A)
    Atb = np.einsum("bnk,bn->bk", A, b)
    Ax = np.einsum("bnk,bk->bn", A, x)
    u = np.einsum("bkl,bl->bk", G, x)
    rows = np.arange(B)
    active = np.ones(B, bool)
    prev = np.full(B, np.inf)
    val = np.full(B, np.nan)
    iters = np.zeros(B, int)
    md2 = float(min_decrease) ** 2
    t = 0
    while t < max_iter and active.any():
        t += 1
        half_grad = u - Atb + eta[:, None] * x
        j = np.argmin(half_grad, axis=1)
        d = -x
        d[rows, j] += 1.0
        d_err = A[rows, :, j] - Ax
        r = Ax - b
        num = -(np.einsum("bn,bn->b", r, d_err) + eta * np.einsum("bk,bk->b", x, d))
        den = np.einsum("bn,bn->b", d_err, d_err) + eta * np.einsum("bk,bk->b", d, d)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(den > 0, num / den, 0.0)
        step = np.where(active, np.clip(step, 0.0, 1.0), 0.0)
        x += step[:, None] * d
        Ax += step[:, None] * d_err
        u = (1.0 - step)[:, None] * u + step[:, None] * G[rows, :, j]
        err = Ax - b
        v = zeta2 * np.einsum("bk,bk->b", x, x) + np.einsum("bn,bn->b", err, err) / n
        val = np.where(active, v, val)
        iters[active] = t
        if t >= 2:
            active = active & ((prev - v) > md2)
        prev = np.where(np.isfinite(val), val, prev)
    if single:
        return x[0], val[0:1], iters[0:1]
    return x, val, iters


def _sparsify(v: np.ndarray) -> np.ndarray:
    v = np.array(v, float)
    v[v <= v.max(axis=-1, keepdims=True) / 4] = 0.0
    return v / v.sum(axis=-1, keepdims=True)


def _sum_normalize(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, float)
    s = v.sum(axis=-1, keepdims=True)
    k = v.shape[-1]
    return np.where(s != 0, v / np.where(s == 0, 1.0, s), 1.0 / k)


def _solve_weights(A, b, zeta, x0, intercept, min_decrease, max_iter, sparsify, max_iter_pre_sparsify=100):
    x, _, _ = frank_wolfe_simplex(
        A, b, zeta, x0, intercept=intercept, min_decrease=min_decrease, max_iter=max_iter_pre_sparsify
    )
    if sparsify:
        x, _, _ = frank_wolfe_simplex(
            A, b, zeta, _sparsify(x), intercept=intercept, min_decrease=min_decrease, max_iter=max_iter
        )
    return x


def _collapsed(Y: np.ndarray, N0: int, T0: int) -> np.ndarray:
    """(B, N0 + 1, T0 + 1): controls x pre-periods, their post mean; treated-mean row (batched over axis 0)."""
    top = np.concatenate([Y[:, :N0, :T0], Y[:, :N0, T0:].mean(axis=2, keepdims=True)], axis=2)
    bot = np.concatenate(
        [Y[:, N0:, :T0].mean(axis=1, keepdims=True), Y[:, N0:, T0:].mean(axis=(1, 2))[:, None, None]], axis=2
    )
    return np.concatenate([top, bot], axis=1)


def _settings(Y: np.ndarray, N0: int, T0: int, method: str) -> dict[str, Any]:
    N1, T1 = Y.shape[0] - N0, Y.shape[1] - T0
    diffs = np.diff(Y[:N0, :T0], axis=1)
    sigma = float(np.std(diffs, ddof=1)) if diffs.size > 1 else 0.0
    eta_omega = (N1 * T1) ** 0.25 if method == "sdid" else 1e-6
    return {
        "noise_level": sigma,
        "zeta_omega": eta_omega * sigma,
        "zeta_lambda": 1e-6 * sigma,
        "omega_intercept": method != "sc",
        "lambda_intercept": True,
        "update_omega": method != "did",
        "update_lambda": method == "sdid",
        "min_decrease": 1e-5 * sigma if sigma > 0 else 1e-10,
    }


def sdid_weights(
    Y: np.ndarray,
    N0: int,
    T0: int,
    *,
    method: str = "sdid",
    settings: dict[str, Any] | None = None,
    omega0: np.ndarray | None = None,
    lambda0: np.ndarray | None = None,
    max_iter: int = 10_000,
    sparsify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Unit weights, time weights and estimates for a batch of ``(B, N, T)`` outcome arrays (controls first).

    ``Y`` may be ``(N, T)`` for a single problem.  ``settings`` (regularisation, stopping rule) default to those
    computed from the first array; the placebo replications reuse the original sample's settings, as in the
    paper's Algorithm 4.  Returns ``(omega (B, N0), lambda (B, T0), tau (B,), settings)``.
    """
    if method not in _METHODS:
        raise SpecificationError(f"method={method!r}: choose one of {_METHODS}")
    Y = np.asarray(Y, float)
    if Y.ndim == 2:
        Y = Y[None]
    B, N, T = Y.shape
    N1, T1 = N - N0, T - T0
    s = dict(settings) if settings is not None else _settings(Y[0], N0, T0, method)
    Yc = _collapsed(Y, N0, T0)
    md = s["min_decrease"]
    # time weights: regress controls' post mean on their pre-period values (rows = control units)
    if s["update_lambda"]:
        lam0 = np.full((B, T0), 1.0 / T0) if lambda0 is None else np.broadcast_to(lambda0, (B, T0))
        lam = _solve_weights(
            Yc[:, :N0, :T0],
            Yc[:, :N0, T0],
            s["zeta_lambda"],
            lam0,
            s["lambda_intercept"],
            md,
            max_iter,
            sparsify,
        )
    elif lambda0 is not None:
        lam = np.broadcast_to(np.asarray(lambda0, float), (B, T0)).copy()
    else:
        lam = np.zeros((B, T0)) if method == "sc" else np.full((B, T0), 1.0 / T0)
    # unit weights: match the treated pre-period path with the controls' (rows = pre-periods)
    if s["update_omega"]:
        om0 = np.full((B, N0), 1.0 / N0) if omega0 is None else np.broadcast_to(omega0, (B, N0))
        A = np.transpose(Yc[:, :N0, :T0], (0, 2, 1))
        om = _solve_weights(
            A, Yc[:, N0, :T0], s["zeta_omega"], om0, s["omega_intercept"], md, max_iter, sparsify
        )
    elif omega0 is not None:
        om = np.broadcast_to(np.asarray(omega0, float), (B, N0)).copy()
    else:
        om = np.full((B, N0), 1.0 / N0)
    w_unit = np.concatenate([-om, np.full((B, N1), 1.0 / N1)], axis=1)
    w_time = np.concatenate([-lam, np.full((B, T1), 1.0 / T1)], axis=1)
    tau = np.einsum("bn,bnt,bt->b", w_unit, Y, w_time)
    return om, lam, tau, s


# --------------------------------------------------------------------------------------------------------------
# standard errors
# --------------------------------------------------------------------------------------------------------------
def _placebo(Y, N0, T0, method, settings, omega, lam, replications, rng, max_iter):
    N1 = Y.shape[0] - N0
    if N0 <= N1:
        raise EstimationError(f"placebo standard errors need more control units ({N0}) than treated ({N1})")
    controls = np.arange(N0)
    if replications is None and N1 == 1:
        perms = [np.concatenate([np.delete(controls, j), [j]]) for j in range(N0)]
    else:
        reps = 200 if replications is None else int(replications)
        perms = [rng.permutation(N0) for _ in range(reps)]
    idx = np.array(perms)  # each row: new controls (first N0 - N1) then pseudo-treated (last N1)
    Yb = Y[:N0][idx]  # (B, N0, T): actual treated rows dropped
    om0 = _sum_normalize(omega[idx[:, : N0 - N1]])
    _, _, taus, _ = sdid_weights(
        Yb, N0 - N1, T0, method=method, settings=settings, omega0=om0, lambda0=lam, max_iter=max_iter
    )
    return taus


def _jackknife(Y, N0, T0, omega, lam):
    N = Y.shape[0]
    N1 = N - N0
    if N1 < 2:
        raise EstimationError(
            "jackknife standard errors are not defined with one treated unit: use se_method='placebo'"
        )
    if np.count_nonzero(omega) < 2:
        raise EstimationError(
            "jackknife standard errors need at least two control units with positive weight"
        )
    T1 = Y.shape[1] - T0
    w_time = np.concatenate([-lam, np.full(T1, 1.0 / T1)])
    u = np.empty(N)
    for i in range(N):  # N small re-weightings with fixed weights: O(N * N T), no optimisation
        keep = np.delete(np.arange(N), i)
        n0 = N0 - (i < N0)
        om = _sum_normalize(omega[[k for k in keep if k < N0]])
        wu = np.concatenate([-om, np.full(N - 1 - n0, 1.0 / (N - 1 - n0))])
        u[i] = wu @ Y[keep] @ w_time
    return u


def _bootstrap(Y, N0, T0, method, settings, omega, lam, replications, rng, max_iter):
    N = Y.shape[0]
    if N - N0 < 2:
        raise EstimationError(
            "bootstrap standard errors are not valid with one treated unit: use se_method='placebo'"
        )
    reps = 200 if replications is None else int(replications)
    draws = []
    while len(draws) < reps:  # resample units; redraw when no treated or no control unit is drawn
        draw = np.sort(rng.integers(0, N, N))
        n0 = int((draw < N0).sum())
        if 0 < n0 < N:
            draws.append(draw)
    out = np.empty(reps)
    n0s = np.array([int((d < N0).sum()) for d in draws])
    for n0 in np.unique(n0s):  # draws with the same number of controls are solved together
        which = np.flatnonzero(n0s == n0)
        idx = np.array([draws[k] for k in which])
        om0 = _sum_normalize(omega[idx[:, :n0]])
        _, _, tau, _ = sdid_weights(
            Y[idx], int(n0), T0, method=method, settings=settings, omega0=om0, lambda0=lam, max_iter=max_iter
        )
        out[which] = tau
    return out


# --------------------------------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------------------------------
def synthetic_did(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treatment: str | None = None,
    *,
    treated: Any = None,
    treatment_time: Any = None,
    method: str = "sdid",
    se_method: str | None = "placebo",
    replications: int | None = None,
    seed: int | np.random.Generator | None = 0,
    level: float = 0.95,
    max_iter: int = 10_000,
    sparsify: bool = True,
) -> SyntheticDiDResults:
    """Synthetic difference-in-differences (or SC / DiD in the same framework) for a block treatment.

    Estimand: the average effect on the treated units over the post-treatment periods,
    ``tau = mean_{i treated, t >= treatment_time} [Y_it(1) - Y_it(0)]``.  Assumption: the treated units' untreated
    path follows the (unit- and time-) weighted controls' path up to a constant; all treated units start treatment
    at the same period and stay treated (a block design); the panel is balanced.

    Parameters
    ----------
    data : DataFrame in long format (one row per unit and period).  Never modified.
    outcome, unit, time : column names.
    treatment : name of a 0/1 column (1 for treated units from the first treated period on); or give
        ``treated`` (a unit label or a list of labels) and ``treatment_time`` (the first treated period).
    method : ``"sdid"`` (default), ``"sc"`` (synthetic control without covariates) or ``"did"``.
    se_method : ``"placebo"`` (Algorithm 4 of the paper; the one valid with a single treated unit: every control in
        turn as a pseudo-treated unit when ``replications`` is None, else ``replications`` random assignments),
        ``"jackknife"`` or ``"bootstrap"`` (need two or more treated units), or None.
    replications, seed : number of placebo/bootstrap draws and their seed (int or ``numpy.random.Generator``).
    level : confidence level of the normal interval ``estimate +- z * se``.
    max_iter, sparsify : Frank-Wolfe settings (paper defaults).

    Returns
    -------
    SyntheticDiDResults with ``estimate``, ``std_error``, ``unit_weights`` and ``time_weights`` (pandas Series),
    ``placebo_estimates``, the regularisation used and ``to_frame()``, ``summary()``, ``plot()``.

    References
    ----------
    Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. and Wager, S. (2021). Synthetic
    difference-in-differences. American Economic Review 111(12), 4088-4118.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> units, years = [f"u{i}" for i in range(8)], list(range(2000, 2010))
    >>> df = pd.DataFrame([(u, t, i + 0.5 * (t - 2000) + rng.normal(0, 0.1)) for i, u in enumerate(units)
    ...                    for t in years], columns=["unit", "year", "y"])
    >>> df.loc[(df.unit == "u7") & (df.year >= 2007), "y"] += 2.0
    >>> res = synthetic_did(df, "y", "unit", "year", treated="u7", treatment_time=2007, se_method=None)
    >>> bool(abs(res.estimate - 2.0) < 0.3)
    True
    """
    if method not in _METHODS:
        raise SpecificationError(f"method={method!r}: choose one of {_METHODS}")
    if se_method not in (None, "placebo", "jackknife", "bootstrap"):
        raise SpecificationError(
            f"se_method={se_method!r}: choose 'placebo', 'jackknife', 'bootstrap' or None"
        )
    if isinstance(max_iter, bool) or int(max_iter) != max_iter or max_iter < 1:
        raise SpecificationError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must lie strictly between 0 and 1")
    check_columns(data, [outcome, unit, time] + ([treatment] if treatment is not None else []))
    wide = outcome_matrix(data, outcome, unit, time)
    times = wide.columns.to_numpy()
    if treatment is not None:
        if treated is not None or treatment_time is not None:
            raise SpecificationError(
                "give either `treatment` (a 0/1 column) or `treated` and `treatment_time`"
            )
        if not (pd.api.types.is_numeric_dtype(data[treatment]) or pd.api.types.is_bool_dtype(data[treatment])):
            raise DataError(f"treatment column {treatment!r} must be 0/1, got dtype {data[treatment].dtype}")
        D = data.pivot(index=unit, columns=time, values=treatment).reindex(
            index=wide.index, columns=wide.columns
        )
        vals = D.to_numpy(float)
        if np.isnan(vals[~np.isnan(wide.to_numpy())]).any():
            raise DataError(f"treatment column {treatment!r} has missing values")
        if not np.isin(vals[~np.isnan(vals)], (0, 1)).all():
            raise DataError(f"treatment column {treatment!r} must be 0/1")
        is_tr = np.nan_to_num(vals).max(axis=1) > 0
        if not is_tr.any():
            raise SpecificationError(f"no unit is ever treated in column {treatment!r}")
        first = np.nan_to_num(vals)[is_tr].argmax(axis=1)
        if np.unique(first).size > 1:
            raise SpecificationError(
                "treatment must start in the same period for every treated unit (block design); "
                f"first treated periods found: {sorted(set(times[first].tolist()))}"
            )
        t0 = int(first[0])
        block = np.nan_to_num(vals)[is_tr][:, t0:]
        if (block != 1).any():
            off = wide.index[is_tr][(block != 1).any(axis=1)].tolist()
            raise SpecificationError(
                f"treatment {treatment!r} switches off for unit(s) {off[:10]}: treated units must stay treated "
                "after the first treated period (block design)"
            )
        treated_units = wide.index[is_tr].tolist()
    else:
        if treated is None or treatment_time is None:
            raise SpecificationError("give `treatment` (a 0/1 column) or both `treated` and `treatment_time`")
        treated_units = (
            list(treated) if isinstance(treated, (list, tuple, set, np.ndarray, pd.Index)) else [treated]
        )
        missing = [u for u in treated_units if u not in wide.index]
        if missing:
            raise SpecificationError(f"treated unit(s) {missing} not found in column {unit!r}")
        t0 = resolve_time(times, treatment_time, name="treatment_time")
    if t0 == 0:
        raise SpecificationError(
            f"treatment starts in the first period ({times[0]!r}): no pre-treatment period"
        )
    if t0 < 2:
        raise SpecificationError(
            "need at least two pre-treatment periods (the noise level uses first differences)"
        )
    Ytr = wide.loc[treated_units]
    if Ytr.isna().any(axis=None):
        bad = Ytr.columns[Ytr.isna().any(axis=0)].tolist()
        raise DataError(f"treated unit(s) {treated_units} have missing {outcome!r} in period(s) {bad}")
    controls = wide.drop(index=treated_units)
    bad = controls.isna().any(axis=1)
    if bad.any():
        names = controls.index[bad].tolist()
        warnings.warn(
            f"unbalanced panel: dropped {len(names)} control unit(s) with missing {outcome!r} in some period "
            f"(synthetic DiD needs a balanced panel): {names}",
            DataWarning,
            stacklevel=2,
        )
        controls = controls.loc[~bad]
    N0 = controls.shape[0]
    if N0 < 2:
        raise EstimationError(f"need at least two control units, found {N0}")
    Y = np.vstack([controls.to_numpy(float), Ytr.to_numpy(float)])
    T0 = t0
    om, lam, tau, settings = sdid_weights(Y, N0, T0, method=method, max_iter=max_iter, sparsify=sparsify)
    om, lam, est = om[0], lam[0], float(tau[0])

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    reps_est = None
    se = np.nan
    if se_method == "placebo":
        reps_est = _placebo(Y, N0, T0, method, settings, om, lam, replications, rng, max_iter)
        se = float(np.std(reps_est, ddof=0))  # = sqrt((r - 1) / r) * sd(replicates), as in the paper
    elif se_method == "bootstrap":
        reps_est = _bootstrap(Y, N0, T0, method, settings, om, lam, replications, rng, max_iter)
        se = float(np.std(reps_est, ddof=0))
    elif se_method == "jackknife":
        reps_est = _jackknife(Y, N0, T0, om, lam)
        n = reps_est.size
        se = float(np.sqrt((n - 1) / n * np.sum((reps_est - reps_est.mean()) ** 2)))
    z = stats.norm.ppf(0.5 + level / 2)
    return SyntheticDiDResults(
        estimate=est,
        std_error=se,
        z_crit=float(z),
        level=level,
        method=method,
        se_method=se_method,
        unit_weights=pd.Series(om, index=controls.index, name="omega"),
        time_weights=pd.Series(lam, index=wide.columns[:T0], name="lambda"),
        treated_units=treated_units,
        controls=controls,
        treated_outcomes=Ytr,
        treatment_time=times[T0].item() if isinstance(times[T0], np.generic) else times[T0],
        settings=settings,
        replicates=reps_est,
        outcome=outcome,
    )
