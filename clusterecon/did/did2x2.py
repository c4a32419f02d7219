"""The canonical two-group, two-period difference-in-differences (Sant'Anna and Zhao 2020).

:func:`did2x2` estimates the average treatment effect on the treated with outcome regression ("reg"), normalised
inverse probability weighting ("ipw", Abadie 2005 with Hajek weights) or the doubly robust estimator ("dr") of
Sant'Anna and Zhao (2020), with or without covariates, for panel data or repeated cross-sections.  Standard
errors come from the estimators' influence functions (which include the estimation of the propensity score and of
the outcome regressions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, SpecificationError
from ..results import Results
from . import _drdid
from ._inputs import numeric as _numeric
from .att_gt import _covariate_matrix

__all__ = ["did2x2", "DiD2x2Result"]

_NAMES = {"dr": "doubly robust (Sant'Anna and Zhao 2020)",
          "dr_imp": "improved doubly robust (Sant'Anna and Zhao 2020; IPT propensity score)",
          "ipw": "normalised inverse probability weighting",
          "reg": "outcome regression"}


@dataclass
class DiD2x2Result(Results):
    """ATT of a 2x2 DiD with its analytic standard error.

    ``influence`` holds the influence function (one value per unit for panels, per observation for repeated
    cross-sections) with ``var(att) = mean(influence**2) / n``.
    """

    att: float
    se: float
    alp: float
    n: int
    n_treated: int
    n_control: int
    est_method: str
    panel: bool
    influence: np.ndarray
    covariates: list = field(default_factory=list)

    title = "2x2 difference-in-differences: ATT"

    def to_frame(self) -> pd.DataFrame:
        z = stats.norm.ppf(1 - self.alp / 2)
        stat = self.att / self.se if self.se > 0 else np.nan
        return pd.DataFrame({
            "term": ["ATT"], "estimate": [self.att], "std_error": [self.se], "statistic": [stat],
            "p_value": [2 * stats.norm.sf(abs(stat))], "ci_low": [self.att - z * self.se],
            "ci_high": [self.att + z * self.se], "est_method": [self.est_method], "n": [self.n],
            "n_treated": [self.n_treated], "n_control": [self.n_control],
        })

    def notes(self) -> list[str]:
        return [
            f"Estimator: {_NAMES[self.est_method]}; {'panel' if self.panel else 'repeated cross-sections'}; "
            f"covariates: {', '.join(self.covariates[1:]) or 'none'}.",
            f"Analytic standard error from the influence function; {1 - self.alp:.0%} normal interval.",
            "Reference: Sant'Anna, P.H.C. and Zhao, J. (2020), 'Doubly robust difference-in-differences "
            "estimators', Journal of Econometrics 219(1), 101-122.",
        ]


def did2x2(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str | None,
    treat: str,
    post: str | None = None,
    xformla: str | None = None,
    est_method: str = "dr",
    panel: bool = True,
    weightsname: str | None = None,
    alp: float = 0.05,
) -> DiD2x2Result:
    """Two-group, two-period DiD: ATT by outcome regression, IPW or doubly robust (Sant'Anna and Zhao 2020).

    Estimand: ``ATT = E[Y_1(1) - Y_1(0) | D = 1]`` for the treated group ``D = 1`` in the post period.
    Assumptions: (conditional) parallel trends ``E[Y_1(0) - Y_0(0) | X, D=1] = E[Y_1(0) - Y_0(0) | X, D=0]``, no
    anticipation, overlap (propensity score below one, needed by "ipw" and "dr"); "dr" is consistent if either the
    propensity score (logit) or the outcome regression (linear) is correctly specified.  For repeated
    cross-sections the composition of each group is assumed stable over time.

    Parameters
    ----------
    data : long DataFrame (never modified) with two periods.
    yname, tname, idname : outcome, period and unit id (idname may be None when ``panel=False``).
    treat : column with the treated-group indicator (0/1, constant within units).
    post : column with the post-period indicator (0/1); ``None`` uses the later of the two values of ``tname``.
    xformla : covariates, e.g. ``"~ x1 + x2"`` (panel: values of the pre period); ``None`` for none.
    est_method : "dr" (DRDID's ``drdid_panel`` / locally efficient ``drdid_rc``, the ones R did uses), "dr_imp"
        (panel only: improved DR, DRDID's ``drdid_imp_panel``, with an inverse-probability-tilting propensity
        score and odds-weighted outcome regression), "ipw" or "reg".
    panel : panel data (each unit once in each period) or repeated cross-sections.
    weightsname : sampling weights (constant within units for panels).
    alp : 1 - confidence level.

    Notes
    -----
    Without covariates the three estimators coincide with the difference of the four group means.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 400
    >>> d = rng.integers(0, 2, n)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "t": np.tile([0, 1], n), "d": np.repeat(d, 2)})
    >>> df["y"] = rng.normal(size=2 * n) + 2.0 * df.d * df.t
    >>> res = did2x2(df, yname="y", tname="t", idname="id", treat="d")
    >>> bool(abs(res.att - 2.0) < 0.5)
    True
    """
    if est_method not in _drdid.EST_METHODS_2X2:
        raise SpecificationError(f"est_method must be one of {_drdid.EST_METHODS_2X2}, got {est_method!r}")
    if est_method == "dr_imp" and not panel:
        raise SpecificationError("est_method='dr_imp' (improved DR) is implemented for panel data only; use 'dr' "
                                 "(the locally efficient DR of Sant'Anna and Zhao) for repeated cross-sections")
    cols = [yname, tname, treat] + ([idname] if idname else []) + ([post] if post else []) + (
        [weightsname] if weightsname else [])
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise SpecificationError(f"columns not in data: {missing}")
    if panel and idname is None:
        raise SpecificationError("idname is required with panel=True")
    if len(data) == 0:
        raise DataError("the data frame has no rows")
    y = _numeric(data, yname)
    d = _numeric(data, treat)
    if not np.isin(d[~np.isnan(d)], (0.0, 1.0)).all():
        raise DataError(f"column {treat!r} must be 0/1; values {pd.unique(d[~np.isin(d, (0.0, 1.0))])[:10]}")
    if post is not None:
        pv = _numeric(data, post)
        if not np.isin(pv[~np.isnan(pv)], (0.0, 1.0)).all():
            raise DataError(f"column {post!r} must be 0/1")
    else:
        tv = data[tname].to_numpy()
        periods = np.sort(pd.unique(tv))
        if len(periods) != 2:
            raise SpecificationError(f"{tname!r} must have exactly two periods when post is None, found "
                                     f"{periods[:10].tolist()}")
        pv = (tv == periods[1]).astype(float)
    w = _numeric(data, weightsname) if weightsname else np.ones(len(y))
    no_cov = xformla is None or xformla.replace(" ", "") in ("~1", "1", "")
    if no_cov:
        X = np.ones((len(y), 1))
        xnames = ["Intercept"]
    else:
        X, xnames = _covariate_matrix(data, xformla)
    ok = np.isfinite(y) & np.isfinite(d) & np.isfinite(pv) & np.isfinite(w) & np.isfinite(X).all(axis=1)
    if not ok.all():
        for col, arr in ((yname, y), (treat, d), (post or tname, pv), (weightsname, w)):
            bad = ~np.isfinite(arr)
            if col is not None and bad.any():
                raise DataError(f"column {col!r} has missing or infinite values {arr[bad][:5].tolist()} at rows "
                                f"{data.index[bad][:10].tolist()}")
        raise DataError(f"missing or infinite covariate values (xformla={xformla!r}) at rows "
                        f"{data.index[~ok][:10].tolist()}")
    p = X.shape[1]
    if panel:
        ids = data[idname].to_numpy()
        codes, uniq = pd.factorize(ids, sort=True)
        n = len(uniq)
        pi = pv.astype(int)
        key = codes * 2 + pi
        cnt = np.bincount(key, minlength=2 * n)
        if (cnt > 1).any():
            bad = np.nonzero(cnt > 1)[0][:10]
            raise DataError(f"duplicated ({idname}, period) rows for units {np.asarray(uniq)[bad // 2].tolist()}")
        incomplete = (cnt.reshape(n, 2) == 0).any(axis=1)
        if incomplete.any():
            raise DataError(f"units not observed in both periods: {uniq[incomplete][:10].tolist()}")
        y1 = np.empty(n)
        y0 = np.empty(n)
        y1[codes[pi == 1]] = y[pi == 1]
        y0[codes[pi == 0]] = y[pi == 0]
        du = np.empty(n)
        du[codes[pi == 0]] = d[pi == 0]
        d1 = np.empty(n)
        d1[codes[pi == 1]] = d[pi == 1]
        if (du != d1).any():
            raise SpecificationError(f"{treat!r} changes between the periods for units "
                                     f"{uniq[du != d1][:10].tolist()} (the treated group must be fixed)")
        wu = np.empty(n)
        wu[codes[pi == 0]] = w[pi == 0]
        Xu = np.empty((n, p))
        Xu[codes[pi == 0]] = X[pi == 0]
        _check_sizes(du, p, xnames)
        att, infl = _drdid.panel_did(y1 - y0, du, Xu, wu, est_method)
        n_t, n_c = int(du.sum()), int(n - du.sum())
    else:
        n = len(y)
        for dv in (0, 1):
            for pp in (0, 1):
                k = int(((d == dv) & (pv == pp)).sum())
                if k <= (p if p > 1 else 0):
                    raise SpecificationError(f"the {'treated' if dv else 'control'} group in the "
                                             f"{'post' if pp else 'pre'} period has {k} observations, not more "
                                             f"than the {p} covariate columns")
        att, infl = _drdid.rc_did(y, pv, d, X, w, est_method)
        n_t, n_c = int(d.sum()), int(n - d.sum())
    se = float(np.sqrt(np.mean(infl**2) / len(infl)))
    return DiD2x2Result(att=float(att), se=se, alp=alp, n=int(len(infl)), n_treated=n_t, n_control=n_c,
                        est_method=est_method, panel=panel, influence=infl, covariates=xnames)


def _check_sizes(du: np.ndarray, p: int, xnames: list[str]) -> None:
    for lab, k in (("treated", int(du.sum())), ("control", int((1 - du).sum()))):
        if k == 0 or (p > 1 and k <= p):
            raise SpecificationError(f"the {lab} group has {k} units, not more than the {p} covariate columns "
                                     f"{xnames}")
