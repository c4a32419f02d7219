"""Estimators computed from :class:`~clusterecon.scale.sufficient.PanelMoments` alone.

Whatever computed the moments (pandas in memory, DuckDB on Parquet files larger than memory, a Dask cluster), the
numbers below are the same as those of the in-memory estimators of :mod:`clusterecon.did`, to rounding:

* :func:`att_gt_moments` -- Callaway and Sant'Anna (2021) ATT(g,t) without covariates, never-treated or
  not-yet-treated comparisons, varying or universal base period, analytic influence-function standard errors
  (R did's ``att_gt`` with ``xformla = ~1``; without covariates "dr", "ipw" and "reg" coincide);
* :func:`aggte_moments` -- the "simple", "group" and "dynamic" (event-study) aggregations with R did's
  weight-estimation terms in the influence functions;
* :func:`did2x2_moments` -- the two-group, two-period DiD (Sant'Anna and Zhao 2020 without covariates);
* :func:`twfe_moments` -- two-way fixed-effects OLS of the outcome on regressors that are constant within
  (group, period) cells (treatment indicators, event-time dummies, cohort x period interactions), with iid, HC1 or
  unit-clustered (CR1) standard errors.

Why it works: without covariates each of these influence functions (or regression scores) of unit ``i`` is
``a_{k(i)}' Y_i + b_{k(i)}`` with ``Y_i`` the unit's outcome path and coefficients depending on its group ``k``
only, so sums of their squares and cross-products are quadratic forms in the group sums ``n_k, s_k, S_k``.

TWFE compression (exact): in a balanced panel, when every regressor is a function of (group, period) and the groups
partition the units, the unit and period fixed effects can be partialled out of the regressors at the cell level:
``X~`` is the residual of the cell values on group and period dummies weighted by the group sizes, and the OLS
coefficients equal weighted least squares of the cell means on ``X~`` with weights ``n_k`` (FWL).  Residuals of
unit ``i`` are ``e_i = H (Y_i - m_k) + r_k`` (``H`` centring over periods, ``m_k`` the group mean path, ``r_k``
the cell-level residuals), so clustered and HC1 meats follow from the centred cross-products.  The conditions are:
balanced panel, regressors constant within (group, period) cells, equal weights, clusters = units.  Regressors
that vary within a cell (continuous covariates) are not covered: use :func:`clusterecon.did.twfe.twfe`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataWarning, EstimationError, SpecificationError
from ..results import Results
from .sufficient import PanelMoments

__all__ = ["ScaleResult", "LinearIF", "att_gt_moments", "aggte_moments", "did2x2_moments", "twfe_moments",
           "event_time_cells"]


@dataclass
class ScaleResult(Results):
    """Estimates computed from grouped sufficient statistics.

    Attributes
    ----------
    table : tidy frame (``term, estimate, std_error, statistic, p_value, ci_low, ci_high`` + extras such as
        ``group``, ``time``, ``event_time``).
    vcov : covariance matrix of the estimates (same order as the table).
    influence : the influence functions in group-linear form (:class:`LinearIF`) where defined.
    info : sizes and options.
    """

    table: pd.DataFrame
    vcov: np.ndarray | None = None
    influence: LinearIF | None = None
    info: dict = field(default_factory=dict)
    method: str = "Estimates from sufficient statistics"

    @property
    def title(self) -> str:  # type: ignore[override]
        return self.method

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    @property
    def estimate(self) -> pd.Series:
        return pd.Series(self.table["estimate"].to_numpy(), index=self.table["term"].to_numpy())

    @property
    def std_error(self) -> pd.Series:
        return pd.Series(self.table["std_error"].to_numpy(), index=self.table["term"].to_numpy())

    def notes(self) -> list[str]:
        src = self.info.get("source", "memory")
        return [f"Computed from grouped sufficient statistics ({src}); {self.info.get('n_units', '?')} units x "
                f"{self.info.get('n_periods', '?')} periods."] + list(self.info.get("notes", []))


def _tidy(terms, est, se, alpha, extra=None, df=None) -> pd.DataFrame:
    est = np.asarray(est, float)
    se = np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    if df is None:
        crit = stats.norm.ppf(1 - alpha / 2)
        p = 2 * stats.norm.sf(np.abs(stat))
    else:
        crit = stats.t.ppf(1 - alpha / 2, df)
        p = 2 * stats.t.sf(np.abs(stat), df)
    frame = pd.DataFrame({"term": list(terms), "estimate": est, "std_error": se, "statistic": stat, "p_value": p,
                          "ci_low": est - crit * se, "ci_high": est + crit * se})
    for k, v in (extra or {}).items():
        frame[k] = v
    return frame


class LinearIF:
    """Influence functions ``IF_i = A[k(i)]' Y~_i + b[k(i)]`` of ``m`` estimates (``Y~`` the shifted outcomes).

    ``A`` is (K, T, m), ``b`` (K, m); :meth:`gram` is ``sum_i IF_i IF_i'`` computed from the moments.
    """

    def __init__(self, moments: PanelMoments, A: np.ndarray, b: np.ndarray):
        self.moments, self.A, self.b = moments, A, b

    @property
    def m(self) -> int:
        return self.b.shape[1]

    def combine(self, W: np.ndarray, extra_b: np.ndarray | None = None) -> LinearIF:
        W = np.asarray(W, float).reshape(self.m, -1)
        b = self.b @ W
        if extra_b is not None:
            b = b + extra_b.reshape(b.shape)
        return LinearIF(self.moments, np.einsum("ktm,mj->ktj", self.A, W), b)

    def gram(self) -> np.ndarray:
        mo = self.moments
        out = np.einsum("ktm,kts,ksj->mj", self.A, mo.S, self.A)
        u = np.einsum("kt,ktm->km", mo.s, self.A)  # (K, m)
        cross = u.T @ self.b
        out += cross + cross.T
        out += (self.b * mo.n[:, None]).T @ self.b
        return out

    def values(self, Yc: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Dense values for units with shifted outcomes ``Yc`` (n x T) and group indices ``k`` (for checks)."""
        return np.einsum("it,itm->im", Yc, self.A[k]) + self.b[k]


