"""Treatment variables from governance timelines (or plain adoption dates) for any unit x period panel.

Difference-in-differences estimators need, for every unit-period, when the unit was first treated, how far the
period is from that date, and whether the period is after it.  This module derives those columns from

* a **timeline** (:class:`clusterecon.data.regimes.Timeline`, e.g. the paper's ``chile_tomato``), where treatment is
  an event (the export committees, El Salvador's pasteurisation law) or the start of a regime (cooperative
  monitoring): :func:`timeline_treatment`;
* a mapping **unit -> adoption period** (a simulated supplier panel, a user's own dates): :func:`add_adoption`;
* a mapping **unit -> regime spells**, for the label of the regime in force: :func:`add_regime`.

Columns added (names can be changed with ``names=``):

============== ======================================================================================================
first_treated  first treated period, coded as R's ``did`` codes ``gname``: **0 = never treated** (int64)
treated        1 if the unit is ever treated, else 0 (int64)
event_time     period minus first_treated (float64); **NaN for never-treated units** (no event date to count from)
post           1 in periods at or after first_treated (while the regime is in force, when not absorbing), else 0
regime         label of the regime in force (``timeline_treatment``/``add_regime``); NaN where none is known
============== ======================================================================================================

Periods are integers (years).  Because 0 codes "never treated", an adoption period of 0 is rejected.  The caller's
frame is never modified: every function returns a new frame with the same index and row order.

Assumptions worth stating: treatment is **absorbing** by default (once treated, always treated), as staggered-
adoption DiD estimators (Callaway and Sant'Anna 2021; Sun and Abraham 2021; Borusyak, Jaravel and Spiess 2024)
assume; a regime that ends inside the panel is an error unless ``absorbing=False``.  Vague dates are resolved by
the timeline's point year unless ``date="start"``/``"end"`` asks for the interval's bounds.

Example
-------
>>> import pandas as pd
>>> from clusterecon.panel.regimes import timeline_treatment
>>> panel = pd.DataFrame({"country": ["Chile"] * 3 + ["Peru"] * 3, "year": [1981, 1983, 1985] * 2})
>>> out = timeline_treatment(panel, {"Chile": "chile_tomato"}, unit="country", time="year",
...                          event="chile_export_committees")
>>> print(out[["country", "year", "first_treated", "event_time", "post", "regime"]].to_string())
  country  year  first_treated  event_time  post                            regime
0   Chile  1981           1983        -2.0     0               state_led_promotion
1   Chile  1983           1983         0.0     1  state_promoted_self_coordination
2   Chile  1985           1983         2.0     1  state_promoted_self_coordination
3    Peru  1981              0         NaN     0                               NaN
4    Peru  1983              0         NaN     0                               NaN
5    Peru  1985              0         NaN     0                               NaN
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.regimes import Timeline, load_timeline
from ..errors import DataError, SpecificationError

__all__ = ["DEFAULT_NAMES", "add_adoption", "add_regime", "timeline_treatment"]

#: Default names of the columns the functions add.
DEFAULT_NAMES: dict[str, str] = {
    "first_treated": "first_treated",
    "treated": "treated",
    "event_time": "event_time",
    "post": "post",
    "regime": "regime",
}


# --------------------------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------------------------
def add_adoption(
    panel: pd.DataFrame,
    adoption: Mapping[Hashable, Any] | pd.Series,
    *,
    unit: str,
    time: str,
    outside: str = "error",
    names: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Add first_treated, treated, event_time and post from a mapping unit -> first treated period.

    Parameters
    ----------
    panel
        Long panel, one row per unit-period (unbalanced is fine).  Not modified.
    adoption
        Unit -> first treated period (int) or ``None``/NaN for never treated; a :class:`pandas.Series` indexed by
        unit works too.  Units of the panel missing from it are never treated; units in it but not in the panel
        raise :class:`SpecificationError`.
    unit, time
        Column names of the unit identifier and the integer period.
    outside
        What to do when a unit's adoption period lies before its first or after its last observed period:
        ``"error"`` (default) raises :class:`SpecificationError`; ``"keep"`` keeps the date (the unit is then
        treated in all, or in none, of its observed periods).
    names
        Renames output columns, e.g. ``{"first_treated": "gname"}`` (keys as in :data:`DEFAULT_NAMES`).
    overwrite
        Replace existing columns of those names instead of raising.

    Returns
    -------
    pandas.DataFrame
        A copy of ``panel`` with the columns first_treated (0 = never), treated, event_time (NaN for never
        treated) and post.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2], "t": [2000, 2001, 2002] * 2})
    >>> print(add_adoption(panel, {1: 2001}, unit="id", time="t").to_string())
       id     t  first_treated  treated  event_time  post
    0   1  2000           2001        1        -1.0     0
    1   1  2001           2001        1         0.0     1
    2   1  2002           2001        1         1.0     1
    3   2  2000              0        0         NaN     0
    4   2  2001              0        0         NaN     0
    5   2  2002              0        0         NaN     0
    """
    cols = _names(names)
    units, periods = _validate_panel(panel, unit, time)
    _check_outputs(panel, [cols[k] for k in ("first_treated", "treated", "event_time", "post")], overwrite)
    dates = _adoption_series(adoption, units)
    first = _first_treated_per_row(units, dates)
    _check_outside(units, periods, dates, outside, what="adoption period")
    out = panel.copy()
    _assign(out, cols, periods, first, post=None)
    return out


