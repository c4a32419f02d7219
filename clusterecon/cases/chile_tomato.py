"""Case (a): Chile's tomato-paste exports against a synthetic Chile built from the other exporters.

Public API
----------
DESIGN : str
    The design, identifying assumption and threats (markdown).
data(...) -> (panel, provenance)
    The analysis panel (FAOSTAT item 391, export quantity, country x year) with the donor-pool flag, or
    ``(None, record)`` when the FAOSTAT extract is unavailable.
treatment_years() -> DataFrame
    The candidate treatment years, each read from the paper's facts or the ``chile_tomato`` timeline.
run(seed=0, ...) -> CaseResult
    Synthetic control for each candidate year with placebo-in-space inference, synthetic DiD, a TWFE event study
    against the donor pool with permutation inference, and the data checks against the paper.
figures(result) -> dict[str, Figure]
    The figures of a result (used by the notebook and the replication step alike).

Example
-------
>>> from clusterecon.cases import chile_tomato
>>> "Identifying assumption" in chile_tomato.DESIGN
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.panels import country_panel
from ._common import UNAVAILABLE, CaseResult, clean_provenance, load_faostat, unavailable_table

__all__ = ["DESIGN", "ITEM", "ELEMENT", "WINDOW", "MAIN_EVENT", "data", "treatment_years", "run", "figures"]

ITEM = 391  # FAO item: tomatoes, paste
ELEMENT = 5910  # export quantity (tonnes)
VALUE_ELEMENT = 5922  # export value (FAOSTAT's 1000 US$, held in US$ by the loader)
WINDOW = (1961, 1995)  # FAOSTAT's first year to the paper's last year (1995)
MAIN_EVENT = "chile_cooperative_monitoring"
TREATED = "Chile"

DESIGN = """\
**Design.** Comparative case study of one treated unit. The outcome is Chile's export quantity of tomato paste
(FAOSTAT item 391, element 5910, thousand tonnes), 1961-1995 (FAOSTAT's first year to the last year the paper
discusses). Synthetic Chile is a convex combination of other exporters (Abadie, Diamond and Hainmueller 2010),
with the predictor weights V fixed to equal weights on every pre-treatment outcome, so that W minimises the
pre-treatment mean squared prediction error (with all lagged outcomes as predictors, covariates carry no weight
anyway: Kaul et al. 2022; fixing V also makes the placebo runs fast and deterministic).

**Donor pool rule.** Every FAOSTAT country (FAO aggregates such as World, regions and 351 "China" excluded) with a
positive export quantity in at least one year of 1961-1981 (the years before the earliest candidate treatment
year) and a reported value in every year of the window; Chile itself excluded. Countries that did not exist over
the whole window (USSR, Belgium-Luxembourg after 1999 in longer windows) fall out by the completeness rule.

**Treatment year.** The main specification dates treatment at 1985, the start of cooperative monitoring between
processors and suppliers in the `chile_tomato` timeline ("over the last decade", i.e. to 1995), the governance
change the paper argues made the cluster competitive. Sensitivity: 1982 (export promotion after the 1981-82
collapse, fact `chl_export_promotion_start`), 1983 (PROCHILE export committees, timeline event
`chile_export_committees`), 1986 (entry of new processors, `chile_processor_entry`).

**Inference.** Placebo in space (every donor in turn as the treated unit; p-value = rank of Chile's post/pre RMSPE
ratio among all units), synthetic DiD (Arkhangelsky et al. 2021) with its placebo standard error, and a TWFE event
study against the donor pool whose overall DiD is tested by exact permutation of the treated label across units.

**Identifying assumption.** Absent the governance change, Chile's exports would have followed the weighted path of
the donors (a factor structure the pre-period fit captures), the donors being unaffected by Chile's change.