# ----------------------------------------------------------------------------------------------------------------
# Callaway and Sant'Anna without covariates


def _prepare_cs(m: PanelMoments, notes: list) -> PanelMoments:
    periods = m.periods
    g = m.groups
    if (g < 0).any():
        raise SpecificationError(f"negative group values {g[g < 0].tolist()}")
    bad = [int(v) for v in g if v != 0 and v not in set(periods.tolist())]
    if bad:
        raise SpecificationError(f"group values that are not periods ({periods.min()}..{periods.max()}): {bad} "
                                 "(use 0 for never treated)")
    early = (g > 0) & (g <= periods[0])
    if early.any():
        msg = f"dropping {int(m.n[early].sum())} units already treated in the first period (groups {g[early].tolist()})"
        warnings.warn(msg, DataWarning, stacklevel=3)
        notes.append(msg)
        m = m.subset(~early)
    return m


def _cs_cells(periods, glist, base_period, anticipation, notes):
    T = len(periods)
    cells = []
    skipped = []
    for gv in glist:
        pre = np.nonzero(periods + anticipation < gv)[0]
        if pre.size == 0:
            skipped.append(int(gv))
            continue
        bu = int(pre[-1])
        if base_period == "varying":
            for ti in range(1, T):
                cells.append((gv, ti, bu if gv <= periods[ti] else ti - 1))
        else:
            for ti in range(T):
                cells.append((gv, ti, bu))
    if skipped:
        msg = f"cohorts with no pre-treatment period (anticipation={anticipation}) are skipped: {skipped}"
        warnings.warn(msg, DataWarning, stacklevel=3)
        notes.append(msg)
    if not cells:
        raise SpecificationError("no (g,t) cell has a pre-treatment period")
    return cells