def add_regime(
    panel: pd.DataFrame,
    spells: Mapping[Hashable, Sequence[tuple[Any, Any, str]]] | pd.DataFrame,
    *,
    unit: str,
    time: str,
    column: str = "regime",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Add the label of the regime in force in each unit-period.

    Parameters
    ----------
    spells
        Unit -> sequence of ``(start, end, label)``, years inclusive, ``None`` for an open start or end; or a
        DataFrame with columns ``unit, start, end, regime`` (``unit`` named as in the panel).  Spells of a unit
        must not overlap.  Units not listed get NaN.
    column
        Name of the new column.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"firm": ["a", "a", "a", "b"], "year": [1990, 1995, 2000, 1995]})
    >>> out = add_regime(panel, {"a": [(None, 1994, "arms_length"), (1995, None, "cooperative_monitoring")]},
    ...                  unit="firm", time="year")
    >>> print(out.to_string())
      firm  year                  regime
    0    a  1990             arms_length
    1    a  1995  cooperative_monitoring
    2    a  2000  cooperative_monitoring
    3    b  1995                     NaN
    """
    units, periods = _validate_panel(panel, unit, time)
    _check_outputs(panel, [column], overwrite)
    table = _spells_table(spells, unit)
    known = set(pd.unique(units))
    missing = [u for u in pd.unique(table["unit"]) if u not in known]
    if missing:
        raise SpecificationError(
            f"units in the regime spells but not in column {unit!r} of the panel: {missing[:10]}"
        )
    out = panel.copy()
    out[column] = _labels(units, periods, table)
    return out


def timeline_treatment(
    panel: pd.DataFrame,
    timelines: Mapping[Hashable, Timeline | str],
    *,
    unit: str,
    time: str,
    event: str | Mapping[Hashable, str] | None = None,
    regime: str | None = None,
    arena: str | Mapping[Hashable, str] | None = None,
    date: str = "year",
    absorbing: bool = True,
    outside: str = "error",
    names: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Treatment variables for a panel from cluster timelines.

    Each unit listed in ``timelines`` is treated from the date of ``event`` (an event id of its timeline) or from
    the start of its first spell of ``regime`` (a regime of the vocabulary, in ``arena``); every other unit of the
    panel is never treated (a control).  The regime in force in the arena is added as a label.

    Parameters
    ----------
    panel
        Long panel, one row per unit-period, integer periods.  Not modified.
    timelines
        Unit value -> :class:`~clusterecon.data.regimes.Timeline`, or the name/path of one
        (``{"Chile": "chile_tomato"}``).
    event
        Event id (the same for every timeline, or a mapping unit -> id; a unit left out of the mapping, or mapped
        to ``None``, is never treated but still gets its regime labels).  Exactly one of ``event``/``regime``.
    regime
        Regime name: first treated period = start of the first spell of this regime in ``arena``.
    arena
        The arena whose regime defines treatment and the ``regime`` label (one name, or a mapping unit -> name
        when clusters differ).  Default: the event's arena, or the timeline's only arena.
    date
        For ``event``: which year of a vague date to use, ``"year"`` (the timeline's point, default), ``"start"``
        or ``"end"`` of its interval -- for sensitivity analysis of the treatment date.
    absorbing
        With ``regime``: if True (default) a regime that ends (or recurs) within the unit's observed periods is an
        error, because absorbing treatment cannot switch off; if False, ``post`` is 1 exactly in the periods the
        regime is in force, and first_treated/event_time count from its first start.
    outside
        ``"error"`` (default) or ``"keep"``: a treatment date before the unit's first or after its last observed
        period (see :func:`add_adoption`).
    names, overwrite
        As in :func:`add_adoption`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``panel`` with first_treated, treated, event_time, post and regime.

    Raises
    ------
    SpecificationError
        A unit of ``timelines`` is not in the panel; the event or regime is not in the timeline; a date is outside
        the panel; an absorbing treatment switches off; an output column exists.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"country": ["Nicaragua"] * 3 + ["Honduras"] * 3, "year": [1997, 1998, 1999] * 2})
    >>> out = timeline_treatment(panel, {"Nicaragua": "nicaragua_dairy"}, unit="country", time="year",
    ...                          regime="cooperative_monitoring")
    >>> print(out[["country", "year", "first_treated", "event_time", "post"]].to_string())
         country  year  first_treated  event_time  post
    0  Nicaragua  1997           1998        -1.0     0
    1  Nicaragua  1998           1998         0.0     1
    2  Nicaragua  1999           1998         1.0     1
    3   Honduras  1997              0         NaN     0
    4   Honduras  1998              0         NaN     0
    5   Honduras  1999              0         NaN     0
    """
    cols = _names(names)
    if (event is None) == (regime is None):
        raise SpecificationError("give exactly one of event= (an event id) or regime= (a regime name)")
    units, periods = _validate_panel(panel, unit, time)
    _check_outputs(panel, list(cols.values()), overwrite)
    if not isinstance(timelines, Mapping) or not timelines:
        raise SpecificationError(
            "timelines must be a non-empty mapping unit -> Timeline (or timeline name/path)"
        )
    known = set(pd.unique(units))
    missing = [u for u in timelines if u not in known]
    if missing:
        raise SpecificationError(
            f"units with a timeline but not in column {unit!r} of the panel: {missing}; "
            f"panel units include {sorted(map(str, known))[:10]}"
        )
    for name, option in (("event", event), ("arena", arena)):
        if isinstance(option, Mapping):
            extra = [u for u in option if u not in timelines]
            if extra:
                raise SpecificationError(f"{name}= names units without a timeline: {extra}")

    loaded = {u: (tl if isinstance(tl, Timeline) else load_timeline(tl)) for u, tl in timelines.items()}
    first_periods = _unit_span(units, periods)
    dates: dict[Hashable, int] = {}
    rows: list[tuple[Hashable, Any, Any, str]] = []
    for u, tl in loaded.items():  # one iteration per timeline (a handful), not per panel unit
        unit_arena = arena.get(u) if isinstance(arena, Mapping) else arena
        if event is not None:
            ev_id = event.get(u) if isinstance(event, Mapping) else event
            if ev_id is None:  # a unit with a timeline but no treatment event: never treated, labels still added
                rows.extend((u, s.start, s.end, s.regime) for s in tl.spells(unit_arena))
                continue
            ev = tl.event(ev_id)
            dates[u] = ev.date.pick(date)
            use_arena = tl.resolve_arena(unit_arena if unit_arena is not None else ev.arena)
        else:
            use_arena = tl.resolve_arena(unit_arena)
            dates[u] = tl.adoption_year(regime=regime, arena=use_arena)
            if absorbing:
                _check_absorbing(tl, u, regime, use_arena, first_periods.loc[u, "last"])
        rows.extend((u, s.start, s.end, s.regime) for s in tl.spells(use_arena))

    date_series = _adoption_series(dates, units)
    first = _first_treated_per_row(units, date_series)
    _check_outside(units, periods, date_series, outside, what="treatment date")
    table = pd.DataFrame(rows, columns=["unit", "start", "end", "regime"])
    labels = _labels(units, periods, table)
    post = None
    if regime is not None and not absorbing:
        post = (labels == regime).to_numpy(dtype=bool, na_value=False)
    out = panel.copy()
    _assign(out, cols, periods, first, post=post)
    out[cols["regime"]] = labels
    return out


