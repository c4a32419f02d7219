"""clusterecon.panel: the Panel container, plm-style models (:func:`fit`), covariance estimators, results.

>>> from clusterecon.panel import fit, Panel, compare
"""

from .container import Panel
from .covariance import (
    CR2,
    Classical,
    Cluster,
    DriscollKraay,
    Heteroskedastic,
    NeweyWest,
    Vcov,
    few_clusters_warning,
    resolve_vcov,
)
from .hausman import HausmanResult, hausman
from .models import fit
from .results import PanelResults, compare

__all__ = [
    "Panel",
    "fit",
    "PanelResults",
    "compare",
    "hausman",
    "HausmanResult",
    "Vcov",
    "Classical",
    "Heteroskedastic",
    "Cluster",
    "CR2",
    "DriscollKraay",
    "NeweyWest",
    "resolve_vcov",
    "few_clusters_warning",
]
