"""Benchmark cases: for each case, one function per tool that runs the estimator on the loaded panel.

Each function returns ``(prepare, run, extract)``-style work folded into two steps: ``prep(df)`` converts the data to
the form the tool wants (outside the timed region: index setting, recoding never-treated as NaN) and ``run(data)``
is the timed call; ``extract(result)`` turns the result into a frame with columns ``key, estimate, std_error`` (the
key is ``"g,t"`` for ATT(g,t) or the coefficient name) so estimates can be compared across tools before timing.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
BIT = 999  # bootstrap draws
SEED = 1


def _std(keys, est, se) -> pd.DataFrame:
    return pd.DataFrame({"key": [str(k) for k in keys], "estimate": np.asarray(est, float),
                         "std_error": np.asarray(se, float)})


def _gt(g, t):
    return [f"{int(a)},{int(b)}" for a, b in zip(g, t)]


# ------------------------------------------------------------------------------------------------ CS att_gt
def cs_clusterecon(bstrap=False, xformla=None):
    def run(df):
        from clusterecon.did.att_gt import att_gt

        return att_gt(df, "y", "time", "unit", "cohort", xformla=xformla, est_method="dr", bstrap=bstrap,
                      biters=BIT, cband=False, seed=SEED)

    def extract(r):
        return _std(_gt(r.group, r.time), r.att, r.se)

    return None, run, extract


def cs_scale_memory():
    """clusterecon.scale: reduce to grouped moments in memory, then the closed forms (analytic SEs only)."""
    def run(df):
        from clusterecon.scale import att_gt_moments, moments_from_frame

        return att_gt_moments(moments_from_frame(df, "y", "time", "unit", "cohort"))

    def extract(r):
        t = r.table
        return _std(_gt(t["group"], t["time"]), t["estimate"], t["std_error"])

    return None, run, extract


def cs_diff_diff(bstrap=False, covariates=None):
    def run(df):
        from diff_diff import CallawaySantAnna

        est = CallawaySantAnna(estimation_method="dr", n_bootstrap=BIT if bstrap else 0, seed=SEED,
                               cband=False)
        return est.fit(df, outcome="y", unit="unit", time="time", first_treat="cohort", covariates=covariates)

    def extract(r):
        items = sorted(r.group_time_effects.items())
        return _std([f"{int(g)},{int(t)}" for (g, t), _ in items], [v["effect"] for _, v in items],
                    [v["se"] for _, v in items])

    return None, run, extract


def cs_moderndid(bstrap=False, xformla=None):
    def run(df):
        import moderndid

        return moderndid.att_gt(df, yname="y", tname="time", idname="unit", gname="cohort", xformla=xformla,
                                est_method="dr", boot=bstrap, biters=BIT, cband=False, random_state=SEED)

    def extract(r):
        return _std(_gt(r.groups, r.times), r.att_gt, r.se_gt)

    return None, run, extract


def cs_csdid(bstrap=False, xformla=None):
    def run(df):
        from csdid.att_gt import ATTgt

        return ATTgt(yname="y", tname="time", idname="unit", gname="cohort", data=df, xformla=xformla,
                     control_group=["nevertreated"], biters=BIT).fit(est_method="dr", bstrap=bstrap)

    def extract(r):
        res = r.results
        return _std(_gt(res["group"], res["year"]), res["att"], res["se"])

    return None, run, extract


def cs_differences(bstrap=False, formula="y"):
    def prep(df):
        d = df.assign(cohort=df["cohort"].where(df["cohort"] > 0)).set_index(["unit", "time"])
        return d

    def run(d):
        import differences

        a = differences.ATTgt(data=d, cohort_column="cohort")
        a.fit(formula, est_method="dr", boot_iterations=BIT if bstrap else 0, random_state=SEED,
              progress_bar=False)
        return a

    def extract(a):
        r = a.results()
        r.columns = [c[-1] for c in r.columns]
        idx = r.index.to_frame(index=False)
        return _std(_gt(idx["cohort"], idx["time"]), r["ATT"], r["std_error"])

    return prep, run, extract


# ------------------------------------------------------------------------------------------------ TWFE
REG3 = ["treated", "x1", "x2"]


def twfe_clusterecon():
    def run(df):
        from clusterecon.did.twfe import twfe

        return twfe(df, "y", unit="unit", time="time", treatment="treated", covariates=["x1", "x2"])

    def extract(r):
        t = r.table
        return _std(t["term"], t["estimate"], t["std_error"])

    return None, run, extract


def twfe_panel_fit():
    def run(df):
        from clusterecon.panel import fit

        return fit("y ~ treated + x1 + x2", df, entity="unit", time="time", model="within", effects="twoways",
                   vcov="CR1")

    def extract(r):
        t = r.to_frame()
        return _std(t["term"], t["estimate"], t["std_error"])

    return None, run, extract


def twfe_pyfixest():
    def run(df):
        import pyfixest as pf

        return pf.feols("y ~ treated + x1 + x2 | unit + time", data=df, vcov={"CRV1": "unit"})

    def extract(r):
        t = r.tidy()
        return _std(t.index, t["Estimate"], t["Std. Error"])

    return None, run, extract


def twfe_linearmodels():
    def prep(df):
        return df.set_index(["unit", "time"])

    def run(d):
        from linearmodels import PanelOLS

        mod = PanelOLS(d["y"], d[REG3], entity_effects=True, time_effects=True)
        return mod.fit(cov_type="clustered", cluster_entity=True)

    def extract(r):
        return _std(r.params.index, r.params, r.std_errors)

    return prep, run, extract


def twfe_scale_discrete():
    """TWFE of y on the treatment dummy alone, by compression to cohort x period cells (exact; see scale)."""
    def run(df):
        from clusterecon.scale import moments_from_frame, twfe_moments

        return twfe_moments(moments_from_frame(df, "y", "time", "unit", "cohort", regressors=["treated"]))

    def extract(r):
        t = r.table
        return _std(t["term"], t["estimate"], t["std_error"])

    return None, run, extract


def twfe1_clusterecon():
    def run(df):
        from clusterecon.did.twfe import twfe

        return twfe(df, "y", unit="unit", time="time", treatment="treated")

    def extract(r):
        t = r.table
        return _std(t["term"], t["estimate"], t["std_error"])

    return None, run, extract


def twfe1_pyfixest():
    def run(df):
        import pyfixest as pf

        return pf.feols("y ~ treated | unit + time", data=df, vcov={"CRV1": "unit"})

    def extract(r):
        t = r.tidy()
        return _std(t.index, t["Estimate"], t["Std. Error"])

    return None, run, extract


# ------------------------------------------------------------------------------------------------ event study etc.
def es_clusterecon():
    def run(df):
        from clusterecon.did.event_study import event_study

        return event_study(df, "y", unit="unit", time="time", cohort="cohort", uniform=False)

    def extract(r):
        t = r.table
        return _std(t["term"], t["estimate"], t["std_error"])

    return None, run, extract


def imputation_clusterecon():
    def run(df):
        from clusterecon.did.imputation import did_imputation

        return did_imputation(df, "y", unit="unit", time="time", cohort="cohort")

    def extract(r):
        t = r.table
        return _std(t["term"], t["estimate"], t["std_error"])

    return None, run, extract


def es_scale_memory():
    def run(df):
        from clusterecon.scale import event_time_cells, moments_from_frame, twfe_moments

        m = moments_from_frame(df, "y", "time", "unit", "cohort")
        m.cells.update(event_time_cells(m))
        return twfe_moments(m)

    def extract(r):
        t = r.table
        return _std(t["term"], t["estimate"], t["std_error"])

    return None, run, extract


# ------------------------------------------------------------------------------------------------ out of core
def cs_scale_duckdb(path_kind="file"):
    """att_gt from a Parquet source through DuckDB (the frame is not loaded: the child passes the path)."""
    def run(src):
        from clusterecon.scale import att_gt_moments
        from clusterecon.scale.duckdb_backend import moments_duckdb

        m = moments_duckdb(str(src), "y", "time", "unit", "cohort", threads=2,
                           memory_limit=os.environ.get("CLUSTERECON_BENCH_DUCKDB_MEMORY", "2GB"),
                           temp_directory="/work/bench-data/duckdb-tmp")
        return att_gt_moments(m)

    def extract(r):
        t = r.table
        return _std(_gt(t["group"], t["time"]), t["estimate"], t["std_error"])

    return None, run, extract


# case -> (columns to load, {tool: factory}, reference tool)
CS_COLS = ["unit", "time", "cohort", "y"]
CASES = {
    "attgt_analytic": (CS_COLS, {
        "clusterecon": cs_clusterecon, "clusterecon.scale": cs_scale_memory, "diff-diff": cs_diff_diff,
        "moderndid": cs_moderndid, "csdid": cs_csdid, "differences": cs_differences}, "clusterecon"),
    "attgt_boot999": (CS_COLS, {
        "clusterecon": lambda: cs_clusterecon(bstrap=True), "diff-diff": lambda: cs_diff_diff(bstrap=True),
        "moderndid": lambda: cs_moderndid(bstrap=True), "csdid": lambda: cs_csdid(bstrap=True),
        "differences": lambda: cs_differences(bstrap=True)}, "clusterecon"),
    "attgt_dr_cov": (CS_COLS + ["x1", "x2"], {
        "clusterecon": lambda: cs_clusterecon(xformla="~ x1 + x2"),
        "diff-diff": lambda: cs_diff_diff(covariates=["x1", "x2"]),
        "moderndid": lambda: cs_moderndid(xformla="~ x1 + x2"), "csdid": lambda: cs_csdid(xformla="y ~ x1 + x2"),
        "differences": lambda: cs_differences(formula="y ~ x1 + x2")}, "clusterecon"),
    "twfe_3reg": (COLS3 := ["unit", "time", "cohort", "treated", "y", "x1", "x2"], {
        "clusterecon": twfe_clusterecon, "clusterecon.panel.fit": twfe_panel_fit, "pyfixest": twfe_pyfixest,
        "linearmodels": twfe_linearmodels}, "clusterecon"),
    "twfe_treated_only": (["unit", "time", "cohort", "treated", "y"], {
        "clusterecon": twfe1_clusterecon, "clusterecon.scale": twfe_scale_discrete, "pyfixest": twfe1_pyfixest},
        "clusterecon"),
    "event_study": (["unit", "time", "cohort", "y"], {
        "clusterecon": es_clusterecon, "clusterecon.scale": es_scale_memory}, "clusterecon"),
    "imputation": (["unit", "time", "cohort", "y"], {"clusterecon": imputation_clusterecon}, "clusterecon"),
}

# out-of-core cases: the child passes the Parquet path, not a frame
OOC = {
    "ooc_attgt_duckdb": (None, {"clusterecon.scale[duckdb]": cs_scale_duckdb}, None),
}
