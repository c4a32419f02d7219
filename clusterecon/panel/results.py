"""Results of :func:`clusterecon.panel.fit` and the side-by-side :func:`compare` table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..results import Results

__all__ = ["PanelResults", "compare"]


@dataclass(repr=False)
class PanelResults(Results):
    """Estimates of a panel regression.

    Attributes follow linearmodels' names: ``params``, ``std_errors``, ``tstats``, ``pvalues``, ``cov``, ``nobs``,
    ``n_entities``, ``n_periods``, ``df_resid``, ``rsquared`` (of the estimated, transformed regression, as plm
    reports it), ``rsquared_within``, ``rsquared_between``, ``rsquared_overall``.  ``df`` is the reference
    distribution's degrees of freedom (None = normal; an array for CR2's per-coefficient Satterthwaite df).
    """

    params: pd.Series
    cov: pd.DataFrame
    df: Any
    model: str
    effects: str
    nobs: int
    n_entities: int
    n_periods: int
    df_resid: int
    rsquared: float
    rsquared_within: float
    rsquared_between: float
    rsquared_overall: float
    vcov_name: str = ""
    formula: str = ""
    depvar: str = ""
    fixef_string: str | None = None
    resid: np.ndarray | None = None
    extra: dict = field(default_factory=dict)
    vcov_notes: list = field(default_factory=list)
    n_clusters: tuple = ()
    _context: Any = None

    @property
    def title(self) -> str:  # type: ignore[override]
        names = {"pooling": "Pooled OLS", "within": "Within (fixed effects)", "random": "Random effects",
                 "fd": "First differences", "between": "Between"}
        eff = f", effects={self.effects}" if self.model == "within" else ""
        return f"{names.get(self.model, self.model)}{eff}: {self.formula}"

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("statistic")

    def _df_array(self) -> np.ndarray | None:
        if self.df is None:
            return None
        return np.broadcast_to(np.asarray(self.df, dtype=float), self.params.shape)

    @property
    def pvalues(self) -> pd.Series:
        t = np.abs(self.tstats.to_numpy())
        d = self._df_array()
        p = 2 * stats.norm.sf(t) if d is None else 2 * stats.t.sf(t, d)
        return pd.Series(p, index=self.params.index, name="p_value")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        d = self._df_array()
        q = stats.norm.ppf(0.5 + level / 2) if d is None else stats.t.ppf(0.5 + level / 2, d)
        se = self.std_errors.to_numpy()
        return pd.DataFrame(
            {"lower": self.params.to_numpy() - q * se, "upper": self.params.to_numpy() + q * se},
            index=self.params.index,
        )

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        ci = self.conf_int(level)
        d = self._df_array()
        return pd.DataFrame(
            {
                "term": self.params.index.to_list(),
                "estimate": self.params.to_numpy(),
                "std_error": self.std_errors.to_numpy(),
                "statistic": self.tstats.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "ci_low": ci["lower"].to_numpy(),
                "ci_high": ci["upper"].to_numpy(),
                "df": np.full(len(self.params), np.inf) if d is None else np.asarray(d, dtype=float),
            }
        )

    def notes(self) -> list[str]:
        out = [
            f"N = {self.nobs}, entities = {self.n_entities}, periods = {self.n_periods}, residual df = {self.df_resid}",
            f"R-squared = {self.rsquared:.4f} (within {self.rsquared_within:.4f}, between "
            f"{self.rsquared_between:.4f}, overall {self.rsquared_overall:.4f})",
            f"vcov: {self.vcov_name}" + (f"; {'; '.join(self.vcov_notes)}" if self.vcov_notes else ""),
        ]
        if "theta" in self.extra:
            th = np.atleast_1d(self.extra["theta"])
            out.append(
                f"Swamy-Arora: sigma2_idios = {self.extra['sigma2_idios']:.6g}, sigma2_indiv = "
                f"{self.extra['sigma2_indiv']:.6g}, theta = {th.min():.6g}" + (f"..{th.max():.6g}" if np.ptp(th) else "")
            )
        return out

    def __repr__(self) -> str:
        return f"<PanelResults {self.title}>"

    def model_stats(self) -> dict[str, Any]:
        return {"N": self.nobs, "r2": self.rsquared, "r2_within": self.rsquared_within}

    def with_vcov(self, vcov: Any) -> PanelResults:
        """The same estimates with another covariance estimator (no refit)."""
        from .covariance import resolve_vcov

        est = resolve_vcov(vcov).compute(self._context)
        new = PanelResults(**{f: getattr(self, f) for f in self.__dataclass_fields__})
        new.cov = pd.DataFrame(est.cov, index=self.params.index, columns=self.params.index)
        new.df = est.df
        new.vcov_name = est.name
        new.vcov_notes = est.notes
        new.n_clusters = est.n_clusters
        return new


def compare(results: list[PanelResults] | dict[str, PanelResults], digits: int = 4, stars: bool = True) -> pd.DataFrame:
    """Side-by-side table: estimates with standard errors in parentheses below, then N, entities and R-squared.

    ``results`` is a list (columns named by model) or a dict (keys become column names).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.panel import fit
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(6), 4), "t": np.tile(np.arange(4), 6)})
    >>> df["x"] = rng.normal(size=24); df["y"] = df["x"] + rng.normal(size=24)
    >>> tab = compare([fit("y ~ x", df, entity="id", time="t", model=m) for m in ("pooling", "within")])
    >>> list(tab.columns)
    ['pooling', 'within']
    """
    if isinstance(results, dict):
        names, res = list(results), list(results.values())
    else:
        res = list(results)
        names = []
        for r in res:
            base = r.model if r.model != "within" else f"within ({r.effects})" if r.effects != "individual" else "within"
            name, i = base, 2
            while name in names:
                name, i = f"{base} {i}", i + 1
            names.append(name)
    terms: list[str] = []
    for r in res:
        terms += [t for t in r.params.index if t not in terms]
    rows = []
    index = []
    for t in terms:
        est, se = [], []
        for r in res:
            if t in r.params.index:
                p = r.pvalues[t]
                s = "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "" if stars else ""
                est.append(f"{r.params[t]:.{digits}f}{s if stars else ''}")
                se.append(f"({r.std_errors[t]:.{digits}f})")
            else:
                est.append("")
                se.append("")
        rows += [est, se]
        index += [t, ""]
    rows.append([f"{r.nobs}" for r in res])
    index.append("N")
    rows.append([f"{r.n_entities}" for r in res])
    index.append("entities")
    rows.append([f"{r.rsquared:.{digits}f}" for r in res])
    index.append("R-squared")
    rows.append([r.vcov_name for r in res])
    index.append("vcov")
    return pd.DataFrame(rows, index=index, columns=names)
