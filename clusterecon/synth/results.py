"""Results objects of :mod:`clusterecon.synth` (all derive from :class:`clusterecon.results.Results`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clusterecon.results import Results

__all__ = [
    "SyntheticDiDResults",
    "SyntheticControlResults",
    "PlaceboInSpaceResults",
    "PlaceboInTimeResults",
    "LeaveOneOutResults",
]


def _tidy(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]
    frame = pd.DataFrame(rows)
    for c in cols:
        if c not in frame:
            frame[c] = np.nan
    return frame[cols + [c for c in frame.columns if c not in cols]]


@dataclass
class SyntheticDiDResults(Results):
    """Output of :func:`clusterecon.synth.synthetic_did`."""

    estimate: float
    std_error: float
    z_crit: float
    level: float
    method: str
    se_method: str | None
    unit_weights: pd.Series
    time_weights: pd.Series
    treated_units: list
    controls: pd.DataFrame
    treated_outcomes: pd.DataFrame
    treatment_time: Any
    settings: dict[str, Any]
    replicates: np.ndarray | None
    outcome: str

    @property
    def title(self) -> str:  # type: ignore[override]
        names = {
            "sdid": "Synthetic difference-in-differences",
            "sc": "Synthetic control (SDID framework)",
            "did": "Difference-in-differences (SDID framework)",
        }
        return f"{names[self.method]}: effect on {self.outcome}"

    @property
    def p_value(self) -> float:
        if not np.isfinite(self.std_error) or self.std_error == 0:
            return np.nan
        return float(2 * stats.norm.sf(abs(self.estimate / self.std_error)))

    @property
    def synthetic(self) -> pd.Series:
        """The omega-weighted control path, period by period."""
        return pd.Series(
            self.unit_weights.to_numpy() @ self.controls.to_numpy(),
            index=self.controls.columns,
            name="synthetic",
        )

    @property
    def treated_mean(self) -> pd.Series:
        return self.treated_outcomes.mean(axis=0).rename("treated")

    def to_frame(self) -> pd.DataFrame:
        se = self.std_error
        ok = np.isfinite(se)
        return _tidy(
            [
                {
                    "term": "ATT",
                    "estimate": self.estimate,
                    "std_error": se,
                    "statistic": self.estimate / se if ok and se > 0 else np.nan,
                    "p_value": self.p_value,
                    "ci_low": self.estimate - self.z_crit * se if ok else np.nan,
                    "ci_high": self.estimate + self.z_crit * se if ok else np.nan,
                    "method": self.method,
                    "se_method": self.se_method or "none",
                    "n_treated": len(self.treated_units),
                    "n_control": self.controls.shape[0],
                    "n_pre": self.time_weights.size,
                    "n_post": self.controls.shape[1] - self.time_weights.size,
                }
            ]
        )

    def notes(self) -> list[str]:
        s = self.settings
        eff_n = 1.0 / np.sum(self.unit_weights.to_numpy() ** 2)
        notes = [
            f"Treated: {self.treated_units}; treatment from {self.treatment_time!r}.",
            f"Regularisation: sigma = {s['noise_level']:.4g}, zeta_omega = {s['zeta_omega']:.4g}, "
            f"zeta_lambda = {s['zeta_lambda']:.3g}; effective number of controls {eff_n:.1f}.",
        ]
        if self.se_method == "placebo":
            notes.append(
                f"Placebo standard error over {len(self.replicates)} pseudo-treated assignments of controls "
                "(Arkhangelsky et al. 2021, Algorithm 4); normal interval "
                f"at {self.level:.0%}."
            )
        elif self.se_method:
            notes.append(f"{self.se_method} standard error over {len(self.replicates)} replications.")
        return notes

    def weights_frame(self) -> pd.DataFrame:
        """Unit and time weights in one long frame (kind, label, weight)."""
        u = pd.DataFrame(
            {"kind": "unit", "label": self.unit_weights.index, "weight": self.unit_weights.to_numpy()}
        )
        t = pd.DataFrame(
            {"kind": "time", "label": self.time_weights.index, "weight": self.time_weights.to_numpy()}
        )
        return pd.concat([u, t], ignore_index=True)

    def plot(self, ax: Any = None, kind: str = "trajectories", **kwargs: Any):
        """``kind="trajectories"``: treated vs weighted controls with the time weights; ``"weights"``: omega."""
        from clusterecon.synth import plots

        if kind == "weights":
            return plots.plot_weights(self.unit_weights, ax=ax, title="Unit weights (omega)", **kwargs)
        return plots.plot_sdid(self, ax=ax, **kwargs)


@dataclass
class SyntheticControlResults(Results):
    """Output of :func:`clusterecon.synth.synthetic_control`."""

    outcome: str
    treated: Any
    treatment_time: Any
    weights: pd.Series
    v_weights: pd.Series
    balance: pd.DataFrame
    treated_path: pd.Series
    synthetic_path: pd.Series
    pre_rmspe: float
    post_rmspe: float
    loss: float
    loss_by_start: pd.DataFrame
    optimization_periods: list
    donor_outcomes: pd.DataFrame
    spec: dict[str, Any] = field(repr=False)
    loss_lower_bound: float = np.nan
    placebo: PlaceboInSpaceResults | None = field(default=None, repr=False)

    title = "Synthetic control"

    @property
    def gaps(self) -> pd.Series:
        """Treated minus synthetic, every period."""
        return (self.treated_path - self.synthetic_path).rename("gap")

    @property
    def post_periods(self) -> list:
        return [t for t in self.treated_path.index if t >= self.treatment_time]

    @property
    def pre_periods(self) -> list:
        return [t for t in self.treated_path.index if t < self.treatment_time]

    @property
    def average_effect(self) -> float:
        """Mean post-treatment gap."""
        return float(self.gaps.loc[self.post_periods].mean())

    @property
    def rmspe_ratio(self) -> float:
        return self.post_rmspe / self.pre_rmspe if self.pre_rmspe > 0 else np.inf

    def to_frame(self) -> pd.DataFrame:
        p = self.placebo.p_value if self.placebo is not None else np.nan
        rows = [
            {
                "term": "average effect",
                "estimate": self.average_effect,
                "p_value": p,
                "statistic": self.rmspe_ratio,
                "time": np.nan,
            }
        ]
        for t in self.post_periods:
            rows.append({"term": f"gap {t}", "estimate": float(self.gaps.loc[t]), "time": t})
        frame = _tidy(rows)
        frame["pre_rmspe"] = self.pre_rmspe
        frame["post_rmspe"] = self.post_rmspe
        return frame

    def notes(self) -> list[str]:
        top = self.weights[self.weights > 0.001].sort_values(ascending=False)
        w = ", ".join(f"{k} {v:.3f}" for k, v in top.items())
        notes = [
            f"Treated: {self.treated!r}; treatment from {self.treatment_time!r}; {self.weights.size} donors.",
            f"Donor weights: {w}.",
            f"Pre-treatment RMSPE {self.pre_rmspe:.4g}, post-treatment RMSPE {self.post_rmspe:.4g}, "
            f"ratio {self.rmspe_ratio:.3g}; V-loss (MSPE over the optimisation periods) {self.loss:.6g} "
            f"(per start: loss_by_start; no V can go below {self.loss_lower_bound:.6g}).",
            "statistic = post/pre RMSPE ratio; p_value = placebo-in-space rank / (number of placebos + 1)"
            if self.placebo is not None
            else "No placebo inference run (see clusterecon.synth.placebo_in_space).",
        ]
        return notes

    def plot(self, ax: Any = None, kind: str = "trajectories", **kwargs: Any):
        """``kind``: ``"trajectories"`` (treated vs synthetic), ``"gaps"`` (with placebo gaps if run), ``"weights"``."""
        from clusterecon.synth import plots

        if kind == "weights":
            return plots.plot_weights(self.weights, ax=ax, title="Donor weights (W)", **kwargs)
        if kind == "gaps":
            return plots.plot_gaps(self, ax=ax, **kwargs)
        return plots.plot_trajectories(self, ax=ax, **kwargs)


@dataclass
class PlaceboInSpaceResults(Results):
    """Every donor in turn treated as if treated: RMSPE ratios, rank and permutation p-value."""

    table: pd.DataFrame  # unit, is_treated, pre_mspe, post_mspe, pre_rmspe, post_rmspe, ratio, rank, kept
    gaps: pd.DataFrame  # periods x units (treated first)
    treated: Any
    treatment_time: Any
    max_pre_mspe_ratio: float | None

    title = "Placebo in space (RMSPE ratio)"

    def prune(self, max_pre_mspe_ratio: float | None) -> PlaceboInSpaceResults:
        """The same placebos with another pre-fit cut-off (no refitting): drop those with pre-MSPE above
        ``max_pre_mspe_ratio`` times the treated unit's (None keeps all)."""
        from clusterecon.errors import SpecificationError
        from clusterecon.synth.placebo import rank_placebos

        if max_pre_mspe_ratio is not None and not max_pre_mspe_ratio > 0:
            raise SpecificationError(f"max_pre_mspe_ratio={max_pre_mspe_ratio!r} must be positive")
        table = rank_placebos(self.table, max_pre_mspe_ratio)
        return PlaceboInSpaceResults(
            table=table,
            gaps=self.gaps,
            treated=self.treated,
            treatment_time=self.treatment_time,
            max_pre_mspe_ratio=max_pre_mspe_ratio,
        )

    @property
    def p_value(self) -> float:
        kept = self.table[self.table["kept"]]
        r = kept.loc[kept["is_treated"], "rank"].iloc[0]
        return float(r / len(kept))

    @property
    def rank(self) -> int:
        kept = self.table[self.table["kept"]]
        return int(kept.loc[kept["is_treated"], "rank"].iloc[0])

    def to_frame(self) -> pd.DataFrame:
        tr = self.table[self.table["is_treated"]].iloc[0]
        kept = self.table[self.table["kept"]]
        return _tidy(
            [
                {
                    "term": "RMSPE ratio (treated)",
                    "estimate": tr["ratio"],
                    "statistic": tr["ratio"],
                    "p_value": self.p_value,
                    "rank": self.rank,
                    "n_units": len(kept),
                    "n_dropped": int((~self.table["kept"]).sum()),
                }
            ]
        )

    def notes(self) -> list[str]:
        k = self.max_pre_mspe_ratio
        return [
            "p = rank of the treated unit's post/pre RMSPE ratio among treated + kept placebos / their number "
            "(Abadie, Diamond and Hainmueller 2010).",
            f"Placebos with pre-MSPE > {k} x the treated's dropped."
            if k
            else "No placebo dropped for poor pre-fit.",
        ]

    def plot(self, ax: Any = None, kind: str = "gaps", **kwargs: Any):
        from clusterecon.synth import plots

        if kind == "ratios":
            return plots.plot_ratios(self, ax=ax, **kwargs)
        return plots.plot_placebo_gaps(self, ax=ax, **kwargs)


