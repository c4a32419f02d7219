"""Public data sources: FAOSTAT bulk trade files, UN Comtrade, and the download/cache machinery behind them.

* :mod:`~clusterecon.data.sources.faostat` -- parse FAOSTAT's normalized CSV (old and new layouts, both encodings),
  stream-filter the bulk zips, and :func:`~clusterecon.data.sources.faostat.load_trade` with a provenance record;
* :mod:`~clusterecon.data.sources.comtrade` -- parse Comtrade Plus CSV/JSON, fetch with a subscription key;
* :mod:`~clusterecon.data.sources.download` -- pooch downloads, cache, mirror, offline mode, checksums;
* :mod:`~clusterecon.data.sources.archives` -- safe zip handling (Deflate64, zip slip, zip bombs);
* :mod:`~clusterecon.data.sources.areas` -- FAO aggregates versus countries.
"""

from __future__ import annotations

from .areas import is_aggregate, split_aggregates
from .comtrade import fetch_comtrade, read_comtrade
from .download import FetchResult, RemoteFile, cache_dir, fetch, is_offline
from .faostat import Provenance, catalogue, load_trade, read_normalized

__all__ = [
    "FetchResult",
    "Provenance",
    "RemoteFile",
    "cache_dir",
    "catalogue",
    "fetch",
    "fetch_comtrade",
    "is_aggregate",
    "is_offline",
    "load_trade",
    "read_comtrade",
    "read_normalized",
    "split_aggregates",
]
