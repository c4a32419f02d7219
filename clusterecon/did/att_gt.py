"""Group-time average treatment effects ATT(g,t) of Callaway and Sant'Anna (2021).

:func:`att_gt` follows R did's ``att_gt`` argument by argument (``yname, tname, idname, gname, xformla,
control_group, est_method, anticipation, base_period, panel, allow_unbalanced_panel, clustervars, weightsname,
bstrap, biters, cband, alp``) and reproduces its numbers: each ATT(g,t) is a two-period DiD (Sant'Anna and Zhao
2020) of cohort g against the never-treated or not-yet-treated units between period t and a base period, its
influence function is rescaled to the whole sample and kept for :func:`~clusterecon.did.aggte.aggte`.

Speed: a balanced panel is pivoted once to a units x periods matrix with units sorted by cohort.  Without
covariates the three estimators are the same difference of cohort means, so every cell is computed from
per-cohort sums and its influence function is kept in closed form (see ``_cs_influence``): no Python loop over
units and no n x cells matrix.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, DataWarning, EstimationError, SpecificationError
from . import _drdid
from ._cs_influence import CSInfluence, UnitStore
from ._inputs import numeric as _numeric
from ._results_cs import ATTgtResult
from .bootstrap import multiplier_bootstrap

__all__ = ["att_gt", "ATTgtResult"]

_EPS = np.sqrt(np.finfo(float).eps) * 10


def _py(v):
    return v.item() if hasattr(v, "item") else v


def _list_some(values, k: int = 10) -> str:
    values = list(values)
    more = f" ... ({len(values)} in all)" if len(values) > k else ""
    return ", ".join(map(str, values[:k])) + more


def _as_int_time(values: np.ndarray, col: str) -> np.ndarray:
    if not np.issubdtype(values.dtype, np.number):
        raise SpecificationError(f"column {col!r} must be numeric integer periods, got dtype {values.dtype}")
    if np.issubdtype(values.dtype, np.integer):
        return values.astype(np.int64, copy=False)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        raise SpecificationError(f"column {col!r} must hold integer periods; non-integer values: "
                                 f"{_list_some(pd.unique(values[bad]))}")
    return values.astype(np.int64)


def _covariate_matrix(frame: pd.DataFrame, xformla: str) -> tuple[np.ndarray, list[str]]:
    import formulaic

    rhs = xformla.strip()
    if rhs.startswith("~"):
        rhs = rhs[1:]
    try:
        mm = formulaic.Formula(rhs).get_model_matrix(frame, na_action="ignore")
    except Exception as exc:  # formulaic raises several types for unknown names
        raise SpecificationError(f"cannot build covariates from xformla={xformla!r}: {exc}") from exc
    X = np.asarray(mm, dtype=float)
    names = list(mm.columns)
    if "Intercept" not in names:
        X = np.column_stack([np.ones(len(frame)), X])
        names = ["Intercept"] + names
    else:
        j = names.index("Intercept")
        order = [j] + [i for i in range(len(names)) if i != j]
        X = X[:, order]
        names = [names[i] for i in order]
    return X, names


def _cell_arrays(cells, tlist):
    """Number of cells, their cohort, period and base period, and zeroed ATT / treated / control-count arrays."""
    C = len(cells)
    group = np.array([c[0] for c in cells], dtype=np.int64)
    time = np.array([tlist[c[1]] for c in cells], dtype=np.int64)
    base = np.array([tlist[c[2]] for c in cells], dtype=np.int64)
    return C, group, time, base, np.zeros(C), np.zeros(C, dtype=np.int64), np.zeros(C, dtype=np.int64)


def _drop_no_base(cells, anticipation, notes):
    """R did skips (with a warning) the cells of cohorts with no period before ``g - anticipation``."""
    no_base = sorted({int(gv) for gv, ti, bi in cells if bi is None})
    if no_base:
        msg = (f"cohorts with no pre-treatment period (given anticipation={anticipation}) are skipped: {no_base}; "
               "their units stay in the sample")
        warnings.warn(msg, DataWarning, stacklevel=4)
        notes.append(msg)
        cells = [c for c in cells if c[2] is not None]
        if not cells:
            raise SpecificationError("no (g,t) cell has a pre-treatment period")
    return cells


def _cells(tlist: np.ndarray, glist: np.ndarray, base_period: str, anticipation: int):
    """R did's (g, t, base) cells: list of (g, t_idx, b_idx) with b_idx None when there is no base period."""
    T = len(tlist)
    out = []
    for g in glist:
        pre_idx = np.nonzero(tlist + anticipation < g)[0]
        b_univ = int(pre_idx[-1]) if pre_idx.size else None
        if base_period == "varying":
            for ti in range(1, T):
                if g <= tlist[ti]:
                    out.append((g, ti, b_univ))
                else:
                    out.append((g, ti, ti - 1))
        else:
            for ti in range(T):
                out.append((g, ti, b_univ))
    return out


