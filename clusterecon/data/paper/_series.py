"""Tidy series and descriptive statistics built from the paper's facts.

Nothing here is typed in: every number comes from the facts table (``data/paper/facts.csv``) by fact id or by
(entity, variable), and every derived number (suppliers per firm, multiples, growth rates, differences) is computed.
Gaps are explicit: a series covers a full range of years and carries NaN where the paper prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import SpecificationError
from ._facts import facts as load_facts
from ._facts import validate_facts
from ._vocab import BOUND_QUALIFIERS

__all__ = ["SERIES", "series", "descriptives", "SERIES_COLUMNS", "DESCRIPTIVE_COLUMNS", "NO_INFERENCE"]

SERIES_COLUMNS = (
    "group",
    "series",
    "entity",
    "variable",
    "year",
    "value",
    "unit",
    "fact_id",
    "misprint",
    "corrected_value",
    "computed",
    "interpolated",
    "note",
)
DESCRIPTIVE_COLUMNS = (
    "measure",
    "series",
    "entity",
    "start_year",
    "end_year",
    "start_value",
    "end_value",
    "value",
    "unit",
    "basis",
    "fact_ids",
    "inference",
    "note",
)

NO_INFERENCE = (
    "none: a descriptive comparison of two units (Chile, China) over two years; with two units there "
    "is no sampling distribution, so no standard error, test or confidence interval can be given"
)


@dataclass(frozen=True)
class _Component:
    series: str
    entity: str
    variable: str
    ratio_of: tuple[str, str] | None = None  # (numerator series, denominator series) for computed series
    interpolable: bool = True
    unit: str = ""  # unit of a computed series
    scale: float = 1.0  # multiplier of a computed ratio (100 for percentages)


@dataclass(frozen=True)
class _Group:
    name: str
    description: str
    components: tuple[_Component, ...]
    start_fact: str | None = None  # fact whose year opens the range (default: first year with data)


#: The series groups :func:`series` can build, by name.
SERIES: dict[str, _Group] = {
    g.name: g
    for g in (
        _Group(
            "chile_tomato",
            "Chile's processed-tomato export value (USD million) and production volume (tonnes), 1981-1995. The "
            "paper prints the volume as production, not exports.",
            (
                _Component("chile_processed_tomato_export_value", "Chile", "processed_tomato_export_value"),
                _Component(
                    "chile_processed_tomato_production_volume", "Chile", "processed_tomato_production_volume"
                ),
            ),
        ),
        _Group(
            "japan_import_shares",
            "Shares of Japan's tomato-paste imports by origin (percent) and Taiwan's rank, 1980-1992.",
            (
                _Component("japan_import_share_chile", "Chile", "japan_tomato_paste_import_share"),
                _Component("japan_import_share_china", "China", "japan_tomato_paste_import_share"),
                _Component(
                    "japan_import_rank_taiwan", "Taiwan", "japan_tomato_paste_import_rank", interpolable=False
                ),
            ),
        ),
        _Group(
            "supplier_network",
            "Chile's tomato-processing network: processing firms, raw-material suppliers and suppliers per firm "
            "(computed), 1985-1995.",
            (
                _Component("processing_firms", "Chilean processors", "processing_firms"),
                _Component("suppliers", "Chilean processors", "suppliers"),
                _Component(
                    "suppliers_per_firm",
                    "Chilean processors",
                    "suppliers_per_firm",
                    ratio_of=("suppliers", "processing_firms"),
                    unit="suppliers per firm",
                ),
            ),
        ),
        _Group(
            "nicaragua_exports",
            "Nicaragua's artisan-cheese exports to El Salvador against coffee and total agricultural exports (USD "
            "million), with the cheese shares computed, 1999.",
            (
                _Component("cheese_exports_el_salvador", "Nicaragua", "artisan_cheese_exports_el_salvador"),
                _Component("coffee_exports", "Nicaragua", "coffee_export_value"),
                _Component("agricultural_exports", "Nicaragua", "agricultural_export_value"),
                _Component(
                    "cheese_share_of_coffee",
                    "Nicaragua",
                    "cheese_share_of_coffee",
                    ratio_of=("cheese_exports_el_salvador", "coffee_exports"),
                    unit="percent",
                    scale=100.0,
                ),
                _Component(
                    "cheese_share_of_agricultural_exports",
                    "Nicaragua",
                    "cheese_share_of_agricultural_exports",
                    ratio_of=("cheese_exports_el_salvador", "agricultural_exports"),
                    unit="percent",
                    scale=100.0,
                ),
            ),
        ),
        _Group(
            "prochile_committees",
            "PROCHILE export committees: number of committees, member firms, and the printed range of firms per "
            "committee, from the post-1982 formation of the groups to 1988.",
            (
                _Component("export_committees", "PROCHILE", "export_committees"),
                _Component("committee_member_firms", "PROCHILE", "committee_member_firms"),
                _Component("firms_per_committee_min", "PROCHILE", "firms_per_committee_min"),
                _Component("firms_per_committee_max", "PROCHILE", "firms_per_committee_max"),
                _Component(
                    "firms_per_committee_mean",
                    "PROCHILE",
                    "firms_per_committee_mean",
                    ratio_of=("committee_member_firms", "export_committees"),
                    unit="firms per committee",
                ),
            ),
            start_fact="chl_export_groups_start",
        ),
    )
}


def _fact_year(row: pd.Series) -> int | None:
    ys, ye = row["year_start"], row["year_end"]
    if pd.notna(ys) and pd.notna(ye) and ys == ye:
        return int(ys)
    if pd.isna(ys) and pd.notna(ye):  # "until 1990": placed at its end year
        return int(ye)
    return None


def _qualifier_note(q: str) -> str:
    if not q:
        return ""
    bound = BOUND_QUALIFIERS.get(q)
    return f"printed as '{q}' ({bound} bound)" if bound else f"printed as '{q}'"


def _observed(table: pd.DataFrame, comp: _Component, group: str) -> pd.DataFrame:
    sel = table[(table["entity"] == comp.entity) & (table["variable"] == comp.variable)]
    rows = []
    for _, r in sel.iterrows():
        year = _fact_year(r)
        if year is None:
            continue
        notes = [n for n in (_qualifier_note(r["qualifier"]),) if n]
        if pd.isna(r["year_start"]):
            notes.append(f"period '{r['period']}' (start year not stated); placed at its end year")
        if r["misprint"]:
            notes.append(f"misprint: printed {r['value']:g}, corrected {r['corrected_value']:g}")
        rows.append(
            dict(
                group=group,
                series=comp.series,
                entity=comp.entity,
                variable=comp.variable,
                year=year,
                value=float(r["value"]),
                unit=r["unit"],
                fact_id=r["id"],
                misprint=bool(r["misprint"]),
                corrected_value=float(r["corrected_value"] if r["misprint"] else r["value"]),
                computed=False,
                interpolated=False,
                note="; ".join(notes),
            )
        )
    return pd.DataFrame(rows, columns=list(SERIES_COLUMNS))


def _build_group(table: pd.DataFrame, g: _Group, interpolate: bool) -> pd.DataFrame:
    observed = {c.series: _observed(table, c, g.name) for c in g.components if c.ratio_of is None}
    years = [int(y) for df in observed.values() for y in df["year"]]
    if g.start_fact is not None:
        start = table.loc[table["id"] == g.start_fact, "year_start"]
        if len(start) and pd.notna(start.iloc[0]):
            years.append(int(start.iloc[0]))
    if not years:
        return pd.DataFrame(columns=list(SERIES_COLUMNS))
    span = np.arange(min(years), max(years) + 1)
    frames = {}
    for comp in g.components:
        if comp.ratio_of is not None:
            continue
        obs = observed[comp.series]
        unit = obs["unit"].iloc[0] if len(obs) else ""
        full = pd.DataFrame({"year": span})
        full = full.merge(
            obs.drop(columns=["year"]).assign(year=obs["year"].astype(int)), on="year", how="left"
        )
        full["group"], full["series"], full["entity"], full["variable"] = (
            g.name,
            comp.series,
            comp.entity,
            comp.variable,
        )
        full["unit"] = unit
        full["fact_id"] = full["fact_id"].fillna("")
        full["misprint"] = full["misprint"].fillna(False).astype(bool)
        full["computed"] = False
        full["interpolated"] = False
        full["note"] = full["note"].where(full["value"].notna(), "not printed in the paper").fillna("")
        full["value"] = full["value"].astype(float)
        full["corrected_value"] = full["corrected_value"].astype(float)
        if interpolate and comp.interpolable and full["value"].notna().sum() >= 2:
            gap = full["value"].isna()
            full["value"] = _interp(full["year"], full["value"])
            full["corrected_value"] = _interp(full["year"], full["corrected_value"])
            filled = gap & full["value"].notna()
            full.loc[filled, "interpolated"] = True
            full.loc[filled, "note"] = "linear interpolation between printed values (not in the paper)"
            tainted = filled & (full["value"] != full["corrected_value"])
            full.loc[tainted, "note"] = (
                "linear interpolation (not in the paper); the printed-value interpolation "
                "runs from a misprint, see corrected_value"
            )
        elif interpolate and not comp.interpolable:
            full.loc[full["value"].isna(), "note"] = "not printed in the paper (ranks are never interpolated)"
        frames[comp.series] = full[list(SERIES_COLUMNS)]
    for comp in g.components:
        if comp.ratio_of is None:
            continue
        num, den = frames[comp.ratio_of[0]], frames[comp.ratio_of[1]]
        scale = comp.scale
        full = pd.DataFrame({"year": span})
        full["value"] = scale * num["value"].to_numpy() / den["value"].to_numpy()
        full["corrected_value"] = (
            scale * num["corrected_value"].to_numpy() / den["corrected_value"].to_numpy()
        )
        full["group"], full["series"], full["entity"], full["variable"] = (
            g.name,
            comp.series,
            comp.entity,
            comp.variable,
        )
        full["unit"] = comp.unit
        has = num["fact_id"].ne("") & den["fact_id"].ne("")
        full["fact_id"] = np.where(has, num["fact_id"] + " / " + den["fact_id"], "")
        full["misprint"] = (num["misprint"] | den["misprint"]).to_numpy()
        full["computed"] = True
        full["interpolated"] = (num["interpolated"] | den["interpolated"]).to_numpy()
        full["note"] = np.where(
            full["value"].notna(),
            np.where(
                full["interpolated"],
                f"computed: {comp.ratio_of[0]} / {comp.ratio_of[1]} from interpolated "
                "inputs (not in the paper)",
                f"computed: {comp.ratio_of[0]} / {comp.ratio_of[1]}" + (" x 100" if scale == 100.0 else ""),
            ),
            "not computable: an input is not printed for this year",
        )
        frames[comp.series] = full[list(SERIES_COLUMNS)]
    return pd.concat([frames[c.series] for c in g.components], ignore_index=True)


def _interp(x: pd.Series, y: pd.Series) -> pd.Series:
    """Linear interpolation strictly inside the observed range; outside it the gaps stay NaN."""
    known = y.notna().to_numpy()
    xs, ys = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    out = ys.copy()
    if known.sum() >= 2:
        lo, hi = xs[known].min(), xs[known].max()
        inside = ~known & (xs > lo) & (xs < hi)
        out[inside] = np.interp(xs[inside], xs[known], ys[known])
    return pd.Series(out, index=y.index)


def series(
    name: str | None = None, *, interpolate: bool = False, facts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Tidy long series built from the facts, one row per (series, year), gaps explicit.

    Parameters
    ----------
    name
        One of ``SERIES`` (``"chile_tomato"``, ``"japan_import_shares"``, ``"supplier_network"``,
        ``"nicaragua_exports"``, ``"prochile_committees"``); ``None`` returns all groups stacked.
    interpolate
        ``False`` (default): years the paper does not cover have ``value`` NaN.  ``True``: gaps strictly between
        two printed years are filled by linear interpolation and flagged ``interpolated=True`` (ranks are never
        interpolated; nothing is extrapolated).
    facts
        A facts table (validated, not modified); default the repository's table.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, series, entity, variable, year, value, unit, fact_id, misprint, corrected_value,
        computed, interpolated, note``.  ``value`` is the printed number; ``corrected_value`` equals it except
        where the fact is a flagged misprint (Chile's 1980 share of Japan's imports: printed 65, corrected 0.65).
        Computed rows (suppliers per firm, cheese shares, mean firms per committee) give the fact ids they come
        from in ``fact_id`` as ``numerator / denominator``.

    Examples
    --------
    >>> from clusterecon.data.paper import series
    >>> s = series("supplier_network")
    >>> s[(s.series == "suppliers_per_firm") & s.value.notna()][["year", "value"]].to_dict("list")
    {'year': [1985, 1995], 'value': [105.0, 555.5555555555555]}
    """
    table = load_facts() if facts is None else validate_facts(facts)
    if name is None:
        names = list(SERIES)
    elif name in SERIES:
        names = [name]
    else:
        raise SpecificationError(f"unknown series {name!r}; choose one of {sorted(SERIES)}")
    out = pd.concat([_build_group(table, SERIES[n], interpolate) for n in names], ignore_index=True)
    out["year"] = out["year"].astype(int)
    for col in ("misprint", "computed", "interpolated"):
        out[col] = out[col].astype(bool)
    return out