# --------------------------------------------------------------------------------------------------------------
# helpers (vectorised over rows; loops run over timelines or spells, never over panel units)
# --------------------------------------------------------------------------------------------------------------
def _names(names: Mapping[str, str] | None) -> dict[str, str]:
    cols = dict(DEFAULT_NAMES)
    for key, value in (names or {}).items():
        if key not in cols:
            raise SpecificationError(f"names: unknown key {key!r}; keys: {', '.join(cols)}")
        cols[key] = value
    if len(set(cols.values())) != len(cols):
        raise SpecificationError(f"names: output column names must differ, got {cols}")
    return cols


def _validate_panel(panel: pd.DataFrame, unit: str, time: str) -> tuple[pd.Series, np.ndarray]:
    """Check the panel's unit and time columns; return the unit column and the periods as int64."""
    if not isinstance(panel, pd.DataFrame):
        raise DataError(f"panel must be a pandas DataFrame, got {type(panel).__name__}")
    for role, col in (("unit", unit), ("time", time)):
        if col not in panel.columns:
            raise SpecificationError(
                f"{role} column {col!r} is not in the panel; columns: {list(panel.columns)}"
            )
    units = panel[unit]
    if units.isna().any():
        raise DataError(
            f"column {unit!r} has missing unit ids (first at row {units[units.isna()].index[0]!r})"
        )
    t = panel[time]
    if t.isna().any():
        raise DataError(f"column {time!r} has missing periods (first at row {t[t.isna()].index[0]!r})")
    if not (pd.api.types.is_integer_dtype(t) or pd.api.types.is_float_dtype(t)) or pd.api.types.is_bool_dtype(
        t
    ):
        raise DataError(f"column {time!r} must hold integer periods (e.g. years), got dtype {t.dtype}")
    values = t.to_numpy(dtype="float64")
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        raise DataError(
            f"column {time!r} must hold integer periods; row {t.index[np.argmax(bad)]!r} has {t.iloc[np.argmax(bad)]!r}"
        )
    periods = values.astype("int64")
    dup = pd.DataFrame({"u": units.to_numpy(), "t": periods}).duplicated()
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        raise DataError(
            f"the panel has more than one row for unit {units.iloc[i]!r} in period {periods[i]} "
            f"(row {panel.index[i]!r}); columns {unit!r} and {time!r} must identify rows"
        )
    return units, periods


