"""clusterecon.synth: methods for a single treated unit.

* :func:`synthetic_control` -- Abadie, Diamond and Hainmueller (2010) synthetic control with nested V optimisation;
* :func:`placebo_in_space`, :func:`placebo_in_time`, :func:`leave_one_out` -- its inference and robustness checks;
* :func:`synthetic_did` -- Arkhangelsky et al. (2021) synthetic DiD, with SC and DiD as special cases and placebo
  (jackknife, bootstrap with several treated units) standard errors.
"""

from clusterecon.synth.placebo import leave_one_out, placebo_in_space, placebo_in_time
from clusterecon.synth.results import (
    LeaveOneOutResults,
    PlaceboInSpaceResults,
    PlaceboInTimeResults,
    SyntheticControlResults,
    SyntheticDiDResults,
)
from clusterecon.synth.scm import synthetic_control
from clusterecon.synth.sdid import synthetic_did

__all__ = [
    "synthetic_control",
    "synthetic_did",
    "placebo_in_space",
    "placebo_in_time",
    "leave_one_out",
    "SyntheticControlResults",
    "SyntheticDiDResults",
    "PlaceboInSpaceResults",
    "PlaceboInTimeResults",
    "LeaveOneOutResults",
]
