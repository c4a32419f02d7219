"""Figures for the synthetic-control family (matplotlib; each function returns the ``Axes`` it drew on)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "plot_trajectories",
    "plot_gaps",
    "plot_weights",
    "plot_placebo_gaps",
    "plot_ratios",
    "plot_sdid",
    "plot_leave_one_out",
]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    return ax


def _onset(ax, t):
    ax.axvline(t, color="grey", linestyle=":", linewidth=1)


def plot_trajectories(res, ax: Any = None, **kwargs: Any):
    """Treated unit and its synthetic control over time, with the treatment onset."""
    ax = _axes(ax)
    ax.plot(
        res.treated_path.index, res.treated_path.to_numpy(), color="black", label=str(res.treated), **kwargs
    )
    ax.plot(
        res.synthetic_path.index,
        res.synthetic_path.to_numpy(),
        color="tab:blue",
        linestyle="--",
        label=f"synthetic {res.treated}",
    )
    _onset(ax, res.treatment_time)
    ax.set_xlabel("period")
    ax.set_ylabel(res.outcome)
    ax.legend(frameon=False)
    return ax


def plot_gaps(res, ax: Any = None, **kwargs: Any):
    """Treated-minus-synthetic gaps; the placebo gaps in grey when placebo inference was run."""
    ax = _axes(ax)
    if res.placebo is not None:
        kept = res.placebo.table.loc[res.placebo.table["kept"] & ~res.placebo.table["is_treated"], "unit"]
        g = res.placebo.gaps[kept.tolist()]
        ax.plot(g.index, g.to_numpy(), color="lightgrey", linewidth=0.8)
    ax.plot(res.gaps.index, res.gaps.to_numpy(), color="black", label=str(res.treated), **kwargs)
    ax.axhline(0, color="grey", linewidth=0.8)
    _onset(ax, res.treatment_time)
    ax.set_xlabel("period")
    ax.set_ylabel(f"gap in {res.outcome}")
    return ax


def plot_placebo_gaps(pl, ax: Any = None, **kwargs: Any):
    ax = _axes(ax)
    kept = pl.table.loc[pl.table["kept"] & ~pl.table["is_treated"], "unit"].tolist()
    ax.plot(pl.gaps.index, pl.gaps[kept].to_numpy(), color="lightgrey", linewidth=0.8)
    ax.plot(pl.gaps.index, pl.gaps[pl.treated].to_numpy(), color="black", label=str(pl.treated), **kwargs)
    ax.axhline(0, color="grey", linewidth=0.8)
    _onset(ax, pl.treatment_time)
    ax.set_xlabel("period")
    ax.set_ylabel("gap")
    return ax


def plot_ratios(pl, ax: Any = None, **kwargs: Any):
    """Post/pre RMSPE ratios of the treated unit and the placebos, sorted."""
    ax = _axes(ax)
    t = pl.table[pl.table["kept"]].sort_values("ratio")
    colors = np.where(t["is_treated"], "black", "lightgrey")
    ax.barh(t["unit"].astype(str), t["ratio"], color=colors, **kwargs)
    ax.set_xlabel("post / pre RMSPE")
    return ax


def plot_weights(
    weights: pd.Series, ax: Any = None, title: str = "weights", min_weight: float = 0.0, **kwargs
):
    """Horizontal bars of the weights (those above ``min_weight``)."""
    ax = _axes(ax)
    w = weights[weights > min_weight].sort_values()
    ax.barh(w.index.astype(str), w.to_numpy(), color="tab:blue", **kwargs)
    ax.set_xlabel("weight")
    ax.set_title(title)
    return ax


def plot_sdid(res, ax: Any = None, **kwargs: Any):
    """Treated mean and omega-weighted controls; the time weights lambda as bars along the bottom."""
    ax = _axes(ax)
    tr, syn = res.treated_mean, res.synthetic
    ax.plot(tr.index, tr.to_numpy(), color="black", label="treated", **kwargs)
    ax.plot(syn.index, syn.to_numpy(), color="tab:red", linestyle="--", label="weighted controls")
    lo = float(min(tr.min(), syn.min()))
    span = float(max(tr.max(), syn.max())) - lo
    lam = res.time_weights
    if lam.sum() > 0:
        ax.bar(
            lam.index,
            lam.to_numpy() / lam.max() * 0.15 * span,
            bottom=lo - 0.2 * span,
            color="tab:grey",
            alpha=0.6,
            label="time weights",
        )
    _onset(ax, res.treatment_time)
    ax.legend(frameon=False)
    ax.set_xlabel("period")
    ax.set_ylabel(res.outcome)
    return ax


def plot_leave_one_out(loo, ax: Any = None, **kwargs: Any):
    ax = _axes(ax)
    b = loo.base
    ax.plot(loo.synthetic_paths.index, loo.synthetic_paths.to_numpy(), color="lightgrey", linewidth=0.8)
    ax.plot(b.treated_path.index, b.treated_path.to_numpy(), color="black", label=str(b.treated), **kwargs)
    ax.plot(
        b.synthetic_path.index,
        b.synthetic_path.to_numpy(),
        color="tab:blue",
        linestyle="--",
        label="synthetic (all donors)",
    )
    _onset(ax, b.treatment_time)
    ax.legend(frameon=False)
    return ax
