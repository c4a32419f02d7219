"""Out-of-core (DuckDB on a table and on a directory of Parquet files) and distributed (Dask LocalCluster) reductions
give the same moments and estimates as the in-memory path: relative 1e-10 on ATT(g,t), SEs, aggregations and TWFE
coefficients (the sums are added in different orders, so bitwise equality is not expected)."""

from __future__ import annotations

import numpy as np
import pytest

from clusterecon.errors import DataError, SpecificationError
from clusterecon.scale import aggte_moments, att_gt_moments, moments, moments_from_frame, twfe_moments
from clusterecon.simulate import staggered_panel

REL = 1e-10


@pytest.fixture(scope="module")
def panel():
    return staggered_panel(800, 6, seed=5, dynamic=0.2)


@pytest.fixture(scope="module")
def ref(panel):
    return moments_from_frame(panel, "y", "time", "unit", "cohort", regressors=["treated"])


@pytest.fixture(scope="module")
def pqdir(panel, tmp_path_factory):
    d = tmp_path_factory.mktemp("pq")
    # rows of a unit split across files on purpose: the SQL pivot does not need them together
    for j, idx in enumerate(np.array_split(np.random.default_rng(0).permutation(len(panel)), 3)):
        panel.iloc[np.sort(idx)].to_parquet(d / f"part-{j}.parquet")
    return d


def same(m, ref):
    np.testing.assert_array_equal(m.groups, ref.groups)
    np.testing.assert_array_equal(m.periods, ref.periods)
    np.testing.assert_array_equal(m.n, ref.n)
    np.testing.assert_allclose(m.S, ref.S, rtol=REL)
    for cg in ("nevertreated", "notyettreated"):
        a, b = att_gt_moments(m, control_group=cg), att_gt_moments(ref, control_group=cg)
        np.testing.assert_allclose(a.table["estimate"], b.table["estimate"], rtol=REL, atol=1e-13)
        np.testing.assert_allclose(a.table["std_error"], b.table["std_error"], rtol=REL)
        np.testing.assert_allclose(aggte_moments(a, "dynamic").table["std_error"],
                                   aggte_moments(b, "dynamic").table["std_error"], rtol=REL)
    np.testing.assert_allclose(twfe_moments(m).table[["estimate", "std_error"]],
                               twfe_moments(ref).table[["estimate", "std_error"]], rtol=REL)


@pytest.mark.parametrize("batches", [1, 3])
def test_duckdb_parquet_directory_equals_in_memory_rel_1e10(pqdir, ref, batches):
    m = moments(str(pqdir), "y", "time", "unit", "cohort", regressors=["treated"], batches=batches,
                memory_limit="500MB", threads=1)
    assert m.source.startswith("duckdb")
    same(m, ref)


def test_duckdb_table_equals_in_memory_rel_1e10(panel, ref):
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE p AS SELECT * FROM panel")
    same(moments("p", "y", "time", "unit", "cohort", regressors=["treated"], con=con), ref)
    con.execute("CREATE TABLE q AS SELECT * FROM p WHERE NOT (unit = 7 AND time = 3)")
    with pytest.raises(DataError, match="unbalanced.*\\[7\\]"):
        moments("q", "y", "time", "unit", "cohort", con=con)
    with pytest.raises(DataError, match="not constant within"):
        moments("p", "y", "time", "unit", "cohort", regressors=["y0"], con=con)
    with pytest.raises(SpecificationError, match="columns not in"):
        moments("p", "nope", "time", "unit", "cohort", con=con)
    con.execute("CREATE TABLE r AS SELECT * REPLACE (CASE WHEN unit = 9 AND time = 2 THEN 99 ELSE cohort END AS "
                "cohort) FROM p")
    with pytest.raises(DataError, match="varies within units \\[9\\]"):
        moments("r", "y", "time", "unit", "cohort", con=con)
    con.close()


def test_dask_local_cluster_equals_in_memory_rel_1e10(panel, ref):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as lc, \
            distributed.Client(lc):
        ddf = dd.from_pandas(panel.sample(frac=1.0, random_state=1).reset_index(drop=True), npartitions=4)  # scattered
        same(moments(ddf, "y", "time", "unit", "cohort", regressors=["treated"]), ref)
        # partitions that hold whole units: no shuffle needed
        # a sorted index keeps equal values in one partition, so each partition holds whole units
        ddf2 = dd.from_pandas(panel.set_index(panel["unit"].rename("uidx")), npartitions=4)
        assert ddf2.npartitions > 1
        same(moments(ddf2, "y", "time", "unit", "cohort", regressors=["treated"], units_partitioned=True), ref)
        # claiming whole units when they are split is detected
        with pytest.raises(DataError):
            moments(ddf, "y", "time", "unit", "cohort", units_partitioned=True)