# ------------------------------------------------------------------------------------------------ descriptives
def _get(table: pd.DataFrame, fid: str) -> pd.Series:
    sel = table[table["id"] == fid]
    if sel.empty:
        raise SpecificationError(f"fact {fid!r} is not in the facts table")
    return sel.iloc[0]


def _val(row: pd.Series, basis: str) -> float:
    return float(row["corrected_value"] if (basis == "corrected" and row["misprint"]) else row["value"])


def _bound_note(*rows: pd.Series) -> str:
    parts = [
        f"{r['id']} {_qualifier_note(r['qualifier'])}" for r in rows if r["qualifier"] in BOUND_QUALIFIERS
    ]
    return "; ".join(parts)


def descriptives(facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Growth multiples, compound annual growth rates and the Chile-vs-China 2x2 difference, from the facts.

    Measures
    --------
    growth_multiple
        ``end / start``.
    cagr
        Compound annual growth rate in percent: ``100 * ((end / start) ** (1 / (end_year - start_year)) - 1)``.
    change_pp
        Change of a share in percentage points, ``end - start``.
    difference_2x2
        ``(Chile_end - Chile_start) - (China_end - China_start)`` for the share of Japan's tomato-paste imports:
        a two-unit, two-period difference.  Two units admit no sampling inference (column ``inference``).

    Rows that use the misprinted 1980 Chilean share come twice, ``basis="printed"`` and ``basis="corrected"``.
    Bounds carried by qualifiers ("more than 100", "nearly 5,000") are stated in ``note``.

    Examples
    --------
    >>> from clusterecon.data.paper import descriptives
    >>> d = descriptives()
    >>> round(float(d.query("measure == 'growth_multiple' and series == 'suppliers'").value.iloc[0]), 2)
    23.81
    """
    table = load_facts() if facts is None else validate_facts(facts)
    rows: list[dict] = []

    def growth(series_name: str, entity: str, a: str, b: str, unit: str) -> None:
        ra, rb = _get(table, a), _get(table, b)
        differs = any(r["misprint"] and r["corrected_value"] != r["value"] for r in (ra, rb))
        bases = ("printed", "corrected") if differs else ("printed",)
        for basis in bases:
            va, vb = _val(ra, basis), _val(rb, basis)
            y0, y1 = int(ra["year_start"]), int(rb["year_end"])
            common = dict(
                series=series_name,
                entity=entity,
                start_year=y0,
                end_year=y1,
                start_value=va,
                end_value=vb,
                basis=basis,
                fact_ids=f"{a}, {b}",
                inference="descriptive only",
                note=_bound_note(ra, rb),
            )
            rows.append(dict(measure="growth_multiple", value=vb / va, unit="multiple", **common))
            rows.append(
                dict(
                    measure="cagr",
                    value=100 * ((vb / va) ** (1 / (y1 - y0)) - 1),
                    unit="percent per year",
                    **common,
                )
            )
            if unit == "percent":
                rows.append(dict(measure="change_pp", value=vb - va, unit="percentage points", **common))

    growth(
        "processed_tomato_export_value",
        "Chile",
        "chl_tomato_export_value_1981",
        "chl_tomato_export_value_1995",
        "USD million",
    )
    growth(
        "processed_tomato_production_volume",
        "Chile",
        "chl_tomato_volume_1981",
        "chl_tomato_volume_1995",
        "tonnes",
    )
    growth(
        "processing_firms",
        "Chilean processors",
        "chl_processing_firms_1985",
        "chl_processing_firms_1995",
        "count",
    )
    growth("suppliers", "Chilean processors", "chl_suppliers_1985", "chl_suppliers_1995", "count")
    # suppliers per firm: computed levels, then their growth
    for basis in ("printed",):
        s0, f0 = _get(table, "chl_suppliers_1985"), _get(table, "chl_processing_firms_1985")
        s1, f1 = _get(table, "chl_suppliers_1995"), _get(table, "chl_processing_firms_1995")
        v0, v1 = _val(s0, basis) / _val(f0, basis), _val(s1, basis) / _val(f1, basis)
        y0, y1 = int(s0["year_start"]), int(s1["year_end"])
        common = dict(
            series="suppliers_per_firm",
            entity="Chilean processors",
            start_year=y0,
            end_year=y1,
            start_value=v0,
            end_value=v1,
            basis=basis,
            fact_ids="chl_suppliers_1985, chl_processing_firms_1985, chl_suppliers_1995, "
            "chl_processing_firms_1995",
            inference="descriptive only",
            note=_bound_note(s0, f0, s1, f1),
        )
        rows.append(dict(measure="level_start", value=v0, unit="suppliers per firm", **common))
        rows.append(dict(measure="level_end", value=v1, unit="suppliers per firm", **common))
        rows.append(dict(measure="growth_multiple", value=v1 / v0, unit="multiple", **common))
        rows.append(
            dict(
                measure="cagr",
                value=100 * ((v1 / v0) ** (1 / (y1 - y0)) - 1),
                unit="percent per year",
                **common,
            )
        )
    S = "jpn_import_share_"
    for y0, y1 in ((1980, 1990), (1980, 1992)):
        for code, entity in (("chl", "Chile"), ("chn", "China")):
            growth("japan_tomato_paste_import_share", entity, f"{S}{code}_{y0}", f"{S}{code}_{y1}", "percent")
        rc0, rc1 = _get(table, f"{S}chl_{y0}"), _get(table, f"{S}chl_{y1}")
        rn0, rn1 = _get(table, f"{S}chn_{y0}"), _get(table, f"{S}chn_{y1}")
        for basis in ("printed", "corrected"):
            dchl = _val(rc1, basis) - _val(rc0, basis)
            dchn = _val(rn1, basis) - _val(rn0, basis)
            rows.append(
                dict(
                    measure="difference_2x2",
                    series="japan_tomato_paste_import_share",
                    entity="Chile - China",
                    start_year=y0,
                    end_year=y1,
                    start_value=_val(rc0, basis) - _val(rn0, basis),
                    end_value=_val(rc1, basis) - _val(rn1, basis),
                    value=dchl - dchn,
                    unit="percentage points",
                    basis=basis,
                    fact_ids=", ".join(r["id"] for r in (rc0, rc1, rn0, rn1)),
                    inference=NO_INFERENCE,
                    note="(Chile end - Chile start) - (China end - China start); start_value/end_value are the "
                    "Chile-minus-China gaps"
                    + (
                        f"; uses the misprinted {rc0['id']} (printed {rc0['value']:g})"
                        if basis == "printed" and rc0["misprint"]
                        else ""
                    ),
                )
            )
    out = pd.DataFrame(rows, columns=list(DESCRIPTIVE_COLUMNS))
    for col in ("start_value", "end_value", "value"):
        out[col] = out[col].astype(float)
    return out
