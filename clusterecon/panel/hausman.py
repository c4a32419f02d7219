"""Hausman (1978) specification test: within (fixed effects) against random effects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import EstimationError, SpecificationError
from ..results import Results
from .results import PanelResults

__all__ = ["hausman", "HausmanResult"]


@dataclass(repr=False)
class HausmanResult(Results):
    """Chi-squared statistic, its degrees of freedom and p-value, and the coefficient contrasts."""

    statistic: float
    df: int
    p_value: float
    contrast: pd.DataFrame
    title: str = "Hausman test: within vs random"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"term": ["hausman"], "estimate": [self.statistic], "std_error": [np.nan], "statistic": [self.statistic],
             "p_value": [self.p_value], "ci_low": [np.nan], "ci_high": [np.nan], "df": [self.df]}
        )

    def notes(self) -> list[str]:
        return [f"chisq = {self.statistic:.4f} on {self.df} df, p = {self.p_value:.4g}; H0: random effects are "
                "consistent (the effects are uncorrelated with the regressors)"]


def hausman(within: PanelResults, random: PanelResults) -> HausmanResult:
    """Hausman test H = (b_W - b_R)' (V_W - V_R)^-1 (b_W - b_R) on the coefficients the two models share.

    Uses each model's own covariance (use the classical one for the textbook test: V_W - V_R is then positive
    semi-definite under H0), as plm ``phtest``.  Assumes efficiency of random effects under H0 (Hausman 1978).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterecon.panel import fit
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"i": np.repeat(np.arange(20), 5), "t": np.tile(np.arange(5), 20)})
    >>> df["x"] = rng.normal(size=100); df["y"] = df["x"] + np.repeat(rng.normal(size=20), 5) + rng.normal(size=100)
    >>> h = hausman(fit("y ~ x", df, entity="i", time="t"), fit("y ~ x", df, entity="i", time="t", model="random"))
    >>> h.df
    1
    """
    if within.model != "within" or random.model != "random":
        raise SpecificationError("hausman(within, random): pass a model='within' fit first, then model='random'")
    common = [t for t in within.params.index if t in random.params.index and t != "(Intercept)"]
    if not common:
        raise SpecificationError("the two models share no coefficient")
    d = (within.params[common] - random.params[common]).to_numpy()
    V = within.cov.loc[common, common].to_numpy() - random.cov.loc[common, common].to_numpy()
    try:
        stat = float(d @ np.linalg.solve(V, d))
    except np.linalg.LinAlgError as exc:
        raise EstimationError("V_within - V_random is singular; the Hausman statistic is undefined") from exc
    k = len(common)
    contrast = pd.DataFrame({"within": within.params[common], "random": random.params[common], "difference": d,
                             "se_difference": np.sqrt(np.clip(np.diag(V), 0, None))})
    return HausmanResult(stat, k, float(stats.chi2.sf(stat, k)), contrast)