def att_gt_moments(m: PanelMoments, control_group: str = "nevertreated", base_period: str = "varying",
                   anticipation: int = 0, alp: float = 0.05) -> ScaleResult:
    """Callaway-Sant'Anna ATT(g,t) without covariates from grouped moments (groups = first-treatment periods).

    Estimand ``ATT(g,t) = E[Y_t(g) - Y_t(0) | G = g]``, estimated by the difference between cohort g and the
    comparison cohorts of the mean change of the outcome between t and the base period; assumptions: staggered
    adoption, parallel trends (unconditional) for the comparison group, no anticipation beyond ``anticipation``.
    Standard errors from the influence functions, ``sqrt(sum_i IF_i^2) / n`` (Callaway and Sant'Anna 2021,
    J. Econometrics 225(2); R did's analytic SEs).

    Examples
    --------
    >>> from clusterecon.simulate import staggered_panel
    >>> from clusterecon.scale.sufficient import moments_from_frame
    >>> df = staggered_panel(400, 5, cohorts=[3, 4], effect=1.0, seed=2)
    >>> res = att_gt_moments(moments_from_frame(df, "y", "time", "unit", "cohort"))
    >>> res.table[["group", "time"]].shape
    (8, 2)
    """
    if control_group not in ("nevertreated", "notyettreated"):
        raise SpecificationError(f"control_group must be 'nevertreated' or 'notyettreated', got {control_group!r}")
    if base_period not in ("varying", "universal"):
        raise SpecificationError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    notes: list = []
    m = _prepare_cs(m, notes)
    periods, groups, nk = m.periods, m.groups, m.n.astype(float)
    K, T = len(groups), len(periods)
    n = float(nk.sum())
    glist = groups[groups > 0]
    if glist.size == 0:
        raise SpecificationError("no treated cohorts: every unit has group 0")
    cells = _cs_cells(periods, glist, base_period, anticipation, notes)
    C = len(cells)
    A = np.zeros((K, T, C))
    b = np.zeros((K, C))
    att = np.zeros(C)
    n_tr = np.zeros(C, dtype=np.int64)
    n_co = np.zeros(C, dtype=np.int64)
    ref = np.zeros(C, bool)
    kidx = {int(v): k for k, v in enumerate(groups)}
    empty = []
    for j, (gv, ti, bi) in enumerate(cells):
        kg = kidx[int(gv)]
        if control_group == "nevertreated":
            ctrl = groups == 0
        else:
            later = max(periods[ti], periods[bi])
            ctrl = (groups == 0) | ((groups > later + anticipation) & (groups != gv))
        ks = np.nonzero(ctrl)[0]
        n_tr[j] = nk[kg]
        n_co[j] = nk[ks].sum()
        if ti == bi:
            ref[j] = True
            continue
        if n_co[j] == 0:
            empty.append((int(gv), int(periods[ti])))
            continue
        mu1 = (m.s[kg, ti] - m.s[kg, bi]) / nk[kg]
        S0 = nk[ks].sum()
        mu0 = (m.s[ks, ti] - m.s[ks, bi]).sum() / S0
        att[j] = mu1 - mu0
        A[kg, ti, j] += n / nk[kg]
        A[kg, bi, j] -= n / nk[kg]
        b[kg, j] = -n * mu1 / nk[kg]
        A[ks, ti, j] -= n / S0
        A[ks, bi, j] += n / S0
        b[ks, j] = n * mu0 / S0
    if empty:
        raise EstimationError(f"(g,t) cells with no valid {control_group} control units: {empty[:10]}")
    inf = LinearIF(m, A, b)
    gram = inf.gram()
    se = np.sqrt(np.maximum(np.diag(gram), 0.0)) / n
    se[ref] = np.nan
    group = np.array([c[0] for c in cells], dtype=np.int64)
    time = np.array([periods[c[1]] for c in cells], dtype=np.int64)
    base = np.array([periods[c[2]] for c in cells], dtype=np.int64)
    terms = [f"ATT({g},{t})" for g, t in zip(group, time)]
    table = _tidy(terms, att, se, alp, {"group": group, "time": time, "base": base, "n_treated": n_tr,
                                        "n_control": n_co})
    info = {"n_units": int(n), "n_periods": T, "control_group": control_group, "base_period": base_period,
            "anticipation": anticipation, "alp": alp, "source": m.source, "notes": notes,
            "group_sizes": dict(zip(groups.tolist(), m.n.tolist()))}
    return ScaleResult(table=table, vcov=gram / n**2, influence=inf, info=info,
                       method="Group-time ATT(g,t) (Callaway and Sant'Anna 2021), from sufficient statistics")


def _wif_b(m: PanelMoments, item_groups: np.ndarray, pgg: np.ndarray, att: np.ndarray, n: float) -> np.ndarray:
    """R did's weight-estimation term ``wif %*% att`` as a per-group constant (K,), weights.ind = 1."""
    P = pgg.sum()
    out = np.zeros(len(m.groups))
    for k, h in enumerate(m.groups):
        ind = (item_groups == h).astype(float)
        if1 = ((ind - pgg) / P) @ att
        if2 = (ind - pgg).sum() * (pgg @ att) / P**2
        out[k] = if1 - if2
    return out


