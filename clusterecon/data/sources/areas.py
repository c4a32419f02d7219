"""FAO area codes: which are countries and which are aggregates, so that nothing is counted twice.

FAOSTAT files mix countries with aggregates in the same ``Area Code`` column:

* codes 5000 and above are aggregates: World (5000), continents and regions (5100-5504), economic and
  political groups (5706/5707 European Union, 5801 Least Developed Countries, 5815, 5817, ...);
* code 351 "China" is an aggregate of FAO's Chinese areas.  In the FAOSTAT trade extract used by this project,
  351 equals the sum of 41 (China, mainland), 96 (Hong Kong SAR), 128 (Macao SAR) and 214 (Taiwan Province of
  China) -- for example for agricultural exports (item 1882, element 5922) in 2000: 17,596,875 = 12,112,012 +
  4,474,640 + 39,892 + 970,331 (thousand US$).  Summing 351 with any of those counts them twice.

Former countries (Belgium-Luxembourg 15, USSR 228, Yugoslav SFR 248, Czechoslovakia 51, Ethiopia PDR 62, Serbia and
Montenegro 186, Sudan (former) 206) are countries, reported only in the years before their successors; they are
listed in :data:`FORMER_COUNTRIES` for callers who build long panels.

Example
-------
>>> import pandas as pd
>>> is_aggregate(pd.Series([40, 351, 5000, 157])).tolist()
[False, True, True, False]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "AGGREGATE_MIN_CODE",
    "CHINA_AGGREGATE",
    "CHINA_COMPONENTS",
    "FORMER_COUNTRIES",
    "is_aggregate",
    "area_kind",
    "split_aggregates",
]

AGGREGATE_MIN_CODE = 5000
CHINA_AGGREGATE = 351
CHINA_COMPONENTS = (41, 96, 128, 214)
FORMER_COUNTRIES = {
    15: "Belgium-Luxembourg",
    51: "Czechoslovakia",
    62: "Ethiopia PDR",
    186: "Serbia and Montenegro",
    206: "Sudan (former)",
    228: "USSR",
    248: "Yugoslav SFR",
}


def is_aggregate(codes) -> np.ndarray:
    """Boolean array: True where the FAO area code is an aggregate (>= 5000, or 351 China)."""
    c = pd.to_numeric(pd.Series(codes), errors="coerce").to_numpy(dtype="float64")
    return (c >= AGGREGATE_MIN_CODE) | (c == CHINA_AGGREGATE)


def area_kind(codes) -> np.ndarray:
    """``"aggregate"`` or ``"country"`` for each FAO area code."""
    return np.where(is_aggregate(codes), "aggregate", "country")


def split_aggregates(frame: pd.DataFrame, code_col: str = "area_code") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into (countries, aggregates) on ``code_col``; returns copies, the input is not modified."""
    mask = is_aggregate(frame[code_col])
    return frame.loc[~mask].copy(), frame.loc[mask].copy()
