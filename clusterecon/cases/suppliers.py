"""Case (d): the simulated supplier network -- what each staggered-DiD estimator recovers against the truth.

SYNTHETIC DATA: every number of this case comes from a seeded simulation calibrated to the paper, not from
observations.  Every table and caption says so.

Public API
----------
DESIGN : str
    The simulation design, what is estimated, and what the simulation cannot show (markdown).
calibration() -> dict
    The paper's numbers used by the generator (:func:`clusterecon.simulate.supplier_calibration`), read by fact id.
supplier_panel(seed=0, ...) -> DataFrame
    The generator, re-exported from :func:`clusterecon.simulate.supplier_panel` (public API).
data(seed=0, ...) -> (panel, provenance)
run(seed=0, ...) -> CaseResult
    TWFE, Goodman-Bacon decomposition, Callaway-Sant'Anna, Sun-Abraham and imputation estimates next to the true
    ATT and the true event-time effects.
figures(result) -> dict[str, Figure]

Example
-------
>>> from clusterecon.cases import suppliers
>>> df = suppliers.supplier_panel(seed=1, n_suppliers=300)
>>> sorted(df.columns)[:4]
['cohort', 'entry_year', 'event_time', 'farm_ha']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulate import supplier_calibration as calibration
from ..simulate import supplier_panel
from ._common import CaseResult

__all__ = ["DESIGN", "SYNTHETIC_LABEL", "calibration", "supplier_panel", "data", "run", "figures"]

SYNTHETIC_LABEL = "SYNTHETIC DATA (simulated, calibrated to the paper; not observed)"

DESIGN = f"""\
**{SYNTHETIC_LABEL}.**

**Design.** A supplier-level panel of Chile's processed-tomato network, 1985-1995, calibrated to the paper: 2
processors with 210 suppliers in 1985 and 9 processors with about 5,000 suppliers by 1995 (section 4 and its
footnote 2), farms of 10 to 12 hectares of which 3 to 4 grow industrial tomato. Processors enter one by one; each
adopts cooperative monitoring (advance price contracts, technical assistance, weekly field visits) one to three
years after entry, so adoption is staggered by processor; the last entrants have not adopted by 1995 and serve as
never-treated (within the window) comparisons. A supplier is treated from the later of its processor's adoption and
its own contract year. The outcome is the tomato yield (tonnes per hectare); the effect of monitoring grows with
time since adoption (learning-by-monitoring) and is larger for early adopters (heterogeneous, dynamic effects).
Parallel trends and no anticipation hold by construction; the true effect of every treated supplier-year is kept.

**What is estimated.** The ATT over treated supplier-years and the event-time effects, by two-way fixed effects
(TWFE, and its Goodman-Bacon decomposition), Callaway and Sant'Anna (never-treated and not-yet-treated controls),
Sun and Abraham, and Borusyak-Jaravel-Spiess imputation. With dynamic, cohort-specific effects TWFE uses
already-treated suppliers as controls ("later vs earlier" comparisons) and is biased; the other three target the
true ATT.

**Identifying assumption (holds by construction).** Parallel trends in untreated yields across adoption cohorts, no
anticipation, absorbing adoption.

