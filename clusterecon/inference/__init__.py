"""clusterecon.inference: small-sample and resampling inference shared by the estimators.

* :func:`wild_cluster_bootstrap` / :func:`wild_bootstrap_arrays` -- restricted and unrestricted wild cluster
  bootstrap-t with test-inversion confidence sets (:mod:`clusterecon.inference.wild`);
* :func:`randomization_inference` -- permutation of treatment across clusters (:mod:`.randomization`);
* :func:`few_clusters_warning` -- the FewClustersWarning pointing to CR2 or the wild bootstrap;
* CR2 with Satterthwaite df lives with the other covariance estimators: ``clusterecon.panel.fit(..., vcov="CR2")``.
"""

from ..panel.covariance import CR2, few_clusters_warning
from .randomization import RandomizationResult, randomization_inference
from .wild import WildBootstrapResult, auxiliary_weights, wild_bootstrap_arrays, wild_cluster_bootstrap

__all__ = [
    "wild_cluster_bootstrap",
    "wild_bootstrap_arrays",
    "WildBootstrapResult",
    "auxiliary_weights",
    "randomization_inference",
    "RandomizationResult",
    "few_clusters_warning",
    "CR2",
]