def _check_outputs(panel: pd.DataFrame, columns: list[str], overwrite: bool) -> None:
    clash = [c for c in columns if c in panel.columns]
    if clash and not overwrite:
        raise SpecificationError(
            f"the panel already has column(s) {clash}; pass overwrite=True or names= to rename"
        )


def _period_value(value: Any) -> float:
    """An integer period as float, NaN for None/NaN/NA; ValueError for anything else (text, bool, 2001.5, inf)."""
    if value is None or value is pd.NA:
        return math.nan
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(value)
    f = float(value)
    if math.isnan(f):
        return math.nan
    if not math.isfinite(f) or f != round(f):
        raise ValueError(value)
    return f


def _as_period(value: Any, u: Hashable) -> float:
    """A unit's adoption value as a float period (NaN = never treated)."""
    try:
        f = _period_value(value)
    except ValueError:
        raise SpecificationError(
            f"adoption period of unit {u!r} must be an integer period or None, got {value!r}"
        ) from None
    if math.isnan(f):
        return f
    if f == 0:
        raise SpecificationError(
            f"adoption period of unit {u!r} is 0, which first_treated uses for 'never treated'; "
            "use None for never treated, or shift the time index"
        )
    return float(value)


def _adoption_series(adoption: Mapping[Hashable, Any] | pd.Series, units: pd.Series) -> pd.Series:
    if isinstance(adoption, pd.Series):
        if adoption.index.has_duplicates:
            raise SpecificationError("adoption: the Series index (units) has duplicates")
        items = adoption.items()
    elif isinstance(adoption, Mapping):
        items = adoption.items()
    else:
        raise SpecificationError(
            f"adoption must be a mapping unit -> period or a Series, got {type(adoption).__name__}"
        )
    data = {u: _as_period(v, u) for u, v in items}
    known = set(pd.unique(units))
    missing = [u for u in data if u not in known]
    if missing:
        raise SpecificationError(f"units with an adoption date but not in the panel: {missing[:10]}")
    return pd.Series(data, dtype="float64")


