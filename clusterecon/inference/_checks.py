"""Input checks shared by the resampling procedures of :mod:`clusterecon.inference`."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import DataError, SpecificationError

__all__ = ["check_finite_formula_columns"]


def check_finite_formula_columns(formula: str, data: pd.DataFrame, extra=()) -> None:
    """DataError naming the column and rows when a numeric column used by ``formula`` holds +-inf.

    Missing values are left to :func:`clusterecon.panel.fit` (it drops them with a DataWarning); infinite values
    would otherwise turn every estimate into NaN without a word.
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", str(formula))) | {c for c in extra if c is not None}
    for col in data.columns:
        if col in names and pd.api.types.is_float_dtype(data[col]):
            v = data[col].to_numpy(dtype=float, na_value=np.nan)
            bad = np.isinf(v)
            if bad.any():
                raise DataError(f"column {col!r} has {int(bad.sum())} infinite value(s) at rows "
                                f"{data.index[bad][:5].tolist()}")
