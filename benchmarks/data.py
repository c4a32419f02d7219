"""Benchmark data: seeded staggered panels written once to Parquet so every tool reads identical rows.

* ``panel_path(rows)``: ``rows / 10`` units x 10 periods from :func:`clusterecon.simulate.staggered_panel`
  (cohorts 3..9, 25% never treated, dynamic effects, two covariates), one Parquet file per size.
* ``big_dir(rows)``: the same design drawn chunk by chunk (``CHUNK_UNITS`` units per file, period effects common to
  all chunks, unit ids disjoint) into a directory of Parquet files, for out-of-core runs larger than memory; a chunk
  never exceeds a few hundred MB in RAM.

Files live under ``$CLUSTERECON_BENCH_DATA`` (default ``/work/bench-data``, outside the repository).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(os.environ.get("CLUSTERECON_BENCH_DATA", "/work/bench-data"))
T = 10
SEED = 20261128
CHUNK_UNITS = 500_000
COLUMNS = ["unit", "time", "cohort", "treated", "y", "x1", "x2"]


def panel_path(rows: int) -> Path:
    """Parquet file with ``rows`` rows (written on first use)."""
    from clusterecon.simulate import staggered_panel

    ROOT.mkdir(parents=True, exist_ok=True)
    path = ROOT / f"panel_{rows}.parquet"
    if not path.exists():
        df = staggered_panel(rows // T, T, n_covariates=2, dynamic=0.2, cohort_heterogeneity=0.3, seed=SEED)
        tmp = path.with_suffix(".tmp")
        df[COLUMNS].to_parquet(tmp, index=False)
        os.replace(tmp, path)
    return path


def _chunk(n_units: int, offset: int, lam: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    cohorts = np.arange(3, T)  # 3..9
    never = rng.random(n_units) < 0.25
    g = np.where(never, 0, rng.choice(cohorts, size=n_units))
    alpha = rng.standard_normal(n_units) + 0.1 * np.where(g == 0, 0, T - g)
    unit = np.repeat(np.arange(offset + 1, offset + n_units + 1, dtype=np.int64), T)
    time = np.tile(np.arange(1, T + 1, dtype=np.int64), n_units)
    gr = np.repeat(g, T)
    treated = (gr > 0) & (time >= gr)
    te = np.where(treated, 1.0 + 0.2 * (time - gr), 0.0)
    x1 = rng.standard_normal(n_units * T)
    x2 = rng.standard_normal(n_units * T)
    y = np.repeat(alpha, T) + lam[time - 1] + 0.5 * x1 - 0.3 * x2 + te + rng.standard_normal(n_units * T)
    return pd.DataFrame({"unit": unit, "time": time, "cohort": gr, "treated": treated.astype(np.int8), "y": y,
                         "x1": x1, "x2": x2})


def big_dir(rows: int) -> Path:
    """Directory of Parquet chunks with ``rows`` rows in all (written on first use, chunk by chunk)."""
    d = ROOT / f"panel_{rows}"
    done = d / "_COMPLETE"
    if done.exists():
        return d
    d.mkdir(parents=True, exist_ok=True)
    n_units = rows // T
    lam = np.cumsum(np.random.default_rng(SEED).standard_normal(T))
    k = 0
    for off in range(0, n_units, CHUNK_UNITS):
        path = d / f"part-{k:04d}.parquet"
        if not path.exists():
            rng = np.random.default_rng([SEED, k])
            df = _chunk(min(CHUNK_UNITS, n_units - off), off, lam, rng)
            tmp = path.with_suffix(".tmp")
            df.to_parquet(tmp, index=False, row_group_size=1_000_000)
            os.replace(tmp, path)
            del df
        k += 1
    done.write_text("ok\n")
    return d
