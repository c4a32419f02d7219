"""The seed paper's numbers: facts with provenance, a claims audit, and series built from the facts.

Perez-Aleman, P. (2002), "Decentralised production organisation and institutional transformation: large and small
firm networks in Chile and Nicaragua", *Cambridge Journal of Economics* 26(6).

Public API
----------
facts(path=None)
    The facts table (``data/paper/facts.csv``), one row per printed number, validated by a pandera schema on load.
validate_facts(data)
    The same validation for a DataFrame or any CSV path; returns a new typed frame.
audit(facts=None)
    Every derived claim of the paper recomputed from the facts, with a verdict (consistent / rounding /
    inconsistent / uncheckable) under a stated tolerance rule.
series(name=None, *, interpolate=False, facts=None)
    Tidy long series built from the facts, gaps explicit; names in :data:`SERIES`.
descriptives(facts=None)
    Growth multiples, compound annual growth rates and the Chile-vs-China 2x2 difference in Japan's import share.

The table lives at the repository root (``data/paper/facts.csv``, described in ``data/paper/README.md``).
"""

from __future__ import annotations

from ._claims import AUDIT_COLUMNS, CLAIMS, EXACT_TOL, Claim, audit, printed_precision
from ._facts import default_path, facts, validate_facts
from ._series import DESCRIPTIVE_COLUMNS, NO_INFERENCE, SERIES, SERIES_COLUMNS, descriptives, series
from ._vocab import BOUND_QUALIFIERS, COLUMNS, ENTITIES, QUALIFIERS, SOURCES, UNITS, VARIABLES

__all__ = [
    "facts",
    "validate_facts",
    "default_path",
    "audit",
    "series",
    "descriptives",
    "Claim",
    "CLAIMS",
    "EXACT_TOL",
    "AUDIT_COLUMNS",
    "printed_precision",
    "SERIES",
    "SERIES_COLUMNS",
    "DESCRIPTIVE_COLUMNS",
    "NO_INFERENCE",
    "COLUMNS",
    "ENTITIES",
    "VARIABLES",
    "UNITS",
    "QUALIFIERS",
    "SOURCES",
    "BOUND_QUALIFIERS",
]
