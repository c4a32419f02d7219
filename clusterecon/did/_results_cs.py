"""Results objects of :func:`~clusterecon.did.att_gt.att_gt` and :func:`~clusterecon.did.aggte.aggte`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..results import Results
from ._cs_influence import CSInfluence

__all__ = ["ATTgtResult", "AggteResult"]

_CITE = ("Callaway, B. and Sant'Anna, P.H.C. (2021), 'Difference-in-Differences with Multiple Time Periods', "
         "Journal of Econometrics 225(2), 200-230.")
_METHOD = {"dr": "doubly robust", "ipw": "inverse probability weighting", "reg": "outcome regression"}
_CONTROL = {"nevertreated": "never treated", "notyettreated": "not yet treated"}


def _tidy(terms, est, se, crit, alp, extra: dict[str, Any], uniform: bool) -> pd.DataFrame:
    est = np.asarray(est, float)
    se = np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, est / se, np.nan)
    p = 2 * stats.norm.sf(np.abs(stat))
    frame = pd.DataFrame({
        "term": list(terms), "estimate": est, "std_error": se, "statistic": stat, "p_value": p,
        "ci_low": est - crit * se, "ci_high": est + crit * se,
    })
    for k, v in extra.items():
        frame[k] = v
    frame["ci_kind"] = "uniform" if uniform else "pointwise"
    frame["crit_val"] = crit
    return frame


@dataclass
class ATTgtResult(Results):
    """Group-time average treatment effects ATT(g,t) (Callaway and Sant'Anna 2021).

    Attributes
    ----------
    group, time, base : arrays over cells (cohort, period, base period of the comparison).
    att, se : estimates and standard errors (analytic, or bootstrap when ``bstrap``).
    se_analytic : analytic standard errors from the influence functions (always computed).
    crit_val : critical value of the bands (uniform sup-t when ``cband``, else the normal quantile).
    V : analytic asymptotic covariance ``IF'IF / n`` of the cells.
    influence : the influence functions (:class:`~clusterecon.did._cs_influence.CSInfluence`), kept for
        :func:`~clusterecon.did.aggte.aggte`; ``influence_matrix()`` returns them as an n x cells array.
    wald_stat, wald_df, wald_pvalue : Wald pre-test of parallel trends over the pre-treatment cells.
    n : number of units (observations for repeated cross-sections).
    """

    group: np.ndarray
    time: np.ndarray
    base: np.ndarray
    att: np.ndarray
    se: np.ndarray
    se_analytic: np.ndarray
    crit_val: float
    cband: bool
    alp: float
    V: np.ndarray
    influence: CSInfluence
    n: int
    wald_stat: float | None
    wald_df: int | None
    wald_pvalue: float | None
    params: dict = field(default_factory=dict)
    n_treated: np.ndarray | None = None
    n_control: np.ndarray | None = None
    unit_ids: np.ndarray | None = None
    unit_group: np.ndarray | None = None
    bootstrap: Any = None
    notes_extra: list = field(default_factory=list)

    title = "Group-time average treatment effects ATT(g,t) (Callaway and Sant'Anna 2021)"

    def to_frame(self) -> pd.DataFrame:
        terms = [f"ATT({g},{t})" for g, t in zip(self.group, self.time)]
        extra = {"group": self.group, "time": self.time, "base_period": self.base,
                 "event_time": self.time - self.group, "post": self.time >= self.group}
        if self.n_treated is not None:
            extra["n_treated"] = self.n_treated
            extra["n_control"] = self.n_control
        return _tidy(terms, self.att, self.se, self.crit_val, self.alp, extra, self.cband)

    def influence_matrix(self) -> np.ndarray:
        """The n x cells influence-function matrix (rows in the order of :attr:`unit_ids`)."""
        return self.influence.materialize()

    def notes(self) -> list[str]:
        p = self.params
        out = [
            f"Control group: {_CONTROL.get(p.get('control_group'), p.get('control_group'))}; "
            f"anticipation periods: {p.get('anticipation')}; base period: {p.get('base_period')}; "
            f"estimation method: {_METHOD.get(p.get('est_method'), p.get('est_method'))}.",
            (f"Standard errors: multiplier bootstrap ({p.get('bweights', 'rademacher')} weights), "
             f"{p.get('biters')} draws" if p.get("bstrap") else "Standard errors: analytic (influence functions)")
            + (f", clustered by {p.get('clustervars')}" if p.get("clustervars") else "")
            + ("; uniform (sup-t) bands" if self.cband else "; pointwise intervals") + f", level {1 - self.alp:.0%}.",
        ]
        if self.wald_pvalue is not None:
            out.append(f"Wald pre-test of parallel trends: chi2({self.wald_df}) = {self.wald_stat:.4f}, "
                       f"p = {self.wald_pvalue:.5f}.")
        out.extend(self.notes_extra)
        out.append("Reference: " + _CITE)
        return out

    def plot(self, ax: Any = None, **kwargs: Any):
        """ATT(g,t) by period for each cohort (pre-treatment cells in grey), with the bands of ``to_frame``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=kwargs.pop("figsize", (8, 4.5)))
        groups = np.unique(self.group)
        width = 0.8 / max(len(groups), 1)
        for j, g in enumerate(groups):
            sel = self.group == g
            x = self.time[sel] + (j - (len(groups) - 1) / 2) * width
            est, se = self.att[sel], self.se[sel]
            post = self.time[sel] >= g
            for mask, col in ((~post, "0.5"), (post, f"C{j}")):
                ax.errorbar(x[mask], est[mask], yerr=self.crit_val * se[mask], fmt="o", color=col, capsize=2,
                            label=f"g={g}" if col != "0.5" else None)
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_xlabel("period")
        ax.set_ylabel("ATT(g,t)")
        ax.set_title(("uniform" if self.cband else "pointwise") + f" {1 - self.alp:.0%} bands")
        ax.legend(frameon=False, fontsize="small")
        return ax