def att_gt(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str | None = None,
    gname: str | None = None,
    xformla: str | None = None,
    control_group: str = "nevertreated",
    est_method: str = "dr",
    anticipation: int = 0,
    base_period: str = "varying",
    panel: bool = True,
    allow_unbalanced_panel: bool = False,
    clustervars: str | list[str] | None = None,
    weightsname: str | None = None,
    bstrap: bool = False,
    biters: int = 1000,
    cband: bool = False,
    alp: float = 0.05,
    seed: Any = None,
    bweights: str = "rademacher",
) -> ATTgtResult:
    """Group-time average treatment effects (Callaway and Sant'Anna 2021), as R did's ``att_gt``.

    Estimand: ``ATT(g,t) = E[Y_t(g) - Y_t(0) | G = g]``, the average effect in period t of the units first treated
    in period g (a *cohort*).  Each cell is estimated by a two-period DiD between t and a base period: for
    post-treatment cells the last period before ``g - anticipation``; for pre-treatment cells the period just
    before t (``base_period="varying"``) or the same period as the post cells (``"universal"``, which reports the
    reference cell as 0).  Comparison units are the never-treated (``gname == 0``) or the not-yet-treated
    (never treated or first treated after ``max(t, base) + anticipation``).

    Assumptions: staggered adoption (once treated, always treated), no anticipation beyond ``anticipation``
    periods, parallel trends for the chosen comparison group (conditional on ``xformla`` covariates, with
    overlap for "dr" and "ipw"), i.i.d. sampling of units (or of clusters with ``clustervars``).

    Parameters
    ----------
    data : long DataFrame (never modified).
    yname, tname, idname, gname : outcome, integer period, unit id and first-treatment period (0 = never).
    xformla : covariate formula such as ``"~ lpop"`` (covariates taken at the earlier of the two periods of a
        cell); ``None`` or ``"~1"`` for none.
    control_group : "nevertreated" or "notyettreated".
    est_method : "dr" (Sant'Anna-Zhao doubly robust), "ipw" (normalised IPW) or "reg" (outcome regression).
    anticipation : number of periods of anticipation.
    base_period : "varying" or "universal".
    panel : False for repeated cross-sections (``idname`` may then be None).
    allow_unbalanced_panel : estimate an unbalanced panel as repeated cross-sections, clustering the influence
        functions by unit (otherwise units not observed in every period are dropped with a warning).
    clustervars : one time-invariant cluster variable (besides ``idname``); analytic SEs then use cluster sums
        (R did only clusters through the bootstrap) and the bootstrap draws one weight per cluster.
    weightsname : time-invariant sampling weights.
    bstrap, biters, cband, alp, seed : multiplier bootstrap (Rademacher, as R did) with ``biters`` draws, uniform
        sup-t bands, level ``1 - alp``, seed.  ``cband`` without ``bstrap`` still uses the bootstrap for the
        critical value (and warns), like R's ``aggte``.
    bweights : bootstrap multipliers: "rademacher" (as R did) or "gaussian" (standard normal multipliers, whose
        draws are sampled exactly from the analytic covariance of the influence functions: cost independent of n).

    Returns
    -------
    ATTgtResult : ATT(g,t), SEs, bands, influence functions, analytic covariance and the Wald pre-test of
        parallel trends (all pre-treatment cells jointly zero).

    Notes
    -----
    Source: Callaway and Sant'Anna (2021), Journal of Econometrics 225(2); Sant'Anna and Zhao (2020), Journal of
    Econometrics 219(1).  Checked against R did 2.x on ``mpdta`` and against brute-force computations.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n, T = 300, 4
    >>> g = rng.choice([0, 3, 4], size=n)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(np.arange(1, T + 1), n),
    ...                    "g": np.repeat(g, T)})
    >>> df["y"] = rng.normal(size=len(df)) + 1.0 * ((df.g > 0) & (df.t >= df.g))
    >>> res = att_gt(df, yname="y", tname="t", idname="id", gname="g")
    >>> res.to_frame()[["term", "estimate"]].shape
    (6, 2)
    """
    # ------------------------------------------------------------------ arguments
    if control_group not in ("nevertreated", "notyettreated"):
        raise SpecificationError(f"control_group must be 'nevertreated' or 'notyettreated', got {control_group!r}")
    if est_method not in _drdid.EST_METHODS:
        raise SpecificationError(f"est_method must be one of {_drdid.EST_METHODS}, got {est_method!r}")
    if base_period not in ("varying", "universal"):
        raise SpecificationError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if int(anticipation) != anticipation or anticipation < 0:
        raise SpecificationError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    anticipation = int(anticipation)
    if bweights not in ("rademacher", "gaussian"):
        raise SpecificationError(f"bweights must be 'rademacher' or 'gaussian', got {bweights!r}")
    if not (0 < alp < 1):
        raise SpecificationError(f"alp must be in (0, 1), got {alp!r}")
    if gname is None:
        raise SpecificationError("gname (first treatment period, 0 = never treated) is required")
    if panel and idname is None:
        raise SpecificationError("idname is required with panel=True")
    if isinstance(clustervars, str):
        clustervars = [clustervars]
    clustervars = [c for c in (clustervars or []) if c != idname]
    if len(clustervars) > 1:
        raise SpecificationError(f"at most one cluster variable besides idname is supported, got {clustervars}")
    no_cov = xformla is None or xformla.replace(" ", "") in ("~1", "1", "")
    needed = [yname, tname, gname] + ([idname] if idname else []) + clustervars + (
        [weightsname] if weightsname else [])
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise SpecificationError(f"columns not in data: {missing}")
    notes: list[str] = []

    # ------------------------------------------------------------------ columns (no copy of the frame)
    y = _numeric(data, yname)
    t_raw = data[tname].to_numpy()
    for name, arr in ((yname, y), (tname, t_raw)):
        if np.issubdtype(arr.dtype, np.floating) and not _all_finite(arr) and np.isinf(arr).any():
            rows = list(data.index[np.isinf(arr)][:5])
            raise DataError(f"column {name!r} has infinite values at rows {rows}")
    g_raw = data[gname].to_numpy()
    X = None
    xnames: list[str] = []
    if not no_cov:
        X, xnames = _covariate_matrix(data, xformla)
    # rows to keep: None while every row is usable (finite sums skip the elementwise masks on big data)
    keep = None if _all_finite(y) else np.isfinite(y)
    for arr in (t_raw, g_raw):
        if np.issubdtype(arr.dtype, np.floating):
            if not _all_finite(arr):
                keep = _and_mask(keep, np.isfinite(arr))
        elif arr.dtype == object:
            keep = _and_mask(keep, pd.notna(arr))
    w_raw = None
    if weightsname:
        w_raw = _numeric(data, weightsname)
        if not _all_finite(w_raw):
            keep = _and_mask(keep, np.isfinite(w_raw))
        if ((w_raw if keep is None else w_raw[keep]) < 0).any():
            raise DataError(f"negative weights in column {weightsname!r}")
    if X is not None and not _all_finite(X):
        keep = _and_mask(keep, np.isfinite(X).all(axis=1))
    ids_raw = data[idname].to_numpy() if idname else None
    if ids_raw is not None and ids_raw.dtype == object:
        keep = _and_mask(keep, pd.notna(ids_raw))
    cl_raw = data[clustervars[0]].to_numpy() if clustervars else None
    if keep is not None and not keep.all():
        dropped = int((~keep).sum())
        warnings.warn(f"dropped {dropped} rows with missing {yname}/{tname}/{gname}/weights/covariates",
                      DataWarning, stacklevel=2)
        y, t_raw, g_raw = y[keep], t_raw[keep], g_raw[keep]
        w_raw = None if w_raw is None else w_raw[keep]
        X = None if X is None else X[keep]
        ids_raw = None if ids_raw is None else ids_raw[keep]
        cl_raw = None if cl_raw is None else cl_raw[keep]
    if len(y) == 0:
        raise DataError("no usable rows: the frame is empty or every row misses "
                        f"{yname}/{tname}/{gname}/weights/covariates")
    t = _as_int_time(t_raw, tname)
    g = _as_int_time(g_raw, gname)
    tlist, t_cycles = _periods(t)
    T = len(tlist)
    if T < 2:
        raise SpecificationError(f"need at least two periods in {tname!r}, found {tlist.tolist()}")
    if g.min() < 0:
        raise SpecificationError(f"negative values in {gname!r}: {_list_some(pd.unique(g[g < 0]))}")

    # ------------------------------------------------------------------ panel structure
    balanced_fast = False
    if panel:
        N = len(y)
        # fast path: rows sorted by id then time, every unit observed in every period
        if N % T == 0:
            idm = ids_raw.reshape(-1, T)
            if (t_cycles or (t.reshape(-1, T) == tlist[None, :]).all()) and (idm == idm[:, :1]).all():
                first = idm[:, 0]
                try:
                    balanced_fast = bool(np.all(first[1:] > first[:-1]))
                except TypeError:
                    balanced_fast = False
        if balanced_fast:
            n = N // T
            uid = None
            unit_ids = idm[:, 0]
            Ymat = y.reshape(n, T)
            G2 = g.reshape(n, T)
        else:
            codes, uniq = pd.factorize(ids_raw, sort=True)
            tid = np.searchsorted(tlist, t)
            n = len(uniq)
            key = codes.astype(np.int64) * T + tid
            cnt = np.bincount(key, minlength=n * T)
            if (cnt > 1).any():
                dup = np.nonzero(cnt > 1)[0][:10]
                pairs = [(_py(uniq[k // T]), int(tlist[k % T])) for k in dup]
                raise DataError(f"duplicated ({idname}, {tname}) rows, e.g. {pairs}")
            uid = codes
            unit_ids = np.asarray(uniq)
            Ymat = np.full((n, T), np.nan)
            Ymat[codes, tid] = y
            G2 = np.full((n, T), -1, dtype=np.int64)
            G2[codes, tid] = g
        # time-invariant group
        if balanced_fast:
            obs = None
            g_first = G2[:, 0]
            varies = (G2 != g_first[:, None]).any(axis=1)
        else:
            obs = ~np.isnan(Ymat)
            g_first = np.where(obs, G2, -1).max(axis=1)
            varies = (obs & (G2 != g_first[:, None])).any(axis=1)
        if varies.any():
            raise SpecificationError(
                f"{gname!r} (first treatment period) varies over time within units, e.g. treatment that switches "
                f"off or restarts; units: {_list_some(unit_ids[varies])}")
        g_unit = g_first
        w_unit = None
        if w_raw is not None:
            W2 = _pivot(w_raw, balanced_fast, uid, t, tlist, n, T)
            w_unit = _time_invariant(W2, obs, weightsname, unit_ids)
        cl_unit = None
        if cl_raw is not None:
            ccodes, _ = pd.factorize(cl_raw)
            C2 = _pivot(ccodes.astype(float), balanced_fast, uid, t, tlist, n, T)
            cl_unit = _time_invariant(C2, obs, clustervars[0], unit_ids).astype(np.int64)
        Xpan = None
        if X is not None:
            Xpan = np.stack([_pivot(X[:, j], balanced_fast, uid, t, tlist, n, T) for j in range(X.shape[1])],
                            axis=2)  # n x T x p
        complete = None if obs is None else obs.all(axis=1)
        rc_mode = False
        if complete is not None and not complete.all():
            if allow_unbalanced_panel:
                rc_mode = True
                notes.append("Unbalanced panel: cells estimated as repeated cross-sections, influence functions "
                             "summed by unit.")
            else:
                warnings.warn(f"unbalanced panel: dropping {int((~complete).sum())} units not observed in every "
                              f"period (set allow_unbalanced_panel=True to keep them)", DataWarning, stacklevel=2)
                Ymat, g_unit, unit_ids = Ymat[complete], g_unit[complete], unit_ids[complete]
                w_unit = None if w_unit is None else w_unit[complete]
                cl_unit = None if cl_unit is None else cl_unit[complete]
                Xpan = None if Xpan is None else Xpan[complete]
                if uid is not None:
                    rowkeep = complete[uid]
                    remap = np.cumsum(complete) - 1
                    uid = remap[uid[rowkeep]]
                    y, t, X = y[rowkeep], t[rowkeep], (None if X is None else X[rowkeep])
                n = Ymat.shape[0]
    else:
        rc_mode = True
        n = len(y)
        unit_ids = np.arange(n) if ids_raw is None else ids_raw
        g_unit = g
        w_unit = w_raw
        cl_unit = pd.factorize(cl_raw)[0] if cl_raw is not None else None
        uid = np.arange(n)

    # ------------------------------------------------------------------ cohorts
    gvals = _unique_sorted(g_unit)
    bad_g = sorted(int(v) for v in gvals if v != 0 and v not in set(tlist.tolist()))
    if bad_g:
        raise SpecificationError(f"values of {gname!r} that are not periods of {tname!r} "
                                 f"({tlist.min()}..{tlist.max()}): {_list_some(bad_g)} (use 0 for never treated)")
    first_period = tlist[0]
    early = (g_unit > 0) & (g_unit <= first_period)
    if early.any():
        warnings.warn(f"dropping {int(early.sum())} units already treated in the first period "
                      f"({gname} <= {first_period}): they have no untreated period", DataWarning, stacklevel=2)
        notes.append(f"{int(early.sum())} units treated in the first period dropped.")
    if rc_mode:
        return _att_gt_rc(locals())
    if early.any():
        k = ~early
        Ymat, g_unit, unit_ids = Ymat[k], g_unit[k], unit_ids[k]
        w_unit = None if w_unit is None else w_unit[k]
        cl_unit = None if cl_unit is None else cl_unit[k]
        Xpan = None if Xpan is None else Xpan[k]
        n = Ymat.shape[0]
    return _att_gt_panel(
        Ymat=Ymat, g_unit=g_unit, unit_ids=unit_ids, w_unit=w_unit, cl_unit=cl_unit, Xpan=Xpan, xnames=xnames,
        tlist=tlist, control_group=control_group, est_method=est_method, anticipation=anticipation,
        base_period=base_period, bstrap=bstrap, biters=biters, cband=cband, alp=alp, seed=seed,
        clustervars=clustervars, notes=notes, gname=gname, idname=idname, weightsname=weightsname,
        bweights=bweights, cohorts=None if early.any() else gvals,
    )


def _all_finite(arr: np.ndarray) -> bool:
    """True when every value is finite, by one reduction (a non-finite or overflowing sum means: check elementwise)."""
    if arr.dtype.kind in "iub":
        return True
    with np.errstate(all="ignore"):
        return bool(np.isfinite(arr.sum()))


def _and_mask(keep, mask):
    return mask if keep is None else keep & mask


def _periods(t: np.ndarray) -> tuple[np.ndarray, bool]:
    """Sorted periods, and whether the rows cycle through them in order (sorted panels: no counting pass)."""
    head = t[: min(len(t), 100_000)]
    if len(head) > 1:
        rep = np.nonzero(np.diff(head) <= 0)[0]
        if rep.size:
            T = int(rep[0]) + 1
            cand = head[:T]
            if len(t) % T == 0 and (t.reshape(-1, T) == cand[None, :]).all():
                return cand.astype(np.int64), True
    return _unique_sorted(t), False


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    """Sorted unique values of an integer array; a counting pass when the range is small (fast on 10^7 rows)."""
    lo, hi = int(a.min()), int(a.max())
    if hi - lo < 1_000_000:
        return np.nonzero(np.bincount(a - lo, minlength=hi - lo + 1))[0].astype(np.int64) + lo
    return np.sort(pd.unique(a))


def _pivot(values, balanced_fast, uid, t, tlist, n, T):
    if balanced_fast:
        return values.reshape(n, T)
    out = np.full((n, T), np.nan)
    out[uid, np.searchsorted(tlist, t)] = values
    return out


def _time_invariant(M, obs, col, unit_ids):
    if obs is None:
        first = M[:, 0]
        varies = (M != first[:, None]).any(axis=1)
    else:
        first = np.where(obs, M, -np.inf).max(axis=1)
        varies = (obs & (M != first[:, None])).any(axis=1)
    if varies.any():
        raise SpecificationError(f"column {col!r} must be constant within units; varies for units "
                                 f"{_list_some(unit_ids[varies])}")
    return first


def _control_cohorts(cohorts, g, t_val, b_val, control_group, anticipation):
    if control_group == "nevertreated":
        return cohorts == 0
    later = max(t_val, b_val)
    return (cohorts == 0) | ((cohorts > later + anticipation) & (cohorts != g))


def _finish(*, att, inf: CSInfluence, group, time, base, n, alp, bstrap, biters, cband, seed, params, notes,
            n_treated, n_control, unit_ids, unit_group):
    """Standard errors, Wald pre-test, bootstrap and bands: shared by the panel and cross-section paths."""
    gram = inf.gram()
    V = gram / n
    se_an = np.sqrt(np.maximum(np.diag(gram), 0)) / n
    se_an[se_an <= _EPS] = np.nan
    se = se_an.copy()
    crit = float(stats.norm.ppf(1 - alp / 2))
    boot = None
    if cband and not bstrap:
        warnings.warn("cband=True uses the multiplier bootstrap for the critical value of the uniform band",
                      stacklevel=3)
    if bstrap or cband:
        boot = multiplier_bootstrap(inf, biters=biters, alp=alp, seed=seed, weights=params.get("bweights",
                                                                                             "rademacher"))
        if bstrap:
            ok = ~np.isnan(se_an)
            se[ok] = boot.se[ok]
            se[se <= _EPS] = np.nan
        if cband:
            crit = boot.crit_val
            if not np.isfinite(crit) or crit < stats.norm.ppf(1 - alp / 2):
                warnings.warn("uniform critical value unavailable or below the pointwise one: reporting pointwise "
                              "intervals", stacklevel=3)
                crit = float(stats.norm.ppf(1 - alp / 2))
                cband = False
    # Wald pre-test
    pre = np.nonzero((group > time) & ~np.isnan(se_an))[0]
    W = df = pval = None
    if pre.size:
        preV = V[np.ix_(pre, pre)]
        if np.isfinite(preV).all() and 1.0 / np.linalg.cond(preV, 1) > np.finfo(float).eps:
            pa = att[pre]
            W = float(n * pa @ np.linalg.solve(preV, pa))
            df = int(pre.size)
            pval = float(stats.chi2.sf(W, df))
        else:
            notes.append("Wald pre-test not reported: singular covariance of the pre-treatment cells.")
    return ATTgtResult(
        group=group, time=time, base=base, att=att, se=se, se_analytic=se_an, crit_val=crit, cband=bool(cband),
        alp=alp, V=V, influence=inf, n=n, wald_stat=W, wald_df=df, wald_pvalue=pval, params=params,
        n_treated=n_treated, n_control=n_control, unit_ids=unit_ids, unit_group=unit_group, bootstrap=boot,
        notes_extra=notes,
    )


def _att_gt_panel(*, Ymat, g_unit, unit_ids, w_unit, cl_unit, Xpan, xnames, tlist, control_group, est_method,
                  anticipation, base_period, bstrap, biters, cband, alp, seed, clustervars, notes, gname, idname,
                  weightsname, bweights="rademacher", cohorts=None):
    n, T = Ymat.shape
    if cohorts is None:  # sorted cohorts of g_unit, when the caller has not found them already
        cohorts = _unique_sorted(g_unit)
    if len(cohorts) < 32000 and cohorts[-1] - cohorts[0] < 1_000_000:
        lut = np.zeros(int(cohorts[-1] - cohorts[0]) + 1, dtype=np.int16)
        lut[cohorts - cohorts[0]] = np.arange(len(cohorts), dtype=np.int16)
        ccode = lut[g_unit - cohorts[0]]
    else:
        ccode = np.searchsorted(cohorts, g_unit)
    identity = bool(np.all(ccode[1:] >= ccode[:-1])) if n > 1 else True
    copied = bool(Ymat.flags.owndata)
    if not identity:
        order = np.argsort(ccode, kind="stable")
        copied = True
        Ymat = Ymat[order]
        g_unit = g_unit[order]
        unit_ids = unit_ids[order]
        w_unit = None if w_unit is None else w_unit[order]
        cl_unit = None if cl_unit is None else cl_unit[order]
        Xpan = None if Xpan is None else Xpan[order]
    counts = np.bincount(ccode, minlength=len(cohorts))
    starts = np.concatenate([[0], np.cumsum(counts)])
    w = np.ones(n) if w_unit is None else np.asarray(w_unit, float)
    glist = cohorts[cohorts > 0]
    if glist.size == 0:
        raise SpecificationError(f"no treated cohorts: every unit has {gname} == 0")
    cells = _cells(tlist, glist, base_period, anticipation)
    # check cells
    cells = _drop_no_base(cells, anticipation, notes)
    empty = []
    cell_ctrl = []
    for gv, ti, bi in cells:
        cmask = _control_cohorts(cohorts, gv, tlist[ti], tlist[bi], control_group, anticipation)
        if counts[cmask].sum() == 0:
            empty.append((int(gv), int(tlist[ti])))
        cell_ctrl.append(cmask)
    if empty:
        raise EstimationError(f"(g,t) cells with no valid {control_group} control units: {_list_some(empty)}")
    p = 0 if Xpan is None else Xpan.shape[2]
    if p:
        small = [(int(c), int(k)) for c, k in zip(cohorts, counts) if k <= p and c > 0]
        if small:
            raise SpecificationError(f"cohorts (g, units) smaller than the {p} covariate columns of xformla "
                                     f"{xnames}: {small}")
    C, group, time, base, att, n_tr, n_co = _cell_arrays(cells, tlist)
    kidx = {int(c): k for k, c in enumerate(cohorts)}

    # lazy closed form needs no covariates and no trimming of the constant propensity score
    lazy = Xpan is None
    if lazy and est_method in ("dr", "ipw"):
        wsum = np.add.reduceat(w, starts[:-1]) if w_unit is not None else counts.astype(float)
        for (gv, _ti, _bi), cm in zip(cells, cell_ctrl):
            s1 = wsum[kidx[int(gv)]]
            s0 = wsum[cm].sum()
            if s1 / (s1 + s0) >= _drdid.TRIM_LEVEL:
                lazy = False
                break
    if lazy:
        ybar = Ymat.mean(axis=0)
        if copied:
            Yc = Ymat
            Yc -= ybar
        else:
            Yc = Ymat - ybar
        store = UnitStore(w=w, starts=starts, cohorts=cohorts, Y=Yc, cluster=cl_unit, unit_weights=w_unit is None)
        A = np.zeros((len(cohorts), T, C))
        B = np.zeros((len(cohorts), C))
        for j, ((gv, ti, bi), cm) in enumerate(zip(cells, cell_ctrl)):
            if ti == bi:  # universal base: reference cell
                continue
            kg = kidx[int(gv)]
            S1 = store.s1[kg]
            mu1 = (store.m1[kg, ti] - store.m1[kg, bi]) / S1
            ks = np.nonzero(cm)[0]
            S0 = store.s1[ks].sum()
            mu0 = (store.m1[ks, ti] - store.m1[ks, bi]).sum() / S0
            att[j] = mu1 - mu0
            A[kg, ti, j] += n / S1
            A[kg, bi, j] -= n / S1
            B[kg, j] = -n * mu1 / S1
            A[ks, ti, j] -= n / S0
            A[ks, bi, j] += n / S0
            B[ks, j] = n * mu0 / S0
            n_tr[j] = counts[kg]
            n_co[j] = counts[ks].sum()
        inf = CSInfluence(store, C, A=A, B=B)
    else:
        store = UnitStore(w=w, starts=starts, cohorts=cohorts, Y=None, cluster=cl_unit)
        D = np.zeros((n, C))
        # cells of one cohort against one control group share the nuisance fits (propensity score, the outcome
        # regression's design) when they use the same covariate values: always if covariates are time-invariant
        x_fixed = Xpan is None or bool((Xpan == Xpan[:, :1, :]).all())
        nuisances: dict = {}
        samples: dict = {}
        for j, ((gv, ti, bi), cm) in enumerate(zip(cells, cell_ctrl)):
            if ti == bi:
                continue
            kg = kidx[int(gv)]
            sample_key = (kg, cm.tobytes())
            if sample_key not in samples:  # the units of this cohort and its controls, built once
                blocks = [np.arange(starts[kg], starts[kg + 1])]
                blocks += [np.arange(starts[k], starts[k + 1]) for k in np.nonzero(cm)[0]]
                idx = np.concatenate(blocks)
                dvec = np.zeros(len(idx))
                dvec[:counts[kg]] = 1.0
                samples[sample_key] = (idx, dvec, w[idx])
            idx, dvec, w_idx = samples[sample_key]
            dy = Ymat[idx, ti] - Ymat[idx, bi]
            key = (kg, cm.tobytes(), None if x_fixed else min(ti, bi))
            nuisance = nuisances.setdefault(key, {})
            if "x" not in nuisance:
                nuisance["x"] = np.ones((len(idx), 1)) if Xpan is None else Xpan[idx, min(ti, bi), :]
            xx = nuisance["x"]
            n_co[j] = len(idx) - counts[kg]
            n_tr[j] = counts[kg]
            if p and n_co[j] <= p:
                raise SpecificationError(f"cell ({gv},{tlist[ti]}): only {n_co[j]} control units for {p} "
                                         f"covariate columns")
            try:
                a, infl = _drdid.panel_did(dy, dvec, xx, w_idx, est_method, nuisance=nuisance)
            except EstimationError as exc:
                raise EstimationError(f"cell (g={gv}, t={tlist[ti]}): {exc}") from exc
            att[j] = a
            D[idx, j] = infl * (n / len(idx))
        inf = CSInfluence(store, C, dense=D)
    params = dict(control_group=control_group, est_method=est_method, anticipation=anticipation,
                  base_period=base_period, panel=True, bstrap=bstrap, biters=biters, clustervars=clustervars,
                  bweights=bweights,
                  xformla=xnames, gname=gname, idname=idname, weightsname=weightsname, tlist=tlist,
                  glist=glist)
    return _finish(att=att, inf=inf, group=group, time=time, base=base, n=n, alp=alp, bstrap=bstrap,
                   biters=biters, cband=cband, seed=seed, params=params, notes=notes, n_treated=n_tr,
                   n_control=n_co, unit_ids=unit_ids, unit_group=g_unit)


def _att_gt_rc(v: dict):
    """Repeated cross-sections, or an unbalanced panel treated as such (units = ids, IF summed by id)."""
    panel = v["panel"]
    tlist = v["tlist"]
    T = len(tlist)
    control_group, est_method, anticipation = v["control_group"], v["est_method"], v["anticipation"]
    base_period = v["base_period"]
    gname = v["gname"]
    notes = v["notes"]
    y, t, X = v["y"], v["t"], v["X"]
    if panel:
        # unbalanced panel: rows -> unit codes; unit-level g, w, cluster
        uid = v["uid"]
        if uid is None:  # came through the fast path (cannot be unbalanced), keep for safety
            uid = np.repeat(np.arange(v["n"]), T)
        g_row = v["g_unit"][uid]
        g_unit, w_unit, cl_unit, unit_ids = v["g_unit"], v["w_unit"], v["cl_unit"], v["unit_ids"]
        n = len(g_unit)
    else:
        uid = np.arange(len(y))
        g_row = v["g"]
        g_unit, w_unit, cl_unit, unit_ids = g_row, v["w_unit"], v["cl_unit"], v["unit_ids"]
        n = len(y)
    early_unit = (g_unit > 0) & (g_unit <= tlist[0])
    if early_unit.any():
        keep_unit = ~early_unit
        remap = np.cumsum(keep_unit) - 1
        rowkeep = keep_unit[uid]
        y, t, g_row = y[rowkeep], t[rowkeep], g_row[rowkeep]
        X = None if X is None else X[rowkeep]
        uid = remap[uid[rowkeep]]
        g_unit, unit_ids = g_unit[keep_unit], unit_ids[keep_unit]
        w_unit = None if w_unit is None else w_unit[keep_unit]
        cl_unit = None if cl_unit is None else cl_unit[keep_unit]
        n = len(g_unit)
    order = np.argsort(g_unit, kind="stable")
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    g_sorted = g_unit[order]
    cohorts, starts_ = np.unique(g_sorted, return_index=True)
    starts = np.append(starts_, n)
    w_u = np.ones(n) if w_unit is None else np.asarray(w_unit, float)
    w_s = w_u[order]
    cl_s = None if cl_unit is None else np.asarray(cl_unit)[order]
    glist = cohorts[cohorts > 0]
    if glist.size == 0:
        raise SpecificationError(f"no treated cohorts: every unit has {gname} == 0")
    cells = _cells(tlist, glist, base_period, anticipation)
    cells = _drop_no_base(cells, anticipation, notes)
    tid = np.searchsorted(tlist, t)
    w_row = w_u[uid]
    p = 0 if X is None else X.shape[1]
    C, group, time, base, att, n_tr, n_co = _cell_arrays(cells, tlist)
    D = np.zeros((n, C))
    empty = []
    for j, (gv, ti, bi) in enumerate(cells):
        if ti == bi:
            continue
        tv, bv = tlist[ti], tlist[bi]
        if control_group == "nevertreated":
            ctrl = g_row == 0
        else:
            ctrl = (g_row == 0) | ((g_row > max(tv, bv) + anticipation) & (g_row != gv))
        treat = g_row == gv
        sel = ((tid == ti) | (tid == bi)) & (treat | ctrl)
        idx = np.nonzero(sel)[0]
        dvec = treat[idx].astype(float)
        post = (tid[idx] == ti).astype(float)
        groups4 = [(dvec == a) & (post == b) for a in (0, 1) for b in (0, 1)]
        if not all(gm.any() for gm in groups4):
            empty.append((int(gv), int(tv)))
            continue
        if p and min(gm.sum() for gm in groups4) <= p:
            raise SpecificationError(f"cell ({gv},{tv}): a treated/control x pre/post cell has no more "
                                     f"observations than the {p} covariate columns")
        xx = np.ones((len(idx), 1)) if X is None else X[idx]
        try:
            a, infl = _drdid.rc_did(y[idx], post, dvec, xx, w_row[idx], est_method)
        except EstimationError as exc:
            raise EstimationError(f"cell (g={gv}, t={tv}): {exc}") from exc
        att[j] = a
        n_tr[j] = int(dvec.sum())
        n_co[j] = len(idx) - n_tr[j]
        # R did: IF scaled by n / n1 with n1 the observations in the cell; summed by unit for unbalanced panels
        D[:, j] = np.bincount(pos[uid[idx]], weights=infl * (n / len(idx)),
                              minlength=n)
    if empty:
        raise EstimationError(f"(g,t) cells with no valid {control_group} control units (or no treated/control "
                              f"observations in one of the two periods): {_list_some(empty)}")
    store = UnitStore(w=w_s, starts=starts, cohorts=cohorts, Y=None, cluster=cl_s)
    inf = CSInfluence(store, C, dense=D)
    params = dict(control_group=control_group, est_method=est_method, anticipation=anticipation,
                  base_period=base_period, panel=panel, bstrap=v["bstrap"], biters=v["biters"],
                  bweights=v["bweights"],
                  clustervars=v["clustervars"], xformla=v["xnames"], gname=gname, idname=v["idname"],
                  weightsname=v["weightsname"], tlist=tlist, glist=glist)
    return _finish(att=att, inf=inf, group=group, time=time, base=base, n=n, alp=v["alp"], bstrap=v["bstrap"],
                   biters=v["biters"], cband=v["cband"], seed=v["seed"], params=params, notes=notes,
                   n_treated=n_tr, n_control=n_co, unit_ids=np.asarray(unit_ids)[order], unit_group=g_sorted)
