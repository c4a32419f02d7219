"""What the case modules share: loading the FAOSTAT extract without ever failing, and the results bundle.

A case must run on a machine without the data: :func:`load_faostat` tries the local cache and the mirror named by
``$CLUSTERECON_DATA_MIRROR`` (never the network unless asked), and returns ``(None, record)`` with
``record["status"] == "unavailable"`` when neither has the file.  Every case then reports "real data unavailable"
in its tables instead of raising.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import DataError
from ..results import Results

__all__ = ["CaseResult", "load_faostat", "UNAVAILABLE", "unavailable_table", "clean_provenance"]

UNAVAILABLE = "real data unavailable"

# keys of a provenance record that change from run to run or machine to machine (the SHA-256 identifies the data)
_VOLATILE = ("retrieved_at", "parquet", "parquet_hit", "path", "source")


def clean_provenance(record: dict) -> dict:
    """The provenance record without run- or machine-specific keys (so that reruns write identical files)."""
    return {k: v for k, v in record.items() if k not in _VOLATILE}


def load_faostat(items=(391, 901), *, allow_download: bool = False, **kwargs) -> tuple[pd.DataFrame | None, dict]:
    """FAOSTAT country totals for ``items`` from the cache or the mirror; ``(None, record)`` when unavailable.

    The network is used only with ``allow_download=True`` (FAO's bulk host), so that tests, notebooks and the
    replication never wait on a download they did not ask for.
    """
    from ..data.sources.faostat import load_trade

    origins = ["cache"]
    if os.environ.get("CLUSTERECON_DATA_MIRROR") or kwargs.get("mirror"):
        origins.append("mirror")
    if allow_download:
        origins.append("download")
    reasons = []
    for origin in origins:
        try:
            frame, prov = load_trade(items=items, source=origin, **kwargs)
        except DataError as exc:  # DownloadError, ParseError
            reasons.append(f"{origin}: {exc}")
            continue
        return frame, {"status": "faostat", **prov.to_dict()}
    if not allow_download:
        reasons.append("download not attempted (pass allow_download=True)")
    return None, {"status": "unavailable", "reason": "; ".join(reasons), "message": UNAVAILABLE}


def unavailable_table(case: str, record: dict) -> pd.DataFrame:
    """A one-row table saying that the real data were unavailable and why."""
    return pd.DataFrame({"case": [case], "status": [UNAVAILABLE], "reason": [record.get("reason", "")],
                         "remedy": ["set CLUSTERECON_DATA_MIRROR to a folder holding the FAOSTAT bulk zip, or "
                                    "call data(allow_download=True) once to fill the cache"]})


@dataclass
class CaseResult:
    """What ``run()`` of a case returns: results objects, tidy tables, the analysis panel and its provenance.

    Attributes
    ----------
    case : short name (``chile_tomato``, ...).
    design : the case's DESIGN text (markdown).
    available : False when the real data could not be loaded (the tables then say so).
    synthetic : True for simulated data (every table and caption is then labelled synthetic).
    results : name -> :class:`clusterecon.results.Results` (synthetic control, placebo, SDID, event study, ...).
    tables : name -> tidy DataFrame, ready for :func:`clusterecon.report.tables.write_table`.
    captions : name -> caption of the table or figure of that name.
    panel : the analysis panel (long), or None.
    provenance : JSON-ready record of the inputs (FAOSTAT file and SHA-256, or the seed and calibration).
    notes : caveats in plain sentences.
    """

    case: str
    design: str
    available: bool
    synthetic: bool = False
    results: dict[str, Results] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    panel: pd.DataFrame | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Every table as text, with the notes."""
        head = f"{self.case}" + (" [SYNTHETIC DATA]" if self.synthetic else "")
        parts = [head, "=" * len(head)]
        if not self.available:
            parts.append(UNAVAILABLE.upper() + ": " + str(self.provenance.get("reason", "")))
        for name, table in self.tables.items():
            parts += ["", f"{name}: {self.captions.get(name, '')}", table.to_string(index=False)]
        if self.notes:
            parts += ["", "Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.summary()
