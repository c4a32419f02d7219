"""UN Comtrade (Comtrade Plus, API v1): parse CSV and JSON records, fetch with a subscription key.

Records follow the Comtrade Plus layout (``typeCode, freqCode, refPeriodId, refYear, refMonth, period,
reporterCode, reporterISO, reporterDesc, flowCode, flowDesc, partnerCode, partnerISO, partnerDesc, partner2Code,
..., classificationCode, isOriginalClassification, cmdCode, cmdDesc, ..., qtyUnitAbbr, qty, isQtyEstimated, ...,
netWgt, isNetWgtEstimated, ..., cifvalue, fobvalue, primaryValue, legacyEstimationFlag, isReported,
isAggregate``), either as the API's JSON envelope (``{"data": [...], "error": ...}``), a bare JSON list, or the
CSV the Comtrade Plus site and API export.  Only ``refYear, reporterCode, flowCode, partnerCode, cmdCode,
primaryValue`` are required; the others are kept when present.

The project uses two HS codes (:data:`HS_CODES`): 200290 (tomatoes prepared or preserved, not whole or in pieces:
tomato paste) and 0406 (cheese and curd, all of its 6-digit sub-headings when ``cmd_prefix=True``).  Commodity
codes are kept as strings, so ``0406`` keeps its leading zero (a code whose leading zero was lost in a spreadsheet,
``406``, is restored: HS codes have an even number of digits).  Values are US dollars (``primaryValue``), weights
kilograms (``netWgt``).  Classification (``classificationCode``, ``isOriginalClassification``) and estimation flags
(``isQtyEstimated``, ``isNetWgtEstimated``, ``isAltQtyEstimated``, ``isGrossWgtEstimated``,
``legacyEstimationFlag``, ``isReported``, ``isAggregate``) are kept.

Downloading needs a Comtrade subscription key, read from an environment variable (default
``COMTRADE_API_KEY``).  The key is sent only as the ``Ocp-Apim-Subscription-Key`` header: it is never put in the
URL, logged, cached, written to provenance records or included in error messages.

Example
-------
>>> import json, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "c.json"
>>> _ = p.write_text(json.dumps({"data": [{"refYear": 1999, "reporterCode": 558, "flowCode": "X",
...     "partnerCode": 222, "cmdCode": "0406", "primaryValue": 10.0, "netWgt": 2.0}], "error": ""}))
>>> read_comtrade(p)[["year", "reporter_code", "flow", "partner_code", "cmd_code", "value_usd"]].to_dict("records")
[{'year': 1999, 'reporter_code': 558, 'flow': 'X', 'partner_code': 222, 'cmd_code': '0406', 'value_usd': 10.0}]
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import DownloadError, ParseError, SpecificationError
from .download import RemoteFile, fetch

__all__ = ["HS_CODES", "COMTRADE_URL", "ENV_KEY", "read_comtrade", "fetch_comtrade"]

HS_CODES = {
    "200290": "Tomatoes, prepared or preserved otherwise than by vinegar, not whole or in pieces (tomato paste)",
    "0406": "Cheese and curd",
}
COMTRADE_URL = "https://comtradeapi.un.org/data/v1/get/"
ENV_KEY = "COMTRADE_API_KEY"

_REQUIRED = ["refYear", "reporterCode", "flowCode", "partnerCode", "cmdCode", "primaryValue"]
_INT = {"refYear": "year", "reporterCode": "reporter_code", "partnerCode": "partner_code",
        "partner2Code": "partner2_code", "motCode": "mot_code", "qtyUnitCode": "qty_unit_code",
        "aggrLevel": "aggr_level"}
_FLOAT = {"primaryValue": "value_usd", "netWgt": "net_weight_kg", "qty": "qty", "altQty": "alt_qty",
          "grossWgt": "gross_weight_kg", "cifvalue": "cif_usd", "fobvalue": "fob_usd"}
_BOOL = {"isOriginalClassification": "is_original_classification", "isQtyEstimated": "is_qty_estimated",
         "isNetWgtEstimated": "is_net_weight_estimated", "isAltQtyEstimated": "is_alt_qty_estimated",
         "isGrossWgtEstimated": "is_gross_weight_estimated", "isReported": "is_reported",
         "isAggregate": "is_aggregate", "isLeaf": "is_leaf"}
_STR = {"reporterISO": "reporter_iso", "reporterDesc": "reporter", "flowCode": "flow", "flowDesc": "flow_desc",
        "partnerISO": "partner_iso", "partnerDesc": "partner", "classificationCode": "classification",
        "cmdCode": "cmd_code", "cmdDesc": "cmd_desc", "qtyUnitAbbr": "qty_unit", "customsCode": "customs_code",
        "mosCode": "mos_code", "freqCode": "freq", "typeCode": "type"}
_LEGACY = {"legacyEstimationFlag": "legacy_estimation_flag"}
_KEY = ["year", "type", "freq", "reporter_code", "flow", "partner_code", "partner2_code", "cmd_code",
        "customs_code", "mot_code", "mos_code", "classification"]
_TRUE = {"true", "1", "t", "yes"}
_FALSE = {"false", "0", "f", "no"}


def _records(path: Path) -> tuple[pd.DataFrame, str]:
    """Raw string frame and a unit word for error positions ("line" for CSV, "record" for JSON)."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig") if raw[:3] == b"\xef\xbb\xbf" else None
    if text is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
        if isinstance(obj, dict):
            err = obj.get("error")
            if err:
                raise ParseError(f"the Comtrade response reports an error: {str(err)[:200]}", path=path)
            if "data" not in obj:
                raise ParseError("JSON object without a 'data' list (not a Comtrade response)", path=path)
            obj = obj["data"]
        if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
            raise ParseError("Comtrade JSON 'data' must be a list of records", path=path)
        df = pd.DataFrame.from_records(obj)
        return df.astype("object").where(df.notna(), None), "record"
    import io

    if not stripped:
        raise ParseError("empty file: no header and no records", path=path, line=1)
    try:
        df = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        import re

        found = re.search(r"line (\d+)", str(exc))
        raise ParseError(f"malformed CSV: {str(exc).strip()}", path=path,
                         line=int(found.group(1)) if found else None) from None
    return df.astype("object").where(df != "", None), "line"


