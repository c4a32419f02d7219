"""clusterecon.did: difference-in-differences estimators.

Every estimator returns a :class:`~clusterecon.results.Results` with ``to_frame()``, ``summary()`` and, where it fits,
``plot()``.  R did's names are kept for Callaway and Sant'Anna (``att_gt``/``aggte`` with yname, tname, idname,
gname, control_group, est_method, ...).

>>> from clusterecon.did import att_gt, aggte, event_study, did_imputation
"""

from ._results_cs import AggteResult, ATTgtResult
from .aggte import aggte
from .att_gt import att_gt
from .bacon import bacon_decomposition
from .bootstrap import multiplier_bootstrap
from .did2x2 import DiD2x2Result, did2x2
from .event_study import event_study
from .honest import honest_did
from .imputation import did_imputation
from .permutation import placebo_permutation
from .results import DiDResults
from .sun_abraham import sun_abraham
from .twfe import twfe

__all__ = [
    "att_gt",
    "aggte",
    "ATTgtResult",
    "AggteResult",
    "did2x2",
    "DiD2x2Result",
    "twfe",
    "event_study",
    "sun_abraham",
    "did_imputation",
    "bacon_decomposition",
    "honest_did",
    "placebo_permutation",
    "multiplier_bootstrap",
    "DiDResults",
]