**Threats.** (1) FAOSTAT records Chile's tomato-paste exports as zero in every year 1961-1981, while the paper
(FEPACH, CORFO) reports USD 2 million of processed-tomato exports in 1981 and a 0.65% share of Japan's tomato-paste
imports in 1980: the pre-1982 zeros are unrecorded small flows, not true zeros, so any fit to them is a fit to a
measurement artefact. (2) With zero pre-treatment exports Chile lies on the edge of the donors' convex hull; the
synthetic unit is then a mix of marginal exporters, pre-RMSPE is mechanically tiny and the placebo rank is driven
by it. (3) Spill-overs: Chile's entry displaces other exporters (the donors' exports fall when Chile's rise), which
biases the gap upwards. (4) Treatment is a slow, decade-long process with no sharp date; the paper also credits
1970s policies (CORFO), so pre-periods may already be treated. (5) One treated unit: no sampling-based inference;
p-values are permutation ranks whose resolution is 1/(number of units). (6) Other shocks to Chile in the 1980s
(the 1982-83 crisis and devaluation, general export subsidies) coincide with the treatment.
"""


def treatment_years() -> pd.DataFrame:
    """Candidate treatment years with their source: a fact id of the paper or an event of the timeline."""
    from ..data import paper
    from ..data.regimes import load_timeline

    facts = paper.facts().set_index("id")
    tl = load_timeline("chile_tomato")
    rows = [
        {"label": "export promotion after the 1981-82 collapse", "source": "fact chl_export_promotion_start",
         "year": int(facts.loc["chl_export_promotion_start", "value"])},
        {"label": "PROCHILE export committees", "source": "timeline event chile_export_committees",
         "year": tl.event("chile_export_committees").date.pick("year")},
        {"label": "cooperative monitoring (main)", "source": f"timeline event {MAIN_EVENT}",
         "year": tl.event(MAIN_EVENT).date.pick("year")},
        {"label": "entry of new processors", "source": "timeline event chile_processor_entry",
         "year": tl.event("chile_processor_entry").date.pick("year")},
    ]
    out = pd.DataFrame(rows)
    out["main"] = out["source"].str.endswith(MAIN_EVENT)
    return out


def data(*, window: tuple[int, int] = WINDOW, pool_end: int | None = None, frame: pd.DataFrame | None = None,
         allow_download: bool = False) -> tuple[pd.DataFrame | None, dict]:
    """The analysis panel: tomato-paste export quantity by country and year, with the donor-pool flag.

    Parameters
    ----------
    window : first and last year of the panel.
    pool_end : last year of the period in which a donor must have exported (default: the year before the
        earliest candidate treatment year).
    frame : FAOSTAT country totals already loaded (else loaded through the cache or the mirror).
    allow_download : let the loader fetch FAO's bulk file when neither cache nor mirror has it.

    Returns
    -------
    (DataFrame or None, dict)
        Columns ``area_code, area, year, exports_t, exports_kt, exports_musd`` (export value, USD million; missing
        where FAOSTAT has none), ``observed, treated_unit, donor``; only Chile and the donors are kept.  ``None`` and a record with ``status == "unavailable"`` when the data cannot be had.
    """
    record = {"status": "given"}
    if frame is None:
        frame, record = load_faostat((ITEM,), allow_download=allow_download)
        if frame is None:
            return None, record
    if pool_end is None:
        pool_end = int(treatment_years()["year"].min()) - 1
    years = range(window[0], window[1] + 1)
    p = country_panel(frame, ITEM, ELEMENT, years=years)
    wide = p.pivot(index="area", columns="year", values="value")
    exported = (wide.loc[:, window[0]:pool_end] > 0).any(axis=1)
    complete = wide.notna().all(axis=1)
    donors = set(wide.index[exported & complete]) - {TREATED}
    if TREATED not in wide.index or not complete.get(TREATED, False):
        raise ValueError(f"{TREATED} has missing FAOSTAT values for item {ITEM} in {window}")
    out = p.loc[p["area"].isin(donors | {TREATED}), ["area_code", "area", "year", "value", "observed"]]
    out = out.rename(columns={"value": "exports_t"}).reset_index(drop=True)
    out["exports_kt"] = out["exports_t"] / 1000.0
    val = country_panel(frame, ITEM, VALUE_ELEMENT, years=years)[["area_code", "year", "value"]]
    out = out.merge(val.rename(columns={"value": "exports_usd"}), on=["area_code", "year"], how="left")
    out["exports_musd"] = out["exports_usd"] / 1e6
    out["treated_unit"] = out["area"] == TREATED
    out["donor"] = ~out["treated_unit"]
    record = {**clean_provenance(record), "item": ITEM, "element": ELEMENT, "window": list(window),
              "pool_rule": f"positive exports in some year {window[0]}-{pool_end}, complete {window[0]}-{window[1]}, "
                           "FAO aggregates excluded",
              "n_donors": len(donors)}
    cols = ["area_code", "area", "year", "exports_t", "exports_kt", "exports_musd", "observed", "treated_unit", "donor"]
    return out[cols], record


def _weights_text(w: pd.Series, k: int = 4) -> str:
    top = w[w > 0.001].sort_values(ascending=False).head(k)
    return "; ".join(f"{name} {val:.3f}" for name, val in top.items())


def _gap_p_value(pl) -> float:
    """Rank of the treated unit's mean post-treatment gap among all units' (largest first), over their number.

    A complement to the RMSPE-ratio p-value: placebos whose pre-treatment fit is almost exact (donors with near-zero
    exports) get enormous ratios from tiny post-treatment gaps, which the ratio statistic rewards.
    """
    g = pl.gaps
    post = g.loc[g.index >= pl.treatment_time].mean(axis=0)
    return float((post >= post[pl.treated]).sum() / post.size)


def _data_checks(panel: pd.DataFrame, frame: pd.DataFrame | None) -> pd.DataFrame:
    """FAOSTAT's Chile next to the paper: the pre-1982 zeros against what the paper reports."""
    from ..data import paper

    f = paper.facts().set_index("id")
    chile = panel.loc[panel["area"] == TREATED].set_index("year")["exports_t"]
    rows = [{"check": "years 1961-1981 with zero recorded exports (FAOSTAT)",
             "paper": "", "faostat": int((chile.loc[:1981] == 0).sum()), "unit": "years"}]
    val = None
    if frame is not None:
        v = country_panel(frame, ITEM, VALUE_ELEMENT, areas=[int(panel.loc[panel["area"] == TREATED, "area_code"].iloc[0])])
        val = v.set_index("year")["value"]
    for fid, year in (("chl_tomato_export_value_1981", 1981), ("chl_tomato_export_value_1995", 1995)):
        rows.append({"check": f"processed-tomato export value {year} (paper: all processed tomato; FAOSTAT: paste)",
                     "paper": float(f.loc[fid, "value"]),
                     "faostat": float(val.loc[year]) / 1e6 if val is not None and year in val.index else np.nan,
                     "unit": "USD million"})
    if frame is not None:
        jp = country_panel(frame, ITEM, 5610)
        jp = jp.loc[jp["area"] == "Japan"].set_index("year")["value"]
        share = f.loc["jpn_import_share_chl_1980"]
        s = float(share["corrected_value"]) if bool(share["misprint"]) else float(share["value"])
        rows.append({"check": "Chile's exports to Japan 1980 implied by the paper's share x Japan's imports",
                     "paper": s / 100 * float(jp.loc[1980]), "faostat": float(chile.loc[1980]), "unit": "tonnes"})
    return pd.DataFrame(rows)