@dataclass
class PlaceboInTimeResults(Results):
    """The synthetic control refit with a fake, earlier treatment time on pre-treatment data only."""

    fit: SyntheticControlResults
    placebo_time: Any
    actual_time: Any

    title = "Placebo in time"

    def to_frame(self) -> pd.DataFrame:
        f = self.fit
        return _tidy(
            [
                {
                    "term": f"placebo effect ({self.placebo_time} to {self.actual_time})",
                    "estimate": f.average_effect,
                    "statistic": f.rmspe_ratio,
                    "pre_rmspe": f.pre_rmspe,
                    "post_rmspe": f.post_rmspe,
                }
            ]
        )

    def plot(self, ax: Any = None, **kwargs: Any):
        from clusterecon.synth import plots

        return plots.plot_trajectories(self.fit, ax=ax, **kwargs)


@dataclass
class LeaveOneOutResults(Results):
    """The synthetic control refit without each donor of positive weight in turn."""

    base: SyntheticControlResults
    synthetic_paths: pd.DataFrame  # periods x dropped donor
    table: pd.DataFrame  # dropped, average_effect, pre_rmspe, post_rmspe, loss

    title = "Leave-one-out over donors"

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "term": f"without {r.dropped}",
                "estimate": r.average_effect,
                "dropped": r.dropped,
                "pre_rmspe": r.pre_rmspe,
                "post_rmspe": r.post_rmspe,
            }
            for r in self.table.itertuples()
        ]
        return _tidy(rows)

    def plot(self, ax: Any = None, **kwargs: Any):
        from clusterecon.synth import plots

        return plots.plot_leave_one_out(self, ax=ax, **kwargs)
