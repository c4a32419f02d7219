"""Series derived from FAOSTAT trade data: country x year panels, import shares, reconciliation with the paper.

All functions take the tidy frames of :func:`clusterecon.data.sources.faostat.load_trade` (values in tonnes or US
dollars), never modify them, and keep zero and missing apart: a recorded 0 stays 0, a country-year without a row is
missing (NaN, ``observed=False``).  FAO aggregates (World, regions, 351 "China") are excluded unless asked for, so
nothing is counted twice (see :mod:`clusterecon.data.sources.areas`).

Functions
---------
country_panel(frame, item, element)
    Balanced country x year panel of one item and element.
import_shares(matrix, reporter, item)
    An importer's shares by origin from the Detailed Trade Matrix.
reconciliation(facts, faostat_frame, matrix=None)
    The paper's trade facts next to the FAOSTAT figures, through the explicit mapping :data:`FACT_MAP`.
reconcile_with_source(facts, ...)
    Load FAOSTAT (cache, mirror or download) and reconcile; without data, fall back to the paper's values alone
    and say so in the returned provenance record (what ``clusterecon replicate`` calls).

Example
-------
>>> import pandas as pd
>>> f = pd.DataFrame({"area_code": [40, 40, 157], "area": ["Chile", "Chile", "Nicaragua"],
...                   "item_code": 391, "element_code": 5910, "year": [1987, 1988, 1988],
...                   "value": [8982.0, 12163.0, 0.0], "flag": None})
>>> p = country_panel(f, 391, 5910)
>>> p[["area_code", "year", "value", "observed"]].to_dict("records")[2]
{'area_code': 157, 'year': 1987, 'value': nan, 'observed': False}
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, DataWarning, SpecificationError
from .sources.areas import is_aggregate

__all__ = [
    "FACT_MAP",
    "RECONCILIATION_COLUMNS",
    "FactSource",
    "country_panel",
    "import_shares",
    "reconciliation",
    "reconcile_with_source",
]

RECONCILIATION_COLUMNS = [
    "fact_id", "entity", "variable", "year", "paper_value", "paper_unit", "source_value", "ratio", "note",
]


def _need(frame: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise SpecificationError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SpecificationError(f"{what} lacks columns {missing} (have {list(frame.columns)})")


def country_panel(
    frame: pd.DataFrame,
    item: int,
    element: int,
    *,
    areas: Iterable[int] | None = None,
    years: Iterable[int] | None = None,
    include_aggregates: bool = False,
    wide: bool = False,
) -> pd.DataFrame:
    """Balanced country x year panel of one FAO item and element; zero and missing kept distinct.

    Parameters
    ----------
    frame : DataFrame
        Country totals from :func:`~clusterecon.data.sources.faostat.load_trade` (columns ``area_code, area,
        item_code, element_code, year, value`` and optionally ``flag``).
    item, element : int
        FAO item code (e.g. 391 tomato paste) and element code (e.g. 5910 export quantity).
    areas : iterable of int, optional
        Panel units.  Default: every area in ``frame`` (any item or element), so a country that reports other
        flows but not this one appears with missing values.
    years : iterable of int, optional
        Panel years.  Default: the full range of years of this item and element.
    include_aggregates : bool
        Keep FAO aggregates (World, regions, 351 China).  Default False.
    wide : bool
        Return an ``area_code`` x ``year`` matrix of values instead of the long frame.

    Returns
    -------
    DataFrame
        Long: ``area_code, area, year, value, flag, observed`` sorted by area and year (``observed`` False where
        FAOSTAT has no row; such values are NaN, never 0).  Wide: values only.

    Raises
    ------
    SpecificationError
        Missing columns.
    DataError
        Two rows for one area and year of this item and element.
    """
    _need(frame, ["area_code", "item_code", "element_code", "year", "value"], "frame")
    sel = frame.loc[(frame["item_code"] == int(item)) & (frame["element_code"] == int(element))]
    cols = ["area_code", "year", "value"] + [c for c in ("area", "flag") if c in frame.columns]
    sel = sel[cols]
    if not include_aggregates:
        sel = sel.loc[~is_aggregate(sel["area_code"])]
    dup = sel.duplicated(["area_code", "year"])
    if dup.any():
        r = sel.loc[dup].iloc[0]
        raise DataError(f"two rows for area {r['area_code']} year {r['year']} of item {item} element {element}")
    if areas is None:
        universe = pd.Index(frame["area_code"].unique())
        if not include_aggregates:
            universe = universe[~is_aggregate(universe)]
    else:
        universe = pd.Index([int(a) for a in areas])
    if years is None:
        if sel.empty:
            warnings.warn(f"no rows for item {item} element {element}: the panel is empty", DataWarning, stacklevel=2)
            yrs = pd.Index([], dtype="int64")
        else:
            yrs = pd.RangeIndex(int(sel["year"].min()), int(sel["year"].max()) + 1)
    else:
        yrs = pd.Index([int(y) for y in years])
    grid = pd.MultiIndex.from_product([universe.sort_values(), yrs.sort_values()], names=["area_code", "year"])
    out = sel.set_index(["area_code", "year"]).reindex(grid).reset_index()
    out["observed"] = grid.isin(pd.MultiIndex.from_frame(sel[["area_code", "year"]]))
    if "area" in frame.columns:
        names = frame.drop_duplicates("area_code").set_index("area_code")["area"]
        out["area"] = out["area_code"].map(names)
    else:
        out["area"] = None
    if "flag" not in out.columns:
        out["flag"] = None
    out = out[["area_code", "area", "year", "value", "flag", "observed"]]
    out["area_code"] = out["area_code"].astype("int64")
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype("float64")
    if wide:
        return out.pivot(index="area_code", columns="year", values="value")
    return out


def _resolve_reporter(matrix: pd.DataFrame, reporter) -> int:
    if isinstance(reporter, int | np.integer):
        return int(reporter)
    if isinstance(reporter, str):
        if "reporter" in matrix.columns:
            hits = matrix.loc[matrix["reporter"].str.casefold() == reporter.casefold(), "reporter_code"].unique()
            if len(hits) == 1:
                return int(hits[0])
            if len(hits) > 1:
                raise SpecificationError(f"reporter name {reporter!r} matches several codes: {sorted(hits)}")
        raise SpecificationError(f"reporter {reporter!r} not found in the matrix")
    raise SpecificationError(f"reporter must be an FAO area code or name, got {reporter!r}")


def import_shares(
    matrix: pd.DataFrame,
    reporter: int | str,
    item: int,
    *,
    element: int = 5610,
    years: Iterable[int] | None = None,
    include_aggregates: bool = False,
) -> pd.DataFrame:
    """An importer's shares by country of origin from bilateral (Detailed Trade Matrix) data.

    The share of partner *p* in year *t* is ``value[p, t] / sum over partners q of value[q, t]``, the sum running
    over the partners with a (non-missing) row for that reporter, item, element and year.  This total is the sum of
    the bilateral rows, which can differ from the reporter's total in the country-totals file.

    Parameters
    ----------
    matrix : DataFrame
        From ``load_trade(dataset="matrix")``: ``reporter_code, reporter, partner_code, partner, item_code,
        element_code, year, value``.
    reporter : int or str
        FAO area code (110) or name ("Japan", case-insensitive).
    item : int
        FAO item code (391 tomato paste).
    element : int
        5610 import quantity (default) or 5622 import value.
    years : iterable of int, optional
        Restrict to these years.
    include_aggregates : bool
        Keep aggregate partners (never needed for the matrix, whose partners are countries).

    Returns
    -------
    DataFrame
        ``reporter_code, reporter, partner_code, partner, year, value, total, share`` (share in [0, 1]; NaN when the
        total is 0 or the value missing), sorted by year and descending share.

    Example
    -------
    >>> m = pd.DataFrame({"reporter_code": 110, "reporter": "Japan", "partner_code": [40, 41],
    ...                   "partner": ["Chile", "China, mainland"], "item_code": 391, "element_code": 5610,
    ...                   "year": 1990, "value": [30.0, 10.0]})
    >>> import_shares(m, "Japan", 391)["share"].tolist()
    [0.75, 0.25]
    """
    _need(matrix, ["reporter_code", "partner_code", "item_code", "element_code", "year", "value"], "matrix")
    if int(element) not in (5610, 5622):
        raise SpecificationError(f"import shares use element 5610 or 5622, got {element}")
    code = _resolve_reporter(matrix, reporter)
    sel = matrix.loc[(matrix["reporter_code"] == code) & (matrix["item_code"] == int(item))
                     & (matrix["element_code"] == int(element))].copy()
    if years is not None:
        sel = sel.loc[sel["year"].isin([int(y) for y in years])]
    if not include_aggregates:
        sel = sel.loc[~is_aggregate(sel["partner_code"])]
    if sel.duplicated(["partner_code", "year"]).any():
        r = sel.loc[sel.duplicated(["partner_code", "year"])].iloc[0]
        raise DataError(f"two rows for partner {r['partner_code']} year {r['year']}")
    for c in ("reporter", "partner"):
        if c not in sel.columns:
            sel[c] = None
    sel["total"] = sel.groupby("year")["value"].transform(lambda s: s.sum(min_count=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = sel["value"].to_numpy(dtype="float64") / sel["total"].to_numpy(dtype="float64")
    sel["share"] = np.where(sel["total"].to_numpy(dtype="float64") > 0, share, np.nan)
    out = sel[["reporter_code", "reporter", "partner_code", "partner", "year", "value", "total", "share"]]
    return out.sort_values(["year", "share", "partner_code"], ascending=[True, False, True]).reset_index(drop=True)


@dataclass(frozen=True)
class FactSource:
    """Where a paper fact's counterpart lives in FAOSTAT and how to convert it to the paper's unit.

    ``dataset`` is ``"trade"`` (country totals: ``area`` is the FAO area code) or ``"matrix"`` (an import share:
    ``area`` is the importer, ``partner`` the origin).  ``factor`` multiplies the FAOSTAT value (tonnes, US
    dollars, or a share in [0, 1]) into the paper's unit.
    """

    dataset: str
    area: int
    item: int
    element: int
    paper_unit: str
    factor: float
    note: str
    partner: int | None = None


_FEPACH = ("FAO item 391 (tomato paste) is the main part, but not all, of the 'processed tomato products' whose "
           "exports FEPACH reports")
_JPN = ("Japan's (110) imports of tomato paste (391) by quantity (5610) from the Detailed Trade Matrix; CORFO does "
        "not say whether its shares are by quantity or value; the matrix starts in 1986")

#: (entity, variable) of a paper fact -> its FAOSTAT counterpart.  The year comes from the fact (year_start ==
#: year_end); facts with another entity/variable are not reconciled.
FACT_MAP: dict[tuple[str, str], FactSource] = {
    ("Chile", "processed_tomato_export_value"): FactSource(
        "trade", 40, 391, 5922, "USD million", 1e-6, _FEPACH),
    ("Nicaragua", "artisan_cheese_exports_el_salvador"): FactSource(
        "trade", 157, 901, 5922, "USD million", 1e-6,
        "FAO: exports of cheese from whole cow milk (901) to all destinations; the paper: artisan cheese to "
        "El Salvador only"),
    ("Nicaragua", "coffee_export_value"): FactSource(
        "trade", 157, 656, 5922, "USD million", 1e-6, "FAO item 656 (coffee, green) export value"),
    ("Nicaragua", "agricultural_export_value"): FactSource(
        "trade", 157, 1882, 5922, "USD million", 1e-6, "FAO item 1882 (total agricultural products) export value"),
    ("Chile", "japan_tomato_paste_import_share"): FactSource(
        "matrix", 110, 391, 5610, "percent", 100.0, _JPN, partner=40),
    ("China", "japan_tomato_paste_import_share"): FactSource(
        "matrix", 110, 391, 5610, "percent", 100.0, _JPN + "; China = FAO 41 (mainland), as the paper names "
        "Taiwan separately", partner=41),
}


def _truthy(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in {"true", "1", "yes"}
    return bool(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else False


def reconciliation(
    facts: pd.DataFrame,
    faostat_frame: pd.DataFrame | None,
    matrix: pd.DataFrame | None = None,
    *,
    mapping: dict[tuple[str, str], FactSource] | None = None,
) -> pd.DataFrame:
    """The paper's trade facts against FAOSTAT, converted to the paper's units.

    Parameters
    ----------
    facts : DataFrame
        The paper's facts (``clusterecon.data.paper.facts()``): ``id, entity, variable, year_start, year_end,
        value, unit`` and optionally ``qualifier, misprint, corrected_value``.
    faostat_frame : DataFrame or None
        Country totals from ``load_trade()``; ``None`` gives a table of the paper's values with the source missing
        (what ``clusterecon replicate`` shows when no FAOSTAT data are available).
    matrix : DataFrame, optional
        Detailed Trade Matrix rows (``load_trade(dataset="matrix", ...)``) for the import-share facts.
    mapping : dict, optional
        Replaces :data:`FACT_MAP`.

    Returns
    -------
    DataFrame
        ``fact_id, entity, variable, year, paper_value, paper_unit, source_value, ratio, note`` plus
        ``fao_dataset, fao_area, fao_partner, fao_item, fao_element``.  ``paper_value`` is the corrected value for a
        fact marked as a misprint (the note says so), ``source_value`` the FAOSTAT figure in the paper's unit,
        ``ratio = source_value / paper_value``.  One row per mapped fact, in the facts' order.

    Example
    -------
    >>> facts = pd.DataFrame({"id": ["nic_coffee_exports"], "entity": ["Nicaragua"],
    ...     "variable": ["coffee_export_value"], "year_start": [1999], "year_end": [1999], "value": [135.0],
    ...     "unit": ["USD million"]})
    >>> fao = pd.DataFrame({"area_code": [157], "item_code": [656], "element_code": [5922], "year": [1999],
    ...     "value": [134_825_000.0]})
    >>> reconciliation(facts, fao)[["paper_value", "source_value"]].round(3).iloc[0].tolist()
    [135.0, 134.825]
    """
    _need(facts, ["id", "entity", "variable", "year_start", "year_end", "value", "unit"], "facts")
    if faostat_frame is not None:
        _need(faostat_frame, ["area_code", "item_code", "element_code", "year", "value"], "faostat_frame")
    if matrix is not None:
        _need(matrix, ["reporter_code", "partner_code", "item_code", "element_code", "year", "value"], "matrix")
    table = FACT_MAP if mapping is None else mapping
    trade_idx = None
    if faostat_frame is not None:
        key = ["area_code", "item_code", "element_code", "year"]
        c = faostat_frame.loc[~is_aggregate(faostat_frame["area_code"]), key + ["value"]]
        c = c.loc[~c.duplicated(key, keep=False)]  # an ambiguous (duplicated) key is treated as missing
        trade_idx = c.set_index(key)["value"]
    rows = []
    for _, f in facts.iterrows():
        spec = table.get((str(f["entity"]), str(f["variable"])))
        if spec is None:
            continue
        notes = [spec.note]
        ys, ye = pd.to_numeric(f["year_start"], errors="coerce"), pd.to_numeric(f["year_end"], errors="coerce")
        year = int(ye) if pd.notna(ye) and (pd.isna(ys) or ys == ye) else None
        if year is None:
            notes.append("the fact spans several years or none: not compared")
        paper_value = float(f["value"])
        if _truthy(f.get("misprint")) and pd.notna(pd.to_numeric(f.get("corrected_value"), errors="coerce")):
            notes.append(f"printed {paper_value:g} is a misprint; compared with the corrected "
                         f"{float(f['corrected_value']):g}")
            paper_value = float(f["corrected_value"])
        qual = f.get("qualifier")
        if isinstance(qual, str) and qual.strip():
            notes.append(f"the paper says '{qual.strip()}'")
        if str(f["unit"]) != spec.paper_unit:
            notes.append(f"unit {f['unit']!r} differs from the mapping's {spec.paper_unit!r}: not compared")
            year = None
        source_value = np.nan
        if year is not None:
            if spec.dataset == "trade":
                if trade_idx is None:
                    notes.append("no FAOSTAT data loaded")
                else:
                    v = trade_idx.get((spec.area, spec.item, spec.element, year), np.nan)
                    if pd.isna(v):
                        notes.append("no FAOSTAT row for this country, item, element and year")
                    source_value = float(v) * spec.factor
            else:
                if matrix is None:
                    notes.append("needs the Detailed Trade Matrix (not loaded)")
                else:
                    sh = import_shares(matrix, spec.area, spec.item, element=spec.element, years=[year])
                    hit = sh.loc[sh["partner_code"] == spec.partner, "share"]
                    if hit.empty or pd.isna(hit.iloc[0]):
                        notes.append("no Detailed Trade Matrix row for this partner and year")
                    else:
                        source_value = float(hit.iloc[0]) * spec.factor
        ratio = source_value / paper_value if paper_value not in (0.0,) and pd.notna(source_value) else np.nan
        rows.append({
            "fact_id": f["id"], "entity": f["entity"], "variable": f["variable"], "year": year,
            "paper_value": paper_value, "paper_unit": str(f["unit"]), "source_value": source_value, "ratio": ratio,
            "note": "; ".join(notes), "fao_dataset": spec.dataset, "fao_area": spec.area,
            "fao_partner": spec.partner, "fao_item": spec.item, "fao_element": spec.element,
        })
    cols = RECONCILIATION_COLUMNS + ["fao_dataset", "fao_area", "fao_partner", "fao_item", "fao_element"]
    out = pd.DataFrame(rows, columns=cols)
    out["year"] = out["year"].astype("Int64")
    out["fao_partner"] = out["fao_partner"].astype("Int64")
    for c in ("paper_value", "source_value", "ratio"):
        out[c] = out[c].astype("float64")
    return out


def reconcile_with_source(
    facts: pd.DataFrame,
    *,
    source: str = "auto",
    offline: bool | None = None,
    cache=None,
    **load_kwargs,
) -> tuple[pd.DataFrame, dict]:
    """Reconcile the paper's facts with FAOSTAT if the data can be had, else with nothing; never raises for data.

    Tries :func:`~clusterecon.data.sources.faostat.load_trade` (cached file, then ``$CLUSTERECON_DATA_MIRROR``,
    then FAOSTAT's host unless offline).  When that fails (offline with an empty cache, no network, a corrupted or
    malformed file), the table still lists the paper's values with ``source_value`` missing.

    Returns
    -------
    (DataFrame, dict)
        The :func:`reconciliation` table, and a provenance record for the manifest: ``{"status": "faostat",
        **Provenance.to_dict()}`` (file, sha256, origin cache/mirror/download, ...) or ``{"status":
        "unavailable", "reason": ..., "fallback": "paper facts only"}``.
    """
    from .sources.faostat import load_trade

    try:
        frame, prov = load_trade(source=source, offline=offline, cache=cache, **load_kwargs)
    except DataError as exc:  # DownloadError, ParseError: fall back on the paper's facts
        record = {"status": "unavailable", "reason": str(exc), "error": type(exc).__name__,
                  "fallback": "paper facts only"}
        return reconciliation(facts, None), record
    return reconciliation(facts, frame), {"status": "faostat", **prov.to_dict()}
