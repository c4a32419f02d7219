"""Input validation shared by the regression-based DiD estimators (twfe, event_study, sun_abraham,
did_imputation, bacon_decomposition, placebo_permutation).

Every check raises a :mod:`clusterecon.errors` exception whose message names the column, the rows and the values at
fault.  Nothing here modifies the caller's frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, SpecificationError

__all__ = [
    "check_columns",
    "check_nonempty",
    "check_missing",
    "numeric",
    "time_values",
    "check_unique",
    "factorize",
    "first_treated_period",
    "staggered_inputs",
    "StaggeredInputs",
]


def check_columns(data: pd.DataFrame, columns, what: str = "data") -> None:
    """SpecificationError naming every requested column that ``data`` lacks (and TypeError-free on non-frames)."""
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    for c in columns:
        if c is not None and not isinstance(c, str | int):
            raise SpecificationError(f"column names must be strings, got {c!r} ({type(c).__name__})")
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise SpecificationError(f"column(s) {missing} not in {what}; available: {list(data.columns)[:20]}")


def check_nonempty(data: pd.DataFrame) -> None:
    if len(data) == 0:
        raise DataError("the data frame has no rows")


def numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    """The column as float64; DataError naming the column, rows and values when it is not numeric.

    Strings that happen to look like numbers are refused (not silently parsed): a text column is a data error.
    """
    s = data[column]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        vals = s.dropna()
        sample = vals.head(3).tolist()
        raise DataError(f"column {column!r} must be numeric, got dtype {s.dtype} (values such as {sample})")
    try:
        return s.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"column {column!r} must be numeric: {exc}") from None


def check_missing(data: pd.DataFrame, columns, *, numeric_columns=()) -> None:
    """DataError naming the column and rows holding a missing value, or (in ``numeric_columns``) a non-finite one."""
    numeric_columns = set(numeric_columns)
    for c in columns:
        if c is None:
            continue
        if c in numeric_columns:
            v = numeric(data, c)
            bad = ~np.isfinite(v)
            if bad.any():
                rows = list(data.index[bad][:5])
                vals = v[bad][:5].tolist()
                kind = "missing or infinite" if np.isinf(v[bad]).any() else "missing"
                raise DataError(f"column {c!r} has {int(bad.sum())} {kind} value(s) {vals}, e.g. at rows {rows}")
        else:
            bad = data[c].isna().to_numpy()
            if bad.any():
                rows = list(data.index[bad][:5])
                raise DataError(f"column {c!r} has {int(bad.sum())} missing value(s), e.g. at rows {rows}")


def time_values(data: pd.DataFrame, time: str) -> np.ndarray:
    """The time column as float integer periods; DataError naming rows with missing, infinite or fractional values."""
    t = numeric(data, time)
    bad = ~np.isfinite(t)
    if bad.any():
        rows = list(data.index[bad][:5])
        raise DataError(f"time column {time!r} has missing or infinite values {t[bad][:5].tolist()} at rows {rows}")
    frac = t != np.round(t)
    if frac.any():
        rows = list(data.index[frac][:5])
        raise DataError(f"time column {time!r} must hold integer periods; non-integer values {t[frac][:5].tolist()} "
                        f"at rows {rows}")
    return t


def check_unique(unit_codes: np.ndarray, time_codes: np.ndarray, n_time: int, data, unit, time) -> None:
    """DataError naming duplicated (unit, time) pairs."""
    key = unit_codes.astype(np.int64) * n_time + time_codes
    n_cells = (int(unit_codes.max()) + 1) * n_time if key.size else 0
    if n_cells <= 4 * key.size + 1_000_000:
        has_dup = bool(key.size) and np.bincount(key, minlength=n_cells).max() > 1
    else:
        sk = np.sort(key)
        has_dup = bool((sk[1:] == sk[:-1]).any())
    if has_dup:
        dup = pd.Series(key).duplicated(keep=False).to_numpy()
        sample = data.loc[data.index[dup][:6], [unit, time]].drop_duplicates().head(3).to_dict("records")
        raise DataError(f"duplicated ({unit}, {time}) pairs: {int(dup.sum())} rows, e.g. {sample}")


def factorize(values) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def first_treated_period(data: pd.DataFrame, *, unit: str, time: str, cohort: str | None = None,
                         treatment: str | None = None) -> np.ndarray:
    """Per-row first treated period (``inf`` for never treated in the sample).

    From ``cohort`` (constant within unit; never-treated coded as missing, 0, ``inf`` or any value after the last
    period, like fixest's 10000) or from a binary, absorbing ``treatment`` column (error naming the units whose
    treatment switches off).
    """
    if (cohort is None) == (treatment is None):
        raise SpecificationError("give exactly one of cohort= (first treated period) or treatment= (0/1 column)")
    check_nonempty(data)
    t = time_values(data, time)
    ucodes, uvals = factorize(data[unit])
    if cohort is not None:
        g = numeric(data, cohort)
        g = np.where(np.isnan(g) | (g == 0) | (g > t.max()), np.inf, g)
        if (g == -np.inf).any():
            rows = list(data.index[g == -np.inf][:5])
            raise DataError(f"cohort column {cohort!r} holds -inf at rows {rows}")
        gmin = np.full(uvals.size, np.inf)
        np.minimum.at(gmin, ucodes, g)
        gmax = np.full(uvals.size, -np.inf)
        np.maximum.at(gmax, ucodes, g)
        bad = gmin != gmax
        if bad.any():
            raise DataError(f"cohort column {cohort!r} varies within unit(s) {uvals[bad][:10].tolist()}")
        finite = g[np.isfinite(g)]
        frac = finite != np.round(finite)
        if frac.any():
            raise DataError(f"cohort column {cohort!r} has non-integer periods {sorted(set(finite[frac]))[:5]}")
        return g
    d = numeric(data, treatment)
    if not np.isin(d, (0.0, 1.0)).all():
        bad = data.index[~np.isin(d, (0.0, 1.0))][:5]
        raise DataError(f"treatment column {treatment!r} must be 0/1; other values at rows {list(bad)}")
    first = np.full(uvals.size, np.inf)
    np.minimum.at(first, ucodes, np.where(d == 1, t, np.inf))
    g_row = first[ucodes]
    switch_off = (t >= g_row) & (d == 0)
    if switch_off.any():
        units = pd.unique(data[unit].to_numpy()[switch_off])
        raise DataError(f"treatment {treatment!r} switches off (1 then 0) for unit(s) {units[:10].tolist()}; "
                        "these estimators need absorbing (staggered) adoption")
    return g_row


@dataclass
class StaggeredInputs:
    """What :func:`staggered_inputs` hands back: per-row first treated period ``g`` and time ``t``."""

    g: np.ndarray
    t: np.ndarray


def staggered_inputs(data: pd.DataFrame, y: str, *, unit: str, time: str, cohort: str | None = None,
                     treatment: str | None = None, numeric_columns=(), other_columns=()) -> StaggeredInputs:
    """The checks every staggered-adoption estimator runs on entry, in one place.

    Columns exist; the frame is not empty; ``y``, ``time``, the treatment and ``numeric_columns`` are numeric and
    finite, ``unit`` and ``other_columns`` are not missing; no (unit, time) pair repeats; the timing is valid
    (``cohort`` constant within unit, or ``treatment`` 0/1 and absorbing).
    """
    numeric_columns = [c for c in numeric_columns if c]
    other_columns = [c for c in other_columns if c]
    check_columns(data, [y, unit, time, *numeric_columns, *other_columns] + [c for c in (cohort, treatment) if c])
    if (cohort is None) == (treatment is None):
        raise SpecificationError("give exactly one of cohort= (first treated period) or treatment= (0/1 column)")
    check_nonempty(data)
    nums = [y, time, *numeric_columns] + ([treatment] if treatment else [])
    check_missing(data, [unit, *other_columns, *nums], numeric_columns=nums)
    t = time_values(data, time)
    ucodes, uvals = factorize(data[unit])
    tcodes, tvals = factorize(t)
    check_unique(ucodes, tcodes, tvals.size, data, unit, time)
    g = first_treated_period(data, unit=unit, time=time, cohort=cohort, treatment=treatment)
    return StaggeredInputs(g=g, t=t)