def _pos(unit: str, i: int) -> int:
    return i + 2 if unit == "line" else i + 1  # CSV: header is line 1; JSON: records numbered from 1


def read_comtrade(
    path: str | os.PathLike[str],
    *,
    commodities: Iterable[str] | None = tuple(HS_CODES),
    cmd_prefix: bool = True,
) -> pd.DataFrame:
    """Parse a Comtrade Plus CSV or JSON file into a tidy frame (one row per record).

    Parameters
    ----------
    path : path
        ``.csv`` or ``.json`` file (JSON: the API envelope or a list of records).
    commodities : iterable of str, optional
        Keep only these HS codes (default 200290 and 0406); ``None`` keeps all.
    cmd_prefix : bool
        Also keep sub-headings of the given codes (040610, ... for 0406).

    Returns
    -------
    pandas.DataFrame
        ``year, reporter_code, reporter_iso, reporter, flow, partner_code, partner_iso, partner, cmd_code,
        classification, value_usd, net_weight_kg, qty, qty_unit`` and the flags, as present in the file.

    Raises
    ------
    ParseError
        Missing required column, non-integer code or year, non-numeric value, bad boolean flag, duplicated record:
        naming the file, the line (CSV) or record number (JSON), and the column.
    """
    p = Path(path)
    if not p.is_file():
        raise ParseError("no such file", path=p)
    df, unit = _records(p)
    for col in _REQUIRED:
        if col not in df.columns:
            raise ParseError(f"missing required Comtrade column {col!r} (have {list(df.columns)[:12]}...)",
                             path=p, line=1 if unit == "line" else None, column=col)

    def fail(i: int, col: str, msg: str) -> ParseError:
        if unit == "line":
            return ParseError(msg, path=p, line=_pos(unit, i), column=col)
        return ParseError(f"{msg} (record {_pos(unit, i)})", path=p, column=col)

    out = pd.DataFrame(index=df.index)
    for src, dst in _INT.items():
        if src not in df:
            continue
        s = df[src]
        num = pd.to_numeric(s, errors="coerce").astype("float64")
        # beyond 2**53 a float no longer holds every integer, and codes and years are far smaller anyway
        too_big = num.abs() > 2.0**53
        bad = (num.isna() & s.notna()) | (num.notna() & (num != np.floor(num.fillna(0)))) | too_big
        if src in _REQUIRED:
            bad |= s.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise fail(i, src, f"{src} must be an integer, got {s.iloc[i]!r}")
        out[dst] = num.astype("Int64")
    for src, dst in _FLOAT.items():
        if src not in df:
            continue
        s = df[src]
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if src in _REQUIRED:
            bad |= s.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise fail(i, src, f"{src} is not numeric: {s.iloc[i]!r}")
        out[dst] = num.astype("float64")
    for src, dst in _BOOL.items():
        if src not in df:
            continue
        s = df[src].map(lambda v: None if v is None else str(v).strip().lower())
        bad = s.notna() & ~s.isin(_TRUE | _FALSE)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise fail(i, src, f"{src} must be true/false, got {df[src].iloc[i]!r}")
        out[dst] = s.map(lambda v: None if v is None else v in _TRUE).astype("boolean")
    for src, dst in {**_STR, **_LEGACY}.items():
        if src in df:
            out[dst] = df[src].map(lambda v: None if v is None else str(v).strip()).astype("str")
    cmd = out["cmd_code"]
    if cmd.isna().any() or (~cmd.fillna("").str.fullmatch(r"\d+|TOTAL|AG\d")).any():
        i = int(np.flatnonzero((cmd.isna() | ~cmd.fillna("").str.fullmatch(r"\d+|TOTAL|AG\d")).to_numpy())[0])
        raise fail(i, "cmdCode", f"cmdCode is not an HS code: {df['cmdCode'].iloc[i]!r}")
    odd = cmd.str.fullmatch(r"\d+") & (cmd.str.len() % 2 == 1)
    out["cmd_code"] = cmd.where(~odd, "0" + cmd)
    flows = out["flow"]
    if flows.isna().any():
        i = int(np.flatnonzero(flows.isna().to_numpy())[0])
        raise fail(i, "flowCode", "flowCode is empty")
    if commodities is not None:
        wanted = [str(c) for c in commodities]
        codes = out["cmd_code"]
        keep = codes.isin(wanted)
        if cmd_prefix:
            for w in wanted:
                keep |= codes.str.startswith(w)
        out = out.loc[keep]
    key = [k for k in _KEY if k in out.columns]
    dup = out.duplicated(key, keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        row = out.iloc[i]
        raise fail(int(out.index[i]), "/".join(key),
                   "duplicated record for (" + ", ".join(f"{k}={row[k]}" for k in key) + ")")
    first = ["year", "reporter_code", "reporter_iso", "reporter", "flow", "partner_code", "partner_iso", "partner",
             "cmd_code", "classification", "value_usd", "net_weight_kg", "qty", "qty_unit"]
    cols = [c for c in first if c in out.columns] + [c for c in out.columns if c not in first]
    return out[cols].reset_index(drop=True)


def _as_param(values, what: str) -> str:
    if values is None:
        return ""
    if isinstance(values, str | int | np.integer):
        values = [values]
    vals = [str(v).strip() for v in values]
    if not vals or not all(v.isalnum() for v in vals):
        raise SpecificationError(f"{what}: expected codes, got {values!r}")
    return ",".join(vals)


def fetch_comtrade(
    commodities: Iterable[str] | str = tuple(HS_CODES),
    reporters: Iterable[int] | int | None = None,
    years: Iterable[int] | int | None = None,
    *,
    flows: Iterable[str] | str = ("X", "M"),
    partners: Iterable[int] | int | None = None,
    classification: str = "HS",
    key_env: str = ENV_KEY,
    base_url: str = COMTRADE_URL,
    cache: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    refresh: bool = False,
    **fetch_kwargs,
) -> tuple[pd.DataFrame, dict]:
    """Query the Comtrade Plus API (annual commodity data), cache the JSON response, and parse it.

    Parameters
    ----------
    commodities, reporters, years, flows, partners
        Query filters (HS codes as strings; M49 reporter/partner codes; years; flow codes ``X``/``M``).
    classification : str
        ``"HS"`` (as reported) or a fixed revision such as ``"H0"``.
    key_env : str
        Name of the environment variable holding the subscription key (default ``COMTRADE_API_KEY``).
    base_url : str
        API root (tests point it at a loopback server).
    cache, offline, refresh, **fetch_kwargs
        As in :func:`clusterecon.data.sources.download.fetch`.  A cached response for the same query is reused
        (also offline) and needs no key.

    Returns
    -------
    (pandas.DataFrame, dict)
        The parsed records and a provenance record (query without key, file, SHA-256, origin).
    """
    params = {
        "cmdCode": _as_param(commodities, "commodities"),
        "reporterCode": _as_param(reporters, "reporters"),
        "period": _as_param(years, "years"),
        "flowCode": _as_param(flows, "flows"),
        "partnerCode": _as_param(partners, "partners"),
    }
    params = {k: v for k, v in params.items() if v}
    if not _as_param(classification, "classification").isalnum():
        raise SpecificationError(f"bad classification {classification!r}")
    query = urllib.parse.urlencode(sorted(params.items()), safe=",")
    url = f"{base_url.rstrip('/')}/C/A/{classification}?{query}"
    name = "comtrade-" + hashlib.sha256(f"{classification}?{query}".encode()).hexdigest()[:20] + ".json"
    remote = RemoteFile(name=name, url=url, unpinned_reason="API responses are not fixed files", subdir="comtrade")
    from .download import cached

    hit = None if refresh else cached(remote, cache=cache)
    if hit is None:
        key = os.environ.get(key_env, "").strip()
        if not key:
            raise DownloadError(f"a Comtrade subscription key is needed: set the environment variable {key_env}")
        fetch_kwargs.setdefault("mirror", None)  # the API is not a file host: no file mirror unless asked
        hit = fetch(remote, cache=cache, offline=offline, refresh=refresh,
                    headers={"Ocp-Apim-Subscription-Key": key}, validate=lambda p: read_comtrade(p, commodities=None),
                    **fetch_kwargs)
    frame = read_comtrade(hit.path, commodities=None)
    prov = {"dataset": "UN Comtrade Plus API v1", "query": {"classification": classification, **params},
            **{k: v for k, v in hit.to_dict().items() if k in ("name", "path", "sha256", "size", "origin",
                                                               "retrieved_at", "source")},
            "rows": len(frame)}
    return frame, prov
