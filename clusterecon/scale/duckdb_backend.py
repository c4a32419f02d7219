"""Out-of-core reduction to :class:`~clusterecon.scale.sufficient.PanelMoments` with DuckDB.

The panel may be a DuckDB table, a Parquet file, a directory of Parquet files or a glob; it is never loaded into
Python.  Two or three GROUP BY queries do the work, and DuckDB streams the files and spills its hash tables to disk
when they outgrow ``memory_limit``:

1. ``GROUP BY period``: the periods, their row counts and means (the shift ``c_t``), and a count of missing outcomes;
2. ``GROUP BY unit`` (a pivot: one row per unit with its shifted outcome in every period), then ``GROUP BY group``:
   unit counts, sums and sums of products of the pivoted columns, with the checks (each unit has exactly ``T`` rows
   and one value per period, its group is constant);
3. with ``regressors``: ``GROUP BY group, period`` minimum and maximum of each regressor (they must be equal).

``batches > 1`` runs step 2 on ``hash(unit) % batches`` slices one after another (each a full scan of the source),
bounding the size of the unit hash table when DuckDB's own spilling is not enough.

Examples
--------
>>> import duckdb
>>> from clusterecon.simulate import staggered_panel
>>> con = duckdb.connect()
>>> df = staggered_panel(200, 5, cohorts=[3, 4], seed=0)
>>> con.register("panel", df)  # doctest: +ELLIPSIS
<...>
>>> m = moments_duckdb("panel", "y", "time", "unit", "cohort", con=con)
>>> int(m.n.sum()), m.periods.tolist()
(200, [1, 2, 3, 4, 5])
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError, SpecificationError
from .sufficient import PanelMoments

__all__ = ["moments_duckdb", "source_sql"]


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(v) -> str:
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def source_sql(source) -> str:
    """SQL for a source: a Parquet file, a directory of Parquet files, a glob, or a table/view name."""
    s = str(source)
    p = Path(s)
    if p.is_dir():
        return f"read_parquet('{(p / '**' / '*.parquet').as_posix()}')"
    if s.endswith(".parquet") or any(ch in s for ch in "*?["):
        return f"read_parquet('{s}')"
    return _q(s)


def moments_duckdb(source, yname: str, tname: str, idname: str, gname: str, regressors=(), *, con=None,
                   memory_limit: str | None = None, threads: int | None = None, temp_directory: str | None = None,
                   batches: int = 1) -> PanelMoments:
    """Reduce a balanced long panel held by DuckDB (table, Parquet file(s)) to grouped moments.

    Parameters
    ----------
    source : table or view name in ``con``, a Parquet file, a directory of Parquet files (recursively) or a glob.
    yname, tname, idname, gname : outcome, integer period, unit id, time-invariant group key (cohort; 0 = never).
    regressors : columns constant within (group, period) cells (for TWFE by compression).
    con : a DuckDB connection (default: a new in-memory one, closed at the end).
    memory_limit, threads, temp_directory : DuckDB settings (e.g. ``"2GB"``); spilled data go to temp_directory.
    batches : number of ``hash(unit)`` slices of the unit pivot (see the module docstring).
    """
    import duckdb

    own = con is None
    if own:
        con = duckdb.connect()
    try:
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if temp_directory:
            os.makedirs(temp_directory, exist_ok=True)
            con.execute(f"SET temp_directory = '{temp_directory}'")
        con.execute("SET preserve_insertion_order = false")
        src = source_sql(source)
        try:
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        except duckdb.Error as exc:
            raise SpecificationError(f"cannot read source {source!r}: {exc}") from exc
        missing = [c for c in [yname, tname, idname, gname, *regressors] if c not in cols]
        if missing:
            raise SpecificationError(f"columns not in {source!r}: {missing} (has {cols})")
        y, t, i, g = _q(yname), _q(tname), _q(idname), _q(gname)
        # 1. periods and shift
        rows = con.execute(
            f"SELECT {t}, count(*), avg({y}), count(*) FILTER (WHERE {y} IS NULL OR isnan({y}) OR isinf({y})) "
            f"FROM {src} GROUP BY {t} ORDER BY {t}").fetchall()
        if not rows:
            raise DataError(f"source {source!r} has no rows")
        periods = np.array([r[0] for r in rows])
        if periods.dtype.kind not in "iu":
            if periods.dtype.kind == "f" and np.all(periods == np.round(periods)):
                periods = periods.astype(np.int64)
            else:
                raise SpecificationError(f"column {tname!r} must hold integer periods, got {periods[:10].tolist()}")
        bad_y = sum(int(r[3]) for r in rows)
        if bad_y:
            raise DataError(f"{bad_y} rows with missing or non-finite {yname!r}: the panel must be balanced")
        shift = np.array([float(r[2]) for r in rows])
        T = len(periods)
        # 2. unit pivot then group sums
        piv = ", ".join(f"sum({y}) FILTER (WHERE {t} = {_lit(p)}) - {_lit(c)} AS y{j}"
                        for j, (p, c) in enumerate(zip(periods, shift)))
        sums = ", ".join(f"sum(y{j})" for j in range(T))
        prods = ", ".join(f"sum(y{a} * y{b})" for a in range(T) for b in range(a, T))
        nulls = " OR ".join(f"y{j} IS NULL" for j in range(T))
        parts = []
        for b in range(max(int(batches), 1)):
            where = f"WHERE hash({i}) % {int(batches)} = {b}" if batches > 1 else ""
            sql = (f"WITH u AS (SELECT min({g}) AS g, max({g}) AS g_hi, count(*) AS nobs, {piv} FROM {src} {where} "
                   f"GROUP BY {i}) SELECT g, count(*), count(*) FILTER (WHERE g <> g_hi), "
                   f"count(*) FILTER (WHERE nobs <> {T} OR {nulls}), {sums}, {prods} FROM u GROUP BY g ORDER BY g")
            parts.append(con.execute(sql).fetchall())
        res = [r for part in parts for r in part]
        if not res:
            raise DataError(f"source {source!r} has no units")
        if sum(int(r[2]) for r in res):
            ex = con.execute(f"SELECT {i} FROM {src} GROUP BY {i} HAVING min({g}) <> max({g}) LIMIT 10").fetchall()
            raise DataError(f"{gname!r} varies within units {[e[0] for e in ex]}; it must be time-invariant")
        if sum(int(r[3]) for r in res):
            ex = con.execute(f"SELECT {i} FROM {src} GROUP BY {i} HAVING count(*) <> {T} OR count(DISTINCT {t}) "
                             f"<> {T} LIMIT 10").fetchall()
            raise DataError(f"unbalanced panel or duplicated ({idname}, {tname}) rows for units {[e[0] for e in ex]}: "
                            "every unit must appear once in every period")
        gkeys = np.array([r[0] for r in res])
        groups = np.unique(gkeys)
        K = len(groups)
        n = np.zeros(K, dtype=np.int64)
        s = np.zeros((K, T))
        S = np.zeros((K, T, T))
        iu = np.triu_indices(T)
        for r in res:
            k = int(np.searchsorted(groups, r[0]))
            n[k] += int(r[1])
            s[k] += np.array(r[4:4 + T], dtype=float)
            tri = np.array(r[4 + T:], dtype=float)
            M = np.zeros((T, T))
            M[iu] = tri
            S[k] += M + np.triu(M, 1).T
        # 3. cell regressors
        cells = {}
        if regressors:
            agg = ", ".join(f"min({_q(x)}), max({_q(x)})" for x in regressors)
            rows = con.execute(f"SELECT {g}, {t}, {agg} FROM {src} GROUP BY {g}, {t}").fetchall()
            for j, x in enumerate(regressors):
                a = np.full((K, T), np.nan)
                for r in rows:
                    lo, hi = r[2 + 2 * j], r[3 + 2 * j]
                    if lo != hi:
                        raise DataError(f"regressor {x!r} is not constant within the cell ({gname}={r[0]}, "
                                        f"{tname}={r[1]}): compression is not exact")
                    a[np.searchsorted(groups, r[0]), np.searchsorted(periods, r[1])] = float(lo)
                cells[x] = a
        return PanelMoments(periods, groups, n, s, S, shift, cells, source=f"duckdb:{source}")
    finally:
        if own:
            con.close()
