"""clusterecon.scale: estimators that reduce to grouped sums, in memory, out of core (DuckDB/Parquet) or on Dask.

>>> from clusterecon.scale import moments, att_gt_moments, aggte_moments, did2x2_moments, twfe_moments
"""

from .estimators import (
    LinearIF,
    ScaleResult,
    aggte_moments,
    att_gt_moments,
    did2x2_moments,
    event_time_cells,
    twfe_moments,
)
from .sufficient import PanelMoments, moments_from_frame, moments_from_matrix


def moments(source, yname: str, tname: str, idname: str, gname: str, regressors=(), **options) -> PanelMoments:
    """Grouped moments from a pandas DataFrame (in memory), a dask DataFrame (:func:`.dask_backend.moments_dask`)
    or anything DuckDB reads: a table name with ``con=``, a Parquet file, directory or glob
    (:func:`.duckdb_backend.moments_duckdb`); ``options`` go to the backend."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return moments_from_frame(source, yname, tname, idname, gname, regressors=regressors, **options)
    if type(source).__module__.startswith("dask"):
        from .dask_backend import moments_dask

        return moments_dask(source, yname, tname, idname, gname, regressors=regressors, **options)
    from .duckdb_backend import moments_duckdb

    return moments_duckdb(source, yname, tname, idname, gname, regressors=regressors, **options)

__all__ = [
    "moments",
    "PanelMoments",
    "moments_from_frame",
    "moments_from_matrix",
    "LinearIF",
    "ScaleResult",
    "att_gt_moments",
    "aggte_moments",
    "did2x2_moments",
    "twfe_moments",
    "event_time_cells",
]
