"""Case (c): Nicaragua's cheese exports around 1998 against its Central American neighbours.

Public API
----------
DESIGN : str
    Design, identifying assumption, threats (markdown).
NEIGHBOURS : tuple
    The candidate comparison countries (Costa Rica, El Salvador, Guatemala, Honduras, Panama, Belize).
data(...) -> (panel, provenance)
    Cheese (FAOSTAT item 901) export value by country and year for Nicaragua and the neighbours that pass the donor
    rule, or ``(None, record)`` when the FAOSTAT extract is unavailable.
run(seed=0, ...) -> CaseResult
    Synthetic control with placebo-in-space inference, synthetic DiD, a TWFE event study with exact permutation
    inference, and the paper's 1999 figure against FAOSTAT.
figures(result) -> dict[str, Figure]

Example
-------
>>> from clusterecon.cases import nicaragua_dairy
>>> "El Salvador" in nicaragua_dairy.DESIGN
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.panels import country_panel
from ._common import UNAVAILABLE, CaseResult, clean_provenance, load_faostat, unavailable_table

__all__ = ["DESIGN", "NEIGHBOURS", "ITEM", "ELEMENT", "WINDOW", "data", "treatment_year", "run", "figures"]

ITEM = 901  # cheese, whole cow milk
ELEMENT = 5922  # export value (1000 US$; FAOSTAT frames hold US$)
WINDOW = (1988, 2007)  # ten years either side of 1998
TREATED = "Nicaragua"
NEIGHBOURS = ("Costa Rica", "El Salvador", "Guatemala", "Honduras", "Panama", "Belize")
EXCLUDED = {"El Salvador": "its 1998 pasteurisation law is the treatment: it is the market the shock hit, not a "
                           "comparison"}

DESIGN = """\
**Design.** One treated country, a handful of comparisons. The outcome is Nicaragua's export value of cheese
(FAOSTAT item 901, element 5922, USD million), 1988-2007, ten years either side of 1998, the year of El Salvador's
pasteurisation law (which closed El Salvador to Nicaragua's unpasteurised artisan cheese) and of the multinational's
purchase of La Perfecta (which began the cooperative monitoring of milk quality): both dated in the
`nicaragua_dairy` timeline (`nic_el_salvador_pasteurisation_law`, `nic_mnc_acquisition`). Methods: synthetic
control (V fixed to equal weights on the pre-treatment outcomes), synthetic DiD, and a TWFE event study whose overall
DiD is tested by exact permutation of the treated label.

**Donor rule.** Nicaragua's Central American neighbours with a reported value in every year of the window: of
Costa Rica, El Salvador, Guatemala, Honduras, Panama and Belize, Costa Rica (no rows before 2001) and El Salvador
(no rows before 1995) fail it; El Salvador is excluded anyway because its law is the treatment. That leaves at most
four donors, so the smallest attainable permutation p-value is 1/5 = 0.2.

**Identifying assumption.** Absent the 1998 events, Nicaragua's cheese exports would have moved like the weighted
neighbours' (up to a constant for SDID and the event study), and the neighbours' exports were not affected.

**Threats.** (1) The two 1998 events push in opposite directions (a closed market vs. upgrading), so the estimate
is their net effect and cannot separate them. (2) Spill-overs: the law applied to every exporter to El Salvador, so
Guatemala and Honduras were treated too, to a degree the data cannot tell. (3) Nicaragua's exports rose tenfold in
1993-1997, far above every neighbour: it lies outside the donors' convex hull, so the synthetic control cannot fit
the pre-period (read its pre-RMSPE). (4) FAOSTAT's item 901 misses most artisan cheese: the paper's USD 25 million
of artisan-cheese exports to El Salvador in 1999 exceeds FAOSTAT's total cheese exports of Nicaragua that year
(table data_checks). (5) Hurricane Mitch (October 1998) hit Nicaragua and Honduras in the treatment year.
(6) Four donors: placebo and permutation p-values cannot go below 0.2.
"""


def treatment_year() -> int:
    """1998, read from the ``nicaragua_dairy`` timeline (El Salvador's law; the acquisition is the same year)."""
    from ..data.regimes import load_timeline

    tl = load_timeline("nicaragua_dairy")
    law = tl.event("nic_el_salvador_pasteurisation_law").date.pick("year")
    mnc = tl.event("nic_mnc_acquisition").date.pick("year")
    return int(min(law, mnc))


def data(*, window: tuple[int, int] = WINDOW, frame: pd.DataFrame | None = None,
         allow_download: bool = False) -> tuple[pd.DataFrame | None, dict]:
    """The analysis panel: cheese export value (USD million) of Nicaragua and the eligible neighbours.

    Returns
    -------
    (DataFrame or None, dict)
        Columns ``area_code, area, year, exports_usd, exports_musd, treated_unit, donor``; the record lists every
        neighbour with the reason it was kept or dropped.
    """
    record: dict = {"status": "given"}
    if frame is None:
        frame, record = load_faostat((ITEM,), allow_download=allow_download)
        if frame is None:
            return None, record
    years = range(window[0], window[1] + 1)
    p = country_panel(frame, ITEM, ELEMENT, years=years)
    wide = p.pivot(index="area", columns="year", values="value")
    pool, why = [], {}
    for c in NEIGHBOURS:
        if c in EXCLUDED:
            why[c] = "excluded: " + EXCLUDED[c]
        elif c not in wide.index:
            why[c] = "dropped: not in FAOSTAT"
        elif wide.loc[c].isna().any():
            miss = [int(y) for y in wide.columns[wide.loc[c].isna()]]
            why[c] = f"dropped: no value in {len(miss)} year(s) of the window ({miss[0]}-{miss[-1]})"
        else:
            why[c] = "donor"
            pool.append(c)
    if wide.loc[TREATED].isna().any():
        raise ValueError(f"{TREATED} has missing cheese export values in {window}")
    out = p.loc[p["area"].isin([TREATED, *pool]), ["area_code", "area", "year", "value"]]
    out = out.rename(columns={"value": "exports_usd"}).reset_index(drop=True)
    out["exports_musd"] = out["exports_usd"] / 1e6
    out["treated_unit"] = out["area"] == TREATED
    out["donor"] = ~out["treated_unit"]
    record = {**clean_provenance(record), "item": ITEM, "element": ELEMENT, "window": list(window),
              "neighbours": why, "n_donors": len(pool)}
    return out, record


def run(seed: int = 0, *, window: tuple[int, int] = WINDOW, frame: pd.DataFrame | None = None,
        allow_download: bool = False) -> CaseResult:
    """Run the case.  Tables: ``synthetic_control``, ``weights``, ``paths``, ``sdid``, ``event_study``,
    ``permutation``, ``donors``, ``data_checks`` (or ``status`` when the data are unavailable)."""
    from ..did.event_study import event_study
    from ..did.permutation import placebo_permutation
    from ..synth import placebo_in_space, synthetic_control, synthetic_did

    load_record: dict = {"status": "given"}
    if frame is None:
        frame, load_record = load_faostat((ITEM,), allow_download=allow_download)
    panel, record = (None, load_record) if frame is None else data(window=window, frame=frame)
    record = {**record, **clean_provenance(load_record)}
    res = CaseResult(case="nicaragua_dairy", design=DESIGN, available=panel is not None, provenance=record)
    if panel is None:
        res.tables["status"] = unavailable_table("nicaragua_dairy", record)
        res.captions["status"] = f"Nicaragua's cheese exports: {UNAVAILABLE}"
        res.notes.append(f"{UNAVAILABLE}: {record.get('reason', '')}")
        return res
    res.panel = panel
    t0 = treatment_year()
    res.tables["donors"] = pd.DataFrame({"country": list(record["neighbours"]),
                                         "status": list(record["neighbours"].values())})
    res.captions["donors"] = "Central American neighbours: kept as donors or dropped, and why"

    sc = synthetic_control(panel, "exports_musd", "area", "year", treated=TREATED, treatment_time=t0,
                           custom_v=np.ones(t0 - window[0]), seed=seed)
    pl = placebo_in_space(sc, seed=seed)
    res.results["synthetic_control"] = sc
    res.results["placebo"] = pl
    res.tables["synthetic_control"] = pd.DataFrame([{
        "treatment_year": t0, "att_musd": sc.average_effect, "pre_rmspe": sc.pre_rmspe, "post_rmspe": sc.post_rmspe,
        "rmspe_ratio": sc.rmspe_ratio, "placebo_rank": pl.rank, "n_units": int(pl.table["kept"].sum()),
        "p_value": pl.p_value, "treated_pre_mean": float(sc.treated_path.loc[sc.pre_periods].mean()),
        "synthetic_pre_mean": float(sc.synthetic_path.loc[sc.pre_periods].mean())}])
    res.captions["synthetic_control"] = ("Synthetic Nicaragua: average post-1998 gap in cheese exports (USD million), "
                                         "fit and placebo-in-space p-value")
    w = sc.weights.sort_values(ascending=False)
    res.tables["weights"] = pd.DataFrame({"donor": w.index, "weight": w.to_numpy()})
    res.captions["weights"] = "Donor weights of synthetic Nicaragua"
    res.tables["paths"] = pd.DataFrame({"year": sc.treated_path.index, "nicaragua_musd": sc.treated_path.to_numpy(),
                                        "synthetic_musd": sc.synthetic_path.to_numpy(), "gap_musd": sc.gaps.to_numpy()})
    res.captions["paths"] = "Nicaragua and synthetic Nicaragua, cheese exports (USD million)"

    sd = synthetic_did(panel, "exports_musd", "area", "year", treated=TREATED, treatment_time=t0, seed=seed)
    res.results["sdid"] = sd
    res.tables["sdid"] = sd.to_frame()
    res.captions["sdid"] = ("Synthetic DiD, Nicaragua 1998; placebo standard error over the four donors only "
                            "(unreliable with so few controls)")

    es_panel = panel.assign(cohort=np.where(panel["treated_unit"], t0, 0))
    es = event_study(es_panel, "exports_musd", unit="area", time="year", cohort="cohort", seed=seed)
    perm = placebo_permutation(es_panel, "exports_musd", unit="area", time="year", cohort="cohort", seed=seed)
    res.results["event_study"] = es
    res.results["permutation"] = perm
    tab = es.to_frame()
    res.tables["event_study"] = tab[[c for c in ("term", "event_time", "estimate", "std_error", "p_value", "ci_low",
                                                   "ci_high", "ci_low_uniform", "ci_high_uniform") if c in tab]]
    res.captions["event_study"] = ("TWFE event study, Nicaragua (1998) against the neighbours; intervals are NOT valid "
                                   "with one treated unit and four controls (descriptive)")
    res.tables["permutation"] = perm.to_frame()
    res.captions["permutation"] = "Overall DiD of Nicaragua against the neighbours, exact permutation p-value"
    res.tables["data_checks"] = _data_checks(frame)
    res.captions["data_checks"] = "The paper's 1999 figures against FAOSTAT"
    res.notes += [
        f"Donors: {', '.join(panel.loc[panel['donor'], 'area'].unique())}; the smallest attainable p-value is "
        f"1/{panel['area'].nunique()}.",
        "The synthetic control cannot fit Nicaragua's 1994-1997 rise (outside the donors' convex hull): read the "
        "pre-RMSPE before the gap.",
        "FAOSTAT's cheese item misses most artisan cheese (see data_checks).",
    ]
    return res


def _data_checks(frame: pd.DataFrame) -> pd.DataFrame:
    from ..data import paper

    f = paper.facts().set_index("id")
    v = country_panel(frame, ITEM, ELEMENT, years=[1999])
    nic = float(v.loc[v["area"] == TREATED, "value"].iloc[0]) / 1e6
    slv = country_panel(frame, ITEM, 5622, years=[1999])
    slv_imp = slv.loc[slv["area"] == "El Salvador", "value"]
    return pd.DataFrame([
        {"check": "Nicaragua's artisan-cheese exports to El Salvador, 1999 (paper) vs Nicaragua's total cheese "
                  "exports, 1999 (FAOSTAT item 901)",
         "paper": float(f.loc["nic_cheese_exports_slv_1999", "value"]), "faostat": nic, "unit": "USD million"},
        {"check": "... vs El Salvador's total cheese imports, 1999 (FAOSTAT item 901)",
         "paper": float(f.loc["nic_cheese_exports_slv_1999", "value"]),
         "faostat": float(slv_imp.iloc[0]) / 1e6 if len(slv_imp) and pd.notna(slv_imp.iloc[0]) else np.nan,
         "unit": "USD million"},
    ])


def figures(result: CaseResult) -> dict:
    """Trajectories with placebo gaps, and the event study."""
    import matplotlib.pyplot as plt

    out = {}
    if not result.available:
        return out
    sc = result.results["synthetic_control"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    sc.plot(ax=axes[0])
    axes[0].set_ylabel("cheese exports, USD million")
    axes[0].set_title(f"Nicaragua vs synthetic (pre-RMSPE {sc.pre_rmspe:.2f})")
    sc.plot(ax=axes[1], kind="gaps")
    axes[1].set_title(f"Gaps; placebo p = {sc.placebo.p_value:.2f} (min 1/{len(sc.placebo.table)})")
    fig.tight_layout()
    out["synthetic_control"] = fig
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    result.results["event_study"].plot(ax=ax)
    ax.set_title("Event study, Nicaragua vs neighbours (bands descriptive)")
    out["event_study"] = fig
    return out
