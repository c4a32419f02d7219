"""Load and validate the paper's facts table (``data/paper/facts.csv``).

The table is parsed in two passes.  The first pass reads the CSV with the :mod:`csv` module (so that every record
keeps the line number where it starts, even when a quoted field spans lines) and converts each cell to its type,
raising :class:`~clusterecon.errors.SchemaError` at the first cell that does not parse.  The second pass runs a
:mod:`pandera` schema (vocabularies, uniqueness, cross-column rules) lazily and reports every failure, each naming
the CSV line, the fact id and the column.
"""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DataError, SchemaError
from ._vocab import COLUMNS, ENTITIES, QUALIFIERS, SOURCES, UNITS, VARIABLES

__all__ = ["facts", "default_path", "validate_facts", "FACTS_SCHEMA"]

_ID_RE = r"^[a-z][a-z0-9_]*$"
_LOCATION_RE = r"^§[1-6] ¶\d+( fn\d+ \[after '[^']+'\])?$"
_TEXT_COLUMNS = (
    "id",
    "entity",
    "variable",
    "period",
    "unit",
    "source",
    "location",
    "quote",
    "qualifier",
    "correction_reason",
)


def default_path() -> Path:
    """The repository's facts table: ``<repo>/data/paper/facts.csv``, found relative to the package."""
    from ..._paths import data_dir

    return data_dir() / "paper" / "facts.csv"


_WIDE_CHECK_COLUMNS = {
    "year_start is after year_end": ("year_start", "year_end"),
    "a misprint must give corrected_value and correction_reason": ("corrected_value", "correction_reason"),
    "corrected_value/correction_reason are only allowed when misprint is true": (
        "misprint",
        "corrected_value",
        "correction_reason",
    ),
}


def _schema():
    import pandera.pandas as pa

    def text(**kw):
        return pa.Column(str, nullable=False, **kw)

    nonempty = pa.Check(lambda s: s.str.strip().str.len() > 0, element_wise=False, name="non_empty")
    year_check = pa.Check.in_range(1900, 2100)
    return pa.DataFrameSchema(
        {
            "id": text(checks=[pa.Check.str_matches(_ID_RE)], unique=True),
            "entity": text(checks=pa.Check.isin(ENTITIES)),
            "variable": text(checks=pa.Check.isin(VARIABLES)),
            "period": text(),
            "year_start": pa.Column("Int64", nullable=True, checks=year_check),
            "year_end": pa.Column("Int64", nullable=True, checks=year_check),
            "value": pa.Column(
                float, nullable=False, checks=pa.Check(lambda s: np.isfinite(s), name="finite")
            ),
            "unit": text(checks=pa.Check.isin(UNITS)),
            "source": text(checks=pa.Check.isin(SOURCES)),
            "location": text(checks=pa.Check.str_matches(_LOCATION_RE)),
            "quote": text(checks=nonempty),
            "qualifier": text(checks=pa.Check.isin(QUALIFIERS)),
            "misprint": pa.Column(bool, nullable=False),
            "corrected_value": pa.Column(float, nullable=True),
            "correction_reason": text(),
        },
        checks=[
            pa.Check(
                lambda d: d["year_start"].isna() | d["year_end"].isna() | (d["year_start"] <= d["year_end"]),
                name="year_start <= year_end",
                error="year_start is after year_end",
            ),
            pa.Check(
                lambda d: (
                    ~d["misprint"] | (d["corrected_value"].notna() & (d["correction_reason"].str.len() > 0))
                ),
                name="misprint needs corrected_value and correction_reason",
                error="a misprint must give corrected_value and correction_reason",
            ),
            pa.Check(
                lambda d: (
                    d["misprint"] | (d["corrected_value"].isna() & (d["correction_reason"].str.len() == 0))
                ),
                name="correction only for misprints",
                error="corrected_value/correction_reason are only allowed when misprint is true",
            ),
        ],
        strict=True,
        ordered=True,
        coerce=False,
        name="paper_facts",
    )


FACTS_SCHEMA = None  # built lazily (importing pandera costs about a second); see _get_schema()


def _get_schema():
    global FACTS_SCHEMA
    if FACTS_SCHEMA is None:
        FACTS_SCHEMA = _schema()
    return FACTS_SCHEMA


