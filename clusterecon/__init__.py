"""clusterecon: panel and difference-in-differences econometrics for governance regimes in industrial clusters.

Layers (lower never imports higher): ``clusterecon.data`` -> ``clusterecon.panel`` -> estimators
(``clusterecon.panel`` models, ``clusterecon.did``, ``clusterecon.synth``, ``clusterecon.inference``) ->
``clusterecon.report`` -> workflow (``clusterecon.cli``, ``clusterecon.replicate``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import (
    ClusterEconError,
    ClusterEconWarning,
    DataError,
    EstimationError,
    SpecificationError,
)

try:
    __version__ = version("clusterecon")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "ClusterEconError",
    "ClusterEconWarning",
    "DataError",
    "EstimationError",
    "SpecificationError",
]
