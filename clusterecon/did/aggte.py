"""Aggregations of ATT(g,t) into summary parameters (Callaway and Sant'Anna 2021, Section 3), as R did's ``aggte``.

Everything is computed from the stored ATT(g,t) and their influence functions, without refitting.  The
aggregation weights are cohort shares ``pg = mean(w_i 1{G_i = g})`` over the units; their estimation adds the
term R did calls ``wif`` to the aggregated influence functions (simple, group-overall, each event time, each
period).  As in R did:

* "simple": ``sum pg ATT(g,t) / sum pg`` over post-treatment cells (``g <= t <= g + max_e``);
* "group": per cohort the mean of its post-treatment ATT(g,t); overall the ``pg``-weighted mean over cohorts;
* "dynamic": per event time ``e = t - g`` the ``pg``-weighted mean (``balance_e``, ``min_e``, ``max_e`` restrict
  it); overall the mean over ``e >= 0``;
* "calendar": per period the ``pg``-weighted mean of ATT(g,t) with ``g <= t``; overall their mean.

R did (2.x, ``compute.aggte``) builds the weight term of the *overall group* aggregation from the indicators of
the first ``len(glist)`` ATT(g,t) cells' cohorts rather than of the cohorts themselves (the call
``wif(keepers=1:length(glist), ..., group=group)``).  ``r_compat=True`` (the default) reproduces R's numbers;
``r_compat=False`` uses the cohort indicators, which is the influence function of the estimator as defined.
The point estimates are the same either way; only the overall group SE differs.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from ..errors import SpecificationError
from ._cs_influence import CSInfluence
from ._results_cs import AggteResult, ATTgtResult
from .bootstrap import multiplier_bootstrap

__all__ = ["aggte", "AggteResult"]

_EPS = np.sqrt(np.finfo(float).eps) * 10


def _wif_B(store, ind_cohorts, pg, att) -> np.ndarray:
    """Cohort coefficients of ``wif @ att`` (R did's weight-estimation term); its constant part is exactly 0.

    ``wif[:, j] = (w 1{G = ind_cohorts[j]} - pg[j]) / S - (sum_l (w 1{G = ind_cohorts[l]} - pg[l])) pg[j] / S^2``
    with ``S = sum pg``; times ``att`` this is ``w_i * gamma_{k(i)}`` plus a constant that cancels.
    """
    S = pg.sum()
    A = (pg * att).sum()
    B = np.zeros((store.K, 1))
    kidx = {int(c): k for k, c in enumerate(store.cohorts)}
    for gj, aj in zip(ind_cohorts, att):
        k = kidx.get(int(gj))
        if k is None:
            continue
        B[k, 0] += aj / S - A / S**2
    return B


def aggte(
    result: ATTgtResult,
    type: str = "group",
    balance_e: int | None = None,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    na_rm: bool = False,
    bstrap: bool | None = None,
    biters: int | None = None,
    cband: bool | None = None,
    alp: float | None = None,
    seed=None,
    r_compat: bool = True,
    bweights: str | None = None,
) -> AggteResult:
    """Aggregate group-time average treatment effects (Callaway and Sant'Anna 2021), as R did's ``aggte``.

    Estimand: weighted averages of ATT(g,t): "simple" the ATT over all treated (g, t) cells weighted by cohort size;
    "group" the average effect per cohort and their size-weighted mean; "dynamic" the average effect ``e``
    periods after adoption (an event study); "calendar" the average effect in each period.

    Parameters
    ----------
    result : the :class:`~clusterecon.did._results_cs.ATTgtResult` of :func:`~clusterecon.did.att_gt.att_gt`.
    type : "simple", "group", "dynamic" (event study) or "calendar".
    balance_e : for "dynamic", keep only cohorts observed for at least ``balance_e`` periods after treatment and
        event times in the window that keeps the cohort composition fixed.
    min_e, max_e : event-time window (max_e also caps the post-treatment cells of "simple" and "group").
    na_rm : drop ATT(g,t) that are missing (otherwise missing cells raise).
    bstrap, biters, cband, alp : inference options; ``None`` takes them from ``result``.  With ``cband`` the table
        gets a uniform (sup-t) band from the multiplier bootstrap.
    seed : seed of the bootstrap.
    r_compat : reproduce R did's weight term of the overall *group* aggregation (see the module docstring).
    bweights : bootstrap multipliers, "rademacher" (R did) or "gaussian" (exact draws from the analytic
        covariance, fast on big data); ``None`` takes the choice of ``result``.

    Returns
    -------
    AggteResult : overall ATT and SE, the table by group / event time / period, the influence functions.

    Notes
    -----
    Assumptions as in :func:`~clusterecon.did.att_gt.att_gt`.  Source: Callaway and Sant'Anna (2021),
    Journal of Econometrics 225(2), Sections 3-4.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.did.att_gt import att_gt
    >>> rng = np.random.default_rng(1)
    >>> n, T = 300, 4
    >>> g = rng.choice([0, 3, 4], size=n)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(np.arange(1, T + 1), n),
    ...                    "g": np.repeat(g, T)})
    >>> df["y"] = rng.normal(size=len(df)) + 1.0 * ((df.g > 0) & (df.t >= df.g))
    >>> es = aggte(att_gt(df, yname="y", tname="t", idname="id", gname="g"), type="dynamic")
    >>> es.egt.tolist()
    [-2, -1, 0, 1]
    """
    if type not in ("simple", "group", "dynamic", "calendar"):
        raise SpecificationError(f"type must be 'simple', 'group', 'dynamic' or 'calendar', got {type!r}")
    if not isinstance(result, ATTgtResult):
        raise SpecificationError(f"aggte needs the result of att_gt, got {result.__class__.__name__}")
    p = result.params
    bstrap = p.get("bstrap", False) if bstrap is None else bstrap
    biters = p.get("biters", 1000) if biters is None else biters
    cband = result.cband if cband is None else cband
    alp = result.alp if alp is None else alp
    bweights = p.get("bweights", "rademacher") if bweights is None else bweights
    group = result.group.astype(float)
    time = result.time.astype(float)
    att = result.att.copy()
    inf = result.influence
    store = inf.store
    glist = np.asarray(p["glist"], float)
    cells = np.arange(len(att))
    if na_rm:
        ok = ~np.isnan(att)
        cells = cells[ok]
        glist = np.unique(group[ok])
    elif np.isnan(att).any():
        bad = [(int(g), int(t)) for g, t, a in zip(group, time, att) if np.isnan(a)]
        raise SpecificationError(f"missing ATT(g,t) for cells {bad}; set na_rm=True to drop them")
    group, time, att = group[cells], time[cells], att[cells]
    n = result.n
    # cohort shares pg over units (R: mean(w * (G == g)))
    w = store.w
    code_cohort = store.cohorts
    s1 = np.array([w[store.starts[k]:store.starts[k + 1]].sum() for k in range(store.K)])
    share = {int(c): s1[k] / n for k, c in enumerate(code_cohort)}
    pgg = np.array([share.get(int(g), 0.0) for g in glist])
    pg = np.array([share.get(int(g), 0.0) for g in group])
    notes: list[str] = []

    def agg(which, weights, wif_cohorts=None, wif_pg=None, wif_att=None) -> CSInfluence:
        W = np.zeros((inf.m, 1))
        W[cells[which], 0] = weights
        wb = None
        if wif_cohorts is not None:
            wb = _wif_B(store, wif_cohorts, wif_pg, wif_att)
        return inf.combine(W, wb)

    def se_of(infl: CSInfluence) -> np.ndarray:
        s = infl.se()
        s[s <= _EPS] = np.nan
        return s

    keepers = np.nonzero((group <= time) & (time <= group + max_e))[0]
    z = stats.norm.ppf(1 - alp / 2)

    if type == "simple":
        wts = pg[keepers] / pg[keepers].sum()
        overall = float((att[keepers] * wts).sum())
        infl = agg(keepers, wts, group[keepers], pg[keepers], att[keepers])
        se = _overall_se(infl, bstrap, biters, alp, seed, bweights)
        return AggteResult(type=type, overall_att=overall, overall_se=se, egt=None, att_egt=None, se_egt=None,
                           crit_val_egt=None, cband=False, alp=alp, influence_overall=infl, params=p,
                           notes_extra=notes)

    if type == "group":
        egt = glist
        cols, atts = [], []
        for g in glist:
            wg = np.nonzero((group == g) & (g <= time) & (time <= group + max_e))[0]
            if wg.size == 0:
                atts.append(np.nan)
                cols.append(None)
                continue
            wts = pg[wg] / pg[wg].sum()
            atts.append(float((att[wg] * wts).sum()))
            cols.append((wg, wts))
        att_e = np.array(atts)
        inf_e = _stack([agg(*c) if c is not None else None for c in cols], inf)
        ok = ~np.isnan(att_e)
        overall = float((att_e[ok] * pgg[ok]).sum() / pgg[ok].sum())
        # overall: weights pgg over cohorts + weight term
        Wo = np.where(ok, pgg / pgg[ok].sum(), 0.0)
        ind = group[: len(glist)] if r_compat else glist
        wb = _wif_B(store, ind[ok] if len(ind) == len(ok) else ind, pgg[ok], att_e[ok])
        infl = inf_e.combine(np.nan_to_num(Wo)[:, None], wb)
    elif type == "dynamic":
        eseq = np.unique(time - group)
        include = np.ones(len(att), bool)
        if balance_e is not None:
            tmax, tmin = time.max(), time.min()
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + tmin)]
            include = (tmax - group) >= balance_e
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        if eseq.size == 0:
            raise SpecificationError("no event times left after balance_e / min_e / max_e")
        egt = eseq
        cols, atts = [], []
        for e in eseq:
            we = np.nonzero((time - group == e) & include)[0]
            wts = pg[we] / pg[we].sum()
            atts.append(float((att[we] * wts).sum()))
            cols.append((we, wts, group[we], pg[we], att[we]))
        att_e = np.array(atts)
        inf_e = _stack([agg(*c) for c in cols], inf)
        epos = eseq >= 0
        if not epos.any():
            overall = np.nan
            infl = None
        else:
            overall = float(att_e[epos].mean())
            infl = inf_e.combine((epos / epos.sum())[:, None])
    else:  # calendar
        tl = np.unique(time)
        tl = tl[tl >= group.min()]
        egt = tl
        cols, atts = [], []
        for t1 in tl:
            wt = np.nonzero((time == t1) & (group <= time))[0]
            wts = pg[wt] / pg[wt].sum()
            atts.append(float((att[wt] * wts).sum()))
            cols.append((wt, wts, group[wt], pg[wt], att[wt]))
        att_e = np.array(atts)
        inf_e = _stack([agg(*c) for c in cols], inf)
        overall = float(att_e.mean())
        infl = inf_e.combine(np.full((len(tl), 1), 1.0 / len(tl)))

    # table SEs and bands; one bootstrap for the table and the overall parameter together
    se_e = se_of(inf_e)
    se_o = np.nan if infl is None else _overall_se(infl, False, biters, alp, None, bweights)
    crit = z
    band = bool(cband)
    if bstrap or cband:
        if cband and not bstrap:
            warnings.warn("cband=True uses the multiplier bootstrap for the critical value of the uniform band",
                          stacklevel=2)
        both = inf_e if infl is None else _stack_two(inf_e, infl)
        boot = multiplier_bootstrap(both, biters=biters, alp=alp, seed=seed, weights=bweights,
                                    crit_cols=np.arange(inf_e.m))
        if bstrap:
            se_e = np.where(np.isnan(se_e), np.nan, boot.se[: inf_e.m])
            se_e[se_e <= _EPS] = np.nan
            if infl is not None:
                se_o = float(boot.se[-1])
                se_o = np.nan if not np.isfinite(se_o) or se_o <= _EPS else se_o
        if cband:
            crit = boot.crit_val
            if not np.isfinite(crit) or crit < z:
                warnings.warn("uniform critical value unavailable or below the pointwise one: reporting pointwise "
                              "intervals", stacklevel=2)
                crit, band = z, False
            elif crit >= 7:
                warnings.warn("uniform critical value >= 7: probably too few units per group", stacklevel=2)
    return AggteResult(type=type, overall_att=overall, overall_se=se_o, egt=np.asarray(egt).astype(np.int64),
                       att_egt=att_e, se_egt=se_e, crit_val_egt=float(crit), cband=band, alp=alp,
                       influence_overall=infl, influence_egt=inf_e, params=p | {"bstrap": bstrap},
                       notes_extra=notes)


def _stack(infs: list[CSInfluence | None], like: CSInfluence) -> CSInfluence:
    """Stack single-column influence functions into one with several columns (None -> zero column)."""
    m = len(infs)
    s = like.store
    B = np.zeros((s.K, m))
    c = np.zeros(m)
    A = None if like.A is None else np.zeros(like.A.shape[:2] + (m,))
    dense = None if like.dense is None else np.zeros((s.n, m))
    for j, f in enumerate(infs):
        if f is None:
            continue
        B[:, j] = f.B[:, 0]
        c[j] = f.c[0]
        if A is not None:
            A[:, :, j] = f.A[:, :, 0]
        if dense is not None:
            dense[:, j] = f.dense[:, 0]
    return CSInfluence(s, m, A=A, B=B, c=c, dense=dense)


def _stack_two(a: CSInfluence, b: CSInfluence) -> CSInfluence:
    """Columns of ``a`` followed by those of ``b`` (same store and representation)."""
    A = None if a.A is None else np.concatenate([a.A, b.A], axis=2)
    dense = None if a.dense is None else np.hstack([a.dense, b.dense])
    return CSInfluence(a.store, a.m + b.m, A=A, B=np.hstack([a.B, b.B]), c=np.concatenate([a.c, b.c]),
                       dense=dense)


def _overall_se(infl: CSInfluence, bstrap: bool, biters: int, alp: float, seed, bweights="rademacher") -> float:
    if bstrap:
        se = float(multiplier_bootstrap(infl, biters=biters, alp=alp, seed=seed, weights=bweights).se[0])
    else:
        se = float(infl.se()[0])
    return np.nan if not np.isfinite(se) or se <= _EPS else se
