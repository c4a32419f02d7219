"""Figures: seaborn/matplotlib, saved atomically as PNG and PDF with fixed metadata so reruns are byte-identical."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .._io import write_bytes_atomic  # noqa: E402
from ..errors import SpecificationError  # noqa: E402

__all__ = ["save_figure", "plot_series", "deterministic_style"]

# Metadata that would otherwise carry a timestamp or a version string into the files.
_METADATA = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None},
    "svg": {"Date": None, "Creator": None},
}


def deterministic_style() -> None:
    """Fix the rcParams that would make output depend on the run (SVG hash salt, fonts)."""
    matplotlib.rcParams["svg.hashsalt"] = "clusterecon"
    matplotlib.rcParams["pdf.compression"] = 6
    sns.set_theme(style="whitegrid", context="paper")


def save_figure(fig: plt.Figure, stem: str | Path, *, formats: Iterable[str] = ("png", "pdf"), dpi: int = 150,
                close: bool = True) -> list[Path]:
    """Save ``fig`` as ``stem.png`` / ``stem.pdf`` atomically with fixed metadata; return the paths."""
    stem = Path(stem)
    paths = []
    for fmt in formats:
        if fmt not in _METADATA:
            raise SpecificationError(f"unknown figure format {fmt!r}; choose from {tuple(_METADATA)}")
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA[fmt], bbox_inches="tight")
        paths.append(write_bytes_atomic(stem.with_suffix(f".{fmt}"), buf.getvalue()))
    if close:
        plt.close(fig)
    return paths


def plot_series(frame: pd.DataFrame, *, x: str = "year", y: str = "value", hue: str | None = None,
                title: str = "", ylabel: str = "", caption: str = "", logy: bool = False, ax=None):
    """Line-and-point plot of a tidy series; gaps (NaN) stay gaps.  Returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.8))
    for key, part in (frame.groupby(hue, sort=True) if hue else [(None, frame)]):
        part = part.sort_values(x)
        ax.plot(part[x], part[y], marker="o", label=None if key is None else str(key))
    if hue:
        ax.legend(frameon=False)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel or y)
    if caption:
        ax.figure.text(0.0, -0.02, caption, ha="left", va="top", fontsize=7, wrap=True)
    return ax


def plot_series_panels(frame: pd.DataFrame, *, title: str = "", caption: str = "", ncols: int = 3,
                       value: str = "value", corrected: str | None = "corrected_value"):
    """Small multiples: one panel per ``series`` of a tidy frame (``series, year, value, unit``).

    Where a ``misprint`` column flags a printed value, the printed value is drawn as a hollow red marker and the
    corrected value as the line's point, so a correction is visible rather than silent.  Returns the Figure.
    """
    names = list(dict.fromkeys(frame["series"]))
    ncols = max(1, min(ncols, len(names)))
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.6 * nrows), squeeze=False)
    years = frame["year"].dropna()
    span = (years.min() - 1, years.max() + 1) if len(years) else None
    for ax, name in zip(axes.flat, names):
        part = frame[frame["series"] == name].sort_values("year")
        if span is not None:
            ax.set_xlim(*span)
        y = part[corrected] if corrected and corrected in part else part[value]
        ax.plot(part["year"], y.where(part[value].notna()), marker="o", ms=4)
        if "misprint" in part:
            bad = part[part["misprint"].fillna(False).astype(bool) & (part[value] != y)]
            if len(bad):
                ax.scatter(bad["year"], bad[value], facecolors="none", edgecolors="red", zorder=3,
                           label="as printed (misprint)")
                ax.legend(frameon=False, fontsize=6)
        unit = part["unit"].dropna().iloc[0] if "unit" in part and part["unit"].notna().any() else ""
        ax.set_title(str(name).replace("_", " "), fontsize=8)
        ax.set_ylabel(str(unit), fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if caption:
        fig.text(0.0, 0.0, caption, ha="left", va="top", fontsize=7, wrap=True)
    return fig