def aggte_moments(res: ScaleResult, type: str = "dynamic", alp: float | None = None,
                  r_compat: bool = True) -> ScaleResult:
    """Aggregations of :func:`att_gt_moments` as R did's ``aggte`` (no balancing, analytic SEs).

    ``type="simple"``: the average of the post-treatment ATT(g,t) weighted by cohort sizes; ``"group"``: one average
    per cohort and their size-weighted mean; ``"dynamic"``: one average per event time ``e = t - g`` (the event
    study) and the mean over ``e >= 0``.  Influence functions include the estimation of the cohort weights
    (Callaway and Sant'Anna 2021, section 4).  ``r_compat=True`` reproduces R did's weight term of the overall
    "group" average, built from the cohorts of the first ``len(glist)`` cells (as :func:`clusterecon.did.aggte.aggte`
    does by default); ``False`` uses the cohorts themselves.

    Examples
    --------
    >>> from clusterecon.simulate import staggered_panel
    >>> from clusterecon.scale.sufficient import moments_from_frame
    >>> df = staggered_panel(400, 5, cohorts=[3, 4], effect=1.0, seed=2)
    >>> es = aggte_moments(att_gt_moments(moments_from_frame(df, "y", "time", "unit", "cohort")), "dynamic")
    >>> es.table["term"].tolist()[-1]
    'Average over e >= 0'
    """
    if type not in ("simple", "group", "dynamic"):
        raise SpecificationError(f"type must be 'simple', 'group' or 'dynamic', got {type!r}")
    inf: LinearIF = res.influence
    m = inf.moments
    alp = res.info["alp"] if alp is None else alp
    n = float(m.n.sum())
    tab = res.table
    att = tab["estimate"].to_numpy()
    group, time = tab["group"].to_numpy(), tab["time"].to_numpy()
    sizes = dict(zip(m.groups.tolist(), m.n.tolist()))
    pgg = np.array([sizes[int(g)] / n for g in group])
    Cc = len(att)

    def agg(idx, wvec, item_groups, item_pg, item_att, base_inf=inf):
        W = np.zeros((base_inf.m, 1))
        W[idx, 0] = wvec
        extra = None if item_groups is None else _wif_b(m, item_groups, item_pg, item_att, n)
        return base_inf.combine(W, extra)

    def se_of(li: LinearIF) -> float:
        return float(np.sqrt(max(li.gram()[0, 0], 0.0)) / n)

    terms, est, ses, extra_col = [], [], [], []
    if type == "simple":
        keep = np.nonzero(group <= time)[0]
        wv = pgg[keep] / pgg[keep].sum()
        li = agg(keep, wv, group[keep], pgg[keep], att[keep])
        terms, est, ses, extra_col = ["ATT"], [float(att[keep] @ wv)], [se_of(li)], [np.nan]
        col = "event_time"
    elif type == "group":
        glist = np.unique(group)
        g_inf = []
        g_att = []
        for gv in glist:
            keep = np.nonzero((group == gv) & (group <= time))[0]
            wv = np.full(keep.size, 1.0 / keep.size)
            li = agg(keep, wv, None, None, None)
            g_inf.append(li)
            g_att.append(float(att[keep].mean()))
            terms.append(f"group {gv}")
            est.append(g_att[-1])
            ses.append(se_of(li))
            extra_col.append(gv)
        stacked = LinearIF(m, np.concatenate([x.A for x in g_inf], axis=2), np.concatenate([x.b for x in g_inf], 1))
        pg = np.array([sizes[int(g)] / n for g in glist])
        wv = pg / pg.sum()
        ind = group[: len(glist)] if r_compat else glist
        li = agg(np.arange(len(glist)), wv, ind, pg, np.array(g_att), base_inf=stacked)
        terms.append("Average over groups")
        est.append(float(np.array(g_att) @ wv))
        ses.append(se_of(li))
        extra_col.append(np.nan)
        col = "group"
    else:
        e_all = time - group
        eseq = np.unique(e_all)
        e_inf = []
        for e in eseq:
            keep = np.nonzero(e_all == e)[0]
            wv = pgg[keep] / pgg[keep].sum()
            li = agg(keep, wv, group[keep], pgg[keep], att[keep])
            e_inf.append(li)
            terms.append(f"e={e}")
            est.append(float(att[keep] @ wv))
            ses.append(se_of(li))
            extra_col.append(e)
        post = np.nonzero(eseq >= 0)[0]
        stacked = LinearIF(m, np.concatenate([x.A for x in e_inf], axis=2), np.concatenate([x.b for x in e_inf], 1))
        li = stacked.combine(np.bincount(post, minlength=len(eseq)) / post.size)
        terms.append("Average over e >= 0")
        est.append(float(np.mean(np.array(est)[post])))
        ses.append(se_of(li))
        extra_col.append(np.nan)
        col = "event_time"
    del Cc
    ses = np.array(ses)
    ses[ses <= np.sqrt(np.finfo(float).eps) * 10] = np.nan
    table = _tidy(terms, est, ses, alp, {col: extra_col})
    info = dict(res.info, type=type)
    return ScaleResult(table=table, info=info, method=f"Aggregated ATT ({type}), from sufficient statistics")