**What it cannot show.** The calibration fixes counts and farm sizes only: the paper gives no yields, no effect
sizes and no adoption dates by processor, so those are assumptions of the simulation (stated in the provenance);
the results show how estimators behave in a network shaped like the paper's, not what monitoring did in Chile.
Treatment varies at processor-by-entry level, so standard errors clustered by supplier understate uncertainty;
compare point estimates with the truth, not intervals.
"""


def data(seed: int = 0, **kwargs) -> tuple[pd.DataFrame, dict]:
    """The SYNTHETIC analysis panel and its provenance (seed, calibration with fact ids, assumptions)."""
    panel = supplier_panel(seed, **kwargs)
    cal = calibration()
    record = {"status": "synthetic", "label": SYNTHETIC_LABEL, "seed": seed, "calibration": cal,
              "assumptions": {k: v for k, v in kwargs.items()} or "generator defaults",
              "rows": int(len(panel))}
    return panel, record


def _truth(panel: pd.DataFrame) -> tuple[float, pd.Series]:
    tr = panel.loc[panel["treated"] == 1]
    return float(tr["te"].mean()), tr.groupby("event_time")["te"].mean()


def run(seed: int = 0, *, n_suppliers: int | None = None, **kwargs) -> CaseResult:
    """Estimate the ATT and event-time effects with every estimator and compare with the truth (SYNTHETIC).

    Tables: ``network`` (processors: entry and adoption; suppliers per year), ``att`` (estimator, estimate, SE,
    truth, bias), ``event_time`` (estimator x event time, with the truth), ``bacon`` (the decomposition by type).
    """
    from ..did.aggte import aggte
    from ..did.att_gt import att_gt
    from ..did.bacon import bacon_decomposition
    from ..did.event_study import event_study
    from ..did.imputation import did_imputation
    from ..did.sun_abraham import sun_abraham
    from ..did.twfe import twfe

    panel, record = data(seed, n_suppliers=n_suppliers, **kwargs) if n_suppliers else data(seed, **kwargs)
    res = CaseResult(case="suppliers", design=DESIGN, available=True, synthetic=True, panel=panel,
                     provenance=record)
    att_true, es_true = _truth(panel)
    y, kw = "yield_t_ha", dict(unit="supplier", time="year")
    tw = twfe(panel, y, treatment="treated", **kw)
    es = event_study(panel, y, cohort="cohort", seed=seed, **kw)
    sa = sun_abraham(panel, y, cohort="cohort", seed=seed, **kw)
    bjs = did_imputation(panel, y, cohort="cohort", **kw)
    bjs_h = did_imputation(panel, y, cohort="cohort", horizon=True, **kw)
    cs = {}
    for ctrl in ("nevertreated", "notyettreated"):
        gt = att_gt(panel, yname=y, tname="year", idname="supplier", gname="cohort", control_group=ctrl,
                    est_method="reg", seed=seed)
        cs[ctrl] = (aggte(gt, type="simple", seed=seed), aggte(gt, type="dynamic", seed=seed))
    bacon = bacon_decomposition(panel, y, treatment="treated", **kw)
    res.results.update({"twfe": tw, "twfe_event_study": es, "sun_abraham": sa, "imputation": bjs,
                        "imputation_event_time": bjs_h, "cs_never": cs["nevertreated"][1],
                        "cs_notyet": cs["notyettreated"][1], "bacon": bacon})

    def row(name, est, se):
        return {"estimator": name, "estimate": float(est), "std_error": float(se), "truth": att_true,
                "bias": float(est) - att_true, "relative_bias_pct": 100 * (float(est) - att_true) / att_true}

    rows = [row("TWFE (static)", tw.estimate["treated"], tw.std_error["treated"])]
    for ctrl, label in (("nevertreated", "never treated"), ("notyettreated", "not yet treated")):
        simple = cs[ctrl][0]
        rows.append(row(f"Callaway-Sant'Anna ({label})", simple.overall_att, simple.overall_se))
    rows.append(row("Sun-Abraham", sa.estimate["ATT"], sa.std_error["ATT"]))
    rows.append(row("Imputation (BJS)", bjs.estimate["ATT"], bjs.std_error["ATT"]))
    res.tables["att"] = pd.DataFrame(rows)
    res.captions["att"] = ("SYNTHETIC: overall ATT on tomato yield (t/ha) by estimator against the true ATT of the "
                           "simulation")

    def es_rows(name, frame, col="event_time"):
        f = frame.loc[frame[col].notna()] if col in frame else frame
        return pd.DataFrame({"estimator": name, "event_time": f[col].astype(float).to_numpy(),
                             "estimate": f["estimate"].to_numpy(float), "std_error": f["std_error"].to_numpy(float)})

    parts = [es_rows("TWFE event study", es.to_frame()), es_rows("Sun-Abraham", sa.to_frame())]
    bh = bjs_h.to_frame()
    if "event_time" not in bh:
        bh["event_time"] = bh["term"].str.extract(r"(-?\d+)$")[0].astype(float)
    parts.append(es_rows("Imputation (BJS)", bh))
    for ctrl, label in (("nevertreated", "CS never treated"), ("notyettreated", "CS not yet treated")):
        dyn = cs[ctrl][1]
        parts.append(pd.DataFrame({"estimator": label, "event_time": np.asarray(dyn.egt, float),
                                   "estimate": np.asarray(dyn.att_egt, float), "std_error": np.asarray(dyn.se_egt,
                                                                                                      float)}))
    ev = pd.concat(parts, ignore_index=True)
    ev["truth"] = ev["event_time"].map(es_true).where(ev["event_time"] >= 0, 0.0)
    ev["bias"] = ev["estimate"] - ev["truth"]
    res.tables["event_time"] = ev.sort_values(["estimator", "event_time"], ignore_index=True)
    res.captions["event_time"] = ("SYNTHETIC: event-time effects by estimator against the truth (true pre-adoption "
                                  "effects are zero)")
    b = bacon.info.get("by_type")
    res.tables["bacon"] = (b.reset_index() if isinstance(b, pd.DataFrame) else pd.DataFrame(b)) if b is not None \
        else bacon.to_frame()
    res.captions["bacon"] = "SYNTHETIC: Goodman-Bacon decomposition of the TWFE coefficient by comparison type"
    proc = panel.drop_duplicates("processor").sort_values("processor")
    net = panel.loc[panel["in_network"]].groupby("year").agg(suppliers=("supplier", "size"),
                                                             processors=("processor", "nunique"),
                                                             treated_suppliers=("treated", "sum")).reset_index()
    res.tables["network"] = net
    res.captions["network"] = "SYNTHETIC: the simulated network by year (suppliers in the network, processors, treated)"
    res.tables["processors"] = proc[["processor", "processor_entry", "processor_adoption"]].reset_index(drop=True)
    res.captions["processors"] = "SYNTHETIC: processor entry and adoption of cooperative monitoring (0 = not by 1995)"
    res.notes += [SYNTHETIC_LABEL,
                  f"True ATT {att_true:.3f} t/ha over {int(panel['treated'].sum())} treated supplier-years.",
                  "Standard errors are clustered by supplier; treatment varies by processor and entry year, so they "
                  "understate uncertainty."]
    return res


def figures(result: CaseResult) -> dict:
    """Event-time estimates by estimator against the truth, and the ATT bias chart (both labelled SYNTHETIC)."""
    import matplotlib.pyplot as plt

    ev = result.tables["event_time"]
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (name, part) in enumerate(ev.groupby("estimator", sort=True)):
        ax.plot(part["event_time"] + (i - 2) * 0.08, part["estimate"], marker="o", ms=3, lw=1, label=name)
    truth = ev.drop_duplicates("event_time").sort_values("event_time")
    ax.plot(truth["event_time"], truth["truth"], color="black", lw=2, ls="--", label="truth")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("years since adoption of cooperative monitoring")
    ax.set_ylabel("effect on yield, t/ha")
    ax.set_title("SYNTHETIC DATA: event-time effects by estimator vs the truth")
    ax.legend(frameon=False, fontsize=7)
    out = {"event_time": fig}
    att = result.tables["att"]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.barh(att["estimator"], att["estimate"], color="tab:blue")
    ax.axvline(att["truth"].iloc[0], color="black", ls="--", label="true ATT")
    ax.set_xlabel("ATT on yield, t/ha")
    ax.set_title("SYNTHETIC DATA: overall ATT by estimator")
    ax.legend(frameon=False)
    out["att"] = fig
    bacon = result.results.get("bacon")
    if bacon is not None:
        tab = bacon.to_frame()
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        for kind, part in tab.groupby("type", sort=True):
            ax.scatter(part["weight"], part["estimate"], label=kind, s=18)
        ax.axhline(bacon.info["twfe"], color="black", ls="--", lw=1, label="TWFE coefficient")
        ax.axhline(att["truth"].iloc[0], color="tab:red", ls=":", lw=1, label="true ATT")
        ax.set_xlabel("weight in the TWFE coefficient")
        ax.set_ylabel("2x2 DiD estimate, t/ha")
        ax.set_title("SYNTHETIC DATA: Goodman-Bacon decomposition")
        ax.legend(frameon=False, fontsize=7)
        out["bacon"] = fig
    return out