@dataclass
class AggteResult(Results):
    """Aggregated treatment effects from ATT(g,t) (Callaway and Sant'Anna 2021, Section 3).

    ``type`` is "simple", "group", "dynamic" (event study) or "calendar".  ``overall_att``/``overall_se`` is the
    overall summary; ``egt``, ``att_egt``, ``se_egt`` the table by group / event time / period (absent for
    "simple"); ``crit_val_egt`` the critical value of its bands (uniform sup-t when ``cband``).
    ``influence_egt`` and ``influence_overall`` are the aggregated influence functions.
    """

    type: str
    overall_att: float
    overall_se: float
    egt: np.ndarray | None
    att_egt: np.ndarray | None
    se_egt: np.ndarray | None
    crit_val_egt: float | None
    cband: bool
    alp: float
    influence_overall: CSInfluence | None = None
    influence_egt: CSInfluence | None = None
    params: dict = field(default_factory=dict)
    notes_extra: list = field(default_factory=list)

    @property
    def title(self) -> str:  # type: ignore[override]
        names = {"simple": "simple weighted average", "group": "by group (cohort)",
                 "dynamic": "event study (dynamic effects)", "calendar": "by calendar period"}
        return f"Aggregated ATT, {names.get(self.type, self.type)} (Callaway and Sant'Anna 2021)"

    def to_frame(self) -> pd.DataFrame:
        z = stats.norm.ppf(1 - self.alp / 2)
        label = {"simple": "ATT", "group": "ATT (group)", "dynamic": "ATT (dynamic, e>=0)",
                 "calendar": "ATT (calendar)"}[self.type]
        col = {"group": "group", "dynamic": "event_time", "calendar": "time"}.get(self.type)
        first = _tidy(["overall " + label], [self.overall_att], [self.overall_se], z, self.alp,
                      {"type": self.type} | ({col: [pd.NA]} if col else {}), False)
        if self.egt is None:
            return first
        prefix = {"group": "g=", "dynamic": "e=", "calendar": "t="}[self.type]
        rest = _tidy([f"{prefix}{v}" for v in self.egt], self.att_egt, self.se_egt, self.crit_val_egt, self.alp,
                     {"type": self.type, col: self.egt}, self.cband)
        frame = pd.concat([first, rest], ignore_index=True)
        frame[col] = frame[col].astype("Int64")
        return frame

    def notes(self) -> list[str]:
        p = self.params
        out = [
            f"Control group: {_CONTROL.get(p.get('control_group'), p.get('control_group'))}; anticipation: "
            f"{p.get('anticipation')}; estimation method: {_METHOD.get(p.get('est_method'), p.get('est_method'))}.",
            (f"Standard errors: multiplier bootstrap ({p.get('bweights', 'rademacher')} weights)" if p.get("bstrap") else
             "Standard errors: analytic (influence functions, including the estimated weights)")
            + ("; uniform (sup-t) bands for the table" if self.cband else "; pointwise intervals")
            + "; the overall row is pointwise.",
        ]
        out.extend(self.notes_extra)
        out.append("Reference: " + _CITE)
        return out

    def plot(self, ax: Any = None, **kwargs: Any):
        """Plot the table by event time / group / period with its bands (uniform when ``cband``).

        For the event study, pre-treatment event times are grey and post-treatment ones coloured; the thick bar
        is the pointwise interval and the thin capped bar the uniform band when ``cband``.
        """
        import matplotlib.pyplot as plt

        if self.egt is None:
            raise NotImplementedError("a 'simple' aggregation has no table to plot")
        if ax is None:
            _, ax = plt.subplots(figsize=kwargs.pop("figsize", (7, 4.5)))
        x = np.asarray(self.egt, float)
        est = np.asarray(self.att_egt, float)
        se = np.asarray(self.se_egt, float)
        z = stats.norm.ppf(1 - self.alp / 2)
        post = x >= 0 if self.type == "dynamic" else np.ones_like(x, bool)
        for mask, col, lab in ((~post, "0.45", "pre-treatment"), (post, "C0", "post-treatment")):
            if not mask.any():
                continue
            if self.cband:
                ax.errorbar(x[mask], est[mask], yerr=self.crit_val_egt * se[mask], fmt="none", ecolor=col,
                            elinewidth=1, capsize=4)
            ax.errorbar(x[mask], est[mask], yerr=z * se[mask], fmt="o", color=col, elinewidth=3, capsize=0,
                        label=lab)
        ax.axhline(0.0, color="black", lw=0.8)
        if self.type == "dynamic":
            ax.axvline(-0.5, color="0.6", lw=0.8, ls="--")
        ax.set_xlabel({"dynamic": "event time", "group": "group (first treated)", "calendar": "period"}[self.type])
        ax.set_ylabel("ATT")
        band = (f"uniform {1 - self.alp:.0%} band (thin, crit. value {self.crit_val_egt:.3f}) and pointwise (thick)"
                if self.cband else f"pointwise {1 - self.alp:.0%} intervals")
        ax.set_title(band, fontsize="small")
        ax.legend(frameon=False, fontsize="small")
        return ax
