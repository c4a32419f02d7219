"""The results object shared by the difference-in-differences estimators.

:class:`DiDResults` holds a tidy table (one row per estimated quantity: an ATT, an event-time coefficient, a 2x2
comparison, a robust confidence set) and speaks the package's :class:`clusterecon.results.Results` interface:
``to_frame()``, ``summary()`` and ``plot()`` (event-study coefficients with pointwise and, when computed, uniform
sup-t bands).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import SpecificationError
from ..results import TIDY_COLUMNS, Results

__all__ = ["DiDResults", "tidy_table", "sup_t_critical_value"]


def tidy_table(
    terms,
    estimate,
    std_error,
    *,
    alpha: float = 0.05,
    df: float | None = None,
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Build the tidy table: statistic, two-sided p-value and ``1 - alpha`` interval from estimates and SEs.

    With ``df`` the t distribution with ``df`` degrees of freedom is used, otherwise the normal.  Rows with a
    missing or zero standard error get missing statistic, p-value and interval.
    """
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise SpecificationError(f"alpha must be in (0, 1), got {alpha!r}")
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, est / se, np.nan)
    dist = stats.t(df) if df is not None else stats.norm()
    p = 2.0 * dist.sf(np.abs(stat))
    crit = dist.ppf(1.0 - alpha / 2.0)
    ok = se > 0
    frame = pd.DataFrame(
        {
            "term": [str(t) for t in terms],
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "ci_low": np.where(ok, est - crit * se, np.nan),
            "ci_high": np.where(ok, est + crit * se, np.nan),
        }
    )
    for key, value in (extra or {}).items():
        frame[key] = value
    return frame


def sup_t_critical_value(vcov: np.ndarray, alpha: float = 0.05, *, n_draws: int = 100_000, seed=0) -> float:
    """Critical value of the uniform (sup-t) band: the ``1 - alpha`` quantile of ``max_k |Z_k| / sd_k``.

    ``Z ~ N(0, vcov)`` is simulated with ``n_draws`` seeded draws (Montiel Olea and Plagborg-Moller 2019).
    Coefficients with zero variance (reference periods) are ignored.
    """
    if isinstance(n_draws, bool) or int(n_draws) != n_draws or n_draws < 1:
        raise SpecificationError(f"n_draws must be a positive integer, got {n_draws!r}")
    v = np.asarray(vcov, dtype=float)
    sd = np.sqrt(np.clip(np.diag(v), 0.0, None))
    keep = sd > 0
    if keep.sum() == 0:
        return float("nan")
    corr = v[np.ix_(keep, keep)] / np.outer(sd[keep], sd[keep])
    # eigen-decomposition tolerates a singular correlation matrix
    w, q = np.linalg.eigh(corr)
    root = q * np.sqrt(np.clip(w, 0.0, None))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_draws, keep.sum())) @ root.T
    return float(np.quantile(np.abs(z).max(axis=1), 1.0 - alpha))


@dataclass
class DiDResults(Results):
    """Results of a DiD estimator: a tidy table plus what is needed to read it.

    Attributes
    ----------
    table : DataFrame
        Columns ``term, estimate, std_error, statistic, p_value, ci_low, ci_high`` and extras (``event_time``,
        ``ci_low_uniform``/``ci_high_uniform`` for event studies, ``weight``/``type`` for Bacon, ...).
    method : str
        Name of the estimator, used as the title.
    vcov : ndarray or None
        Covariance matrix of the ``estimate`` column (same order) where defined.
    info : dict
        Sample sizes, options, reference periods, the critical values used.
    caveats : list of str
        Lines printed under the table (inference caveats, dropped observations, ...).
    """

    table: pd.DataFrame
    method: str = "Difference-in-differences"
    vcov: np.ndarray | None = None
    info: dict = field(default_factory=dict)
    caveats: list = field(default_factory=list)

    @property
    def title(self) -> str:  # type: ignore[override]
        return self.method

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        frame = self.table.copy()
        cols = [c for c in TIDY_COLUMNS if c in frame.columns] + [c for c in frame.columns if c not in TIDY_COLUMNS]
        return frame[cols].reset_index(drop=True)

    def notes(self) -> list[str]:
        lines = []
        for key in ("n_obs", "n_units", "n_periods", "n_treated_units", "vcov_type", "alpha"):
            if key in self.info:
                lines.append(f"{key}: {self.info[key]}")
        return lines + list(self.caveats)

    @property
    def estimate(self) -> pd.Series:
        """Point estimates indexed by term."""
        return self.table.set_index("term")["estimate"]

    @property
    def std_error(self) -> pd.Series:
        """Standard errors indexed by term."""
        return self.table.set_index("term")["std_error"]

    def plot(self, ax: Any = None, *, uniform: bool = True, **kwargs: Any):
        """Event-study plot: estimates by event time with pointwise (and uniform sup-t) confidence bands.

        Needs an ``event_time`` column; rows without one (an overall ATT) are left out.  Returns the ``Axes``.
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=kwargs.pop("figsize", (7, 4)))
        frame = self.table
        if "event_time" not in frame.columns:
            raise NotImplementedError(f"{self.method}: plot() needs event-time estimates")
        frame = frame[frame["event_time"].notna()].sort_values("event_time")
        x = frame["event_time"].to_numpy(dtype=float)
        y = frame["estimate"].to_numpy(dtype=float)
        if uniform and "ci_low_uniform" in frame.columns:
            ax.fill_between(x, frame["ci_low_uniform"], frame["ci_high_uniform"], alpha=0.2, color="C0",
                            label=f"uniform {100 * (1 - self.info.get('alpha', 0.05)):.0f}% band (sup-t)", step=None)
        ax.errorbar(x, y, yerr=[y - frame["ci_low"].to_numpy(float), frame["ci_high"].to_numpy(float) - y],
                    fmt="o", color="C0", capsize=3, label="estimate, pointwise CI")
        ax.axhline(0.0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("periods relative to adoption")
        ax.set_ylabel("effect")
        ax.set_title(self.method)
        ax.legend(loc="best", fontsize="small")
        return ax