def _first_treated_per_row(units: pd.Series, dates: pd.Series) -> np.ndarray:
    """first_treated per row as float (NaN = never), aligned with ``units``."""
    if dates.empty:
        return np.full(len(units), np.nan)
    pos = pd.Index(dates.index).get_indexer(units)
    vals = np.append(dates.to_numpy(), np.nan)
    return vals[np.where(pos >= 0, pos, len(vals) - 1)]


def _unit_span(units: pd.Series, periods: np.ndarray) -> pd.DataFrame:
    g = pd.DataFrame({"u": units.to_numpy(), "t": periods}).groupby("u", sort=False)["t"]
    return pd.DataFrame({"first": g.min(), "last": g.max()})


def _check_outside(units: pd.Series, periods: np.ndarray, dates: pd.Series, outside: str, what: str) -> None:
    if outside not in ("error", "keep"):
        raise SpecificationError(f"outside must be 'error' or 'keep', got {outside!r}")
    if outside == "keep" or dates.dropna().empty:
        return
    span = _unit_span(units, periods)
    d = dates.dropna()
    sp = span.loc[d.index]
    early = d[d.to_numpy() < sp["first"].to_numpy()]
    late = d[d.to_numpy() > sp["last"].to_numpy()]
    if not early.empty:
        u = early.index[0]
        raise SpecificationError(
            f"unit {u!r}: {what} {int(early.iloc[0])} is before its first period {int(span.loc[u, 'first'])} "
            "(treated throughout the panel, so no pre-period identifies the effect); pass outside='keep' to accept"
        )
    if not late.empty:
        u = late.index[0]
        raise SpecificationError(
            f"unit {u!r}: {what} {int(late.iloc[0])} is after its last period {int(span.loc[u, 'last'])} "
            "(never treated within the panel); pass outside='keep' to accept, or drop the date"
        )


def _assign(out: pd.DataFrame, cols: dict[str, str], periods: np.ndarray, first: np.ndarray, post) -> None:
    treated = ~np.isnan(first)
    out[cols["first_treated"]] = np.where(treated, first, 0).astype("int64")
    out[cols["treated"]] = treated.astype("int64")
    out[cols["event_time"]] = np.where(treated, periods - np.where(treated, first, 0), np.nan).astype(
        "float64"
    )
    if post is None:
        post = treated & (periods >= np.where(treated, first, np.inf))
    out[cols["post"]] = np.asarray(post, dtype=bool).astype("int64")