def did2x2_moments(m: PanelMoments, alp: float = 0.05) -> ScaleResult:
    """Two-group, two-period DiD ATT without covariates from moments grouped by the treated indicator (0/1).

    ``ATT = mean(Y_1 - Y_0 | D=1) - mean(Y_1 - Y_0 | D=0)``; SE ``sqrt(sum_i IF_i^2) / n`` (Sant'Anna and Zhao
    2020, J. Econometrics 219(1); without covariates their three estimators coincide).  Assumes parallel trends.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.scale.sufficient import moments_from_frame
    >>> rng = np.random.default_rng(0)
    >>> d = rng.integers(0, 2, 200)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(200), 2), "t": np.tile([0, 1], 200), "d": np.repeat(d, 2)})
    >>> df["y"] = rng.normal(size=400) + 2.0 * df.d * df.t
    >>> bool(abs(did2x2_moments(moments_from_frame(df, "y", "t", "id", "d")).estimate["ATT"] - 2) < 0.5)
    True
    """
    if len(m.periods) != 2:
        raise SpecificationError(f"need exactly two periods, found {m.periods.tolist()}")
    if not set(m.groups.tolist()) <= {0, 1} or len(m.groups) != 2:
        raise SpecificationError(f"the group key must be the 0/1 treated indicator with both values, found "
                                 f"{m.groups.tolist()}")
    nk = m.n.astype(float)
    n = nk.sum()
    mu = (m.s[:, 1] - m.s[:, 0]) / nk
    att = mu[1] - mu[0]
    A = np.zeros((2, 2, 1))
    b = np.zeros((2, 1))
    sign = np.array([-1.0, 1.0])
    for k in (0, 1):
        A[k, 1, 0] = sign[k] * n / nk[k]
        A[k, 0, 0] = -sign[k] * n / nk[k]
        b[k, 0] = -sign[k] * n * mu[k] / nk[k]
    inf = LinearIF(m, A, b)
    se = float(np.sqrt(inf.gram()[0, 0]) / n)
    table = _tidy(["ATT"], [att], [se], alp, {"n": [int(n)], "n_treated": [int(nk[1])], "n_control": [int(nk[0])]})
    return ScaleResult(table=table, vcov=np.array([[se**2]]), influence=inf,
                       info={"n_units": int(n), "n_periods": 2, "source": m.source},
                       method="2x2 difference-in-differences ATT, from sufficient statistics")


# ----------------------------------------------------------------------------------------------------------------
# TWFE by compression


def event_time_cells(m: PanelMoments, ref=-1, never=0) -> dict:
    """Event-time dummies ``1[t - g = e]`` (for treated groups, every observed ``e`` but ``ref``) as cell regressors.

    Returns a dict ``"event_time::e" -> (K, T)`` to put in ``moments.cells`` for :func:`twfe_moments`: the fully
    dynamic TWFE event study (identified with a never-treated group).
    """
    refs = {int(r) for r in np.atleast_1d(ref)}
    g = m.groups.astype(float)[:, None]
    e = m.periods[None, :] - g
    treated = (m.groups != never)[:, None] & np.ones((1, len(m.periods)), bool)
    es = sorted({int(v) for v in e[treated]} - refs)
    return {f"event_time::{k}": ((e == k) & treated).astype(float) for k in es}


