"""The paper's clusters as analyses (layer ``cases``, beside ``report``).

One module per case, each with ``DESIGN`` (design, identifying assumption, threats), ``data()`` (the analysis panel
and its provenance), ``run(seed=...)`` (a :class:`~clusterecon.cases._common.CaseResult`: results objects and tidy
tables) and ``figures(result)``.  The notebooks and the replication steps call these and nothing else.

* :mod:`~clusterecon.cases.chile_tomato` -- (a) Chile's tomato-paste exports, synthetic control, SDID, event study;
* :mod:`~clusterecon.cases.japan_shares` -- (b) Japan's tomato-paste imports by origin, a DiD in shares;
* :mod:`~clusterecon.cases.nicaragua_dairy` -- (c) Nicaragua's cheese exports around 1998;
* :mod:`~clusterecon.cases.suppliers` -- (d) the simulated supplier network (SYNTHETIC data).
"""

from ._common import UNAVAILABLE, CaseResult, load_faostat

CASES = ("chile_tomato", "japan_shares", "nicaragua_dairy", "suppliers")

__all__ = ["CASES", "CaseResult", "UNAVAILABLE", "load_faostat"]
