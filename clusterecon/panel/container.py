"""The :class:`Panel` container: a validated, read-only view of an entity x time data set.

The container checks the panel structure once (duplicate entity-time pairs, missing or non-integer-like time,
entities observed only once) and reports balance, gaps and the share of missing entity-time cells.  It keeps its own
copy of the data, so the caller's DataFrame is never mutated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, DataWarning, SpecificationError

__all__ = ["Panel", "PanelStructure"]


@dataclass(frozen=True)
class PanelStructure:
    """Summary of the entity x time layout of a panel."""

    nobs: int
    n_entities: int
    n_periods: int
    balanced: bool
    share_missing_cells: float
    n_gaps: int
    singletons: tuple

    def as_dict(self) -> dict:
        return {
            "nobs": self.nobs,
            "n_entities": self.n_entities,
            "n_periods": self.n_periods,
            "balanced": self.balanced,
            "share_missing_cells": self.share_missing_cells,
            "n_gaps": self.n_gaps,
            "n_singletons": len(self.singletons),
        }


def _time_as_int(values: pd.Series, name: str) -> np.ndarray:
    """Integer codes of an integer-like time column; raise naming the first offending rows."""
    if values.isna().any():
        rows = list(values.index[values.isna()][:5])
        raise DataError(f"time column {name!r} has missing values (rows {rows})")
    if values.dtype.kind in "iu":  # numpy integer column: already integer-like
        return values.to_numpy(dtype=np.int64, copy=False)
    if pd.api.types.is_datetime64_any_dtype(values):
        raise DataError(
            f"time column {name!r} holds dates; convert it to integer periods (e.g. year or a period ordinal) first"
        )
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any():
            bad = values[numeric.isna()]
            raise DataError(
                f"time column {name!r} is not integer-like: value {bad.iloc[0]!r} at row {bad.index[0]!r}"
            )
        values = numeric
    arr = np.asarray(values, dtype=float)
    frac = np.abs(arr - np.round(arr)) > 1e-9
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise DataError(f"time column {name!r} is not integer-like: value {float(arr[i])!r} at row {values.index[i]!r}")
    return np.round(arr).astype(np.int64)


def _factorize_sorted(values) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values, sort=True)`` with a hash-free path for integer columns of compact range."""
    from .absorb import _int_codes

    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if isinstance(arr, np.ndarray):
        fast = _int_codes(arr)
        if fast is not None:
            return fast[0], pd.Index(fast[1].astype(arr.dtype, copy=False))
    codes, levels = pd.factorize(values, sort=True)
    return codes, levels


