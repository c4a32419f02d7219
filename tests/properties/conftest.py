"""Hypothesis profiles for the property and fuzz tests.

``ci`` (the default): few examples, derandomized (a fixed seed), no example database, so CI runs are deterministic
and the whole of ``tests/properties`` stays within a few minutes on two shared cores.  ``long``: many more examples,
still derandomized so a failure found there can be replayed.  ``make test-long`` selects it with
``HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