# ----------------------------------------------------------------------------------------------- cell conversion
def _is_blank(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, float) and math.isnan(x):
        return True
    if x is pd.NA or x is pd.NaT:
        return True
    return isinstance(x, str) and x.strip() == ""


def _to_float(x: Any, *, allow_blank: bool) -> float | None:
    if _is_blank(x):
        if allow_blank:
            return None
        raise ValueError("is empty; a number is required")
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{x!r} is not a number")
    if isinstance(x, (int, float, np.integer, np.floating)):
        v = float(x)
    else:
        s = str(x).strip()
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", s):
            raise ValueError(f"{s!r} is not a number (write it without thousands separators, units or signs)")
        v = float(s)
    if not math.isfinite(v):
        raise ValueError(f"{x!r} is not a finite number")
    return v


def _to_int(x: Any) -> int | None:
    if _is_blank(x):
        return None
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{x!r} is not a year")
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return int(x)
    s = str(x).strip()
    if not re.fullmatch(r"\d{4}", s):
        raise ValueError(f"{s!r} is not a four-digit year")
    return int(s)


def _to_bool(x: Any) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if _is_blank(x):
        raise ValueError("is empty; write true or false")
    s = str(x).strip().lower()
    if s == "true":
        return True
    if s == "false":
        return False
    raise ValueError(f"{x!r} is not a boolean (write true or false)")


def _to_text(x: Any) -> str:
    if _is_blank(x):
        return ""
    if not isinstance(x, str):
        raise ValueError(f"{x!r} is not text")
    return x


_CONVERTERS = {
    "year_start": _to_int,
    "year_end": _to_int,
    "value": lambda x: _to_float(x, allow_blank=False),
    "corrected_value": lambda x: _to_float(x, allow_blank=True),
    "misprint": _to_bool,
}


def _where(labels: list[str], ids: list[str], i: int) -> str:
    ident = ids[i] if i < len(ids) and ids[i] else "<empty>"
    return f"{labels[i]} (id {ident!r})"


def _typed_frame(records: dict[str, list[Any]], labels: list[str], origin: str) -> pd.DataFrame:
    ids = [str(v) if not _is_blank(v) else "" for v in records["id"]]
    out: dict[str, Any] = {}
    for col in COLUMNS:
        conv = _CONVERTERS.get(col, _to_text)
        vals = []
        for i, raw in enumerate(records[col]):
            try:
                vals.append(conv(raw))
            except ValueError as exc:
                raise SchemaError(
                    f"{origin}: {_where(labels, ids, i)}, column {col!r}: value {exc}"
                ) from None
        out[col] = vals
    frame = pd.DataFrame(
        {
            **{c: pd.Series(out[c], dtype=object).astype(str) for c in _TEXT_COLUMNS},
            "year_start": pd.array(out["year_start"], dtype="Int64"),
            "year_end": pd.array(out["year_end"], dtype="Int64"),
            "value": np.asarray(out["value"], dtype=float),
            "misprint": np.asarray(out["misprint"], dtype=bool),
            "corrected_value": np.asarray(
                [np.nan if v is None else v for v in out["corrected_value"]], dtype=float
            ),
        }
    )
    return frame[list(COLUMNS)]


def _check_columns(columns: list[str], origin: str) -> None:
    seen: set[str] = set()
    dup = [c for c in columns if c in seen or seen.add(c)]
    if dup:
        raise SchemaError(f"{origin}: duplicate column(s) {dup} in the header")
    extra = [c for c in columns if c not in COLUMNS]
    missing = [c for c in COLUMNS if c not in columns]
    if extra or missing:
        parts = []
        if extra:
            parts.append(f"unknown column(s) {extra}")
        if missing:
            parts.append(f"missing column(s) {missing}")
        raise SchemaError(f"{origin}: {'; '.join(parts)} (expected exactly {list(COLUMNS)})")