def run(seed: int = 0, *, window: tuple[int, int] = WINDOW, placebo: bool = True, sdid: bool = True,
        event_study_window: tuple[int, int] = (10, 10), frame: pd.DataFrame | None = None,
        allow_download: bool = False) -> CaseResult:
    """Run the case: synthetic control per treatment year (+ placebos), synthetic DiD, event study.

    Parameters
    ----------
    seed : seed of every random step (SDID placebo assignments, sup-t bands).
    window : panel years.
    placebo, sdid : run placebo-in-space inference / synthetic DiD (both on by default; off makes it faster).
    event_study_window : leads and lags of the event study.
    frame, allow_download : as in :func:`data`.

    Returns
    -------
    CaseResult with tables ``sensitivity`` (one row per treatment year), ``weights``, ``paths``, ``sdid``,
    ``event_study``, ``permutation``, ``leave_one_out``, ``donors``, ``data_checks``; or, without data, a table ``status`` saying the real data are unavailable.
    """
    from ..did.event_study import event_study
    from ..did.permutation import placebo_permutation
    from ..synth import leave_one_out, placebo_in_space, synthetic_control, synthetic_did

    load_record = {"status": "given"}
    if frame is None:
        frame, load_record = load_faostat((ITEM,), allow_download=allow_download)
    panel, record = (None, load_record) if frame is None else data(window=window, frame=frame)
    record = {**record, **clean_provenance(load_record)}
    res = CaseResult(case="chile_tomato", design=DESIGN, available=panel is not None, provenance=record)
    if panel is None:
        res.tables["status"] = unavailable_table("chile_tomato", record)
        res.captions["status"] = f"Chile's tomato-paste exports: {UNAVAILABLE}"
        res.notes.append(f"{UNAVAILABLE}: {record.get('reason', '')}")
        return res
    res.panel = panel
    years = treatment_years()
    main_year = int(years.loc[years["main"], "year"].iloc[0])
    rows, fits = [], {}
    quantity = ("exports_kt", "export quantity", "thousand tonnes")
    value = ("exports_musd", "export value", "USD million")
    specs = [(int(ty["year"]), ty, quantity) for _, ty in years.iterrows()]
    specs.append((main_year, years.loc[years["main"]].iloc[0], value))
    complete_value = panel.groupby("area")["exports_musd"].apply(lambda s: bool(s.notna().all()))
    for t0, ty, (col, outcome, unit) in specs:
        n_pre = t0 - window[0]
        donors = None if col == "exports_kt" else [a for a in complete_value.index[complete_value] if a != TREATED]
        fit = synthetic_control(panel, col, "area", "year", treated=TREATED, treatment_time=t0, donors=donors,
                                custom_v=np.ones(n_pre), seed=seed)
        pl = placebo_in_space(fit, seed=seed) if placebo else None
        if col == "exports_kt":
            fits[t0] = fit
        rows.append({"treatment_year": t0, "label": ty["label"], "source": ty["source"],
                     "main": bool(ty["main"]) and col == "exports_kt", "outcome": outcome, "unit": unit,
                     "att": fit.average_effect, "pre_rmspe": fit.pre_rmspe, "post_rmspe": fit.post_rmspe,
                     "rmspe_ratio": fit.rmspe_ratio,
                     "placebo_rank": pl.rank if pl else np.nan,
                     "n_units": int(pl.table["kept"].sum()) if pl else np.nan,
                     "p_value": pl.p_value if pl else np.nan,
                     "p_value_gap": _gap_p_value(pl) if pl else np.nan,
                     "donor_weights": _weights_text(fit.weights)})
    main = fits[main_year]
    res.results["synthetic_control"] = main
    if main.placebo is not None:
        res.results["placebo"] = main.placebo
    res.tables["sensitivity"] = pd.DataFrame(rows)
    res.captions["sensitivity"] = ("Synthetic Chile by treatment year and outcome: average post-treatment gap in "
                                   "tomato-paste exports, fit and placebo-in-space p-value")
    w = main.weights[main.weights > 0.001].sort_values(ascending=False)
    res.tables["weights"] = pd.DataFrame({"donor": w.index, "weight": w.to_numpy()})
    res.captions["weights"] = f"Donor weights of synthetic Chile (treatment {main_year}; weights above 0.001)"
    res.tables["paths"] = pd.DataFrame({"year": main.treated_path.index, "chile_kt": main.treated_path.to_numpy(),
                                        "synthetic_kt": main.synthetic_path.to_numpy(),
                                        "gap_kt": main.gaps.to_numpy()})
    res.captions["paths"] = f"Chile and synthetic Chile, tomato-paste exports (thousand tonnes), treatment {main_year}"
    loo = leave_one_out(main, seed=seed)
    res.results["leave_one_out"] = loo
    res.tables["leave_one_out"] = loo.table.rename(columns={"average_effect": "att_kt"})
    res.captions["leave_one_out"] = (f"Synthetic Chile (treatment {main_year}) refit without each donor of positive "
                                     "weight in turn")
    res.tables["donors"] = (panel.loc[panel["donor"]].groupby("area", as_index=False)
                            .agg(area_code=("area_code", "first"),
                                 mean_exports_kt_pre=("exports_kt",
                                                      lambda s: s.iloc[: main_year - window[0]].mean())))
    res.captions["donors"] = (f"The donor pool ({len(res.tables['donors'])} countries) and their mean exports before "
                              f"{main_year} (thousand tonnes)")

    if sdid:
        sd = synthetic_did(panel, "exports_kt", "area", "year", treated=TREATED, treatment_time=main_year,
                           seed=seed)
        dd = synthetic_did(panel, "exports_kt", "area", "year", treated=TREATED, treatment_time=main_year,
                           method="did", se_method=None, seed=seed)
        res.results["sdid"] = sd
        res.tables["sdid"] = pd.concat([sd.to_frame(), dd.to_frame()], ignore_index=True)
        res.captions["sdid"] = (f"Synthetic DiD and plain DiD (same framework), treatment {main_year}; placebo "
                                "standard errors (Arkhangelsky et al. 2021, Algorithm 4)")

    es_panel = panel.assign(cohort=np.where(panel["treated_unit"], main_year, 0))
    leads, lags = event_study_window
    es = event_study(es_panel, "exports_kt", unit="area", time="year", cohort="cohort", leads=leads, lags=lags,
                     seed=seed)
    perm = placebo_permutation(es_panel, "exports_kt", unit="area", time="year", cohort="cohort", seed=seed)
    res.results["event_study"] = es
    res.results["permutation"] = perm
    tab = es.to_frame()
    res.tables["event_study"] = tab[[c for c in ("term", "event_time", "estimate", "std_error", "p_value", "ci_low",
                                                   "ci_high", "ci_low_uniform", "ci_high_uniform") if c in tab]]
    res.captions["event_study"] = (f"TWFE event study, Chile (treated {main_year}) against the donor pool; "
                                   "cluster-robust intervals are NOT valid with one treated unit (descriptive)")
    res.tables["permutation"] = perm.to_frame()
    res.captions["permutation"] = "Overall DiD of Chile against the donor pool with its exact permutation p-value"
    res.tables["data_checks"] = _data_checks(panel, frame)
    res.captions["data_checks"] = "FAOSTAT's Chile against the paper's figures"
    res.notes += [
        "p_value ranks Chile's post/pre RMSPE ratio (Abadie, Diamond and Hainmueller 2010); placebos with near-zero "
        "exports fit their pre-period almost exactly and get huge ratios from tiny gaps, so p_value_gap, which ranks "
        "the mean post-treatment gap, is reported too.",
        f"Main treatment year {main_year}; {panel['area'].nunique() - 1} donors "
        f"({record.get('pool_rule', '')}).",
        "FAOSTAT records zero tomato-paste exports for Chile in 1961-1981, which the paper's own figures contradict "
        "(table data_checks): fits to the pre-1982 years are fits to unrecorded flows.",
        "Event-study standard errors cluster by country with one treated country: they are not valid; the "
        "permutation p-value (resolution 1/number of units) is the inference to read.",
    ]
    return res


