"""Shared input handling for the single-treated-unit estimators: validation and long -> wide reshaping.

Nothing here mutates the caller's frame: every function works on column selections (copies).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from clusterecon.errors import SchemaError, SpecificationError

__all__ = ["check_columns", "outcome_matrix", "resolve_time"]


def check_columns(data: pd.DataFrame, columns: Iterable[str], *, what: str = "column") -> None:
    """Raise :class:`SpecificationError` naming every requested column that is not in ``data``."""
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise SpecificationError(f"{what}(s) {missing} not in the data (columns: {list(data.columns)})")


def _check_unique(data: pd.DataFrame, unit: str, time: str) -> None:
    dup = data.duplicated([unit, time], keep=False)
    if dup.any():
        rows = data.index[dup][:5].tolist()
        first = [v.item() if hasattr(v, "item") else v for v in data.loc[dup, [unit, time]].iloc[0]]
        raise SchemaError(
            f"duplicate ({unit!r}, {time!r}) pairs, e.g. {tuple(first)} at rows {rows}: one row per unit and period"
        )
    for col in (unit, time):
        if data[col].isna().any():
            rows = data.index[data[col].isna()][:5].tolist()
            raise SchemaError(f"column {col!r} has missing values at rows {rows}")


def outcome_matrix(data: pd.DataFrame, outcome: str, unit: str, time: str) -> pd.DataFrame:
    """Units x periods matrix of ``outcome`` (NaN where a unit-period row is absent or missing)."""
    check_columns(data, [outcome, unit, time])
    _check_unique(data, unit, time)
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise SchemaError(f"outcome column {outcome!r} is not numeric (dtype {data[outcome].dtype})")
    if len(data) == 0:
        raise SchemaError("the data frame has no rows")
    vals = data[outcome].to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(vals).any():
        rows = data.index[np.isinf(vals)][:5].tolist()
        raise SchemaError(f"outcome column {outcome!r} has infinite values at rows {rows}")
    for col in (time,):
        if pd.api.types.is_float_dtype(data[col]) and np.isinf(data[col].to_numpy()).any():
            rows = data.index[np.isinf(data[col].to_numpy())][:5].tolist()
            raise SchemaError(f"column {col!r} has infinite values at rows {rows}")
    wide = data.pivot(index=unit, columns=time, values=outcome)
    wide = wide.sort_index(axis=1)
    return wide.astype(float)


def _py(value):
    return value.item() if isinstance(value, np.generic) else value


def resolve_time(times: np.ndarray, value, *, name: str) -> int:
    """Index of ``value`` in the sorted ``times``; SpecificationError when it is not a period of the panel."""
    idx = np.flatnonzero(times == value)
    if idx.size == 0:
        raise SpecificationError(
            f"{name}={value!r} is not a period of the panel (periods run from {_py(times[0])!r} to {_py(times[-1])!r})"
        )
    return int(idx[0])
