"""Case (b): Japan's tomato-paste imports by origin -- Chile against China, Taiwan and the US.

Public API
----------
DESIGN : str
    Design, identifying assumption, threats (markdown).
ORIGINS : tuple
    The origins compared (Chile; China, Taiwan and the US as comparisons).
data(...) -> (panel, provenance)
    Japan's import shares by origin and year from the paper's facts (printed and corrected values), plus shares from
    bilateral FAOSTAT data where a Detailed Trade Matrix is available (it is not in this project's extract).
run(seed=0, ...) -> CaseResult
    The shares table, the DiD in shares (Chile minus China, 1980 to 1990 and to 1992, corrected and as printed),
    and FAOSTAT context (Japan's total imports and the tonnages the shares imply).
figures(result) -> dict[str, Figure]

Example
-------
>>> from clusterecon.cases import japan_shares
>>> r = japan_shares.run(use_faostat=False)
>>> float(r.tables["did"].query("end_year == 1990 and values == 'corrected'")["did_pp"].iloc[0])
9.45
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import UNAVAILABLE, CaseResult, clean_provenance, load_faostat

__all__ = ["DESIGN", "ORIGINS", "NO_INFERENCE", "data", "share_did", "run", "figures"]

ORIGINS = ("Chile", "China", "Taiwan", "United States")
ITEM = 391
NO_INFERENCE = ("none: two units (Chile, China) observed in two years give one number, with no sampling "
                "distribution; no standard error, test or confidence interval is possible")

DESIGN = """\
**Design.** A two-group, two-period difference in differences in shares: the change in Chile's share of Japan's
tomato-paste imports minus the change in China's share, from 1980 (before the export committees of the post-1982
period and the cooperative monitoring of 1985-1995) to 1990 and to 1992. The shares are the paper's (CORFO 1995,
section 4 footnote 1); the printed 1980 share of Chile, "65%", contradicts the sentence it is in ("exported little to
Japan") and is corrected to 0.65% (the facts table flags it as a misprint); both versions are reported. China is the
only comparison origin with printed shares; the paper gives Taiwan only as Japan's major supplier "until 1990" and
gives no figure for the United States. Bilateral data (FAOSTAT Detailed Trade Matrix or UN Comtrade) would give
every origin's share every year; they are not part of this project's data (FAOSTAT country totals only), so the
comparison rests on the paper's figures, and the FAOSTAT country totals give only Japan's total imports as context.

**Identifying assumption.** Absent Chile's governance changes, Chile's share would have changed as China's did
(parallel trends in shares). Shares add up to one across origins, so Chile's gain is partly other origins' loss: the
DiD measures a reallocation, not an effect on Japan's total imports.

**Inference.** None is possible: two units over two periods give a single number with no sampling distribution.
The table reports the arithmetic, not an estimate with a standard error.

**Threats.** (1) China is a poor counterfactual: its own tomato industry was changing (reforms from 1978). (2) One
comparison origin, three dates, no pre-trend can be checked. (3) A misprint in the base year changes the sign of the
result (printed: -54.9 points; corrected: +9.45 points for 1980-1990). (4) Whether shares are by quantity or value
is not stated in the paper.
"""


def _fact_shares() -> pd.DataFrame:
    from ..data import paper

    f = paper.facts()
    share = f.loc[f["variable"] == "japan_tomato_paste_import_share"]
    rows = []
    for _, r in share.iterrows():
        corrected = float(r["corrected_value"]) if bool(r["misprint"]) else float(r["value"])
        rows.append({"origin": r["entity"], "year": int(r["year_start"]), "share_printed": float(r["value"]),
                     "share_corrected": corrected, "misprint": bool(r["misprint"]), "fact_id": r["id"],
                     "source": "paper (CORFO 1995)"})
    rank = f.loc[f["variable"] == "japan_tomato_paste_import_rank"]
    for _, r in rank.iterrows():
        rows.append({"origin": r["entity"], "year": np.nan, "share_printed": np.nan, "share_corrected": np.nan,
                     "misprint": False, "fact_id": r["id"],
                     "source": f"paper: rank {int(r['value'])} ({r['period']}), no share printed"})
    for origin in ORIGINS:
        if origin not in {row["origin"] for row in rows}:
            rows.append({"origin": origin, "year": np.nan, "share_printed": np.nan, "share_corrected": np.nan,
                         "misprint": False, "fact_id": "", "source": "not in the paper; bilateral data unavailable"})
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    order = {o: i for i, o in enumerate(ORIGINS)}
    out["_o"] = out["origin"].map(order)
    return out.sort_values(["_o", "year"]).drop(columns="_o").reset_index(drop=True)


def _bilateral(allow_download: bool) -> tuple[pd.DataFrame | None, dict]:
    """Japan's shares by origin from the Detailed Trade Matrix, when a copy is available (not in this project)."""
    from ..data.panels import import_shares

    matrix, record = load_faostat((ITEM,), dataset="matrix", allow_download=allow_download)
    if matrix is None:
        return None, {**record, "message": "bilateral data (FAOSTAT Detailed Trade Matrix) unavailable"}
    shares = import_shares(matrix, "Japan", ITEM)
    return shares, {**clean_provenance(record)}


def data(*, use_faostat: bool = True, allow_download: bool = False) -> tuple[pd.DataFrame, dict]:
    """Japan's tomato-paste import shares by origin (percent), from the paper and, where present, bilateral data.

    Returns
    -------
    (DataFrame, dict)
        Columns ``origin, year, share_printed, share_corrected, misprint, fact_id, source`` (paper rows) and, when
        the Detailed Trade Matrix is available, rows with ``source == "FAOSTAT matrix"``.  The record says which
        sources were used and why bilateral data are missing.
    """
    panel = _fact_shares()
    record = {"paper": "facts table (data/paper/facts.csv)", "bilateral": {"status": "not attempted"}}
    if use_faostat:
        shares, brec = _bilateral(allow_download)
        record["bilateral"] = brec
        if shares is not None:
            names = {"Chile": "Chile", "China, mainland": "China", "China, Taiwan Province of": "Taiwan",
                     "United States of America": "United States"}
            b = shares.loc[shares["partner"].isin(names)].assign(origin=lambda d: d["partner"].map(names))
            extra = pd.DataFrame({"origin": b["origin"], "year": b["year"].astype("Int64"),
                                  "share_printed": np.nan, "share_corrected": 100 * b["share"],
                                  "misprint": False, "fact_id": "", "source": "FAOSTAT matrix"})
            panel = pd.concat([panel, extra], ignore_index=True)
    return panel, record


def share_did(shares: pd.DataFrame, start: int, end: int, *, column: str = "share_corrected",
              treated: str = "Chile", control: str = "China") -> dict:
    """``(treated[end] - treated[start]) - (control[end] - control[start])`` in percentage points, with the parts.

    >>> s = pd.DataFrame({"origin": ["Chile", "Chile", "China", "China"], "year": [1980, 1990] * 2,
    ...                   "share_corrected": [1.0, 11.0, 5.0, 7.0]})
    >>> share_did(s, 1980, 1990)["did_pp"]
    8.0
    """
    s = shares.dropna(subset=["year"]).set_index(["origin", "year"])[column]
    dt = float(s.loc[(treated, end)] - s.loc[(treated, start)])
    dc = float(s.loc[(control, end)] - s.loc[(control, start)])
    return {"treated": treated, "control": control, "start_year": start, "end_year": end,
            "treated_change_pp": dt, "control_change_pp": dc, "did_pp": round(dt - dc, 10)}


def run(seed: int = 0, *, use_faostat: bool = True, allow_download: bool = False) -> CaseResult:
    """Run the case.  ``seed`` is accepted for a uniform interface; nothing here is random.

    Tables: ``shares`` (by origin and year), ``did`` (Chile minus China, both base-year versions), ``context``
    (Japan's total imports from FAOSTAT and the tonnages the paper's shares imply, when FAOSTAT is available).
    """
    del seed
    shares, record = data(use_faostat=use_faostat, allow_download=allow_download)
    res = CaseResult(case="japan_shares", design=DESIGN, available=True, provenance=record, panel=shares)
    res.tables["shares"] = shares
    res.captions["shares"] = ("Shares of Japan's tomato-paste imports by origin (percent): the paper's figures "
                              "(printed and corrected); Taiwan and the US have no printed share")
    rows = []
    for end in (1990, 1992):
        for col, label in (("share_corrected", "corrected"), ("share_printed", "as printed")):
            d = share_did(shares.loc[shares["source"].str.startswith("paper")], 1980, end, column=col)
            rows.append({**d, "values": label, "inference": NO_INFERENCE})
    res.tables["did"] = pd.DataFrame(rows)
    res.captions["did"] = ("Difference in differences in Japan's import shares, Chile minus China "
                           "(percentage points); two units: no sampling inference is possible")
    bil = record["bilateral"]
    res.notes.append("Bilateral trade data: " + (bil.get("message") or bil.get("status", "")) +
                     "; the comparison with Taiwan and the US therefore rests on the paper's text alone.")
    res.notes.append(NO_INFERENCE)
    if use_faostat:
        frame, rec = load_faostat((ITEM,), allow_download=allow_download)
        record["faostat"] = clean_provenance(rec)
        if frame is None:
            res.tables["context"] = pd.DataFrame({"status": [UNAVAILABLE], "reason": [rec.get("reason", "")]})
        else:
            res.tables["context"] = _context(frame, shares)
        res.captions["context"] = ("Japan's tomato-paste imports (FAOSTAT) and the tonnages implied by the paper's "
                                   "shares, against Chile's and China's total exports (FAOSTAT)")
    return res


def _context(frame: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    from ..data.panels import country_panel

    years = sorted(int(y) for y in shares["year"].dropna().unique())
    imp = country_panel(frame, ITEM, 5610, years=years)
    japan = imp.loc[imp["area"] == "Japan"].set_index("year")["value"]
    exp = country_panel(frame, ITEM, 5910, years=years)
    rows = []
    areas = {"Chile": "Chile", "China": "China, mainland"}
    for _, r in shares.loc[shares["source"].str.startswith("paper") & shares["year"].notna()].iterrows():
        y = int(r["year"])
        total = exp.loc[(exp["area"] == areas.get(r["origin"], r["origin"])) & (exp["year"] == y), "value"]
        implied = r["share_corrected"] / 100 * float(japan.loc[y])
        tot = float(total.iloc[0]) if len(total) else np.nan
        rows.append({"origin": r["origin"], "year": y, "japan_imports_t": float(japan.loc[y]),
                     "share_pct": r["share_corrected"], "implied_exports_to_japan_t": implied,
                     "origin_total_exports_t": tot,
                     "implied_share_of_origin_exports_pct": 100 * implied / tot if tot > 0 else np.nan})
    return pd.DataFrame(rows)


def figures(result: CaseResult) -> dict:
    """Chile's and China's shares over time (corrected, with the printed misprint as a hollow red marker)."""
    import matplotlib.pyplot as plt

    s = result.tables["shares"].dropna(subset=["year"])
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for origin, part in s.loc[s["source"].str.startswith("paper")].groupby("origin", sort=True):
        ax.plot(part["year"].astype(int), part["share_corrected"], marker="o", label=origin)
        bad = part.loc[part["misprint"] & (part["share_printed"] != part["share_corrected"])]
        if len(bad):
            ax.scatter(bad["year"].astype(int), bad["share_printed"], facecolors="none", edgecolors="red",
                       label=f"{origin}, as printed (misprint)")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("year")
    ax.set_ylabel("share of Japan's imports, percent")
    ax.set_title("Japan's tomato-paste imports by origin (paper's figures)")
    ax.legend(frameon=False, fontsize=7)
    return {"shares": fig}
