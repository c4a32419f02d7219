"""Sufficient statistics of a balanced panel, grouped by a unit-level key (usually the adoption cohort).

Every estimator of :mod:`clusterecon.scale` works from one small table, :class:`PanelMoments`: for each group ``k``
of units (units with the same value of a time-invariant key such as the first-treatment period) and periods
``t, s`` of a balanced panel

* ``n[k]``             the number of units,
* ``s[k, t]``          ``sum_i (Y_it - c_t)``,
* ``S[k, t, s]``       ``sum_i (Y_it - c_t) (Y_is - c_s)``,

with ``c_t`` the period means (a shift that keeps the sums of products well conditioned; every estimator below is
invariant to it).  These are what the influence functions of Callaway-Sant'Anna without covariates, of the 2x2
DiD and of two-way fixed-effects regressions on regressors constant within (group, period) cells need: they are
linear in a unit's outcome path ``Y_i`` with coefficients that depend on the unit's group only, so their Gram
matrices are quadratic forms in ``S``.

The table has ``K (1 + T + T^2)`` numbers whatever the number of rows, so it can be computed by one GROUP BY
over a DuckDB table or a directory of Parquet files larger than memory (:mod:`~clusterecon.scale.duckdb_backend`),
by a map-reduce on a Dask cluster (:mod:`~clusterecon.scale.dask_backend`) or in memory (:func:`moments_from_frame`),
and tables of disjoint sets of units add up (:meth:`PanelMoments.combine`).

Conditions: a balanced panel (every unit observed once in every period, no missing outcome), a grouping key
constant within units, equal unit weights.  The reductions check these and raise :class:`~clusterecon.errors.DataError`
naming the units at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, SpecificationError

__all__ = ["PanelMoments", "moments_from_frame", "moments_from_matrix", "period_shift"]


@dataclass
class PanelMoments:
    """Grouped first and second moments of the outcome paths of a balanced panel.

    Attributes
    ----------
    periods : (T,) sorted integer periods.
    groups : (K,) sorted group keys (for Callaway-Sant'Anna: first-treatment period, 0 = never treated).
    n : (K,) number of units per group.
    s : (K, T) sums of shifted outcomes ``Y_it - shift_t``.
    S : (K, T, T) sums of products of shifted outcomes.
    shift : (T,) the shift ``c_t`` (period means of the whole panel, or any constants).
    cells : optional dict ``name -> (K, T) array`` of regressor values constant within (group, period) cells.
    source : free text saying where the moments came from (backend, file).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"id": np.repeat([1, 2, 3], 2), "t": np.tile([1, 2], 3), "g": np.repeat([0, 2, 2], 2),
    ...                    "y": [1.0, 2.0, 0.0, 3.0, 1.0, 5.0]})
    >>> m = moments_from_frame(df, "y", "t", "id", "g")
    >>> m.n.tolist(), m.means().round(2).tolist()
    ([1, 2], [[1.0, 2.0], [0.5, 4.0]])
    """

    periods: np.ndarray
    groups: np.ndarray
    n: np.ndarray
    s: np.ndarray
    S: np.ndarray
    shift: np.ndarray
    cells: dict = field(default_factory=dict)
    source: str = "memory"

    @property
    def n_units(self) -> int:
        return int(self.n.sum())

    @property
    def n_rows(self) -> int:
        return self.n_units * len(self.periods)

    def means(self) -> np.ndarray:
        """(K, T) mean outcome of each group in each period."""
        return self.s / self.n[:, None] + self.shift[None, :]

    def centered_cross(self) -> np.ndarray:
        """(K, T, T) within-group sums of products of deviations from the group means."""
        return self.S - np.einsum("kt,ks->kts", self.s, self.s) / self.n[:, None, None]

    def combine(self, other: PanelMoments) -> PanelMoments:
        """Moments of the union of two disjoint sets of units (same periods and shift)."""
        if not (np.array_equal(self.periods, other.periods) and np.array_equal(self.shift, other.shift)):
            raise SpecificationError("cannot combine moments with different periods or shifts")
        groups = np.union1d(self.groups, other.groups)
        K, T = len(groups), len(self.periods)
        n = np.zeros(K, dtype=np.int64)
        s = np.zeros((K, T))
        S = np.zeros((K, T, T))
        for m in (self, other):
            idx = np.searchsorted(groups, m.groups)
            n[idx] += m.n
            s[idx] += m.s
            S[idx] += m.S
        cells = {}
        for name in set(self.cells) | set(other.cells):
            a = np.full((K, T), np.nan)
            for m in (self, other):
                if name in m.cells:
                    idx = np.searchsorted(groups, m.groups)
                    prev = a[idx]
                    new = m.cells[name]
                    clash = np.isfinite(prev) & (prev != new)
                    if clash.any():
                        raise DataError(f"regressor {name!r} is not constant within (group, period) cells")
                    a[idx] = new
            cells[name] = a
        return PanelMoments(self.periods, groups, n, s, S, self.shift.copy(), cells, self.source)

    def subset(self, keep: np.ndarray) -> PanelMoments:
        """Moments restricted to the groups where ``keep`` is True."""
        keep = np.asarray(keep, bool)
        return PanelMoments(self.periods, self.groups[keep], self.n[keep], self.s[keep], self.S[keep], self.shift,
                            {k: v[keep] for k, v in self.cells.items()}, self.source)


def period_shift(y: np.ndarray, tid: np.ndarray, T: int) -> np.ndarray:
    """Period means of ``y`` (``tid`` in 0..T-1): the default shift."""
    cnt = np.bincount(tid, minlength=T)
    return np.bincount(tid, weights=y, minlength=T) / np.maximum(cnt, 1)


def _group_codes(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique group keys and each unit's index among them (a counting pass for small integer ranges)."""
    if g.dtype.kind in "iu" and g.size and int(g.max()) - int(g.min()) < 1_000_000:
        lo = int(g.min())
        off = (g - lo).astype(np.int64)
        present = np.nonzero(np.bincount(off))[0]
        lookup = np.full(int(off.max()) + 1, -1, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        return (present + lo).astype(g.dtype), lookup[off]
    return np.unique(g, return_inverse=True)


def moments_from_matrix(Y: np.ndarray, group: np.ndarray, periods, shift: np.ndarray | None = None,
                        cells: dict | None = None, source: str = "memory") -> PanelMoments:
    """Moments from a units x periods outcome matrix and a group key per unit (loops over groups, not units)."""
    Y = np.asarray(Y, dtype=float)
    n_u, T = Y.shape
    if shift is None:
        shift = Y.mean(axis=0) if n_u else np.zeros(T)
    groups, code = _group_codes(np.asarray(group))
    K = len(groups)
    n = np.bincount(code, minlength=K).astype(np.int64)
    s = np.zeros((K, T))
    S = np.zeros((K, T, T))
    starts = np.concatenate([[0], np.cumsum(n)])
    if n_u > 1 and bool(np.all(code[1:] >= code[:-1])):
        Ys = Y - shift
    else:  # one gather into group order (radix sort of small codes), then contiguous blocks
        order = np.argsort(code.astype(np.int16) if K < 32_000 else code, kind="stable")
        Ys = Y[order]
        Ys -= shift
    for k in range(K):
        Yk = Ys[starts[k]:starts[k + 1]]
        s[k] = Yk.sum(axis=0)
        S[k] = Yk.T @ Yk
    return PanelMoments(np.asarray(periods), groups, n, s, S, np.asarray(shift, float), dict(cells or {}), source)


def _cells_from_long(values: np.ndarray, gcode_row: np.ndarray, tid: np.ndarray, K: int, T: int, name: str):
    lo = np.full(K * T, np.inf)
    hi = np.full(K * T, -np.inf)
    key = gcode_row * T + tid
    np.minimum.at(lo, key, values)
    np.maximum.at(hi, key, values)
    if (lo != hi).any():
        bad = np.nonzero(lo != hi)[0][:5]
        raise DataError(f"regressor {name!r} is not constant within (group, period) cells, e.g. cells (group index, "
                        f"period index) {[(int(b // T), int(b % T)) for b in bad]}: compression is not exact")
    return lo.reshape(K, T)


def _sorted_balanced(ids: np.ndarray, tvals: np.ndarray) -> np.ndarray | None:
    """The periods when rows are sorted by unit (strictly increasing ids) then by period, all units complete."""
    n = len(tvals)
    if n < 2 or ids.dtype.kind not in "iuf" or tvals.dtype.kind not in "iuf":
        return None
    head = tvals[: min(n, 10_000)]
    rep = np.nonzero(np.diff(head) <= 0)[0]
    T = int(rep[0]) + 1 if rep.size else len(head)
    if T < 1 or n % T:
        return None
    tt = tvals.reshape(-1, T)
    cand = tt[0]
    if (np.diff(cand) <= 0).any() or not (tt == cand).all():
        return None
    idm = ids.reshape(-1, T)
    if not (idm == idm[:, :1]).all() or (np.diff(idm[:, 0]) <= 0).any():
        return None
    return cand.copy()


def moments_from_frame(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                       regressors=(), shift: np.ndarray | None = None) -> PanelMoments:
    """In-memory reduction of a long balanced panel to :class:`PanelMoments` (the reference for the backends).

    Parameters
    ----------
    data : long DataFrame (not modified), one row per unit and period.
    yname, tname, idname, gname : outcome, integer period, unit id, grouping key constant within units (cohort).
    regressors : columns constant within (group, period) cells, kept as ``cells`` for
        :func:`~clusterecon.scale.estimators.twfe_moments`.
    shift : (T,) constants subtracted from the outcome per period (default: the period means).
    """
    cols = [yname, tname, idname, gname, *regressors]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise SpecificationError(f"columns not in data: {missing}")
    y = data[yname].to_numpy(dtype=float)
    if not np.isfinite(y).all():
        bad = data.index[~np.isfinite(y)][:10].tolist()
        raise DataError(f"missing or infinite {yname!r} at rows {bad}: the panel must be balanced")
    tvals = data[tname].to_numpy()
    ids = data[idname].to_numpy()
    fast = _sorted_balanced(ids, tvals)
    if fast is not None:  # rows sorted by unit then period, every unit in every period: no sort, no scatter
        periods, T = fast, len(fast)
        n_u = len(y) // T
        Y = y.reshape(n_u, T)
        G2 = data[gname].to_numpy().reshape(n_u, T)
        varies = (G2 != G2[:, :1]).any(axis=1)
        if varies.any():
            raise DataError(f"{gname!r} varies within units {ids.reshape(n_u, T)[varies, 0][:10].tolist()}; it "
                            "must be time-invariant")
        g_unit = G2[:, 0]
        if shift is None:
            shift = Y.mean(axis=0)
        groups, gcode = _group_codes(g_unit)
        cells = {}
        if regressors:
            tid = np.tile(np.arange(T), n_u)
            grow = np.repeat(gcode, T)
            cells = {r: _cells_from_long(data[r].to_numpy(dtype=float), grow, tid, len(groups), T, r)
                     for r in regressors}
        return moments_from_matrix(Y, g_unit, periods, shift=shift, cells=cells, source="pandas")
    periods, tid = np.unique(tvals, return_inverse=True)
    T = len(periods)
    ucodes, uniq = pd.factorize(ids, sort=True)
    n_u = len(uniq)
    key = ucodes.astype(np.int64) * T + tid
    cnt = np.bincount(key, minlength=n_u * T).reshape(n_u, T)
    if (cnt != 1).any():
        bad = np.nonzero((cnt != 1).any(axis=1))[0][:10]
        raise DataError(f"unbalanced panel or duplicated ({idname}, {tname}) rows for units "
                        f"{np.asarray(uniq)[bad].tolist()}: every unit must appear once in every period")
    Y = np.empty(n_u * T)
    Y[key] = y
    Y = Y.reshape(n_u, T)
    g_row = data[gname].to_numpy()
    g_unit = np.empty(n_u, dtype=g_row.dtype)
    g_unit[ucodes] = g_row
    if (g_unit[ucodes] != g_row).any():
        bad = np.unique(ucodes[g_unit[ucodes] != g_row])[:10]
        raise DataError(f"{gname!r} varies within units {np.asarray(uniq)[bad].tolist()}; it must be time-invariant")
    if shift is None:
        shift = period_shift(y, tid, T)
    groups, gcode = np.unique(g_unit, return_inverse=True)
    cells = {r: _cells_from_long(data[r].to_numpy(dtype=float), gcode[ucodes], tid, len(groups), T, r)
             for r in regressors}
    return moments_from_matrix(Y, g_unit, periods, shift=shift, cells=cells, source="pandas")