def _spells_table(spells, unit: str) -> pd.DataFrame:
    if isinstance(spells, pd.DataFrame):
        need = [unit, "start", "end", "regime"]
        lacking = [c for c in need if c not in spells.columns]
        if lacking:
            raise SpecificationError(f"spells frame lacks column(s) {lacking}; needs {need}")
        table = spells[need].rename(columns={unit: "unit"}).reset_index(drop=True)
    elif isinstance(spells, Mapping):
        rows = []
        for u, seq in spells.items():
            for k, spell in enumerate(seq):
                if not isinstance(spell, (tuple, list)) or len(spell) != 3:
                    raise SpecificationError(f"spells[{u!r}][{k}] must be (start, end, label), got {spell!r}")
                rows.append((u, *spell))
        table = pd.DataFrame(rows, columns=["unit", "start", "end", "regime"])
    else:
        raise SpecificationError(
            f"spells must be a mapping unit -> [(start, end, label)] or a DataFrame, got {type(spells).__name__}"
        )
    for k, row in enumerate(table.itertuples(index=False)):  # one pass over spells, validated once
        for name, v in (("start", row.start), ("end", row.end)):
            try:
                _period_value(v)
            except ValueError:
                raise SpecificationError(
                    f"spell {k} of unit {row.unit!r}: {name} must be an integer or None, got {v!r}"
                ) from None
        if not isinstance(row.regime, str) or not row.regime:
            raise SpecificationError(
                f"spell {k} of unit {row.unit!r}: label must be a non-empty string, got {row.regime!r}"
            )
    lo = pd.to_numeric(table["start"], errors="coerce").astype("float64").fillna(-np.inf)
    hi = pd.to_numeric(table["end"], errors="coerce").astype("float64").fillna(np.inf)
    if (lo > hi).any():
        k = int(np.argmax((lo > hi).to_numpy()))
        raise SpecificationError(
            f"spell {k} of unit {table['unit'].iloc[k]!r}: start {lo.iloc[k]:g} is after end {hi.iloc[k]:g}"
        )
    table = table.assign(lo=lo, hi=hi).sort_values(["unit", "lo"], kind="stable").reset_index(drop=True)
    same = table["unit"].to_numpy()[1:] == table["unit"].to_numpy()[:-1]
    overlap = same & (table["lo"].to_numpy()[1:] <= table["hi"].to_numpy()[:-1])
    if overlap.any():
        k = int(np.argmax(overlap))
        raise SpecificationError(
            f"regime spells of unit {table['unit'].iloc[k]!r} overlap: {table['regime'].iloc[k]!r} and "
            f"{table['regime'].iloc[k + 1]!r}"
        )
    return table


def _labels(units: pd.Series, periods: np.ndarray, table: pd.DataFrame) -> pd.Series:
    """The label of the spell covering each row (NaN where none), by one merge on the unit."""
    result = np.full(len(units), np.nan, dtype=object)
    if not table.empty:
        if "lo" not in table.columns:
            table = _spells_table(table, "unit")
        codes = pd.Index(pd.unique(table["unit"]))
        rows = pd.DataFrame({"row": np.arange(len(units)), "code": codes.get_indexer(units), "t": periods})
        rows = rows[rows["code"] >= 0]
        spells = table.assign(code=codes.get_indexer(table["unit"]))[["code", "lo", "hi", "regime"]]
        m = rows.merge(spells, on="code", how="inner")
        m = m[(m["t"] >= m["lo"]) & (m["t"] <= m["hi"])]
        result[m["row"].to_numpy()] = m["regime"].to_numpy(dtype=object)
    return pd.Series(result, index=units.index)  # pandas infers its string dtype; NaN where no regime


def _check_absorbing(tl: Timeline, u: Hashable, regime: str, arena: str, last: int) -> None:
    """Raise when the regime's spell ends (or the regime recurs) before the unit's last observed period."""
    spells = [s for s in tl.spells(arena) if s.regime == regime]
    if len(spells) > 1:
        raise SpecificationError(
            f"unit {u!r}: regime {regime!r} has {len(spells)} separate spells in arena {arena!r} of timeline "
            f"{tl.cluster!r}, so the treatment switches off and on; pass absorbing=False"
        )
    end = spells[0].end
    if end is not None and end < last:
        raise SpecificationError(
            f"unit {u!r}: regime {regime!r} ends in {end} (timeline {tl.cluster!r}, arena {arena!r}) but the unit is "
            f"observed to {last}, so the treatment switches off; pass absorbing=False to let post follow the regime"
        )
