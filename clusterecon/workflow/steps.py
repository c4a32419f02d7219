"""The steps of the main job, in order.  Each writes its outputs below the output directory.

| step | writes |
|---|---|
| ``facts`` | ``tables/paper_facts.{csv,tex,md}`` |
| ``audit`` | ``tables/claims_audit.{csv,tex,md}`` |
| ``series`` | ``data/series_from_paper.csv``, ``tables/descriptives.{csv,tex,md}``, ``figures/paper_*.{png,pdf}`` |
| ``sources`` | ``tables/reconciliation.{csv,tex,md}``; which FAOSTAT file was used (or the fallback) in the manifest |
| ``panel_models`` | ``tables/panel_models.{tex,md,html,docx}``: pooling, within, two-way, random, fd (synthetic data) |
| ``case_*`` | the four case analyses: see :mod:`clusterecon.workflow.case_steps` |
"""

from __future__ import annotations

import re

from .._io import write_text_atomic
from ..report.figures import deterministic_style, plot_series_panels, save_figure
from ..report.tables import render_csv, write_regression_table, write_table
from .case_steps import CASE_STEPS
from .replicate import Context, Step

__all__ = ["STEPS"]

PAPER = "Perez-Aleman (2002), Cambridge Journal of Economics"


def _facts(ctx: Context) -> None:
    from ..data import paper

    facts = paper.facts()
    ctx.add(write_table(facts, ctx.path("tables", "paper_facts"), formats=("csv", "md"),
                        caption="Every number in the paper, with its source and location", label="tab:facts",
                        notes=f"Source: {PAPER}; column 'source' gives the source the paper cites."))
    short = facts[["id", "entity", "variable", "period", "value", "unit", "source", "location"]]
    ctx.add(write_table(short, ctx.path("tables", "paper_facts"), formats=("tex",),
                        caption="The paper's facts", label="tab:facts", notes=f"Source: {PAPER}."))
    ctx.inputs["facts"] = {"table": "data/paper/facts.csv", "rows": int(len(facts))}


def _audit(ctx: Context) -> None:
    from ..data import paper

    table = paper.audit()
    ctx.add(write_table(table, ctx.path("tables", "claims_audit"), formats=("csv", "md"),
                        caption="Claims audit: derived claims recomputed", label="tab:audit",
                        notes="Verdicts under the tolerance rule in column 'rule'."))
    short = table[["claim_id", "stated_value", "recomputed_value", "rel_diff", "verdict", "verdict_if_corrected"]]
    ctx.add(write_table(short, ctx.path("tables", "claims_audit"), formats=("tex",),
                        caption="Claims audit: derived claims recomputed from the facts", label="tab:audit",
                        notes="Full table with sentences, formulas and tolerance rules: claims_audit.csv. "
                              "verdict_if_corrected applies the flagged misprint corrections."))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _series(ctx: Context) -> None:
    from ..data import paper

    deterministic_style()
    long = paper.series()
    ctx.add([write_text_atomic(ctx.path("data", "series_from_paper.csv"), render_csv(long))])
    desc = paper.descriptives()
    caption, notes = ("Descriptive replication from the paper's facts",
                      "Two units (Chile, China) admit no sampling inference: differences are descriptive.")
    ctx.add(write_table(desc, ctx.path("tables", "descriptives"), formats=("csv", "md"), caption=caption,
                        label="tab:descriptives", notes=notes))
    short = desc[["measure", "series", "entity", "start_year", "end_year", "start_value", "end_value", "value", "basis"]]
    ctx.add(write_table(short, ctx.path("tables", "descriptives"), formats=("tex",), caption=caption,
                        label="tab:descriptives", notes=notes + " Fact ids and notes: descriptives.csv."))
    for group, part in long.groupby("group", sort=True):
        fig = plot_series_panels(part, title=str(group).replace("_", " "),
                                 caption=f"Source: {PAPER} (facts table). Points are the paper's figures; gaps are "
                                         "years it does not report; hollow red markers are printed misprints.")
        ctx.add(save_figure(fig, ctx.path("figures", f"paper_{_slug(group)}")))


def _sources(ctx: Context) -> None:
    from ..data.panels import reconcile_with_source
    from ..data.paper import facts

    table, record = reconcile_with_source(facts(), retries=0, timeout=(5, 60))
    # retrieval time, cache hits and local paths would make reruns differ; the file's SHA-256 identifies the data
    record = {k: v for k, v in record.items() if k not in ("retrieved_at", "parquet", "parquet_hit", "path", "source")}
    ctx.inputs["faostat"] = record
    caption = "The paper's figures against FAOSTAT"
    notes = ("Source: FAO, FAOSTAT, Trade: Crops and livestock products (CC BY 4.0); "
             f"data used: {record.get('status', 'unknown')}.")
    ctx.add(write_table(table, ctx.path("tables", "reconciliation"), formats=("csv", "md"), caption=caption,
                        label="tab:reconciliation", notes=notes))
    short = table[["fact_id", "year", "paper_value", "paper_unit", "source_value", "ratio"]]
    ctx.add(write_table(short, ctx.path("tables", "reconciliation"), formats=("tex",), caption=caption,
                        label="tab:reconciliation", notes=notes + " Notes on each match: reconciliation.csv."))


def _panel_models(ctx: Context) -> None:
    """plm's five models side by side on the simulated supplier panel (a maketables table of our results)."""
    import warnings

    from ..panel import fit, hausman
    from ..simulate import supplier_panel

    panel = supplier_panel(seed=0)
    panel = panel[panel["in_network"].astype(bool)]
    specs = {"pooling": {"model": "pooling"}, "within": {"model": "within"},
             "two-way": {"model": "within", "effects": "twoways"}, "random": {"model": "random"},
             "fd": {"model": "fd"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 5,000 suppliers: no few-cluster warning applies; keep the log quiet
        models = {name: fit("yield_t_ha ~ treated", panel, entity="supplier", time="year",
                            vcov={"CR1": "supplier"}, **kw) for name, kw in specs.items()}
        test = hausman(models["within"], models["random"])
    notes = (f"Simulated supplier panel (seed 0), suppliers in the network. Standard errors clustered by supplier. "
             f"Hausman test, within vs random: chi2({test.df}) = {test.statistic:.2f}, p = {test.p_value:.3g}. "
             "Adoption is staggered with dynamic effects, so these one-coefficient models are not the causal "
             "estimates (see the supplier case for what each DiD estimator recovers).")
    ctx.add(write_regression_table(models.values(), ctx.path("tables", "panel_models"), model_heads=list(models),
                                   caption="Panel models of tomato yield on cooperative monitoring",
                                   label="tab:panel_models", notes=notes, synthetic=True))
    ctx.inputs["panel_models"] = {"data": "clusterecon.simulate.supplier_panel(seed=0)", "synthetic": True}


STEPS: list[Step] = [
    Step("facts", "facts table", _facts),
    Step("audit", "claims audit", _audit),
    Step("series", "series and descriptives", _series),
    Step("sources", "FAOSTAT reconciliation", _sources),
    Step("panel_models", "panel models (synthetic)", _panel_models),
    *CASE_STEPS,
]
