"""Distributed reduction to :class:`~clusterecon.scale.sufficient.PanelMoments` on Dask.

A map-reduce over the partitions of a ``dask.dataframe``: a ``groupby(period)`` gives the periods and the shift;
then every partition is reduced in memory to its grouped moments
(:func:`~clusterecon.scale.sufficient.moments_from_frame`, which needs all rows of a unit in the same partition)
and the partial tables, a few kilobytes each, are added up on the client (:meth:`PanelMoments.combine`).  Rows are
first shuffled by unit (``ddf.shuffle(on=unit)``) unless the caller says the partitions already hold whole units
(``units_partitioned=True``, e.g. Parquet files written unit by unit), which saves the shuffle.

Runs on whatever scheduler is active: a ``dask.distributed`` client (LocalCluster or a real cluster) or the local
threaded scheduler.

Examples
--------
>>> import dask.dataframe as dd
>>> from clusterecon.simulate import staggered_panel
>>> df = staggered_panel(200, 5, cohorts=[3, 4], seed=0)
>>> m = moments_dask(dd.from_pandas(df, npartitions=3), "y", "time", "unit", "cohort", scheduler="sync")
>>> int(m.n.sum())
200
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, SpecificationError
from .sufficient import PanelMoments, moments_from_frame

__all__ = ["moments_dask"]


def _partial(part, yname, tname, idname, gname, regressors, periods, shift):
    if len(part) == 0:
        return None
    m = moments_from_frame(part, yname, tname, idname, gname, regressors=regressors, shift=shift)
    if not np.array_equal(m.periods, periods):
        raise DataError(f"a partition has periods {m.periods.tolist()} instead of {periods.tolist()}: the panel is "
                        "unbalanced or units are split across partitions")
    return m


def moments_dask(ddf, yname: str, tname: str, idname: str, gname: str, regressors=(), *,
                 units_partitioned: bool = False, scheduler=None) -> PanelMoments:
    """Reduce a balanced long panel in a ``dask.dataframe`` to grouped moments (map-reduce, no collect of rows).

    Parameters
    ----------
    ddf : dask DataFrame, one row per unit and period.
    yname, tname, idname, gname : outcome, integer period, unit id, time-invariant group key.
    regressors : columns constant within (group, period) cells.
    units_partitioned : True when each unit's rows all lie in one partition (skips the shuffle).
    scheduler : passed to ``dask.compute`` (None: the active client or default scheduler).
    """
    import dask

    cols = [yname, tname, idname, gname, *regressors]
    missing = [c for c in cols if c not in ddf.columns]
    if missing:
        raise SpecificationError(f"columns not in the dask DataFrame: {missing}")
    ddf = ddf[cols]
    by_t = ddf.groupby(tname)[yname].agg(["count", "sum"])
    (tab,) = dask.compute(by_t, scheduler=scheduler)
    tab = tab.sort_index()
    periods = tab.index.to_numpy()
    shift = (tab["sum"] / tab["count"]).to_numpy(dtype=float)
    if not units_partitioned:
        ddf = ddf.shuffle(on=idname)
    parts = [dask.delayed(_partial)(p, yname, tname, idname, gname, list(regressors), periods, shift)
             for p in ddf.to_delayed()]
    partials = [p for p in dask.compute(*parts, scheduler=scheduler) if p is not None]
    if not partials:
        raise DataError("the dask DataFrame has no rows")
    out = partials[0]
    for p in partials[1:]:
        out = out.combine(p)
    # units split across partitions would have failed the balance check inside a partition, except when split
    # exactly at period boundaries; the unit count settles it
    n_rows = int(tab["count"].sum())
    if out.n_rows != n_rows:
        raise DataError(f"{n_rows} rows but {out.n_rows} unit-periods in the reduction: units are split across "
                        "partitions (use units_partitioned=False)")
    out.source = "dask"
    return out
