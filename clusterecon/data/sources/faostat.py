"""FAOSTAT bulk trade files: exact parsing of the normalized CSV, streaming filtered reads, cached loading.

Two FAOSTAT domains are supported, both published as zipped "normalized" CSV files on FAOSTAT's bulk-download host
(the catalogue is ``datasets_E.json`` beside them):

* **Trade: Crops and livestock products** (``Trade_CropsLivestock_E_All_Data_(Normalized).zip``, formerly
  ``Trade_Crops_Livestock_...``): one row per area x item x element x year, 1961 on;
* **Detailed Trade Matrix** (``Trade_DetailedTradeMatrix_E_All_Data_(Normalized).zip``): one row per reporter x
  partner x item x element x year, 1986 on; about 8.5 GB unzipped, so it is always read as a stream.

Formats accepted (:data:`LAYOUTS`): the current column sets with M49 and CPC codes (written with a leading
apostrophe, ``'004``, which is removed) and an optional trailing ``Note`` column, and the pre-2021 sets without them;
UTF-8 with or without BOM, and latin-1 (detected, or given with ``encoding=``).  Rows are keyed on codes, never on
names (391 "Tomatoes, paste" became "Paste of tomatoes"; 901 "Cheese, whole cow milk" became "Cheese from whole cow
milk").  Units are normalised: "tonnes"/"t" to tonnes (``t``), "1000 US$"/"1000 USD" to US dollars (``USD``, values
multiplied by 1000).  Elements are :data:`ELEMENTS` (5610/5622/5910/5922: import/export quantity/value).  Flags and
notes are kept (empty becomes missing).

Validation (each failure is a :class:`~clusterecon.errors.ParseError` naming the file, line and column): the header
must be one of the known layouts; every element code must be known (checked on every row, while streaming); in the
rows kept by the filters, codes and years must be integers, Value numeric (empty is kept as missing, distinct from
0), the unit known and consistent with the element, one unit per item and element, and no (area, item, element,
year) -- or (reporter, partner, item, element, year) -- repeated.  Line numbers count CSV records from the header
(line 1); FAOSTAT's files have no line breaks inside fields.

Output: a tidy frame with columns ``area_code, area_m49, area, item_code, item_cpc, item, element_code, element,
year, unit, value, flag, note, unit_raw, area_kind`` (matrix: ``reporter_code, reporter_m49, reporter,
partner_code, partner_m49, partner`` instead of the ``area_*`` columns, and ``reporter_kind``/``partner_kind``).
``*_kind`` is ``"country"`` or ``"aggregate"`` (see :mod:`clusterecon.data.sources.areas`).

Example
-------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_text(
...     '"Area Code","Area","Item Code","Item","Element Code","Element","Year Code","Year","Unit","Value","Flag"\\n'
...     '40,"Chile",391,"Tomatoes, paste",5910,"Export Quantity",1987,1987,"tonnes",8982,""\\n'
...     '40,"Chile",391,"Tomatoes, paste",5922,"Export Value",1987,1987,"1000 US$",4.5,"F"\\n')
>>> df = read_normalized(p)
>>> df[["area_code", "item_code", "element_code", "year", "unit", "value", "flag"]].to_dict("records")[1]
{'area_code': 40, 'item_code': 391, 'element_code': 5922, 'year': 1987, 'unit': 'USD', 'value': 4500.0, 'flag': 'F'}
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ..._io import atomic_write
from ...errors import DataError, DownloadError, ParseError, SpecificationError
from .archives import open_zip
from .areas import area_kind
from .download import RemoteFile, cache_dir, fetch

__all__ = [
    "ELEMENTS",
    "LAYOUTS",
    "UNITS",
    "BULK_BASE_URL",
    "TRADE",
    "TRADE_MATRIX",
    "CATALOGUE",
    "PARSER_VERSION",
    "Provenance",
    "read_normalized",
    "load_trade",
    "catalogue",
]

PARSER_VERSION = "1"

#: element code -> (short name, normalised unit)
ELEMENTS: dict[int, tuple[str, str]] = {
    5610: ("import_quantity", "t"),
    5622: ("import_value", "USD"),
    5910: ("export_quantity", "t"),
    5922: ("export_value", "USD"),
}

#: raw unit string -> (canonical raw unit, normalised unit, factor to the normalised unit)
UNITS: dict[str, tuple[str, str, float]] = {
    "tonnes": ("t", "t", 1.0),
    "t": ("t", "t", 1.0),
    "1000 US$": ("1000 USD", "USD", 1000.0),
    "1000 USD": ("1000 USD", "USD", 1000.0),
}

_AREA_OLD = ("Area Code", "Area")
_AREA_NEW = ("Area Code", "Area Code (M49)", "Area")
_MATRIX_OLD = ("Reporter Country Code", "Reporter Countries", "Partner Country Code", "Partner Countries")
_MATRIX_NEW = (
    "Reporter Country Code",
    "Reporter Country Code (M49)",
    "Reporter Countries",
    "Partner Country Code",
    "Partner Country Code (M49)",
    "Partner Countries",
)
_ITEM_OLD = ("Item Code", "Item")
_ITEM_NEW = ("Item Code", "Item Code (CPC)", "Item")
_TAIL = ("Element Code", "Element", "Year Code", "Year", "Unit", "Value", "Flag")

#: (kind, has M49/CPC) -> exact column sequence (a trailing "Note" column is also accepted)
LAYOUTS: dict[tuple[str, bool], tuple[str, ...]] = {
    ("area", False): _AREA_OLD + _ITEM_OLD + _TAIL,
    ("area", True): _AREA_NEW + _ITEM_NEW + _TAIL,
    ("matrix", False): _MATRIX_OLD + _ITEM_OLD + _TAIL,
    ("matrix", True): _MATRIX_NEW + _ITEM_NEW + _TAIL,
}

_RENAME = {
    "Area Code": "area_code",
    "Area Code (M49)": "area_m49",
    "Area": "area",
    "Reporter Country Code": "reporter_code",
    "Reporter Country Code (M49)": "reporter_m49",
    "Reporter Countries": "reporter",
    "Partner Country Code": "partner_code",
    "Partner Country Code (M49)": "partner_m49",
    "Partner Countries": "partner",
    "Item Code": "item_code",
    "Item Code (CPC)": "item_cpc",
    "Item": "item",
    "Element Code": "element_code",
    "Element": "element",
    "Year Code": "year_code",
    "Year": "year",
    "Unit": "unit_raw",
    "Value": "value",
    "Flag": "flag",
    "Note": "note",
}
_INV_RENAME = {v: k for k, v in _RENAME.items()}

BULK_BASE_URL = "https://bulks-faostat.fao.org/production/"
_UNPINNED = "FAO replaces its bulk files in place at each release; the SHA-256 obtained is recorded instead"
TRADE = RemoteFile(
    name="Trade_CropsLivestock_E_All_Data_(Normalized).zip",
    url=BULK_BASE_URL + "Trade_CropsLivestock_E_All_Data_(Normalized).zip",
    unpinned_reason=_UNPINNED,
    aliases=("Trade_Crops_Livestock_E_All_Data_(Normalized).zip",),
    subdir="faostat",
)
TRADE_MATRIX = RemoteFile(
    name="Trade_DetailedTradeMatrix_E_All_Data_(Normalized).zip",
    url=BULK_BASE_URL + "Trade_DetailedTradeMatrix_E_All_Data_(Normalized).zip",
    unpinned_reason=_UNPINNED,
    subdir="faostat",
)
CATALOGUE = RemoteFile(
    name="datasets_E.json",
    url=BULK_BASE_URL + "datasets_E.json",
    unpinned_reason="the catalogue changes with every release",
    subdir="faostat",
)
_DATASETS = {"trade": TRADE, "matrix": TRADE_MATRIX}
#: FAOSTAT dataset codes of the two domains in the bulk catalogue
DATASET_CODES = {"trade": "TCL", "matrix": "TM"}


def _parse_catalogue(path: Path) -> pd.DataFrame:
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        rows = obj["Datasets"]["Dataset"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"not a FAOSTAT bulk catalogue (expected Datasets.Dataset): {exc}", path=path) from None
    if isinstance(rows, dict):
        rows = [rows]
    df = pd.DataFrame.from_records(rows)
    need = ["DatasetCode", "DatasetName", "FileLocation"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ParseError(f"catalogue entries lack {missing}", path=path, column=missing[0])
    keep = {"DatasetCode": "dataset_code", "DatasetName": "name", "FileLocation": "url", "FileSize": "file_size",
            "FileRows": "file_rows", "DateUpdate": "date_update"}
    return df[[c for c in keep if c in df.columns]].rename(columns=keep)


def catalogue(**fetch_kwargs) -> pd.DataFrame:
    """FAOSTAT's bulk-download catalogue (``datasets_E.json``): one row per domain.

    Columns ``dataset_code, name, url, file_size, file_rows, date_update`` (as present).  The trade domains are
    :data:`DATASET_CODES` (``TCL`` country totals, ``TM`` detailed trade matrix); ``date_update`` tells which
    release a bulk zip is.  ``fetch_kwargs`` go to :func:`~clusterecon.data.sources.download.fetch` (``refresh=True``
    to re-read a cached catalogue).
    """
    res = fetch(CATALOGUE, validate=_parse_catalogue, **fetch_kwargs)
    return _parse_catalogue(res.path)


# --------------------------------------------------------------------------------------------------------------
# opening and sniffing


@contextmanager
def _open_bytes(path: Path, member: str | None) -> Iterator[tuple[IO[bytes], str]]:
    """Yield a binary stream of the CSV (a zip member is streamed, never extracted) and a display name."""
    if path.suffix.lower() == ".zip":
        zf = open_zip(path)
        try:
            name = member if member is not None else _pick_member(zf, path)
            try:
                fh = zf.open(name)
            except KeyError:
                raise ParseError(f"archive has no member {name!r}; members: {zf.namelist()}", path=path) from None
            with fh:
                yield fh, f"{path}::{name}"
        finally:
            zf.close()
    else:
        with open(path, "rb") as fh:
            yield fh, str(path)


def _pick_member(zf: zipfile.ZipFile, path: Path) -> str:
    csvs = [n for n in zf.namelist() if n.lower().endswith(".csv")]
    data = [n for n in csvs if "all_data" in n.lower()]
    pick = data if data else csvs
    if len(pick) != 1:
        raise ParseError(f"cannot tell which member is the data file among {zf.namelist()}; pass member=", path=path)
    return pick[0]


def _sniff_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still UTF-8
        if exc.start < len(sample) - 3:
            return "latin-1"
    return "utf-8"


def _parse_header(line: bytes, encoding: str, where: str) -> tuple[list[str], str, bool, bool]:
    text = line.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
    try:
        cols = next(csv.reader([text]), [])
    except csv.Error as exc:  # e.g. CR-only line ends put the whole file on "line 1"
        raise ParseError(f"unreadable header ({exc}); FAOSTAT files use LF or CRLF line ends",
                         path=where, line=1) from None
    note = bool(cols) and cols[-1] == "Note"
    core = tuple(cols[:-1] if note else cols)
    for (kind, m49), layout in LAYOUTS.items():
        if core == layout:
            return cols, kind, m49, note
    # name the first column that does not fit the closest layout
    best = max(LAYOUTS.values(), key=lambda lay: sum(a == b for a, b in zip(core, lay)))
    for i, expected in enumerate(best):
        got = core[i] if i < len(core) else None
        if got != expected:
            raise ParseError(
                f"not a FAOSTAT normalized trade file: header field {i + 1} is {got!r}, expected {expected!r} "
                f"(known layouts: {[list(v) for v in LAYOUTS.values()]})",
                path=where, line=1, column=got if got is not None else expected,
            )
    extra = core[len(best)] if len(core) > len(best) else None
    raise ParseError(f"not a FAOSTAT normalized trade file: unexpected header field {extra!r}",
                     path=where, line=1, column=extra)


# --------------------------------------------------------------------------------------------------------------
# streaming read


def _as_str_list(values, what: str) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str | int | np.integer):
        values = [values]
    out = []
    for v in values:
        try:
            out.append(str(int(v)))
        except (TypeError, ValueError):
            raise SpecificationError(f"{what} must be FAO codes (integers), got {v!r}") from None
    return out


def _stream_filtered(
    raw: IO[bytes],
    cols: list[str],
    encoding: str,
    filters: dict[str, list[str]],
    where: str,
    block_size: int,
    unknown_elements: str,
    memory_pool=None,
) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    read_opts = pacsv.ReadOptions(
        column_names=cols, skip_rows=1, block_size=block_size, encoding=encoding, use_threads=False
    )
    conv_opts = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in cols}, strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    parse_opts = pacsv.ParseOptions(newlines_in_values=False)
    known = pa.array([str(c) for c in ELEMENTS])
    kept: list[pd.DataFrame] = []
    offset = 0
    try:
        reader = pacsv.open_csv(raw, read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts,
                                memory_pool=memory_pool)
        for batch in reader:
            n = batch.num_rows
            elem = batch.column(cols.index("Element Code"))
            ok_elem = pc.is_in(pc.utf8_trim_whitespace(elem), value_set=known)
            if unknown_elements == "raise" and not pc.all(ok_elem).as_py():
                bad = int(pc.index(ok_elem, False).as_py())
                raise ParseError(
                    f"unknown element code {elem[bad].as_py()!r} (known: {sorted(ELEMENTS)})",
                    path=where, line=offset + bad + 2, column="Element Code",
                )
            mask = ok_elem
            for col, wanted in filters.items():
                arr = pc.utf8_trim_whitespace(batch.column(cols.index(col)))
                mask = pc.and_(mask, pc.is_in(arr, value_set=pa.array(wanted)))
            idx = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
            if idx.size:
                sub = batch.take(pa.array(idx)).to_pandas()
                sub["_line"] = idx + offset + 2
                kept.append(sub)
            offset += n
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "utf8" in msg.lower():
            raise UnicodeDecodeError("utf-8", b"", 0, 1, msg) from exc
        raise ParseError(f"malformed CSV in the block starting at line {offset + 2}: {msg}", path=where) from exc
    if kept:
        return pd.concat(kept, ignore_index=True)
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in cols} | {"_line": pd.Series([], dtype="int64")})


def _to_int(df: pd.DataFrame, col: str, where: str) -> pd.Series:
    s = df[col].astype("str").str.strip()
    out = pd.to_numeric(s, errors="coerce")
    bad = out.isna() | (out != np.floor(out))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ParseError(f"{col} must be an integer code, got {s.iloc[i]!r}", path=where,
                         line=int(df["_line"].iloc[i]), column=col)
    return out.astype("int64")


def _strip_apostrophe(s: pd.Series) -> pd.Series:
    s = s.astype("str").str.strip()
    s = s.where(~s.str.startswith("'"), s.str[1:])
    return s.where(s != "", None)


def _finish(df: pd.DataFrame, kind: str, where: str) -> pd.DataFrame:
    """Validate and convert the kept raw string rows into the tidy typed frame."""
    code_cols = ["Item Code", "Element Code", "Year Code", "Year"]
    code_cols += ["Area Code"] if kind == "area" else ["Reporter Country Code", "Partner Country Code"]
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        if col == "_line":
            continue
        if col in code_cols:
            out[_RENAME[col]] = _to_int(df, col, where)
        elif col in ("Area Code (M49)", "Reporter Country Code (M49)", "Partner Country Code (M49)", "Item Code (CPC)"):
            out[_RENAME[col]] = _strip_apostrophe(df[col])
        else:
            out[_RENAME[col]] = df[col].astype("str")
    line = df["_line"].to_numpy()

    def fail(i: int, msg: str, col: str) -> ParseError:
        return ParseError(msg, path=where, line=int(line[i]), column=col)

    # value: empty -> missing (distinct from 0); anything else must be numeric
    raw_val = out["value"].str.strip()
    val = pd.to_numeric(raw_val.where(raw_val != "", None), errors="coerce")
    bad = val.isna() & (raw_val != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise fail(i, f"Value is not numeric: {raw_val.iloc[i]!r}", "Value")
    # unit: known, consistent with the element, one per item and element
    unit_raw = out["unit_raw"].str.strip()
    unknown = ~unit_raw.isin(list(UNITS))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise fail(i, f"unknown unit {unit_raw.iloc[i]!r} (known: {sorted(UNITS)})", "Unit")
    canon = unit_raw.map({k: v[0] for k, v in UNITS.items()})
    norm = unit_raw.map({k: v[1] for k, v in UNITS.items()})
    factor = unit_raw.map({k: v[2] for k, v in UNITS.items()}).astype("float64")
    want = out["element_code"].map({k: v[1] for k, v in ELEMENTS.items()})
    mismatch = norm.to_numpy() != want.to_numpy()
    if mismatch.any():
        i = int(np.flatnonzero(mismatch)[0])
        raise fail(i, f"unit {unit_raw.iloc[i]!r} does not fit element {out['element_code'].iloc[i]} "
                      f"({ELEMENTS[int(out['element_code'].iloc[i])][0]})", "Unit")
    grp = pd.DataFrame({"i": out["item_code"], "e": out["element_code"], "u": canon})
    first_unit = grp.groupby(["i", "e"], sort=False)["u"].transform("first")
    mixed = (grp["u"] != first_unit).to_numpy()
    if mixed.any():
        i = int(np.flatnonzero(mixed)[0])
        raise fail(i, f"mixed units within item {out['item_code'].iloc[i]} element {out['element_code'].iloc[i]}: "
                      f"{unit_raw.iloc[i]!r} after {first_unit.iloc[i]!r}", "Unit")
    # year columns agree
    if (out["year"] != out["year_code"]).any():
        i = int(np.flatnonzero((out["year"] != out["year_code"]).to_numpy())[0])
        raise fail(i, f"Year {out['year'].iloc[i]} differs from Year Code {out['year_code'].iloc[i]}", "Year")
    # duplicates on the code key
    key = (["area_code"] if kind == "area" else ["reporter_code", "partner_code"]) + ["item_code", "element_code", "year"]
    dup = out.duplicated(key, keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        row = out.iloc[i]
        first = out.index[(out[key] == row[key]).all(axis=1)][0]
        raise fail(i, "duplicated row for (" + ", ".join(f"{k}={row[k]}" for k in key) + f"); first seen on line "
                      f"{int(line[out.index.get_loc(first)])}", "/".join(_INV_RENAME[k] for k in key))
    out["value"] = val.astype("float64") * factor
    out["unit"] = norm.astype("str")
    out["unit_raw"] = unit_raw
    for c in ("flag", "note"):
        if c in out:
            s = out[c].str.strip()
            out[c] = s.where(s != "", None)
    if "note" not in out:
        out["note"] = pd.Series([None] * len(out), index=out.index, dtype="str")
    if kind == "area":
        ids = ["area_code", "area_m49", "area"]
        out["area_kind"] = area_kind(out["area_code"])
        kinds = ["area_kind"]
    else:
        ids = ["reporter_code", "reporter_m49", "reporter", "partner_code", "partner_m49", "partner"]
        out["reporter_kind"] = area_kind(out["reporter_code"])
        out["partner_kind"] = area_kind(out["partner_code"])
        kinds = ["reporter_kind", "partner_kind"]
    for c in ids + ["item_cpc"]:
        if c not in out:
            out[c] = pd.Series([None] * len(out), index=out.index, dtype="str")
    order = ids + ["item_code", "item_cpc", "item", "element_code", "element", "year", "unit", "value", "flag",
                   "note", "unit_raw"] + kinds
    return out[order].reset_index(drop=True)


def read_normalized(
    path: str | os.PathLike[str],
    *,
    items: Iterable[int] | int | None = None,
    elements: Iterable[int] | int | None = None,
    areas: Iterable[int] | int | None = None,
    partners: Iterable[int] | int | None = None,
    years: Iterable[int] | None = None,
    member: str | None = None,
    encoding: str | None = None,
    block_size: int = 16 << 20,
    unknown_elements: str = "raise",
    memory_pool=None,
) -> pd.DataFrame:
    """Read a FAOSTAT normalized trade CSV (or the zip holding it) as a stream, keeping only the rows asked for.

    Parameters
    ----------
    path : path
        ``.csv`` file, or ``.zip`` archive (the member whose name contains ``All_Data`` is read in a stream,
        without extraction; Deflate64 supported).
    items, elements, areas, partners, years : int or iterable of int, optional
        Keep only these FAO item codes, element codes, area codes (reporters, for the trade matrix), partner codes
        (trade matrix only) and years.  ``None`` keeps all.
    member : str, optional
        Archive member to read.
    encoding : str, optional
        ``"utf-8"`` or ``"latin-1"``; detected when omitted (BOM, then a UTF-8 check of the first MiB, retrying as
        latin-1 if invalid UTF-8 appears later).
    block_size : int
        Bytes per streamed block: memory use is bounded by a few blocks plus the rows kept.
    unknown_elements : {"raise", "skip"}
        What to do with element codes outside :data:`ELEMENTS`.
    memory_pool : pyarrow.MemoryPool, optional
        Pool for the CSV reader's buffers (to measure or cap the memory of a streamed read).

    Returns
    -------
    pandas.DataFrame
        The tidy frame described in the module docstring (values in tonnes or US dollars).

    Raises
    ------
    ParseError
        Wrong header, unknown element code, non-integer code, non-numeric Value, unknown or mixed units,
        duplicated key rows, corrupted archive: the message names the file, line and column.
    """
    p = Path(path)
    if unknown_elements not in ("raise", "skip"):
        raise SpecificationError(f"unknown_elements must be 'raise' or 'skip', got {unknown_elements!r}")
    if not p.is_file():
        raise DataError(f"no such file: {p}")
    try:
        with _open_bytes(p, member) as (fh, where):
            head = fh.read(1 << 20)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ParseError(f"corrupted archive member: {exc}", path=p) from exc
    nl = head.find(b"\n")
    if nl < 0 and len(head) == 1 << 20:
        raise ParseError("no line break in the first MiB: not a CSV file", path=where, line=1)
    first_line = head if nl < 0 else head[: nl + 1]
    enc = encoding or _sniff_encoding(head)
    cols, kind, _m49, _note = _parse_header(first_line, enc, where)
    if partners is not None and kind != "matrix":
        raise SpecificationError("partners= applies to the detailed trade matrix only")
    filters: dict[str, list[str]] = {}
    for col, vals, what in (
        ("Item Code", items, "items"),
        ("Element Code", elements, "elements"),
        ("Area Code" if kind == "area" else "Reporter Country Code", areas, "areas"),
        ("Partner Country Code", partners, "partners"),
        ("Year", years, "years"),
    ):
        lst = _as_str_list(vals, what)
        if lst is not None:
            filters[col] = lst
    if "Element Code" in filters:
        unknown = [e for e in filters["Element Code"] if int(e) not in ELEMENTS]
        if unknown:
            raise SpecificationError(f"unknown element codes requested: {unknown} (known: {sorted(ELEMENTS)})")
    encodings = [enc] if encoding or enc != "utf-8" else ["utf-8", "latin-1"]
    for k, e in enumerate(encodings):
        try:
            with _open_bytes(p, member) as (fh, where):
                raw = _stream_filtered(fh, cols, "utf8" if e == "utf-8" else e, filters, where, block_size,
                                       unknown_elements, memory_pool)
            break
        except UnicodeDecodeError as exc:
            if k + 1 < len(encodings):
                continue
            raise ParseError(f"cannot decode as {e}: {exc.reason}", path=where) from exc
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise ParseError(f"corrupted archive member: {exc}", path=where) from exc
    if raw.columns[0] != cols[0]:  # pragma: no cover - defensive
        raise ParseError("internal: column mismatch", path=where)
    return _finish(raw, kind, where)


# --------------------------------------------------------------------------------------------------------------
# cached loading with provenance


@dataclass(frozen=True)
class Provenance:
    """Which file a frame was built from: name, SHA-256, origin (``cache``/``mirror``/``download``), filters.

    ``parquet`` is the path of the filtered Parquet cache used or written (``None`` if not cached) and
    ``parquet_hit`` whether it was reused.  ``to_dict()`` gives a JSON-ready record for a manifest.
    """

    dataset: str
    file: str
    path: str
    sha256: str
    size: int
    origin: str
    source: str
    pinned: bool
    unpinned_reason: str | None
    retrieved_at: str
    filters: dict
    rows: int
    parquet: str | None = None
    parquet_hit: bool = False
    parser_version: str = PARSER_VERSION
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _parquet_key(sha: str, dataset: str, filters: dict) -> str:
    blob = json.dumps({"sha": sha, "dataset": dataset, "filters": filters, "v": PARSER_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def load_trade(
    items: Iterable[int] | int | None = (391, 901, 656, 1882),
    elements: Iterable[int] | int | None = tuple(ELEMENTS),
    *,
    areas: Iterable[int] | int | None = None,
    partners: Iterable[int] | int | None = None,
    years: Iterable[int] | None = None,
    dataset: str = "trade",
    source: str | os.PathLike[str] = "auto",
    cache: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    sha256: str | None = None,
    parquet_cache: bool = True,
    **fetch_kwargs,
) -> tuple[pd.DataFrame, Provenance]:
    """Load FAOSTAT trade data (country totals or the bilateral matrix), filtered, with a provenance record.

    Parameters
    ----------
    items, elements, areas, partners, years
        Filters, as in :func:`read_normalized` (defaults: the four items and four elements this project uses).
    dataset : {"trade", "matrix"}
        ``"trade"``: Trade, Crops and Livestock Products (country totals); ``"matrix"``: Detailed Trade Matrix.
    source : {"auto", "cache", "mirror", "download"} or path
        ``"auto"``: the cached file if present, else the mirror (``$CLUSTERECON_DATA_MIRROR``), else FAOSTAT's bulk
        host unless offline.  ``"cache"``/``"mirror"``/``"download"`` restrict to that origin.  A path reads that
        local zip or CSV directly (origin ``"file"``).
    cache : path, optional
        Cache root (default ``$CLUSTERECON_CACHE`` or the user cache directory).
    offline : bool, optional
        Forbid the network (default ``$CLUSTERECON_OFFLINE``).
    sha256 : str, optional
        Pin the expected SHA-256 of the bulk zip.
    parquet_cache : bool
        Reuse/write the filtered rows as Parquet under ``<cache>/parquet`` keyed on the file's SHA-256 and filters.
    **fetch_kwargs
        Passed to :func:`clusterecon.data.sources.download.fetch` (``retries``, ``timeout``, ``progressbar``,
        ``mirror``).

    Returns
    -------
    (pandas.DataFrame, Provenance)

    Raises
    ------
    DownloadError
        Nothing available from the allowed origins (for example offline with an empty cache and no mirror).  A
        caller that can fall back on other data (``clusterecon replicate`` on the paper's facts) catches this.
    ParseError
        The file is malformed.
    """
    if dataset not in _DATASETS:
        raise SpecificationError(f"dataset must be one of {sorted(_DATASETS)}, got {dataset!r}")
    remote = _DATASETS[dataset]
    root = cache_dir(cache)
    src = os.fspath(source) if isinstance(source, os.PathLike) else source
    if src in ("auto", "cache", "mirror", "download"):
        if src == "cache":
            from .download import cached

            res = cached(remote, cache=root, sha256=sha256)
            if res is None:
                raise DownloadError(f"{remote.name}: not in the cache at {root / remote.subdir}")
        elif src == "mirror":
            if fetch_kwargs.get("mirror") is None and not os.environ.get("CLUSTERECON_DATA_MIRROR"):
                raise DownloadError("source='mirror' but no mirror is set (CLUSTERECON_DATA_MIRROR or mirror=)")
            res = fetch(remote, cache=root, offline=offline, sha256=sha256, use_cache=False, **fetch_kwargs)
        elif src == "download":
            fetch_kwargs.setdefault("mirror", None)
            res = fetch(remote, cache=root, offline=offline, sha256=sha256, use_cache=False, **fetch_kwargs)
        else:
            res = fetch(remote, cache=root, offline=offline, sha256=sha256, **fetch_kwargs)
        file_path, info = res.path, res.to_dict()
    else:
        from ..._io import sha256_file

        file_path = Path(src)
        if not file_path.is_file():
            raise DataError(f"no such file: {file_path}")
        digest = sha256_file(file_path)
        if sha256 is not None and digest != sha256:
            raise DownloadError(f"{file_path}: SHA-256 {digest} does not match the pinned {sha256}")
        info = {"name": file_path.name, "sha256": digest, "size": file_path.stat().st_size, "origin": "file",
                "source": str(file_path), "pinned": sha256 is not None, "retrieved_at": "",
                "unpinned_reason": None, "extra": {}}
    filters = {
        k: (None if v is None else sorted(int(x) for x in ([v] if isinstance(v, int | np.integer) else v)))
        for k, v in {"items": items, "elements": elements, "areas": areas, "partners": partners,
                     "years": years}.items()
    }
    pq_path = root / "parquet" / f"faostat-{dataset}-{_parquet_key(info['sha256'], dataset, filters)}.parquet"
    frame = None
    hit = False
    if parquet_cache and pq_path.is_file():
        try:
            frame = pd.read_parquet(pq_path)
            hit = True
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            pq_path.unlink(missing_ok=True)
            frame = None
    if frame is None:
        frame = read_normalized(file_path, items=items, elements=elements, areas=areas, partners=partners,
                                years=years)
        if parquet_cache:
            try:
                with atomic_write(pq_path, "wb") as fh:
                    frame.to_parquet(fh, index=False)
            except Exception:  # the cache is an optimisation: failing to write it is not an error
                pass
    prov = Provenance(
        dataset=dataset, file=info["name"], path=str(file_path), sha256=info["sha256"], size=int(info["size"]),
        origin=info["origin"], source=str(info["source"]), pinned=bool(info["pinned"]),
        unpinned_reason=info.get("unpinned_reason"), retrieved_at=str(info.get("retrieved_at", "")),
        filters=filters, rows=len(frame), parquet=str(pq_path) if parquet_cache else None, parquet_hit=hit,
        extra=dict(info.get("extra") or {}),
    )
    return frame, prov