def _run_schema(frame: pd.DataFrame, labels: list[str], origin: str) -> pd.DataFrame:
    import pandera.errors as pae

    try:
        return _get_schema().validate(frame, lazy=True)
    except pae.SchemaErrors as exc:
        fc = exc.failure_cases
        ids = frame["id"].tolist()
        msgs: list[str] = []
        for _, r in fc.iterrows():
            idx = r.get("index")
            col = r.get("column")
            check = str(r.get("check"))
            case = r.get("failure_case")
            if idx is None or (isinstance(idx, float) and math.isnan(idx)):
                msg = f"column {col!r}: {check} ({case!r})"
            elif r.get("schema_context") == "DataFrameSchema":
                cols = _WIDE_CHECK_COLUMNS.get(check, ())
                msg = f"{_where(labels, ids, int(idx))}, column(s) {', '.join(map(repr, cols))}: {check}"
            else:
                shown = "<empty>" if isinstance(case, str) and case.strip() == "" else repr(case)
                what = (
                    f"is not in the controlled vocabulary of {col!r} (see data/paper/README.md)"
                    if check.startswith("isin(")
                    else f"fails {check}"
                )
                msg = f"{_where(labels, ids, int(idx))}, column {col!r}: value {shown} {what}"
            if msg not in msgs:
                msgs.append(msg)
        raise SchemaError(
            f"{origin}: {len(msgs)} problem(s) in the facts table:\n  " + "\n  ".join(msgs)
        ) from None


def _read_csv(path: Path) -> tuple[dict[str, list[str]], list[str]]:
    origin = f"file {str(path)!r}"
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read the facts table {str(path)!r}: {exc.strerror or exc}") from exc
    with fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise SchemaError(f"{origin}: the file is empty (expected a header {list(COLUMNS)})") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SchemaError(f"{origin}: line 1: {exc}") from None
        header = [h.strip() for h in header]
        _check_columns(header, origin)
        records: dict[str, list[str]] = {c: [] for c in COLUMNS}
        labels: list[str] = []
        prev = reader.line_num
        while True:
            start = prev + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                raise SchemaError(f"{origin}: line {start}: malformed CSV ({exc})") from None
            prev = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                ident = row[header.index("id")] if len(row) > header.index("id") else ""
                raise SchemaError(
                    f"{origin}: line {start} (id {ident!r}): {len(row)} fields, expected {len(header)} "
                    "(a comma inside a field needs double quotes)"
                )
            for c, v in zip(header, row):
                records[c].append(v)
            labels.append(f"line {start}")
    return records, labels


def validate_facts(data: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    """Validate a facts table given as a DataFrame or a CSV path; return a new, typed DataFrame.

    Raises :class:`~clusterecon.errors.SchemaError` naming the row (CSV line, or DataFrame row position, and the
    fact id) and the column of every problem.  The input is never modified.
    """
    if isinstance(data, pd.DataFrame):
        origin = "facts DataFrame"
        cols = [str(c) for c in data.columns]
        _check_columns(cols, origin)
        records = {c: data[c].tolist() for c in COLUMNS}
        labels = [f"row {i}" for i in range(len(data))]
    else:
        path = Path(data)
        origin = f"file {str(path)!r}"
        records, labels = _read_csv(path)
    frame = _typed_frame(records, labels, origin)
    return _run_schema(frame, labels, origin).reset_index(drop=True)


def facts(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The paper's quantitative statements, one row per printed number, validated on load.

    Parameters
    ----------
    path
        A facts CSV (for instance a hand-edited copy).  Default: the repository's ``data/paper/facts.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, entity, variable, period, year_start, year_end, value, unit, source, location, quote,
        qualifier, misprint, corrected_value, correction_reason``.  ``value`` is the number as printed; where
        ``misprint`` is true, ``corrected_value`` holds the reconstruction and ``correction_reason`` says why.

    Raises
    ------
    clusterecon.errors.SchemaError
        When a row breaks the schema; the message names the CSV line, the id and the column.

    Source
    ------
    Perez-Aleman, P. (2002), "Decentralised production organisation and institutional transformation: large and
    small firm networks in Chile and Nicaragua", Cambridge Journal of Economics 26(6).

    Examples
    --------
    >>> from clusterecon.data.paper import facts
    >>> f = facts()
    >>> float(f.set_index("id").loc["chl_suppliers_1985", "value"])
    210.0
    """
    p = default_path() if path is None else Path(path)
    if not p.is_file():
        raise DataError(f"facts table not found: {str(p)!r}")
    return validate_facts(p)