def twfe_moments(m: PanelMoments, regressors=None, vcov: str = "cluster", alpha: float = 0.05) -> ScaleResult:
    """Two-way (unit and period) fixed-effects OLS from grouped moments, for regressors constant within cells.

    Model ``y_it = a_i + l_t + x_{k(i) t}' beta + e_it``; ``regressors``: names in ``m.cells`` (default: all).
    ``vcov``: ``"cluster"`` (CR1 by unit with the factor ``G/(G-1) (N-1)/(N-p-T)``, unit effects nested in the
    clusters, as :func:`clusterecon.did.twfe.twfe`, fixest and reghdfe), ``"hc1"`` or ``"iid"``.  Exact under the
    conditions in the module docstring (balanced panel, regressors constant within (group, period) cells).

    Examples
    --------
    >>> from clusterecon.simulate import staggered_panel
    >>> from clusterecon.scale.sufficient import moments_from_frame
    >>> df = staggered_panel(300, 6, cohorts=[3, 5], effect=2.0, noise_sd=0.1, seed=3)
    >>> m = moments_from_frame(df, "y", "time", "unit", "cohort", regressors=["treated"])
    >>> round(float(twfe_moments(m).estimate["treated"]), 1)
    2.0
    """
    names = list(m.cells) if regressors is None else list(regressors)
    if not names:
        raise SpecificationError("no regressors: put (K, T) cell arrays in moments.cells or pass event_time_cells")
    missing = [r for r in names if r not in m.cells]
    if missing:
        raise SpecificationError(f"regressors not among the cell regressors {list(m.cells)}: {missing}")
    v = vcov.lower()
    if v in ("cr1", "clustered"):
        v = "cluster"
    if v not in ("cluster", "hc1", "iid"):
        raise SpecificationError(f"vcov must be 'cluster', 'hc1' or 'iid', got {vcov!r}")
    K, T = len(m.groups), len(m.periods)
    p = len(names)
    nk = m.n.astype(float)
    X = np.stack([np.asarray(m.cells[r], float) for r in names], axis=2)  # K x T x p
    ybar = m.s / nk[:, None]  # shifted cell means (the shift is a period effect)
    w = np.repeat(nk, T)
    D = np.hstack([np.kron(np.eye(K), np.ones((T, 1))), np.tile(np.eye(T)[:, 1:], (K, 1))])
    sw = np.sqrt(w)[:, None]

    def resid(Z):
        coef, *_ = np.linalg.lstsq(D * sw, Z * sw, rcond=None)
        return Z - D @ coef

    Xt = resid(X.reshape(K * T, p))
    yt = resid(ybar.reshape(K * T, 1))[:, 0]
    XtWX = (Xt * w[:, None]).T @ Xt
    scale = np.sqrt(np.maximum(np.diag(XtWX), 0))
    if (scale <= 1e-10 * max(1.0, np.abs(X).max())).any():
        dead = [names[i] for i in np.nonzero(scale <= 1e-10 * max(1.0, np.abs(X).max()))[0]]
        raise EstimationError(f"regressor(s) {dead} are absorbed by the unit and period fixed effects")
    cond = np.linalg.cond(XtWX / np.outer(scale, scale))
    if not np.isfinite(cond) or cond > 1e12:
        raise EstimationError(f"regressors are collinear given the fixed effects (condition number {cond:.3g})")
    bread = np.linalg.inv(XtWX)
    beta = bread @ ((Xt * w[:, None]).T @ yt)
    r = (yt - Xt @ beta).reshape(K, T)
    Xk = Xt.reshape(K, T, p)
    C = m.centered_cross()
    N = float(m.n_rows)
    G = float(nk.sum())
    H = np.eye(T) - 1.0 / T
    if v == "cluster":
        meat = np.einsum("ktp,kts,ksq->pq", Xk, C, Xk) + np.einsum("k,ktp,kt,ks,ksq->pq", nk, Xk, r, r, Xk)
        V = bread @ meat @ bread * (G / (G - 1)) * ((N - 1) / (N - p - T))
        df = G - 1
    else:
        HCH = np.einsum("ts,ksu,uv->ktv", H, C, H)
        e2 = np.einsum("ktt->kt", HCH) + nk[:, None] * r**2  # sum_i e_it^2 per cell
        df = N - p - (G + T - 1)
        if v == "iid":
            V = bread * (e2.sum() / df)
        else:
            meat = np.einsum("ktp,kt,ktq->pq", Xk, e2, Xk)
            V = bread @ meat @ bread * N / df
    se = np.sqrt(np.diag(V))
    extra = {}
    if all(nm.startswith("event_time::") for nm in names):
        extra["event_time"] = [int(nm.split("::")[1]) for nm in names]
    table = _tidy(names, beta, se, alpha, extra, df=df)
    info = {"n_obs": int(N), "n_units": int(G), "n_periods": T, "n_cells": K * T, "vcov_type": v, "df": df,
            "source": m.source}
    return ScaleResult(table=table, vcov=V, info=info,
                       method="Two-way fixed effects (compressed to group x period cells)")