def figures(result: CaseResult) -> dict:
    """Figures of a result: trajectories, placebo gaps, event study, sensitivity to the treatment year."""
    import matplotlib.pyplot as plt

    out = {}
    if not result.available:
        return out
    sc = result.results["synthetic_control"]
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    sc.plot(ax=ax)
    ax.set_ylabel("exports, thousand tonnes")
    ax.set_title(f"Chile vs synthetic Chile (treatment {sc.treatment_time})")
    out["trajectories"] = fig
    if sc.placebo is not None:
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        sc.plot(ax=ax, kind="gaps")
        ax.set_title(f"Gap: Chile (black) and placebos (grey); p = {sc.placebo.p_value:.3f}")
        out["placebo_gaps"] = fig
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    result.results["event_study"].plot(ax=ax)
    ax.set_title("Event study against the donor pool (bands descriptive: one treated unit)")
    out["event_study"] = fig
    sens = result.tables["sensitivity"]
    sens = sens.loc[sens["outcome"] == "export quantity"]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.bar(sens["treatment_year"].astype(str), sens["att"], color=np.where(sens["main"], "black", "grey"))
    for x, (att, p) in enumerate(zip(sens["att"], sens["p_value"])):
        ax.text(x, att, f"p={p:.2f}" if np.isfinite(p) else "", ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("treatment year")
    ax.set_ylabel("average gap, thousand tonnes")
    ax.set_title("Sensitivity of the synthetic-control estimate to the treatment year")
    out["sensitivity"] = fig
    return out