class Panel:
    """A validated entity x time panel.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per entity and period.  It is copied; the caller's frame is never changed.
    entity, time : str
        Names of the entity and time columns.  Time must be integer-like (years, period numbers).
    singletons : {"warn", "raise", "ignore"}
        What to do with entities observed in a single period (they carry no within-entity variation).

    Raises
    ------
    SpecificationError
        When ``entity`` or ``time`` is not a column.
    DataError
        Duplicate entity-time pairs (the message lists them), missing entity or time values, non-integer-like time.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 2], "t": [1, 2, 1, 2, 3], "y": [0.1, 0.2, 0.3, 0.4, 0.5]})
    >>> p = Panel(df, "id", "t")
    >>> p.n_entities, p.n_periods, p.balanced
    (2, 3, False)
    >>> round(p.share_missing_cells, 4)
    0.1667
    """

    def __init__(self, data: pd.DataFrame, entity: str, time: str, *, singletons: str = "warn", _copy: bool = True):
        if not isinstance(data, pd.DataFrame):
            try:  # polars and other frames with a to_pandas()
                data = data.to_pandas()
            except AttributeError as exc:
                raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}") from exc
        for role, col in (("entity", entity), ("time", time)):
            if col not in data.columns:
                raise SpecificationError(f"{role} column {col!r} is not in the data (columns: {list(data.columns)})")
        if entity == time:
            raise SpecificationError(f"entity and time must be different columns, both are {entity!r}")
        if data[entity].isna().any():
            rows = list(data.index[data[entity].isna()][:5])
            raise DataError(f"entity column {entity!r} has missing values (rows {rows})")
        t_int = _time_as_int(data[time], time)
        self.entity = entity
        self.time = time
        self._data = data.copy() if _copy else data
        self.entity_codes, self.entity_levels = _factorize_sorted(data[entity])
        self.time_values = t_int
        self.time_codes, self.time_levels = _factorize_sorted(t_int)
        n_e, n_t = len(self.entity_levels), len(self.time_levels)
        key = self.entity_codes.astype(np.int64) * n_t + self.time_codes
        if n_e * n_t <= 50_000_000:
            cell_counts = np.bincount(key, minlength=n_e * n_t)
            dup = cell_counts[key] > 1 if cell_counts.max() > 1 else np.zeros(1, dtype=bool)
        else:
            dup = pd.Series(key).duplicated(keep=False).to_numpy()
        if dup.any():
            first = np.flatnonzero(dup)
            seen: list[tuple] = []
            for i in first:
                pair = (self.entity_levels[self.entity_codes[i]], int(t_int[i]))
                pair = (pair[0].item() if hasattr(pair[0], "item") else pair[0], pair[1])
                if pair not in seen:
                    seen.append(pair)
                if len(seen) == 5:
                    break
            listed = ", ".join(f"({e!r}, {t})" for e, t in seen)
            raise DataError(f"duplicate ({entity}, {time}) pairs: {listed}{' ...' if dup.sum() > 2 * len(seen) else ''}")
        counts = np.bincount(self.entity_codes, minlength=len(self.entity_levels))
        single = tuple(self.entity_levels[counts == 1])
        if single:
            msg = f"entities observed in one period only (no within variation): {list(single[:10])}" + (
                " ..." if len(single) > 10 else ""
            )
            if singletons == "raise":
                raise DataError(msg)
            if singletons == "warn":
                warnings.warn(msg, DataWarning, stacklevel=2)
        self.singletons = single
        # gaps: periods missing between an entity's first and last observation (none in a balanced panel whose
        # periods are consecutive integers)
        if len(self._data) == n_e * n_t and int(self.time_levels[-1]) - int(self.time_levels[0]) == n_t - 1:
            gaps = np.zeros(n_e, dtype=np.int64)
        else:
            tmin = np.full(n_e, np.iinfo(np.int64).max)
            tmax = np.full(n_e, np.iinfo(np.int64).min)
            np.minimum.at(tmin, self.entity_codes, t_int)
            np.maximum.at(tmax, self.entity_codes, t_int)
            gaps = tmax - tmin + 1 - counts
        self.gaps_per_entity = pd.Series(gaps, index=self.entity_levels, name="gaps")

    # ------------------------------------------------------------------ properties
    @property
    def data(self) -> pd.DataFrame:
        """A copy of the panel's data (changing it does not change the panel)."""
        return self._data.copy()

    @property
    def nobs(self) -> int:
        return len(self._data)

    @property
    def n_entities(self) -> int:
        return len(self.entity_levels)

    @property
    def n_periods(self) -> int:
        return len(self.time_levels)

    @property
    def balanced(self) -> bool:
        return self.nobs == self.n_entities * self.n_periods

    @property
    def share_missing_cells(self) -> float:
        """Share of the entity x period grid (periods seen anywhere) with no observation."""
        return 1.0 - self.nobs / (self.n_entities * self.n_periods)

    @property
    def n_gaps(self) -> int:
        """Number of missing periods inside entities' own observation spans."""
        return int(self.gaps_per_entity.sum())

    def structure(self) -> PanelStructure:
        return PanelStructure(
            self.nobs,
            self.n_entities,
            self.n_periods,
            self.balanced,
            self.share_missing_cells,
            self.n_gaps,
            self.singletons,
        )

    def describe(self) -> str:
        s = self.structure()
        kind = "Balanced" if s.balanced else "Unbalanced"
        return (
            f"{kind} panel: n = {s.n_entities} entities ({self.entity}), T = {s.n_periods} periods ({self.time}), "
            f"N = {s.nobs}; missing cells {s.share_missing_cells:.1%}, gaps {s.n_gaps}, singletons {len(s.singletons)}"
        )

    def __repr__(self) -> str:
        return f"<Panel {self.describe()}>"
